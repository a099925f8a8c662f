"""Which revision is the deployed state (C-6): the merge-base of HEAD with the deployed branch.

The base is what the GitOps controller applies, not the commit before yours:
every commit of a PR branch is planned against the same merge-base, so the
plan stays the PR's whole change. An environment the pending change leaves
alone (on the deployed branch after the merge, or on a new branch made
before the merged plan ran) keeps the plan of its last change: its base is
found in the deployed branch's first-parent history, so that a revert is
planned as a change of its own and never as the older plan it restores.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compiler.errors import GitError
from compiler.repo import gitio, layout
from compiler.spec.repoconfig import load_repo_config


@dataclass(frozen=True)
class Base:
    """The revision to read the deployed state from, and how it was chosen."""

    rev: str | None
    """A revision, or None when nothing is deployed yet (a repository without commits)."""
    described: str
    deployed: gitio.DeployedBase | None = None
    """How HEAD stands against the deployed branch; None when --base was given."""


def choose_base(root: Path, explicit: str | None) -> Base:
    """``--base REV`` when given; otherwise the merge-base of HEAD and the deployed branch."""
    if explicit is not None:
        return Base(explicit, explicit)
    found = gitio.deployed_base(root, load_repo_config(root).deployed_branch)
    if found.head is None:
        return Base(None, "nothing (the repository has no commits yet)", found)
    if found.branch is None or found.merge_base is None:
        return Base("HEAD", "HEAD (no deployed branch: neither origin/HEAD nor main exists)", found)
    short = found.merge_base[:12]
    return Base(found.merge_base, f"merge-base of HEAD and {found.branch} ({short})", found)


def history_bases(root: Path, base: Base, envs: Sequence[str]) -> dict[str, str | None]:
    """Each environment the pending change leaves alone keeps the base of its last change (docs/ci.md).

    The pending change is the work tree against the merge-base M (a branch's
    commits and any uncommitted edit). An environment it touches is planned
    from M. One it does not touch keeps the plan of its last change on the
    deployed branch: its base is the state before that change, found in M's
    first-parent history (see :func:`_last_change_base`). Returns the
    environments whose base is not M (None: nothing was deployed before).
    Refuses (GitError) a clone too shallow to tell.
    """
    deployed = base.deployed
    if not envs or deployed is None or deployed.merge_base is None or deployed.branch is None or base.rev is None:
        return {}
    global _parsed
    _parsed = {}  # within this call the work tree does not change: each file is parsed once
    try:
        watches = {env: _inputs(root, env) for env in envs}
        history = _History.read(root, deployed.merge_base, sorted({p for watch in watches.values() for p in watch}))
        found: dict[str, str | None] = {}
        for env, watch in watches.items():
            if history.pending(watch):
                continue
            commit = _last_change_base(root, env, history, watch)
            if commit != deployed.merge_base:
                found[env] = commit
        return found
    finally:
        _parsed = None


@dataclass(frozen=True)
class _History:
    """What git says once for every environment: the pending change and M's first-parent history."""

    head: str
    changed: frozenset[str]
    """Files where the work tree differs from ``head``."""
    steps: tuple[gitio.Step, ...]

    @classmethod
    def read(cls, root: Path, head: str, inputs: list[str]) -> _History:
        watched = [*inputs, f"{layout.GENERATED}/*/plan.json"]  # a glob: every environment's plan
        changed = gitio.changed_since(root, head, watched)
        return cls(head, frozenset(changed), tuple(gitio.first_parent_steps(root, head, watched)))

    def pending(self, paths: list[str]) -> bool:
        return any(_under(name, paths) for name in self.changed)

    def steps_of(self, paths: list[str]) -> list[gitio.Step]:
        """The steps that changed any of ``paths``, each with only those of its files."""
        found = []
        for step in self.steps:
            mine = frozenset(name for name in step.changed if _under(name, paths))
            if mine:
                found.append(gitio.Step(step.commit, mine, step.boundary))
        return found


def _under(name: str, paths: list[str]) -> bool:
    return any(name == path or name.startswith(f"{path}/") for path in paths)


def last_change_described(per_env: Mapping[str, str | None]) -> str:
    """How `check` and `compile` name the bases :func:`history_bases` chose."""
    return f"before the last change to {', '.join(sorted(per_env))}"


def _last_change_base(root: Path, env: str, history: _History, watch: list[str]) -> str | None:
    """The state before the last change to ``env`` in ``head``'s first-parent history (None: before it existed).

    The last commit X that changed the environment's inputs is part of that
    change. So is every earlier commit that changed them without a plan (the
    plan came in a later commit) or whose plan was compiled from the same base
    as the plan the work tree holds (the commits of a fast-forward or
    rebase-merge): a branch merged in several commits is one change. The first
    earlier commit with another plan, or from before the environment had any
    plan (deployed without rollplan), ends it: its state is the base. The work
    tree's plan only names that base when it was written at or after X; an
    older plan (its environment changed since) names none.
    """
    plan = f"{layout.env_dir(env)}/plan.json"
    head = history.head
    steps = history.steps_of([*watch, plan])
    changes = [i for i, step in enumerate(steps) if step.changed - {plan}]
    planned = [any(plan in s.changed for s in steps[i:]) for i in range(len(steps))]
    if not changes:
        return _kept_record(root, head, head, root / plan, watch)
    last = changes[0]
    planned_since = history.pending([plan]) or any(plan in s.changed for s in steps[: last + 1])
    key = _plan_base(root / plan) if planned_since else None
    # The first plan came after X: X is its change only when that plan was compiled from a state before X
    # (specs and plan in two commits, merged as they are), else the state was deployed without a plan.
    verified = planned[last] or (_predates(root, key, steps[last].commit)
                                 and _planned_for_work_tree(root, env, root / plan))  # fmt: skip
    if not verified:
        # Changed only before rollplan planned it: that state was deployed without a plan.
        return _kept_record(root, head, head, root / plan, watch)
    verified = not planned[last]
    for index in changes:
        step = steps[index]
        if step.boundary:
            raise GitError(
                f"{env}: this clone is shallow and does not hold the last change to {env} on the deployed branch, "
                "which its plan starts from: fetch the history (git fetch --unshallow, or fetch-depth: 0 in CI) "
                "or pass --base REV"
            )
        if index != last and plan not in step.changed and _in_base(root, key, step.commit):
            # Its own change, planned and merged before the plan's base (pull requests fast-forwarded one by one).
            return _kept_record(root, step.commit, head, root / plan, watch)
        if index == last or (plan not in step.changed and planned[index]):
            continue
        if not planned[index] and _predates(root, key, step.commit):
            pass  # an earlier commit of the same unplanned run, made after the plan's base
        elif not planned[index] or not _same_change(root, key, _plan_base(gitio.read_at(root, step.commit, plan))):
            return _kept_record(root, step.commit, head, root / plan, watch)
        if not verified and not _planned_for_work_tree(root, env, root / plan):
            return _kept_record(root, step.commit, head, root / plan, watch)  # a stale plan names no change
        verified = True
    return None


def _planned_for_work_tree(root: Path, env: str, plan: Path) -> bool:
    """Whether plan.json was compiled from the environment's inputs as the work tree holds them.

    Only then does its base say which earlier commits belong to its change; a
    stale one (two pull requests compiled from one base, both merged) would
    otherwise fold a change that was merged and rolled out on its own into it.
    """
    from compiler.errors import RollplanError
    from compiler.pipeline import env_inputs, fingerprints, load_target

    doc = _json(plan)
    inputs = doc.get("inputs") if isinstance(doc, dict) else None
    try:
        target = load_target(root, [env])
    except RollplanError:
        return False  # the compile reports it
    return isinstance(inputs, dict) and inputs.get("target") == fingerprints(env_inputs(env, target, None))["target"]


def _same_change(root: Path, key: tuple[str, str] | None, older: tuple[str, str] | None) -> bool:
    """Whether an older commit's plan is an earlier commit of the change the work tree's plan describes.

    Its base has the same inputs, and was the same commit or an older one (the
    branch was rebased forward and compiled again). A plan whose base is a
    newer commit than the work tree's is a later change that the work tree's
    plan predates: the work tree holds an older plan again (a revert).
    """
    if key is None or older is None or key[1] != older[1]:
        return False
    if key[0] == older[0]:
        return True
    return bool(key[0] and older[0]) and gitio.has_commit(root, older[0]) and gitio.is_ancestor(root, older[0], key[0])


def _in_base(root: Path, key: tuple[str, str] | None, commit: str) -> bool:
    """Whether ``commit`` is in the history of the base the work tree's plan records (``key``)."""
    if key is None or not key[0] or not gitio.has_commit(root, key[0]):
        return False
    return gitio.is_ancestor(root, commit, key[0])


def _predates(root: Path, key: tuple[str, str] | None, commit: str) -> bool:
    """Whether the plan whose base is ``key`` was compiled from a commit older than ``commit`` (so it plans it)."""
    if key is None or not key[0] or key[0] == commit or not gitio.has_commit(root, key[0]):
        return False
    return gitio.is_ancestor(root, key[0], commit)


def _plan_base(source: Path | bytes | None) -> tuple[str, str] | None:
    """The base a plan.json records: its commit ('' for nothing deployed) and inputs digest; None when unreadable."""
    doc = _json(source)
    inputs = doc.get("inputs") if isinstance(doc, dict) else None
    digest = inputs.get("base") if isinstance(inputs, dict) else None
    commit = doc.get("base_commit") if isinstance(doc, dict) else None
    if not isinstance(digest, str) or not (commit is None or (isinstance(commit, str) and _is_sha(commit))):
        return None
    return commit or "", digest


def _kept_record(root: Path, start: str, head: str, plan: Path, watch: list[str]) -> str:
    """``start``, or the base commit plan.json records when it holds the same inputs (no churn of the id)."""
    doc = _json(plan)
    commit = doc.get("base_commit") if isinstance(doc, dict) else None
    if not isinstance(commit, str) or not _is_sha(commit) or commit == start or not gitio.has_commit(root, commit):
        return start
    return commit if gitio.is_ancestor(root, commit, head) and gitio.same_at(root, start, commit, watch) else start


def _inputs(root: Path, env: str) -> list[str]:
    """The paths whose change is a change of ``env``: its folder, its service's release notes, values outside."""
    folder = root / layout.env_dir(env)
    doc = _json(folder / "plan.json")
    service = doc.get("service") if isinstance(doc, dict) else None
    notes = f"release-notes/{service}" if isinstance(service, str) and _is_name(service) else "release-notes"
    return [f"environments/{env}", notes, *_outside_values(folder)]


def _outside_values(folder: Path) -> list[str]:
    from compiler.repo.fresh import RECORD

    doc = _json(folder / RECORD)
    listed = doc.get("outside_values") if isinstance(doc, dict) else None
    if not isinstance(listed, list):
        return []
    return [p for p in listed if isinstance(p, str) and _plain_path(p)]


def _plain_path(path: str) -> bool:
    """A repo-relative path git reads literally (no pathspec magic, no glob, nothing outside)."""
    return bool(path) and not path.startswith(("/", "-", ":")) and ".." not in path.split("/") and not any(
        c in path for c in "*?[\\"
    )


MAX_JSON_BYTES = 64 * 1024 * 1024


def _json(source: Path | bytes | None) -> Any:
    """A JSON document from committed bytes or a work-tree file; None when unreadable.

    A work-tree file is read only when it is a regular file of a sane size, never
    through a link: a pull request controls generated/, and a plan.json linked to
    /dev/zero must not hang check.
    """
    try:
        if isinstance(source, Path):
            info = os.lstat(source)
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_JSON_BYTES:
                return None
            if _parsed is None:
                return json.loads(source.read_bytes() or b"")
            key = (str(source), info.st_ino, info.st_mtime_ns, info.st_size)
            if key not in _parsed:  # the history walk asks for one plan.json several times
                _parsed[key] = json.loads(source.read_bytes() or b"")
            return _parsed[key]
        return json.loads(source or b"")
    except (OSError, ValueError, RecursionError):  # RecursionError: nested too deep for the parser
        return None


_parsed: dict[tuple[str, int, int, int], Any] | None = None
"""Work-tree JSON documents parsed during one :func:`history_bases`, by path and identity; None outside it.

Read-only to callers; dropped when the call ends, so nothing parsed is ever served stale.
"""


def _is_name(text: str) -> bool:
    return bool(text) and all(c.isalnum() or c in "-_." for c in text) and not text.startswith(".")


def _is_sha(text: str) -> bool:
    return len(text) == 40 and all(c in "0123456789abcdef" for c in text)


def moved_on(base: Base, base_prints: Mapping[str, str], tip_prints: Mapping[str, str]) -> list[str]:
    """Environments whose deployed state changed on the deployed branch after this branch's base."""
    deployed = base.deployed
    if deployed is None or deployed.tip is None or deployed.tip == deployed.merge_base:
        return []
    return sorted(env for env, digest in base_prints.items() if tip_prints.get(env, "") != digest)
