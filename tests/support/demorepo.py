"""Real git repositories for the CLI tests: the demo example, copied per test, and git run as a user runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from compiler.cli import main
from compiler.commands import demo

# Who commits in repositories the tests create or clone; no global git config is assumed.
IDENTITY = {
    "GIT_AUTHOR_NAME": "rollplan test",
    "GIT_AUTHOR_EMAIL": "test@rollplan.invalid",
    "GIT_COMMITTER_NAME": "rollplan test",
    "GIT_COMMITTER_EMAIL": "test@rollplan.invalid",
}
PROD_BRANCH = "rollplan/prod-100.0.1000076"
BOTH_BRANCH = "rollplan/prod-100.0.1000076+staging-100.0.1000071.2"


@dataclass(frozen=True)
class Run:
    """What one `rollplan` invocation returned and printed."""

    code: int
    out: str
    err: str


def rollplan(capsys: pytest.CaptureFixture[str], *argv: str) -> Run:
    """Call the CLI in-process, as `rollplan ARGV…` would."""
    capsys.readouterr()  # drop whatever earlier setup printed
    code = main(list(argv))
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def git(repo: Path, *args: str, ok: bool = True) -> str:
    """Run git in ``repo``; with ``ok`` a failure fails the test, otherwise it is returned quietly."""
    env = {**os.environ, **IDENTITY, "GIT_EDITOR": "true", "GIT_TERMINAL_PROMPT": "0"}
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=False)
    if ok and done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed ({done.returncode}): {done.stderr}")
    return done.stdout


def build_demo(target: Path) -> Path:
    """`rollplan demo TARGET`: HEAD is the deployed state, the work tree the pending change, generated/ fresh."""
    assert demo.run(target) == 0
    return target


def copy_repo(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True)
    return target


def commit_all(repo: Path, message: str) -> str:
    """Commit every change in the work tree, as a PR author would; returns the new HEAD."""
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--message", message)
    return head(repo)


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def current_branch(repo: Path) -> str:
    """The checked-out branch, or '' on a detached HEAD."""
    return git(repo, "branch", "--show-current").strip()


def branches(repo: Path) -> list[str]:
    return git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads").split()


def commit_files(repo: Path, rev: str = "HEAD") -> list[str]:
    """The paths the commit ``rev`` changed."""
    return git(repo, "show", "--name-only", "--format=", rev).split()


def generated_bytes(repo: Path) -> dict[str, bytes]:
    folder = repo / "generated"
    return {p.relative_to(repo).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@dataclass(frozen=True)
class RepoState:
    """Everything a refused `compile --commit` must leave as it was."""

    head: str
    branch: str
    branches: tuple[str, ...]
    status: str
    index: str
    generated: tuple[tuple[str, bytes], ...]


def snapshot(repo: Path) -> RepoState:
    return RepoState(
        head=head(repo),
        branch=current_branch(repo),
        branches=tuple(branches(repo)),
        status=git(repo, "status", "--porcelain=v1", "--untracked-files=all"),
        index=git(repo, "ls-files", "--stage"),
        generated=tuple(generated_bytes(repo).items()),
    )


def replace_text(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} not exactly once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")
