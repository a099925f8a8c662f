"""Git and platform faults end in exit 1 with a message, never an internal error."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import scenarios

from compiler import cli


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scenarios.demo(tmp_path_factory.mktemp("demo") / "repo")


@pytest.fixture
def repo(template: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    shutil.copytree(template, copy, symlinks=True)
    return copy


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    capsys.readouterr()
    assert cli.main(list(argv)) == 1
    return capsys.readouterr().err


def remove_object(repo: Path, rev: str) -> None:
    sha = git(repo, "rev-parse", rev)
    (repo / ".git/objects" / sha[:2] / sha[2:]).unlink()


def test_gitio_git_not_on_path_is_exit_1(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert "git is not installed or not on PATH" in refused(capsys, "compile", "--root", str(repo))


def test_gitio_reflog_entry_that_does_not_exist_is_exit_1(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(capsys, "check", "--root", str(repo), "--base", "HEAD@{1000}")
    assert "unknown revision 'HEAD@{1000}'" in err


def test_gitio_missing_blob_is_exit_1(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    remove_object(repo, "HEAD:environments/prod/environment.yaml")
    err = refused(capsys, "compile", "--root", str(repo), "--base", "HEAD")
    assert "HEAD:environments/prod/environment.yaml: a git object is missing" in err


def test_gitio_missing_head_commit_is_exit_1(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    remove_object(repo, "HEAD")
    err = refused(capsys, "compile", "--root", str(repo), "--base", "HEAD")
    assert "HEAD names a commit whose object is missing" in err


@pytest.mark.parametrize("ignore", ["generated/\n", "*.json\n"])
def test_gitio_commit_refuses_ignored_generated_files_before_writing(
    repo: Path, ignore: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / ".gitignore").write_text(ignore, encoding="utf-8")
    before = sorted(p.relative_to(repo).as_posix() for p in (repo / "generated").rglob("*"))
    assert "git ignores files rollplan would commit" in refused(capsys, "compile", "--root", str(repo), "--commit")
    assert sorted(p.relative_to(repo).as_posix() for p in (repo / "generated").rglob("*")) == before
    assert git(repo, "branch", "--format=%(refname:short)") == "main"


@pytest.mark.parametrize("branch", ["@", "@{-1}", "HEAD", "a..b"])
def test_gitio_commit_refuses_a_branch_name_git_reads_otherwise(
    repo: Path, branch: str, capsys: pytest.CaptureFixture[str]
) -> None:
    err = refused(capsys, "compile", "--root", str(repo), "--commit", "--branch", branch)
    assert repr(branch) in err
    assert git(repo, "branch", "--format=%(refname:short)") == "main"


def test_gitio_symlinks_inside_the_repository_read_the_same_from_the_base(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git(repo, "stash", "--quiet")
    (repo / "shared").mkdir()
    git(repo, "mv", "environments/prod/values/t100.yaml", "shared/t100.yaml")
    (repo / "environments/prod/values/t100.yaml").symlink_to("../../../shared/t100.yaml")
    git(repo, "mv", "environments/prod/regions", "shared/regions")
    (repo / "environments/prod/regions").symlink_to("../../shared/regions")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--message", "links")
    capsys.readouterr()
    assert cli.main(["diff", "--root", str(repo), "--env", "prod"]) == 0
    out = capsys.readouterr().out
    assert "prod/eastus: noop" in out and "install" not in out


def test_gitio_symlink_leaving_the_repository_is_refused_in_the_base(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    values = repo / "environments/prod/values/t100.yaml"
    (tmp_path / "outside.yaml").write_bytes(values.read_bytes())
    values.unlink()
    values.symlink_to(tmp_path / "outside.yaml")
    assert "symlink to a place outside the repository" in refused(capsys, "validate", "--root", str(repo))
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--message", "outside")
    git(repo, "show", "HEAD~1:environments/prod/values/t100.yaml")  # the old file is still in history
    values.unlink()
    values.write_bytes((tmp_path / "outside.yaml").read_bytes())
    err = refused(capsys, "diff", "--root", str(repo), "--base", "HEAD")
    assert "HEAD:environments/prod/values/t100.yaml:1:1: symlink to a place outside the repository" in err


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_console_ascii_stdout_does_not_crash(repo: Path, fmt: str) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    for command in ("compile", "diff", "check"):
        done = subprocess.run(
            [sys.executable, "-m", "compiler", command, "--root", str(repo), "--format", fmt],
            capture_output=True, env=env, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr.decode()
        assert b"internal error" not in done.stderr
        if fmt == "json":
            json.loads(done.stdout)


def test_demo_under_a_file_is_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "afile").write_text("x\n", encoding="utf-8")
    err = refused(capsys, "demo", str(tmp_path / "afile" / "demo"))
    assert "cannot create the demo in" in err and "Not a directory" in err


@pytest.mark.parametrize("redirect", ["> /dev/full", ">&-"], ids=["stdout-full", "stdout-closed"])
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_console_unwritable_stdout_is_exit_1_with_a_message(repo: Path, redirect: str, fmt: str) -> None:
    if redirect.startswith(">") and "full" in redirect and not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    command = f'"{sys.executable}" -m compiler validate --root "{repo}" --format {fmt} {redirect}'
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stderr
    assert "standard output" in done.stderr and "internal error" not in done.stderr
    assert "Exception ignored" not in done.stderr
