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
        commit = repo.commit(rev)
    except (git.BadName, ValueError, git.GitCommandError):
        raise GitError(f"unknown revision {rev!r}: expected a commit, branch or tag (e.g. HEAD, origin/main)") from None
    try:
        commit.tree  # noqa: B018 - a shallow clone names parents (HEAD~1) whose objects it does not have
    except ValueError:
        why = "this clone is shallow" if (Path(repo.git_dir) / "shallow").exists() else "its objects are missing"
        raise GitError(
            f"revision {rev!r} ({commit.hexsha[:12]}) is not in this repository ({why}): fetch it first "
            "(git fetch --deepen=N, or fetch-depth: 0 in CI)"
        ) from None
    return commit


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
    _folders: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    def _object(self, path: str) -> Any:
        return self._lookup(f"{self.prefix}{path}".strip("/"))

    def _lookup(self, full: str) -> Any:
        # Through the parent's entries, each folder parsed once: ``tree / path`` would
        # read and scan every folder on the way again for each file.
        if full in self._cache:
            return self._cache[full]
        if full:
            parent, _, name = full.rpartition("/")
            obj = self._entries(parent).get(name)
        else:
            obj = self.commit.tree
        self._cache[full] = obj
        return obj

    def _entries(self, full: str) -> dict[str, Any]:
        """The objects in folder ``full`` by name (none when it is not a folder)."""
        if full not in self._folders:
            folder = self._lookup(full)
            self._folders[full] = {item.name: item for item in folder} if isinstance(folder, Tree) else {}
        return self._folders[full]

    def read(self, path: str) -> bytes | None:
        obj = self._object(path)
        if not isinstance(obj, Blob):
            return None
        data: bytes = obj.data_stream.read()
        return data

    def list_dir(self, path: str) -> list[str] | None:
        full = f"{self.prefix}{path}".strip("/")
        if not isinstance(self._lookup(full), Tree):
            return None
        return sorted(self._entries(full))

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


IN_PROGRESS = {
    "MERGE_HEAD": "a merge",
    "rebase-merge": "a rebase",
    "rebase-apply": "a rebase or am",
    "CHERRY_PICK_HEAD": "a cherry-pick",
    "REVERT_HEAD": "a revert",
    "BISECT_LOG": "a bisect",
}


@dataclass(frozen=True)
class CommitRequest:
    """What `compile --commit` asks for: these folders (repo-root relative), on this new branch."""

    root: Path
    folders: tuple[str, ...]
    branch: str
    message: str


def check_can_commit(request: CommitRequest) -> None:
    """Refuse before anything is written: an operation in progress, unrelated staged files, a taken branch."""
    repo = open_repo(request.root)
    resolve_revision(repo, "HEAD")
    git_dir = Path(repo.git_dir)
    for marker, what in IN_PROGRESS.items():
        if (git_dir / marker).exists():
            raise GitError(f"{what} is in progress: finish or abort it before 'rollplan compile --commit'")
    prefix = _prefix(repo, request.root)
    allowed = tuple(f"{prefix}{folder}/" for folder in request.folders)
    # --no-renames: a file moved into generated/ is also a deletion outside it.
    staged = [p for p in repo.git.diff("--cached", "--name-only", "--no-renames", "-z").split("\0") if p]
    unrelated = sorted(p for p in staged if not p.startswith(allowed))
    if unrelated:
        listed = ", ".join(unrelated[:5]) + (" …" if len(unrelated) > 5 else "")
        folders = ", ".join(f"{folder}/" for folder in request.folders)
        raise GitError(f"changes outside {folders} are staged ({listed}): commit or unstage them first")
    if request.branch in _branches(repo) and _current_branch(repo) != request.branch:
        raise GitError(f"branch {request.branch!r} exists already: pass --branch NAME, or delete it first")
    try:
        repo.git.check_ref_format("--branch", request.branch)
    except git.GitCommandError:
        raise GitError(f"{request.branch!r} is not a valid branch name") from None


def commit_generated(request: CommitRequest) -> str | None:
    """Commit the folders on the new branch; None when they hold nothing new. Never pushes."""
    repo = open_repo(request.root)
    prefix = _prefix(repo, request.root)
    paths = [f"{prefix}{folder}" for folder in request.folders]
    repo.git.add("--all", "--", *paths)
    if not repo.git.diff("--cached", "--name-only", "--", *paths):
        return None
    start_branch, start_commit = _current_branch(repo), repo.head.commit.hexsha
    try:
        if start_branch != request.branch:
            repo.git.switch("--create", request.branch)  # keeps the work tree and index as they are
        repo.git.commit("--quiet", "--message", request.message, "--", *paths)
    except git.GitCommandError as exc:
        # A commit hook said no, or the branch could not be made: leave HEAD, branches and index as they were.
        _undo_branch(repo, request.branch, start_branch, start_commit)
        repo.git.reset("--quiet", "--", *paths)
        reason = (exc.stderr or exc.stdout or "").strip().removeprefix("stderr: ").strip("'\n ")
        raise GitError(f"git could not commit generated/ on {request.branch!r}: {reason or exc}") from None
    return str(repo.head.commit.hexsha)


def uncommitted(root: Path, folder: str) -> list[str]:
    """Files under ``folder`` (relative to ``root``) that differ from HEAD, staged or not, or are untracked."""
    repo = open_repo(root)
    path = f"{_prefix(repo, root)}{folder}"
    return [line[3:] for line in repo.git.status("--porcelain", "--untracked-files=all", "--", path).splitlines()]


def current_branch(root: Path) -> str | None:
    """The branch checked out in the repository of ``root``; None when HEAD is detached."""
    return _current_branch(open_repo(root))


def _undo_branch(repo: git.Repo, branch: str, start_branch: str | None, start_commit: str) -> None:
    if start_branch == branch or _current_branch(repo) != branch:
        return
    repo.git.switch("--quiet", *(("--detach", start_commit) if start_branch is None else (start_branch,)))
    repo.git.branch("--delete", "--force", branch)


def _prefix(repo: git.Repo, root: Path) -> str:
    top = Path(repo.working_tree_dir or root).resolve()
    relative = root.resolve().relative_to(top).as_posix()
    return "" if relative == "." else relative + "/"


def _branches(repo: git.Repo) -> set[str]:
    return {head.name for head in repo.heads}


def _current_branch(repo: git.Repo) -> str | None:
    return None if repo.head.is_detached else repo.active_branch.name
