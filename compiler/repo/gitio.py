"""Everything rollplan asks of git. The only module that imports GitPython."""

from __future__ import annotations

import os
import posixpath
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Without a git binary GitPython refuses to import at all; rollplan says so itself, when it needs git.
os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
import git
from git.objects import Blob, Tree

from compiler.errors import GitError, InputError

MAX_SYMLINK_HOPS = 40


def open_repo(root: Path) -> git.Repo:
    """The git repository whose work tree is ``root`` (or contains it)."""
    if shutil.which(git.Git.GIT_PYTHON_GIT_EXECUTABLE or "git") is None:
        raise GitError("git is not installed or not on PATH: rollplan reads the deployed state from git")
    try:
        return git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise GitError(f"{root} is not inside a git repository: the base (deployed state) is read from git") from None


def resolve_revision(repo: git.Repo, rev: str) -> git.Commit:
    """The commit ``rev`` names, with errors a user can act on."""
    try:
        repo.head.commit  # noqa: B018 - raises on a repository without commits
    except ValueError:
        if _names_a_commit(repo, "HEAD"):
            raise GitError("HEAD names a commit whose object is missing: the repository is damaged") from None
        raise GitError(
            "the repository has no commits yet: commit the deployed state first, then compile the change against it"
        ) from None
    try:
        commit = repo.commit(rev)
    except (git.BadName, ValueError, IndexError, KeyError, TypeError, git.GitCommandError):
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


def _names_a_commit(repo: git.Repo, rev: str) -> bool:
    try:
        repo.git.rev_parse("--verify", "--quiet", rev)
    except git.GitCommandError:
        return False
    return True


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

    def _lookup(self, full: str, hops: int = 0) -> Any:
        """The object at ``full``, symlinks followed inside the rollplan root, as the work tree reads them."""
        # Through the parent's entries, each folder parsed once: ``tree / path`` would
        # read and scan every folder on the way again for each file.
        if full in self._cache:
            return self._cache[full]
        obj: Any = self.commit.tree
        if full:
            parent, _, name = full.rpartition("/")
            obj = self._entries(parent, hops).get(name)
            if isinstance(obj, Blob) and stat.S_ISLNK(obj.mode):
                obj = self._lookup(self._link_target(parent, obj, full, hops), hops + 1)
        self._cache[full] = obj
        return obj

    def _link_target(self, parent: str, link: Blob, full: str, hops: int) -> str:
        shown = full.removeprefix(self.prefix)
        if hops >= MAX_SYMLINK_HOPS:
            raise InputError.single(file=self.display(shown), line=1, column=1, message="symlink loop")
        target = link.data_stream.read().decode("utf-8", errors="replace")
        joined = posixpath.normpath(posixpath.join(parent, target))
        inside = joined == self.prefix.rstrip("/") or joined.startswith(self.prefix) if self.prefix else True
        if posixpath.isabs(target) or joined == ".." or joined.startswith("../") or not inside:
            message = "symlink to a place outside the repository"
            raise InputError.single(file=self.display(shown), line=1, column=1, message=message)
        return "" if joined == "." else joined

    def _entries(self, full: str, hops: int = 0) -> dict[str, Any]:
        """The objects in folder ``full`` by name (none when it is not a folder)."""
        if full not in self._folders:
            folder = self._lookup(full, hops)
            self._folders[full] = {item.name: item for item in folder} if isinstance(folder, Tree) else {}
        return self._folders[full]

    def read(self, path: str) -> bytes | None:
        try:
            obj = self._object(path)
            if not isinstance(obj, Blob):
                return None
            data: bytes = obj.data_stream.read()
        except ValueError as err:  # GitPython's word for an object the repository does not have
            raise _missing(self.display(path), err) from None
        return data

    def list_dir(self, path: str) -> list[str] | None:
        full = f"{self.prefix}{path}".strip("/")
        try:
            if not isinstance(self._lookup(full), Tree):
                return None
            return sorted(self._entries(full))
        except ValueError as err:
            raise _missing(self.display(path), err) from None

    def display(self, path: str) -> str:
        return f"{self.label}:{path}"


def _missing(shown: str, err: ValueError) -> GitError:
    why = "the repository is damaged or incomplete; fetch it again"
    return GitError(f"{shown}: a git object is missing ({err}): {why}")


def base_source(root: Path, rev: str) -> GitRevision:
    """The rollplan tree under ``root`` as it was at ``rev``."""
    repo = open_repo(root)
    commit = resolve_revision(repo, rev)
    top = Path(repo.working_tree_dir or root).resolve()
    relative = root.resolve().relative_to(top).as_posix()
    prefix = "" if relative == "." else relative + "/"
    return GitRevision(commit=commit, label=rev, prefix=prefix)


DEMO_AUTHOR = ("rollplan demo", "demo@rollplan.invalid")
DEMO_DATE = "2026-01-01T00:00:00+00:00"
"""The example's commit has a fixed date, so that its id (recorded in plan.json) is the same on every machine."""


def init_with_commit(root: Path, message: str) -> str:
    """Make ``root`` a new repository whose first commit holds every file in it; returns the commit id."""
    repo = git.Repo.init(root, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", DEMO_AUTHOR[0])
        config.set_value("user", "email", DEMO_AUTHOR[1])
    repo.git.add("--all")
    dates = {"GIT_AUTHOR_DATE": DEMO_DATE, "GIT_COMMITTER_DATE": DEMO_DATE}
    repo.git.commit("--quiet", "--message", message, env=dates)
    return str(repo.head.commit.hexsha)


def init_repository(root: Path, branch: str) -> bool:
    """``git init`` ``root`` with ``branch`` as its first branch, unless it is inside a repository already.

    Returns whether a repository was made.
    """
    try:
        git.Repo(root, search_parent_directories=True)
        return False
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        git.Repo.init(root, initial_branch=branch)
        return True


@dataclass(frozen=True)
class DeployedBase:
    """Where HEAD stands against the deployed branch (C-6)."""

    head: str | None
    """HEAD's commit; None in a repository without commits (nothing is deployed yet)."""
    branch: str | None
    """The deployed branch's ref as found (origin/main, or main); None when there is none."""
    merge_base: str | None
    """merge-base of HEAD and the deployed branch; HEAD when there is no deployed branch."""
    tip: str | None = None
    """The deployed branch's own commit."""

    @property
    def on_deployed_branch(self) -> bool:
        """HEAD is (an ancestor of) the deployed branch: after the merge, nothing of HEAD is pending."""
        return self.head is not None and self.merge_base == self.head


def deployed_base(root: Path, configured: str | None) -> DeployedBase:
    """HEAD, the deployed branch (``configured``, else the remote's HEAD branch, else main) and their merge-base."""
    repo = open_repo(root)
    try:
        head = str(repo.head.commit.hexsha)
    except ValueError:
        if _head_names_a_commit(repo):
            # Planning from nothing here would turn every region into an install.
            raise GitError("HEAD names a commit whose object is missing: the repository is damaged or incomplete; "
                           "fetch it again") from None  # fmt: skip
        return DeployedBase(None, None, None)
    branch = _deployed_ref(repo, configured)
    if branch is None:
        return DeployedBase(head, None, head)
    tip = str(resolve_revision(repo, branch).hexsha)
    bases = repo.merge_base(head, tip)
    if not bases and (Path(repo.git_dir) / "shallow").exists():
        raise GitError(
            f"this clone is shallow and does not hold the history HEAD shares with the deployed branch {branch}: "
            "fetch it (git fetch --unshallow, or fetch-depth: 0 in CI) or pass --base REV"
        )
    if not bases:
        raise GitError(f"HEAD and the deployed branch {branch} share no history: pass --base REV")
    return DeployedBase(head, branch, str(bases[0].hexsha), tip)


def _head_names_a_commit(repo: git.Repo) -> bool:
    """HEAD resolves to an object name (its object may still be missing); False on an unborn branch."""
    try:
        repo.git.rev_parse("--verify", "--quiet", "HEAD")
    except git.GitCommandError:
        return False
    return True


def _deployed_ref(repo: git.Repo, configured: str | None) -> str | None:
    remote_head = None if configured else _remote_head(repo)
    names = [configured] if configured else [remote_head, "main"]
    for name in (n for n in names if n):
        for ref in (f"refs/remotes/origin/{name}", f"refs/heads/{name}"):
            if _ref_exists(repo, ref):
                return ref.removeprefix("refs/remotes/").removeprefix("refs/heads/")
        if name == remote_head:
            # Falling back to main here could plan against a branch nobody deploys.
            raise GitError(
                f"origin/HEAD names origin/{name}, which this clone has neither as origin/{name} nor as a local "
                "branch: fetch it, run 'git remote set-head origin --auto', or name the branch in rollplan.yaml "
                "(deployed_branch: NAME)"
            )
    if configured:
        raise GitError(
            f"the deployed branch {configured!r} (rollplan.yaml) is neither a local branch nor origin/{configured}: "
            f"fetch it (git fetch origin {configured}) or pass --base REV"
        )
    if (Path(repo.git_dir) / "shallow").exists():
        # A CI clone of one branch: planning against HEAD would turn the change into nothing to do.
        raise GitError(
            "this clone is shallow and has no deployed branch (neither origin/HEAD nor main): fetch it "
            "(fetch-depth: 0 in CI, or git fetch origin main), name it in rollplan.yaml, or pass --base REV"
        )
    return None


def deployed_branch_name(root: Path, configured: str | None) -> str | None:
    """The deployed branch's local name (``origin/`` left out), or None when the repository has none."""
    repo = open_repo(root)
    found = _deployed_ref(repo, configured)
    return found.removeprefix("origin/") if found and _ref_exists(repo, f"refs/remotes/{found}") else found


def _remote_head(repo: git.Repo) -> str | None:
    """The branch origin/HEAD points at (what a clone checks out), if the clone knows it."""
    try:
        target = repo.git.symbolic_ref("--quiet", "refs/remotes/origin/HEAD")
    except git.GitCommandError:
        return None
    return str(target).removeprefix("refs/remotes/origin/") or None


def _ref_exists(repo: git.Repo, ref: str) -> bool:
    try:
        repo.git.rev_parse("--verify", "--quiet", f"{ref}^{{commit}}")
        return True
    except git.GitCommandError:
        return False


def has_commit(root: Path, commit: str) -> bool:
    """Whether this clone has the commit ``commit`` (a shallow clone may not)."""
    return _ref_exists(open_repo(root), commit)


def is_ancestor(root: Path, commit: str, of: str = "HEAD") -> bool:
    """Whether ``commit`` is in the history of ``of`` (False when this clone does not have it)."""
    repo = open_repo(root)
    try:
        repo.git.merge_base("--is-ancestor", commit, of)
        return True
    except git.GitCommandError:
        return False


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
    """What `compile --commit` asks for: these folders or files (repo-root relative), on this new branch."""

    root: Path
    folders: tuple[str, ...]
    branch: str
    message: str
    files: tuple[str, ...] = ()
    """Every file to be committed (root relative): none of them may be ignored by git."""
    deployed: str | None = None
    """The deployed branch's local name (``main``, ``release/prod``): refused as the branch committed on."""
    onto_deployed: bool = False
    """Commit on the deployed branch all the same (``--onto-deployed-branch``)."""


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
    exact = {f"{prefix}{folder}" for folder in request.folders}
    # --no-renames: a file moved into generated/ is also a deletion outside it.
    staged = [p for p in repo.git.diff("--cached", "--name-only", "--no-renames", "-z").split("\0") if p]
    unrelated = sorted(p for p in staged if not p.startswith(allowed) and p not in exact)
    if unrelated:
        listed = ", ".join(unrelated[:5]) + (" …" if len(unrelated) > 5 else "")
        folders = ", ".join(folder if folder in request.files else f"{folder}/" for folder in request.folders)
        raise GitError(f"changes outside {folders} are staged ({listed}): commit or unstage them first")
    _check_branch_name(repo, request.branch)
    _check_not_deployed(request)
    if request.branch in _branches(repo) and _current_branch(repo) != request.branch:
        raise GitError(f"branch {request.branch!r} exists already: pass --branch NAME, or delete it first")
    _check_not_ignored(repo, [f"{prefix}{path}" for path in (*request.folders, *request.files)])


def _check_branch_name(repo: git.Repo, branch: str) -> None:
    """A plain new branch name: '@' or '@{-1}' name other things to git, and 'HEAD' is no branch."""
    try:
        expanded = repo.git.check_ref_format("--branch", branch)
        repo.git.check_ref_format(f"refs/heads/{branch}")
    except git.GitCommandError:
        raise GitError(f"{branch!r} is not a valid branch name") from None
    if expanded != branch or branch in ("@", "HEAD") or branch.startswith("-"):
        raise GitError(f"{branch!r} cannot name a new branch (git reads it as a revision): pass another --branch NAME")


def _check_not_deployed(request: CommitRequest) -> None:
    """The deployed branch is what the GitOps controller applies: a plan goes there through review, not a commit."""
    if request.deployed is None or request.branch != request.deployed or request.onto_deployed:
        return
    raise GitError(
        f"{request.branch!r} is the deployed branch: 'compile --commit' commits a plan on a branch of its own, "
        "for review; pass another --branch NAME, or --onto-deployed-branch to commit there all the same"
    )


def _check_not_ignored(repo: git.Repo, paths: list[str]) -> None:
    try:
        ignored = repo.git.check_ignore("--no-index", "--", *paths).split("\n")
    except git.GitCommandError as exc:
        if exc.status == 1:  # nothing is ignored
            return
        raise GitError(f"git check-ignore failed: {exc.stderr.strip()}") from None
    listed = ", ".join(ignored[:5]) + (" …" if len(ignored) > 5 else "")
    raise GitError(f"git ignores files rollplan would commit ({listed}): stop ignoring them in .gitignore")


def commit_generated(request: CommitRequest) -> str | None:
    """Commit the folders on the new branch; None when they hold nothing new. Never pushes."""
    repo = open_repo(request.root)
    prefix = _prefix(repo, request.root)
    # A folder removed from disk is committed as removed; one git never knew leaves nothing to commit.
    paths = [f"{prefix}{folder}" for folder in request.folders
             if os.path.lexists(request.root / folder) or repo.git.ls_files("--", f"{prefix}{folder}")]  # fmt: skip
    if not paths:
        return None
    try:
        repo.git.add("--all", "--", *paths)
    except git.GitCommandError as exc:
        raise GitError(f"git could not stage generated/: {(exc.stderr or '').strip() or exc}") from None
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


@dataclass(frozen=True)
class Step:
    """One commit of a first-parent history and the watched paths it changed against its first parent."""

    commit: str
    changed: frozenset[str]
    """Root-relative paths; a root commit (or a shallow clone's boundary) shows every watched file."""
    boundary: bool = False
    """The commit's parents are not in this clone (a shallow clone): what it changed is unknown."""


def first_parent_steps(root: Path, rev: str, paths: list[str]) -> list[Step]:
    """The commits of ``rev``'s first-parent history that changed any of ``paths``, newest first.

    A merge commit counts with what it changed against its first parent: the
    state the deployed branch held before the merge.
    """
    repo = open_repo(root)
    prefix = _prefix(repo, root)
    watched = [f"{prefix}{p}" for p in paths]
    out = repo.git.log("--first-parent", "--no-renames", "--name-only", "--format=%x00%H", rev, "--", *watched)
    shallow = _shallow_commits(repo)
    steps = []
    for chunk in out.split("\0")[1:]:
        commit, *names = (line for line in chunk.splitlines() if line)
        changed = frozenset(n.removeprefix(prefix) for n in names)
        steps.append(Step(commit, changed, commit in shallow))
    return steps


def _shallow_commits(repo: git.Repo) -> set[str]:
    try:
        return set((Path(repo.git_dir) / "shallow").read_text(encoding="ascii").split())
    except OSError:
        return set()


def changed_since(root: Path, rev: str, paths: list[str]) -> set[str]:
    """The files under ``paths`` where the work tree (staged or not) differs from ``rev``, root relative.

    Untracked files count when they are YAML or JSON: an editor's swap file
    beside the specs changes nothing.
    """
    repo = open_repo(root)
    prefix = _prefix(repo, root)
    watched = [f"{prefix}{p}" for p in paths]
    changed = set(repo.git.diff("--name-only", "--no-renames", "-z", rev, "--", *watched).split("\0"))
    untracked = repo.git.ls_files("-z", "--others", "--exclude-standard", "--", *watched).split("\0")
    changed.update(name for name in untracked if name.endswith((".yaml", ".yml", ".json")))
    return {name.removeprefix(prefix) for name in changed if name}


def same_at(root: Path, first: str, second: str, paths: list[str]) -> bool:
    """Whether two commits hold the same bytes under ``paths``."""
    repo = open_repo(root)
    prefix = _prefix(repo, root)
    try:
        repo.git.diff("--quiet", "--no-renames", first, second, "--", *(f"{prefix}{p}" for p in paths))
    except git.GitCommandError:
        return False
    return True


def read_at(root: Path, commit: str, path: str) -> bytes | None:
    """The bytes of ``path`` (root relative) at ``commit``; None when it holds no such file."""
    return base_source(root, commit).read(path)
