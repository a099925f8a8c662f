"""`rollplan check` and `rollplan compile --commit` against real git repositories built by `rollplan demo`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.demorepo import (
    BOTH_BRANCH,
    IDENTITY,
    PROD_BRANCH,
    branches,
    build_demo,
    commit_all,
    commit_files,
    copy_repo,
    current_branch,
    generated_bytes,
    git,
    head,
    replace_text,
    rollplan,
    snapshot,
)

from compiler.commands.demo import EXAMPLE_PARTS, example_root
from compiler.repo.example import apply_demo_change

Capture = pytest.CaptureFixture[str]


@pytest.fixture(autouse=True)
def git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commits made by rollplan in clones the tests create need an author; assume no global git config."""
    for name, value in IDENTITY.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo(tmp_path_factory.mktemp("template") / "demo")


@pytest.fixture
def repo(demo_template: Path, tmp_path: Path) -> Path:
    """A private copy of the demo repository: HEAD deployed, work tree pending, generated/ fresh and untracked."""
    return copy_repo(demo_template, tmp_path / "repo")


@pytest.fixture
def pr_repo(repo: Path) -> Path:
    """The demo with its pending change and generated/ committed on main, as after a merged PR."""
    commit_all(repo, "Upgrade prod to 100.0.1000076, staging hotfix")
    return repo


# --- check ---------------------------------------------------------------------------------------------------------


def test_check_fresh_demo_output_passes(repo: Path, capsys: Capture) -> None:
    run = rollplan(capsys, "check", "--root", str(repo))
    assert run.code == 0, run.err
    assert "generated/ is up to date (prod, staging)" in run.out


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        ("changed", "generated/prod/values/eastus.yaml"),
        ("missing", "generated/prod/flux/eastus.yaml"),
        ("extra", "generated/staging/argocd/extra.yaml"),
        ("extra", "generated/prod/notes/left-over.txt"),
        ("changed", "generated/upgrade.sh"),
        ("missing", "generated/rollout.json"),
    ],
)
def test_check_stale_file_exits_3_naming_it(repo: Path, capsys: Capture, kind: str, path: str) -> None:
    target = repo / path
    if kind == "changed":
        target.write_bytes(target.read_bytes() + b"# edited by hand\n")
    elif kind == "missing":
        target.unlink()
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("not generated\n", encoding="utf-8")
    run = rollplan(capsys, "check", "--root", str(repo))
    assert run.code == 3
    assert f"stale ({kind}): {path}\n" in run.err
    assert "1 generated file(s) are stale" in run.err


def test_check_json_lists_every_stale_file(repo: Path, capsys: Capture) -> None:
    (repo / "generated/prod/plan.md").write_text("# hand-written\n", encoding="utf-8")
    (repo / "generated/staging/upgrade.sh").unlink()
    (repo / "generated/prod/rollback/flux/extra.yaml").write_text("{}\n", encoding="utf-8")
    before = generated_bytes(repo)
    run = rollplan(capsys, "check", "--root", str(repo), "--format", "json")
    assert run.code == 3
    doc = json.loads(run.out)
    assert doc["ok"] is False and doc["exit_code"] == 3
    assert doc["stale"] == {
        "changed": ["generated/prod/plan.md"],
        "missing": ["generated/staging/upgrade.sh"],
        "extra": ["generated/prod/rollback/flux/extra.yaml"],
    }
    assert generated_bytes(repo) == before, "check must never write"


def test_check_json_fresh_output_has_empty_stale_lists(repo: Path, capsys: Capture) -> None:
    run = rollplan(capsys, "check", "--root", str(repo), "--format", "json")
    assert run.code == 0
    doc = json.loads(run.out)
    assert doc["base"].startswith("merge-base of HEAD and main")
    assert {k: v for k, v in doc.items() if k != "base"} == {
        "format_version": 1,
        "ok": True,
        "environments": ["prod", "staging"],
        "stale": {"changed": [], "missing": [], "extra": []},
        "warnings": [],
    }


def test_check_env_option_limits_the_comparison(repo: Path, capsys: Capture) -> None:
    (repo / "generated/staging/plan.md").write_text("stale\n", encoding="utf-8")
    assert rollplan(capsys, "check", "--root", str(repo), "--env", "prod").code == 0
    run = rollplan(capsys, "check", "--root", str(repo), "--env", "staging")
    assert run.code == 3
    assert "stale (changed): generated/staging/plan.md" in run.err


def test_check_against_the_base_the_plan_was_compiled_with_passes(pr_repo: Path, capsys: Capture) -> None:
    run = rollplan(capsys, "check", "--root", str(pr_repo), "--base", "HEAD~1")
    assert run.code == 0, run.err


def test_check_after_the_merge_uses_the_base_plan_json_records(pr_repo: Path, capsys: Capture) -> None:
    # HEAD, the deployed branch, now holds the change itself: the plans were compiled against HEAD~1.
    run = rollplan(capsys, "check", "--root", str(pr_repo))
    assert run.code == 0, run.err
    assert "base: before the last change to prod, staging" in run.out


def test_check_other_base_is_named_in_one_line(pr_repo: Path, capsys: Capture) -> None:
    run = rollplan(capsys, "check", "--root", str(pr_repo), "--base", "HEAD")
    assert run.code == 3
    notes = [line for line in run.err.splitlines() if "compiled against another base" in line]
    assert notes == [
        "prod: plan.json was compiled against another base than HEAD (same target inputs): compile again",
        "staging: plan.json was compiled against another base than HEAD (same target inputs): compile again",
    ]
    assert "stale (changed): generated/prod/plan.json" in run.err


def test_check_json_carries_the_base_note(pr_repo: Path, capsys: Capture) -> None:
    run = rollplan(capsys, "check", "--root", str(pr_repo), "--env", "prod", "--base", "HEAD", "--format", "json")
    assert run.code == 3
    assert json.loads(run.out)["note"].startswith("prod: plan.json was compiled against another base than HEAD")


def test_check_and_compile_with_env_leave_the_top_level_files_alone(repo: Path, capsys: Capture) -> None:
    # The top-level plan covers every environment: a run limited to one neither judges nor rewrites it.
    rollout = repo / "generated/rollout.json"
    rollout.write_bytes(rollout.read_bytes() + b" ")
    assert rollplan(capsys, "check", "--root", str(repo), "--env", "prod").code == 0
    assert rollplan(capsys, "compile", "--root", str(repo), "--env", "prod").code == 0
    assert rollout.read_bytes().endswith(b"}\n ")
    assert rollplan(capsys, "check", "--root", str(repo)).code == 3
    assert rollplan(capsys, "compile", "--root", str(repo)).code == 0
    assert rollplan(capsys, "check", "--root", str(repo)).code == 0


# --- compile --commit ----------------------------------------------------------------------------------------------


def test_commit_creates_branch_with_only_generated_files(repo: Path, capsys: Capture) -> None:
    (repo / "generated/prod/plan.md").unlink()  # something for compile to write
    parent = head(repo)
    run = rollplan(capsys, "compile", "--root", str(repo), "--commit")
    assert run.code == 0, run.err
    assert current_branch(repo) == BOTH_BRANCH
    assert git(repo, "rev-parse", "HEAD~1").strip() == parent
    files = commit_files(repo)
    assert files == sorted(generated_bytes(repo)), "the commit holds exactly the generated files"
    assert all(f.startswith("generated/") for f in files)
    spec_changes = git(repo, "status", "--porcelain").splitlines()
    assert spec_changes == [
        " M environments/prod/environment.yaml",
        " M environments/prod/values/regions/eastus.yaml",
        " M environments/staging/environment.yaml",
    ], "the spec change stays uncommitted: --commit commits generated/ only"
    assert f"on branch {BOTH_BRANCH} (not pushed)" in run.out


def test_commit_message_summarises_the_plan(repo: Path, capsys: Capture) -> None:
    assert rollplan(capsys, "compile", "--root", str(repo), "--commit").code == 0
    subject, blank, *body = git(repo, "log", "-1", "--format=%B").splitlines()
    assert subject == (
        "rollplan: prod 100.0.1000067 → 100.0.1000076, 3 regions; staging 100.0.1000071 → 100.0.1000071.2, 1 region"
    )
    assert blank == ""
    assert "- westus2 (primary): upgrade" in body
    assert "- eastus: upgrade" in body
    assert "- centralus: upgrade" in body
    assert "  risk: URGENT: release 100.0.1000076 is a critical security fix" in body
    assert any(line.startswith("  risk: full outage") for line in body), "staging's single replica is named"


def test_commit_single_env_names_it_in_branch_and_commit(repo: Path, capsys: Capture) -> None:
    run = rollplan(capsys, "compile", "--root", str(repo), "--commit", "--env", "prod")
    assert run.code == 0, run.err
    assert current_branch(repo) == PROD_BRANCH
    assert git(repo, "log", "-1", "--format=%s").strip() == "rollplan: prod 100.0.1000067 → 100.0.1000076, 3 regions"
    files = commit_files(repo)
    assert files and all(f.startswith("generated/prod/") for f in files)
    assert "?? generated/staging/" in git(repo, "status", "--porcelain"), "staging was not selected: left alone"


def test_commit_branch_option_names_the_branch(repo: Path, capsys: Capture) -> None:
    run = rollplan(capsys, "compile", "--root", str(repo), "--commit", "--branch", "upgrade/prod-q3")
    assert run.code == 0, run.err
    assert current_branch(repo) == "upgrade/prod-q3"
    assert BOTH_BRANCH not in branches(repo)


def test_commit_second_run_without_change_makes_no_commit(repo: Path, capsys: Capture) -> None:
    assert rollplan(capsys, "compile", "--root", str(repo), "--commit").code == 0
    first = snapshot(repo)
    run = rollplan(capsys, "compile", "--root", str(repo), "--commit")
    assert run.code == 0, run.err
    assert "nothing new to commit under generated/" in run.out
    assert snapshot(repo) == first


def test_commit_with_nothing_changed_creates_no_branch(pr_repo: Path, capsys: Capture) -> None:
    assert rollplan(capsys, "compile", "--root", str(pr_repo), "--base", "HEAD~1", "--commit").code == 0
    assert branches(pr_repo) == ["main"]


def test_commit_never_pushes(repo: Path, tmp_path: Path, capsys: Capture) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", str(remote))
    git(repo, "remote", "add", "origin", remote.as_uri())
    git(repo, "push", "--quiet", "origin", "main")
    assert rollplan(capsys, "compile", "--root", str(repo), "--commit").code == 0
    assert git(repo, "ls-remote", "--heads", "origin").split()[1::2] == ["refs/heads/main"]


def test_commit_json_names_commit_and_branch(repo: Path, capsys: Capture) -> None:
    run = rollplan(capsys, "compile", "--root", str(repo), "--commit", "--env", "prod", "--format", "json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert doc["commit"] == head(repo)
    assert doc["branch"] == PROD_BRANCH


def test_commit_works_on_detached_head(repo: Path, capsys: Capture) -> None:
    detached = head(repo)
    git(repo, "checkout", "--quiet", "--detach")
    run = rollplan(capsys, "compile", "--root", str(repo), "--commit", "--env", "prod")
    assert run.code == 0, run.err
    assert current_branch(repo) == PROD_BRANCH
    assert git(repo, "rev-parse", "HEAD~1").strip() == detached


def test_commit_works_in_shallow_clone(pr_repo: Path, tmp_path: Path, capsys: Capture) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", "--depth", "1", pr_repo.as_uri(), str(clone))
    assert git(clone, "rev-parse", "--is-shallow-repository").strip() == "true"
    replace_text(clone / "environments/prod/values/regions/eastus.yaml", "memory: 8Gi", "memory: 12Gi")
    run = rollplan(capsys, "compile", "--root", str(clone), "--commit", "--env", "prod")
    assert run.code == 0, run.err
    assert current_branch(clone) == "rollplan/prod-100.0.1000076"
    files = commit_files(clone)
    assert "generated/prod/values/eastus.yaml" in files
    assert all(f.startswith("generated/prod/") for f in files)
    assert rollplan(capsys, "check", "--root", str(clone), "--env", "prod", "--base", "origin/main").code == 0


def test_commit_in_subfolder_commits_that_folder_only(tmp_path: Path, capsys: Capture) -> None:
    outer = tmp_path / "platform"
    for part in EXAMPLE_PARTS:
        source = example_root() / part
        if source.is_dir():
            copy_repo(source, outer / "tenant" / part)
    (outer / "README.md").write_text("platform repo\n", encoding="utf-8")
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(outer))
    commit_all(outer, "Deployed state")
    apply_demo_change(outer / "tenant")
    run = rollplan(capsys, "compile", "--root", str(outer / "tenant"), "--commit", "--env", "prod")
    assert run.code == 0, run.err
    files = commit_files(outer)
    assert files and all(f.startswith("tenant/generated/prod/") for f in files)


# --- compile --commit refusals: exit 1, and nothing changed -------------------------------------------------------


def assert_refused(repo: Path, capsys: Capture, *extra: str, reason: str) -> None:
    """``compile --commit`` exits 1 naming ``reason``, and HEAD, branches, index, status and generated/ stay put."""
    before = snapshot(repo)
    run = rollplan(capsys, "compile", "--root", str(repo), "--commit", *extra)
    assert run.code == 1
    assert reason in run.err
    assert run.out == ""
    assert snapshot(repo) == before


def test_commit_refuses_staged_unrelated_change(repo: Path, capsys: Capture) -> None:
    (repo / "generated/prod/plan.md").unlink()  # a write would show
    git(repo, "add", "environments/prod/environment.yaml")
    assert_refused(repo, capsys, reason="staged (environments/prod/environment.yaml)")
    assert_refused(repo, capsys, reason="outside generated/prod/, generated/staging/, generated/.rollplan-inputs, "
                   "generated/rollback.sh, generated/rollout.json, generated/upgrade.sh are staged")  # fmt: skip


def test_commit_refuses_staged_file_of_unselected_environment(repo: Path, capsys: Capture) -> None:
    git(repo, "add", "generated/staging/plan.md")
    assert_refused(repo, capsys, "--env", "prod", reason="outside generated/prod/ are staged")


def test_commit_refuses_existing_branch(repo: Path, capsys: Capture) -> None:
    (repo / "generated/prod/plan.md").unlink()
    git(repo, "branch", PROD_BRANCH)
    assert_refused(repo, capsys, "--env", "prod", reason=f"branch '{PROD_BRANCH}' exists already")


def test_commit_refuses_existing_branch_named_by_option(repo: Path, capsys: Capture) -> None:
    git(repo, "branch", "mine")
    assert_refused(repo, capsys, "--branch", "mine", reason="branch 'mine' exists already")


def test_commit_refuses_invalid_branch_name(repo: Path, capsys: Capture) -> None:
    assert_refused(repo, capsys, "--branch", "bad..name", reason="'bad..name' is not a valid branch name")


def diverge_on_notes(repo: Path) -> None:
    """main and a branch `side` both change NOTES.txt, a file rollplan does not read, so they conflict."""
    git(repo, "checkout", "--quiet", "-b", "side", "HEAD~1")
    (repo / "NOTES.txt").write_text("side\n", encoding="utf-8")
    commit_all(repo, "side notes")
    git(repo, "checkout", "--quiet", "main")
    (repo / "NOTES.txt").write_text("main\n", encoding="utf-8")
    commit_all(repo, "main notes")


def test_commit_refuses_during_conflicting_rebase(pr_repo: Path, capsys: Capture) -> None:
    diverge_on_notes(pr_repo)
    git(pr_repo, "checkout", "--quiet", "side")
    assert "CONFLICT" in git(pr_repo, "rebase", "main", ok=False)
    (pr_repo / "generated/prod/plan.md").unlink()
    assert_refused(pr_repo, capsys, reason="a rebase is in progress")


def test_commit_refuses_during_interactive_rebase_stopped_for_edit(pr_repo: Path, capsys: Capture) -> None:
    git(pr_repo, "-c", "sequence.editor=sed -i -e s/^pick/edit/", "rebase", "--quiet", "-i", "HEAD~1")
    assert (pr_repo / ".git/rebase-merge").is_dir(), "the rebase stopped at the commit to edit"
    (pr_repo / "generated/prod/plan.md").unlink()
    assert_refused(pr_repo, capsys, reason="a rebase is in progress")


def test_commit_refuses_during_conflicting_merge(pr_repo: Path, capsys: Capture) -> None:
    diverge_on_notes(pr_repo)
    assert "CONFLICT" in git(pr_repo, "merge", "side", ok=False)
    (pr_repo / "generated/prod/plan.md").unlink()
    assert_refused(pr_repo, capsys, reason="a merge is in progress")


def test_commit_refused_run_leaves_stale_generated_as_it_was(repo: Path, capsys: Capture) -> None:
    # The plan would change every generated file; a refusal must not write any of them.
    replace_text(repo / "environments/prod/values/regions/eastus.yaml", "memory: 8Gi", "memory: 12Gi")
    git(repo, "add", "environments/prod/values/regions/eastus.yaml")
    assert_refused(repo, capsys, reason="are staged")


def test_commit_refuses_file_moved_into_generated(repo: Path, capsys: Capture) -> None:
    (repo / "NOTES.txt").write_text("operator notes\n", encoding="utf-8")
    git(repo, "add", "NOTES.txt")
    git(repo, "commit", "--quiet", "-m", "notes")
    git(repo, "mv", "NOTES.txt", "generated/prod/NOTES.txt")
    assert_refused(repo, capsys, reason="staged (NOTES.txt)")


def test_commit_rejected_by_commit_hook_leaves_repo_as_it_was(repo: Path, capsys: Capture) -> None:
    hook = repo / ".git/hooks/pre-commit"
    hook.write_text("#!/bin/sh\necho 'policy: generated/ changes need a ticket' >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    assert_refused(repo, capsys, reason="policy: generated/ changes need a ticket")
    assert BOTH_BRANCH not in branches(repo)


def test_commit_rejected_by_commit_hook_on_detached_head(repo: Path, capsys: Capture) -> None:
    git(repo, "checkout", "--quiet", "--detach")
    hook = repo / ".git/hooks/pre-commit"
    hook.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    assert_refused(repo, capsys, "--env", "prod", reason=f"git could not commit generated/ on '{PROD_BRANCH}'")
    assert current_branch(repo) == ""


def test_check_reports_and_compile_removes_the_output_of_a_removed_environment(tmp_path: Path) -> None:
    from compiler.cli import main

    root = tmp_path / "demo"
    assert main(["demo", str(root)]) == 0
    orphan = root / "generated" / "qa"
    orphan.mkdir()
    (orphan / "plan.md").write_text("# qa\n")
    assert main(["check", "--root", str(root)]) == 3
    assert main(["check", "--root", str(root), "--env", "prod"]) == 0, "--env limits the check to that environment"
    assert main(["compile", "--root", str(root)]) == 0
    assert not orphan.exists()
    assert main(["check", "--root", str(root)]) == 0


def test_commit_includes_the_removal_of_a_removed_environment_output(pr_repo: Path, capsys: Capture) -> None:
    orphan = pr_repo / "generated" / "qa"
    orphan.mkdir()
    (orphan / "plan.md").write_text("# qa\n")
    commit_all(pr_repo, "qa's plan, its environment since deleted")
    untracked = pr_repo / "generated" / "dev"
    untracked.mkdir()
    (untracked / "plan.md").write_text("# dev\n")  # never committed: removed, nothing to commit for it
    run = rollplan(capsys, "compile", "--root", str(pr_repo), "--commit", "--branch", "drop-qa")
    assert run.code == 0, run.err
    assert not orphan.exists() and not untracked.exists()
    assert current_branch(pr_repo) == "drop-qa"
    assert commit_files(pr_repo) == ["generated/qa/plan.md"]
    assert git(pr_repo, "ls-tree", "-r", "--name-only", "HEAD", "generated/qa") == ""
    assert git(pr_repo, "status", "--porcelain") == "", "the removal is committed, nothing is left pending"
