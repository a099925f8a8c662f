"""Odd repositories and clones around the deployed base: each gets a plan or a clear exit 1, never a wrong plan."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from support.demorepo import IDENTITY, build_demo, commit_all, copy_repo, git, rollplan

Capture = pytest.CaptureFixture[str]
UPGRADE = ["upgrade", "upgrade", "upgrade"]


@pytest.fixture(autouse=True)
def git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in IDENTITY.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="session")
def merged_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """main: the deployed state, then the demo's change and its plan merged from branch `upgrade`."""
    repo = build_demo(tmp_path_factory.mktemp("attacks") / "demo")
    git(repo, "switch", "--quiet", "--create", "upgrade")
    commit_all(repo, "Upgrade prod, staging hotfix: specs and plan")
    git(repo, "switch", "--quiet", "main")
    git(repo, "merge", "--quiet", "--no-ff", "upgrade", "-m", "Merge upgrade")
    return repo


@pytest.fixture
def repo(merged_template: Path, tmp_path: Path) -> Path:
    return copy_repo(merged_template, tmp_path / "repo")


def changes(repo: Path, env: str = "prod") -> list[str]:
    doc = json.loads((repo / "generated" / env / "plan.json").read_text(encoding="utf-8"))
    return [region["change"] for region in doc["regions"]]


def test_attack_deleted_generated_on_the_deployed_branch_is_rebuilt_as_the_merged_plan(
    repo: Path, capsys: Capture
) -> None:
    shutil.rmtree(repo / "generated")
    run = rollplan(capsys, "check", "--root", str(repo))
    assert run.code == 3
    assert "stale (missing): generated/prod/plan.json" in run.err
    assert rollplan(capsys, "compile", "--root", str(repo), "-q").code == 0
    assert changes(repo) == UPGRADE  # the merged change, not nothing to do
    assert git(repo, "status", "--porcelain", "--", "generated") == ""


def test_attack_generated_as_a_file_is_exit_1_and_kept(repo: Path, capsys: Capture) -> None:
    shutil.rmtree(repo / "generated")
    (repo / "generated").write_text("not a folder\n", encoding="utf-8")
    for command in ("check", "compile"):
        run = rollplan(capsys, command, "--root", str(repo))
        assert run.code == 1, (command, run.err)
        assert "generated" in run.err
        assert "internal error" not in run.err
    assert (repo / "generated").read_text(encoding="utf-8") == "not a folder\n"


@pytest.mark.parametrize("at", ["main", "upgrade"])
def test_attack_detached_head_plans_as_its_branch_would(repo: Path, capsys: Capture, at: str) -> None:
    git(repo, "checkout", "--quiet", "--detach", at)
    run = rollplan(capsys, "check", "--root", str(repo))
    assert run.code == 0, run.err
    assert rollplan(capsys, "compile", "--root", str(repo), "-q").code == 0
    assert changes(repo) == UPGRADE


def test_attack_shallow_clone_of_one_branch_without_the_deployed_branch_is_exit_1(
    repo: Path, tmp_path: Path, capsys: Capture
) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", "--depth", "1", "--branch", "upgrade", repo.as_uri(), str(clone))
    for command in ("check", "compile"):
        run = rollplan(capsys, command, "--root", str(clone))
        assert run.code == 1, run.err
        assert "this clone is shallow and has no deployed branch" in run.err
    assert git(clone, "status", "--porcelain") == ""


def test_attack_shallow_clone_without_the_shared_history_is_exit_1(repo: Path, tmp_path: Path,
                                                                    capsys: Capture) -> None:  # fmt: skip
    git(repo, "switch", "--quiet", "--create", "next", "upgrade")
    (repo / "notes.md").write_text("later\n", encoding="utf-8")
    commit_all(repo, "A later commit on the branch")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", "--depth", "1", "--no-single-branch", "--branch", "next", repo.as_uri(),
        str(clone))  # fmt: skip
    for command in ("check", "compile"):
        run = rollplan(capsys, command, "--root", str(clone))
        assert run.code == 1, run.err
        assert "this clone is shallow and does not hold the last change to prod" in run.err
    assert git(clone, "status", "--porcelain") == ""


def test_attack_deployed_branch_with_slashes(repo: Path, tmp_path: Path, capsys: Capture) -> None:
    (repo / "rollplan.yaml").write_text("deployed_branch: release/prod\n", encoding="utf-8")
    commit_all(repo, "Deployed from release/prod")
    git(repo, "branch", "--move", "main", "release/prod")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", "--branch", "release/prod", repo.as_uri(), str(clone))
    run = rollplan(capsys, "check", "--root", str(clone))
    assert run.code == 0, run.err
    assert "origin/release/prod" in run.out
    git(clone, "switch", "--quiet", "--create", "feature/x")
    (clone / "notes.md").write_text("later\n", encoding="utf-8")
    commit_all(clone, "Something else")
    run = rollplan(capsys, "check", "--root", str(clone))
    assert run.code == 0, run.err
    assert changes(clone) == UPGRADE


def test_attack_origin_head_naming_a_missing_branch_is_exit_1(repo: Path, tmp_path: Path, capsys: Capture) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", repo.as_uri(), str(clone))
    git(clone, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/gone")
    run = rollplan(capsys, "check", "--root", str(clone))
    assert run.code == 1, run.err
    assert "origin/HEAD names origin/gone" in run.err
    (clone / "rollplan.yaml").write_text("deployed_branch: main\n", encoding="utf-8")
    run = rollplan(capsys, "check", "--root", str(clone))
    assert run.code == 0, run.err


@pytest.mark.parametrize("kind", ["link", "fifo"])
def test_attack_plan_json_that_is_no_file_is_never_read(repo: Path, capsys: Capture, kind: str) -> None:
    plan = repo / "generated/prod/plan.json"
    plan.unlink()
    if kind == "link":
        plan.symlink_to("/dev/zero")  # reading it would never end
    else:
        os.mkfifo(plan)  # reading it would wait for a writer forever
    for command in ("check", "compile"):
        run = rollplan(capsys, command, "--root", str(repo))
        assert run.code == 1, run.err
        assert "generated/prod/plan.json" in run.err


def test_attack_untracked_editor_file_beside_the_specs_is_no_change(repo: Path, capsys: Capture) -> None:
    (repo / "environments/prod/regions/.westus2.yaml.swp").write_bytes(b"\0swap")
    run = rollplan(capsys, "check", "--root", str(repo))
    assert run.code == 0, run.err
