"""Everything rollplan asks of git. The only module that imports GitPython."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import git
from git.objects import Blob, Tree

from compiler.errors import GitError


def open_repo(root: Path) -> git.Repo:
    """The git repository whose work tree is ``root`` (or contains it)."""
    try:
        return git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise GitError(f"{root} is not inside a git repository: the base (deployed state) is read from git") from None


def resolve_revision(repo: git.Repo, rev: str) -> git.Commit:
    """The commit ``rev`` names, with errors a user can act on."""
    try:
        repo.head.commit  # noqa: B018 - raises on a repository without commits
    except ValueError:
        raise GitError(
            "the repository has no commits yet: commit the deployed state first, then compile the change against it"
        ) from None
    try:
        return repo.commit(rev)
    except (git.BadName, ValueError, git.GitCommandError):
        raise GitError(f"unknown revision {rev!r}: expected a commit, branch or tag (e.g. HEAD, origin/main)") from None


@dataclass
class GitRevision:
    """A read-only view of the repository at one commit: the base side of a plan.

    Reads blobs through GitPython's object database (one long-lived
    ``git cat-file --batch`` process), never touching the work tree or index.
    ``prefix`` is the path of the rollplan root inside the git work tree.
    """

    commit: git.Commit
    label: str
    prefix: str = ""
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def _object(self, path: str) -> Any:
        full = f"{self.prefix}{path}".strip("/")
        if full in self._cache:
            return self._cache[full]
        try:
            obj: Any = self.commit.tree / full if full else self.commit.tree
        except KeyError:
            obj = None
        self._cache[full] = obj
        return obj

    def read(self, path: str) -> bytes | None:
        obj = self._object(path)
        if not isinstance(obj, Blob):
            return None
        data: bytes = obj.data_stream.read()
        return data

    def list_dir(self, path: str) -> list[str] | None:
        obj = self._object(path)
        if not isinstance(obj, Tree):
            return None
        return sorted(item.name for item in obj)

    def display(self, path: str) -> str:
        return f"{self.label}:{path}"


def base_source(root: Path, rev: str) -> GitRevision:
    """The rollplan tree under ``root`` as it was at ``rev``."""
    repo = open_repo(root)
    commit = resolve_revision(repo, rev)
    top = Path(repo.working_tree_dir or root).resolve()
    relative = root.resolve().relative_to(top).as_posix()
    prefix = "" if relative == "." else relative + "/"
    return GitRevision(commit=commit, label=rev, prefix=prefix)


DEMO_AUTHOR = ("rollplan demo", "demo@rollplan.invalid")


def init_with_commit(root: Path, message: str) -> str:
    """Make ``root`` a new repository whose first commit holds every file in it; returns the commit id."""
    repo = git.Repo.init(root, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", DEMO_AUTHOR[0])
        config.set_value("user", "email", DEMO_AUTHOR[1])
    repo.git.add("--all")
    repo.git.commit("--quiet", "--message", message)
    return str(repo.head.commit.hexsha)
