"""The deployed branch's history decides each untouched environment's base: merges, reverts, back-to-back PRs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.demorepo import IDENTITY, build_demo, commit_all, copy_repo, git, head, replace_text, rollplan

Capture = pytest.CaptureFixture[str]


@pytest.fixture(autouse=True)
def git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in IDENTITY.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="session")
def history_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """main: the deployed state, then its (noop) plans; branch `upgrade`: the demo's change and its plan."""
    repo = build_demo(tmp_path_factory.mktemp("history") / "demo")
    for path in sorted((repo / "generated").rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    git(repo, "stash", "push", "--include-untracked", "--quiet")
    from compiler.cli import main

    assert main(["compile", "--root", str(repo), "-q"]) == 0
    commit_all(repo, "Plans of the deployed state")
    git(repo, "switch", "--quiet", "--create", "upgrade")
    git(repo, "stash", "pop", "--quiet")
    assert main(["compile", "--root", str(repo), "-q"]) == 0
    commit_all(repo, "Upgrade prod, staging hotfix: specs and plan")
    git(repo, "switch", "--quiet", "main")
    return repo


@pytest.fixture
def repo(history_template: Path, tmp_path: Path) -> Path:
    return copy_repo(history_template, tmp_path / "repo")


def plan(repo: Path, env: str = "prod") -> dict[str, object]:
    doc: dict[str, object] = json.loads((repo / "generated" / env / "plan.json").read_text(encoding="utf-8"))
    return doc


def changes(repo: Path, env: str = "prod") -> list[str]:
    regions = plan(repo, env)["regions"]
    assert isinstance(regions, list)
    return [region["change"] for region in regions]


def merge(repo: Path, how: str, branch: str = "upgrade") -> str:
    """Merge ``branch`` into main the way a forge does; returns main's new HEAD."""
    if how == "merge":
        git(repo, "merge", "--quiet", "--no-ff", branch, "-m", f"Merge {branch}")
    elif how == "squash":
        git(repo, "merge", "--quiet", "--squash", branch)
        git(repo, "commit", "--quiet", "-m", f"{branch} (squashed)")
    elif how == "fast-forward":
        git(repo, "merge", "--quiet", "--ff-only", branch)
    else:  # rebase-merge: the branch's commits replayed onto main, main fast-forwarded to them
        git(repo, "switch", "--quiet", branch)
        git(repo, "rebase", "--quiet", "main")
        git(repo, "switch", "--quiet", "main")
        git(repo, "merge", "--quiet", "--ff-only", branch)
    return head(repo)


def unrelated_commit_on_main(repo: Path) -> None:
    (repo / "docs.md").write_text("unrelated\n", encoding="utf-8")
    commit_all(repo, "Unrelated change on main")


def check(repo: Path, capsys: Capture) -> int:
    return rollplan(capsys, "check", "--root", str(repo)).code


@pytest.mark.parametrize("how", ["merge", "squash", "fast-forward", "rebase-merge"])
def test_history_after_the_merge_check_passes_and_compile_keeps_the_plan(repo: Path, capsys: Capture,
                                                                           how: str) -> None:  # fmt: skip
    if how in ("merge", "rebase-merge"):
        unrelated_commit_on_main(repo)  # main moved on elsewhere before the merge
    branch_plan = git(repo, "show", "upgrade:generated/prod/plan.json")
    merge(repo, how)
    assert check(repo, capsys) == 0
    run = rollplan(capsys, "compile", "--root", str(repo))
    assert run.code == 0, run.err
    assert "up to date" in run.out
    assert changes(repo) == ["upgrade", "upgrade", "upgrade"]
    assert (repo / "generated/prod/plan.json").read_text(encoding="utf-8") == branch_plan


def test_history_rebase_merge_of_spec_commits_then_a_plan_commit_is_one_change(repo: Path, capsys: Capture) -> None:
    git(repo, "switch", "--quiet", "--create", "split", "main")
    git(repo, "checkout", "upgrade", "--", "environments", "release-notes")
    commit_all(repo, "Upgrade prod: specs")
    replace_text(repo / "environments/prod/regions/westus2.yaml", "replicas: 3", "replicas: 4")
    commit_all(repo, "More replicas: specs")
    assert rollplan(capsys, "compile", "--root", str(repo), "-q").code == 0
    commit_all(repo, "Upgrade prod: plan")
    git(repo, "switch", "--quiet", "main")
    unrelated_commit_on_main(repo)
    merge(repo, "rebase-merge", "split")
    assert check(repo, capsys) == 0
    assert changes(repo) == ["upgrade", "upgrade", "upgrade"]


@pytest.mark.parametrize("how", ["merge", "squash"])
def test_history_revert_is_planned_from_the_reverted_state(repo: Path, capsys: Capture, how: str) -> None:
    merged = merge(repo, how)
    git(repo, "revert", "--no-edit", *(["-m", "1"] if how == "merge" else []), "HEAD")
    # The revert restores the old specs and the old plan: that plan's rollback would target the state before.
    run = rollplan(capsys, "check", "--root", str(repo))
    assert run.code == 3, run.err
    assert "stale (changed): generated/prod/plan.json" in run.err
    run = rollplan(capsys, "compile", "--root", str(repo), "-q")
    assert run.code == 0, run.err
    assert plan(repo)["base_commit"] == merged  # planned from the reverted state: back down
    assert changes(repo) == ["downgrade", "downgrade", "downgrade"]
    commit_all(repo, "Plan of the revert")
    assert check(repo, capsys) == 0


def test_history_revert_of_a_revert_restores_the_plan_it_had(repo: Path, capsys: Capture) -> None:
    merge(repo, "squash")
    upgrade = plan(repo)
    git(repo, "revert", "--no-edit", "HEAD")
    unrelated_commit_on_main(repo)
    git(repo, "revert", "--no-edit", "HEAD~1")  # the revert reverted: the upgrade and its plan are back
    assert plan(repo) == upgrade
    assert check(repo, capsys) == 0


def test_history_staging_only_revert_leaves_prod_alone(repo: Path, capsys: Capture) -> None:
    merge(repo, "merge")
    git(repo, "checkout", "HEAD~1", "--", "environments/staging", "generated/staging")
    commit_all(repo, "Revert staging's hotfix, specs and the old plan")
    run = rollplan(capsys, "check", "--root", str(repo))
    assert run.code == 3
    assert "generated/staging/plan.json" in run.err
    assert "generated/prod/" not in run.err  # prod's merged plan is still the plan of its last change


def test_history_plan_erased_on_main_is_caught(repo: Path, capsys: Capture) -> None:
    merge(repo, "merge")
    assert rollplan(capsys, "compile", "--root", str(repo), "--base", "HEAD", "-q").code == 0
    assert changes(repo) == ["noop", "noop", "noop"]
    commit_all(repo, "Plans against HEAD: the merged change becomes nothing to do")
    assert check(repo, capsys) == 3
    assert rollplan(capsys, "compile", "--root", str(repo), "-q").code == 0
    assert changes(repo) == ["upgrade", "upgrade", "upgrade"]


def test_history_two_prs_merged_back_to_back(repo: Path, capsys: Capture) -> None:
    first = merge(repo, "merge")
    git(repo, "switch", "--quiet", "--create", "second", "main")
    replace_text(repo / "environments/prod/regions/westus2.yaml", "replicas: 3", "replicas: 4")
    assert rollplan(capsys, "compile", "--root", str(repo), "-q").code == 0
    commit_all(repo, "More replicas in westus2")
    git(repo, "switch", "--quiet", "main")
    merge(repo, "merge", "second")
    assert check(repo, capsys) == 0
    assert plan(repo)["base_commit"] == first  # the second PR's plan starts where the first one ends
    assert changes(repo) == ["config", "noop", "noop"]
    assert changes(repo, "staging") == ["image-only"]  # untouched by the second PR: the first one's plan


@pytest.mark.parametrize("how", ["merge", "squash", "fast-forward"])
def test_history_environment_untouched_since_its_first_plan_keeps_its_base_commit(
    repo: Path, capsys: Capture, how: str
) -> None:
    git(repo, "switch", "--quiet", "--create", "prod-only", "main")
    replace_text(repo / "environments/prod/regions/centralus.yaml", "replicas: 2", "replicas: 3")
    assert rollplan(capsys, "compile", "--root", str(repo), "-q").code == 0
    assert git(repo, "status", "--porcelain", "generated/staging/plan.json") == ""  # not the PR's business
    commit_all(repo, "More replicas in centralus")
    git(repo, "switch", "--quiet", "main")
    merge(repo, how, "prod-only")
    assert check(repo, capsys) == 0
    assert rollplan(capsys, "compile", "--root", str(repo), "-q").code == 0
    assert git(repo, "status", "--porcelain") == ""


def spec_then_plan(repo: Path, capsys: Capture, branch: str, region: str, old: str, new: str) -> None:
    """A pull request of two commits off main, the spec change and then its plan, fast-forwarded into main."""
    git(repo, "switch", "--quiet", "--create", branch, "main")
    replace_text(repo / f"environments/prod/regions/{region}.yaml", old, new)
    commit_all(repo, f"{branch}: specs")
    assert rollplan(capsys, "compile", "--root", str(repo), "-q").code == 0
    commit_all(repo, f"{branch}: plan")
    git(repo, "switch", "--quiet", "main")
    merge(repo, "fast-forward", branch)


def test_history_two_prs_of_spec_then_plan_commits_fast_forwarded_back_to_back(repo: Path, capsys: Capture) -> None:
    spec_then_plan(repo, capsys, "first", "centralus", "replicas: 2", "replicas: 3")
    first = head(repo)
    assert check(repo, capsys) == 0
    spec_then_plan(repo, capsys, "second", "westus2", "replicas: 3", "replicas: 4")
    run = rollplan(capsys, "check", "--root", str(repo))
    assert run.code == 0, run.err
    assert plan(repo)["base_commit"] == first  # the second PR's plan starts where the first one ends
    assert rollplan(capsys, "compile", "--root", str(repo), "-q").code == 0
    assert git(repo, "status", "--porcelain") == ""


@pytest.mark.parametrize("edit", ["nothing", "docs", "staging"])
def test_history_new_branch_after_the_merge_keeps_the_merged_plan(repo: Path, capsys: Capture, edit: str) -> None:
    merge(repo, "merge")
    git(repo, "switch", "--quiet", "--create", "next", "main")
    if edit == "docs":
        unrelated_commit_on_main(repo)
    elif edit == "staging":
        replace_text(repo / "environments/staging/regions/westus2.yaml", "replicas: 1", "replicas: 2")
    run = rollplan(capsys, "check", "--root", str(repo))
    assert run.code == (3 if edit == "staging" else 0), run.err
    assert "generated/prod/" not in run.err
    assert rollplan(capsys, "compile", "--root", str(repo), "-q").code == 0
    assert changes(repo) == ["upgrade", "upgrade", "upgrade"]  # the merged change, not nothing to do
    if edit == "staging":
        assert plan(repo, "staging")["base_commit"] == git(repo, "rev-parse", "main").strip()
        commit_all(repo, "More staging replicas")
    assert check(repo, capsys) == 0


def test_history_fast_forward_of_two_planned_commits_is_one_change(repo: Path, capsys: Capture) -> None:
    git(repo, "switch", "--quiet", "--create", "two", "upgrade")
    replace_text(repo / "environments/prod/regions/westus2.yaml", "replicas: 3", "replicas: 4")
    assert rollplan(capsys, "compile", "--root", str(repo), "-q").code == 0
    commit_all(repo, "More replicas in westus2, compiled again")
    git(repo, "switch", "--quiet", "main")
    before = head(repo)
    merge(repo, "fast-forward", "two")
    assert check(repo, capsys) == 0  # both commits' plans start from main: one change
    assert rollplan(capsys, "compile", "--root", str(repo), "-q").code == 0
    assert git(repo, "status", "--porcelain") == ""
    assert changes(repo) == ["upgrade", "upgrade", "upgrade"]
    assert plan(repo)["base_commit"] == before


def test_history_stale_plan_of_a_second_pr_from_one_base_does_not_fold_the_first(repo: Path, capsys: Capture) -> None:
    git(repo, "switch", "--quiet", "--create", "other", "main")
    replace_text(repo / "environments/prod/regions/centralus.yaml", "replicas: 2", "replicas: 3")
    assert rollplan(capsys, "compile", "--root", str(repo), "-q").code == 0
    commit_all(repo, "More replicas in centralus")
    git(repo, "switch", "--quiet", "main")
    first = merge(repo, "merge")
    # The second pull request lands with the plan it was compiled with, against the base both started from.
    git(repo, "rm", "-r", "--quiet", "generated")
    git(repo, "checkout", "other", "--", "environments/prod/regions/centralus.yaml", "generated")
    commit_all(repo, "More replicas in centralus (squashed, plan not compiled again)")
    assert check(repo, capsys) == 3
    assert rollplan(capsys, "compile", "--root", str(repo), "-q").code == 0
    assert plan(repo)["base_commit"] == first  # from where the first one ends, not folding it in
    assert sorted(changes(repo)) == ["config", "noop", "noop"]


def test_history_revert_of_a_compiled_revert_plans_the_upgrade_again(repo: Path, capsys: Capture) -> None:
    merge(repo, "squash")
    upgrade = plan(repo)
    git(repo, "revert", "--no-commit", "HEAD")
    assert rollplan(capsys, "compile", "--root", str(repo), "-q").code == 0
    commit_all(repo, "Revert the upgrade, with the plan of the revert")
    assert changes(repo) == ["downgrade", "downgrade", "downgrade"]
    git(repo, "revert", "--no-edit", "HEAD")
    # The upgrade's plan comes back: it starts from the state the revert left, which holds the inputs it records.
    assert check(repo, capsys) == 0
    assert plan(repo) == upgrade
    assert rollplan(capsys, "compile", "--root", str(repo), "-q").code == 0
    assert git(repo, "status", "--porcelain") == ""
