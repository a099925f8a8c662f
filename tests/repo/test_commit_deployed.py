"""`compile --commit` never commits on the deployed branch unless told to: a plan goes there through review."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.demorepo import (
    IDENTITY,
    build_demo,
    commit_all,
    copy_repo,
    current_branch,
    git,
    head,
    rollplan,
    snapshot,
)

Capture = pytest.CaptureFixture[str]
REFUSED = "is the deployed branch: 'compile --commit' commits a plan on a branch of its own"


@pytest.fixture(autouse=True)
def git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in IDENTITY.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo(tmp_path_factory.mktemp("template") / "demo")


@pytest.fixture
def repo(demo_template: Path, tmp_path: Path) -> Path:
    """On main (the deployed branch), the demo's change pending and compiled."""
    return copy_repo(demo_template, tmp_path / "repo")


def assert_refused(repo: Path, capsys: Capture, *extra: str, branch: str = "main") -> None:
    (repo / "generated/prod/plan.md").unlink()  # a write would show
    before = snapshot(repo)
    run = rollplan(capsys, "compile", "--root", str(repo), "--commit", *extra)
    assert run.code == 1, run.err
    assert f"'{branch}' {REFUSED}" in run.err
    assert snapshot(repo) == before


def test_commit_deployed_current_branch_named_is_refused(repo: Path, capsys: Capture) -> None:
    assert_refused(repo, capsys, "--branch", "main")


def test_commit_deployed_branch_named_from_another_branch_is_refused(repo: Path, capsys: Capture) -> None:
    git(repo, "switch", "--quiet", "--create", "work")
    assert_refused(repo, capsys, "--branch", "main")


def test_commit_deployed_refused_with_an_explicit_base_too(repo: Path, capsys: Capture) -> None:
    assert_refused(repo, capsys, "--branch", "main", "--base", "HEAD")


def test_commit_deployed_branch_with_slashes_is_refused(repo: Path, capsys: Capture) -> None:
    git(repo, "branch", "--move", "main", "release/prod")
    (repo / "rollplan.yaml").write_text("deployed_branch: release/prod\n", encoding="utf-8")
    git(repo, "add", "rollplan.yaml")
    git(repo, "commit", "--quiet", "-m", "Deployed from release/prod")
    assert_refused(repo, capsys, "--branch", "release/prod", branch="release/prod")


def test_commit_deployed_clone_refuses_the_local_branch_origin_head_names(repo: Path, tmp_path: Path,
                                                                          capsys: Capture) -> None:  # fmt: skip
    commit_all(repo, "The change, merged")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", repo.as_uri(), str(clone))
    (clone / "environments/prod/regions/westus2.yaml").write_text(
        (clone / "environments/prod/regions/westus2.yaml").read_text().replace("replicas: 3", "replicas: 4")
    )
    assert current_branch(clone) == "main"
    assert_refused(clone, capsys, "--branch", "main")


def test_commit_deployed_default_branch_from_the_deployed_branch_is_a_new_one(repo: Path, capsys: Capture) -> None:
    run = rollplan(capsys, "compile", "--root", str(repo), "--commit")
    assert run.code == 0, run.err
    assert current_branch(repo).startswith("rollplan/")
    assert git(repo, "rev-parse", "main").strip() != head(repo)


def test_commit_deployed_override_commits_there(repo: Path, capsys: Capture) -> None:
    main = head(repo)
    run = rollplan(capsys, "compile", "--root", str(repo), "--commit", "--branch", "main", "--onto-deployed-branch")
    assert run.code == 0, run.err
    assert current_branch(repo) == "main"
    assert git(repo, "rev-parse", "HEAD~1").strip() == main
