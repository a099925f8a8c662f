"""The deployed base (C-6): each commit of a PR branch plans its whole change; CI stays green after the merge."""

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
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo(tmp_path_factory.mktemp("template") / "demo")


@pytest.fixture
def branch(demo_template: Path, tmp_path: Path) -> Path:
    """The demo's pending change, compiled and committed as the first commit of branch `upgrade` off main."""
    repo = copy_repo(demo_template, tmp_path / "repo")
    git(repo, "switch", "--quiet", "--create", "upgrade")
    commit_all(repo, "Upgrade prod, staging hotfix: specs and plan")
    return repo


def changes(repo: Path, env: str = "prod") -> list[str]:
    doc = json.loads((repo / "generated" / env / "plan.json").read_text(encoding="utf-8"))
    return [region["change"] for region in doc["regions"]]


def second_commit(repo: Path, capsys: Capture) -> None:
    """An edit after the first commit: more replicas in westus2, compiled and committed."""
    replace_text(repo / "environments/prod/regions/westus2.yaml", "replicas: 3", "replicas: 4")
    assert rollplan(capsys, "compile", "--root", str(repo), "-q").code == 0
    commit_all(repo, "More replicas in westus2")


def test_deployed_base_branch_with_two_commits_keeps_its_whole_plan(branch: Path, capsys: Capture) -> None:
    main = git(branch, "rev-parse", "main").strip()
    assert rollplan(capsys, "check", "--root", str(branch)).code == 0
    second_commit(branch, capsys)
    run = rollplan(capsys, "check", "--root", str(branch))
    assert run.code == 0, run.err
    assert changes(branch) == ["upgrade", "upgrade", "upgrade"]  # against HEAD it would be all noop
    assert json.loads((branch / "generated/prod/plan.json").read_text())["base_commit"] == main
    assert f"base: merge-base of HEAD and main ({main[:12]})" in run.out


def test_deployed_base_stale_second_commit_is_caught(branch: Path, capsys: Capture) -> None:
    replace_text(branch / "environments/prod/regions/westus2.yaml", "replicas: 3", "replicas: 4")
    commit_all(branch, "More replicas, plan forgotten")
    run = rollplan(capsys, "check", "--root", str(branch))
    assert run.code == 3
    assert "stale (changed): generated/prod/values/westus2.yaml" in run.err


@pytest.mark.parametrize("how", ["merge", "squash", "fast-forward"])
def test_deployed_base_check_after_the_merge_passes(branch: Path, capsys: Capture, how: str) -> None:
    second_commit(branch, capsys)
    git(branch, "switch", "--quiet", "main")
    if how == "merge":
        git(branch, "merge", "--quiet", "--no-ff", "upgrade", "-m", "Merge upgrade")
    elif how == "squash":
        git(branch, "merge", "--quiet", "--squash", "upgrade")
        git(branch, "commit", "--quiet", "-m", "Upgrade (squashed)")
    else:
        git(branch, "merge", "--quiet", "--ff-only", "upgrade")
    run = rollplan(capsys, "check", "--root", str(branch))
    assert run.code == 0, run.err
    assert "before the last change to prod, staging" in run.out


def test_deployed_base_after_the_merge_a_later_spec_change_is_still_caught(branch: Path, capsys: Capture) -> None:
    git(branch, "switch", "--quiet", "main")
    git(branch, "merge", "--quiet", "--no-ff", "upgrade", "-m", "Merge upgrade")
    replace_text(branch / "environments/prod/regions/westus2.yaml", "replicas: 3", "replicas: 4")
    commit_all(branch, "Pushed to main without its plan")
    assert rollplan(capsys, "check", "--root", str(branch)).code == 3


def test_deployed_base_warns_when_main_moved_on_in_the_same_environment(branch: Path, capsys: Capture) -> None:
    git(branch, "switch", "--quiet", "main")
    replace_text(branch / "environments/prod/regions/centralus.yaml", "replicas: 2", "replicas: 3")
    commit_all(branch, "Another PR, merged first")
    git(branch, "switch", "--quiet", "upgrade")
    run = rollplan(capsys, "check", "--root", str(branch))
    assert run.code == 0, run.err  # the plan is what this branch compiled, but it no longer starts from main
    assert "warning: prod: main has moved past this branch's base" in run.err
    assert "rebase onto main and compile again" in run.err
    assert "staging" not in run.err


def test_deployed_base_rebase_over_unrelated_change_needs_no_recompile(branch: Path, capsys: Capture) -> None:
    git(branch, "switch", "--quiet", "main")
    (branch / "docs.md").write_text("unrelated\n", encoding="utf-8")
    commit_all(branch, "Unrelated change")
    git(branch, "switch", "--quiet", "upgrade")
    git(branch, "rebase", "--quiet", "main")
    run = rollplan(capsys, "check", "--root", str(branch))
    assert run.code == 0, run.err
    assert "warning" not in run.err


def test_deployed_base_explicit_base_overrides(branch: Path, capsys: Capture) -> None:
    run = rollplan(capsys, "check", "--root", str(branch), "--base", "HEAD")
    assert run.code == 3
    assert "compiled against another base than HEAD" in run.err


def test_deployed_base_configured_branch_is_used(branch: Path, capsys: Capture) -> None:
    git(branch, "branch", "production", "main")
    git(branch, "branch", "--delete", "--force", "main")
    (branch / "rollplan.yaml").write_text("deployed_branch: production\n", encoding="utf-8")
    run = rollplan(capsys, "check", "--root", str(branch))
    assert run.code == 0, run.err
    assert "merge-base of HEAD and production" in run.out


def test_deployed_base_missing_configured_branch_is_exit_1(branch: Path, capsys: Capture) -> None:
    (branch / "rollplan.yaml").write_text("deployed_branch: release\n", encoding="utf-8")
    run = rollplan(capsys, "check", "--root", str(branch))
    assert run.code == 1
    assert "the deployed branch 'release' (rollplan.yaml) is neither a local branch nor origin/release" in run.err


def test_deployed_base_config_is_strict_with_a_location(branch: Path, capsys: Capture) -> None:
    (branch / "rollplan.yaml").write_text("# settings\ndeployed_brnach: main\n", encoding="utf-8")
    run = rollplan(capsys, "validate", "--root", str(branch))
    assert run.code == 1
    assert "error: rollplan.yaml:2:1: deployed_brnach: unknown key (expected one of: deployed_branch)" in run.err


def test_deployed_base_clone_follows_origin_head(branch: Path, tmp_path: Path, capsys: Capture) -> None:
    git(branch, "switch", "--quiet", "main")  # what the remote's HEAD names: origin/HEAD of the clone
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", "--branch", "upgrade", branch.as_uri(), str(clone))
    run = rollplan(capsys, "check", "--root", str(clone))
    assert run.code == 0, run.err
    assert "merge-base of HEAD and origin/main" in run.out


def test_deployed_base_without_a_deployed_branch_is_head(tmp_path: Path, demo_template: Path, capsys: Capture) -> None:
    repo = copy_repo(demo_template, tmp_path / "repo")
    git(repo, "branch", "--move", "main", "trunk")
    run = rollplan(capsys, "check", "--root", str(repo))
    assert run.code == 0, run.err
    assert "HEAD (no deployed branch" in run.out
    assert head(repo) == json.loads((repo / "generated/prod/plan.json").read_text())["base_commit"]


def test_deployed_base_compile_commit_then_the_spec_commit_passes_check(demo_template: Path, tmp_path: Path,
                                                                        capsys: Capture) -> None:  # fmt: skip
    # `SKIP=rollplan-check rollplan compile --commit`, then the spec change committed on the new branch.
    repo = copy_repo(demo_template, tmp_path / "repo")
    (repo / "generated/prod/plan.md").unlink()
    assert rollplan(capsys, "compile", "--root", str(repo), "--commit", "-q").code == 0
    git(repo, "add", "environments", "release-notes")
    assert rollplan(capsys, "check", "--root", str(repo)).code == 0  # what the hook sees: the staged tree
    git(repo, "commit", "--quiet", "-m", "Upgrade prod, staging hotfix")
    assert rollplan(capsys, "check", "--root", str(repo)).code == 0
    assert changes(repo) == ["upgrade", "upgrade", "upgrade"]


@pytest.mark.parametrize("how", ["fast-forward", "rebase-merge"])
def test_deployed_base_specs_then_plan_merged_as_commits_into_a_branch_without_plans(
    demo_template: Path, tmp_path: Path, capsys: Capture, how: str
) -> None:
    # The first pull request of a repository taking up rollplan: the specs in one commit, their plan in the next.
    repo = copy_repo(demo_template, tmp_path / "repo")
    git(repo, "switch", "--quiet", "--create", "upgrade")
    git(repo, "add", "environments", "release-notes")
    git(repo, "commit", "--quiet", "-m", "Upgrade prod, staging hotfix: specs")
    commit_all(repo, "Upgrade prod, staging hotfix: plan")
    branch_plan = git(repo, "show", "upgrade:generated/prod/plan.json")
    git(repo, "switch", "--quiet", "main")
    if how == "rebase-merge":
        (repo / "docs.md").write_text("unrelated\n", encoding="utf-8")
        commit_all(repo, "Unrelated change on main")
        git(repo, "switch", "--quiet", "upgrade")
        git(repo, "rebase", "--quiet", "main")
        git(repo, "switch", "--quiet", "main")
    git(repo, "merge", "--quiet", "--ff-only", "upgrade")
    run = rollplan(capsys, "check", "--root", str(repo))
    assert run.code == 0, run.err
    run = rollplan(capsys, "compile", "--root", str(repo))
    assert run.code == 0, run.err
    assert "generated/ is up to date" in run.out  # not turned into nothing to do
    assert changes(repo) == ["upgrade", "upgrade", "upgrade"]
    assert changes(repo, "staging") == ["image-only"]
    assert (repo / "generated/prod/plan.json").read_text(encoding="utf-8") == branch_plan


def merged(branch: Path) -> Path:
    git(branch, "switch", "--quiet", "main")
    git(branch, "merge", "--quiet", "--no-ff", "upgrade", "-m", "Merge upgrade")
    return branch


def test_deployed_base_compile_after_the_merge_keeps_the_merged_plan(branch: Path, capsys: Capture) -> None:
    repo = merged(branch)
    run = rollplan(capsys, "compile", "--root", str(repo))
    assert run.code == 0, run.err
    assert "generated/ is up to date" in run.out  # not rewritten into nothing to do
    assert changes(repo) == ["upgrade", "upgrade", "upgrade"]


def test_deployed_base_edit_on_the_deployed_branch_is_planned_from_head(branch: Path, capsys: Capture) -> None:
    repo = merged(branch)
    replace_text(repo / "environments/prod/regions/westus2.yaml", "replicas: 3", "replicas: 4")
    assert rollplan(capsys, "compile", "--root", str(repo), "-q").code == 0
    assert changes(repo) == ["config", "noop", "noop"]  # prod's merged upgrade is deployed: only the edit is left
    assert changes(repo, "staging") == ["image-only"]  # staging unchanged: its merged plan stays
    commit_all(repo, "More replicas in westus2, straight on main")
    assert rollplan(capsys, "check", "--root", str(repo)).code == 0


def test_deployed_base_recorded_commit_missing_from_a_shallow_clone_is_explained(
    branch: Path, tmp_path: Path, capsys: Capture
) -> None:
    repo = merged(branch)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", "--depth", "1", repo.as_uri(), str(clone))
    run = rollplan(capsys, "check", "--root", str(clone))
    assert run.code == 1  # against HEAD the merged upgrade would be nothing to do
    assert "prod: this clone is shallow and does not hold the last change to prod on the deployed branch" in run.err


def test_deployed_base_a_base_commit_outside_the_history_is_stale(branch: Path, capsys: Capture) -> None:
    git(branch, "switch", "--quiet", "--create", "elsewhere", "main")
    (branch / "docs.md").write_text("elsewhere\n", encoding="utf-8")
    git(branch, "add", "docs.md")
    elsewhere = commit_all(branch, "A commit on another branch")
    git(branch, "switch", "--quiet", "upgrade")
    plan = branch / "generated/prod/plan.json"
    doc = json.loads(plan.read_text(encoding="utf-8"))
    doc["base_commit"] = elsewhere
    plan.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    run = rollplan(capsys, "check", "--root", str(branch))
    assert run.code == 3
    assert "stale (changed): generated/prod/plan.json" in run.err
