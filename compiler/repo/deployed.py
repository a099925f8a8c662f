"""Which revision is the deployed state (C-6): the merge-base of HEAD with the deployed branch.

The base is what the GitOps controller applies, not the commit before yours:
every commit of a PR branch is planned against the same merge-base, so the
plan stays the PR's whole change. On the deployed branch itself (after the
merge) each environment's committed plan.json names the base it was compiled
against, and `check` verifies it against that one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

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


@dataclass(frozen=True)
class Recorded:
    """What a committed plan.json says it was compiled from: the base commit (None: nothing deployed), the target."""

    commit: str | None
    target: str


def recorded_bases(root: Path, base: Base, envs: Sequence[str]) -> dict[str, Recorded]:
    """On the deployed branch: each environment's base as its committed plan.json records it.

    Only a base that is an ancestor of HEAD (or that this clone does not
    have: see ``require``) counts. Elsewhere, and for environments without
    such a record, the plain rule applies: the result has no entry for them.
    """
    if base.deployed is None or not base.deployed.on_deployed_branch:
        return {}
    found: dict[str, Recorded] = {}
    for env, record in _plan_json_records(root, envs).items():
        if record.commit is None or not gitio.has_commit(root, record.commit) or gitio.is_ancestor(root, record.commit):
            found[env] = record
    return found


def missing(root: Path, env: str, record: Recorded) -> str:
    """A warning when this clone lacks the recorded base (a shallow clone): the plan is then checked against HEAD."""
    if record.commit is None or gitio.has_commit(root, record.commit):
        return ""
    return (
        f"{layout.env_dir(env)}/plan.json was compiled against {record.commit[:12]}, which this clone does not "
        "have: planned against HEAD instead; fetch the history (fetch-depth: 0 in CI) to check the merged plan"
    )


def _plan_json_records(root: Path, envs: Sequence[str]) -> dict[str, Recorded]:
    generated = root / layout.GENERATED
    names = envs or (sorted(p.name for p in generated.iterdir() if p.is_dir()) if generated.is_dir() else [])
    records: dict[str, Recorded] = {}
    for env in names:
        try:
            doc = json.loads((root / layout.env_dir(env) / "plan.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(doc, dict) or "base_commit" not in doc or not isinstance(doc.get("inputs"), dict):
            continue
        commit, target = doc["base_commit"], doc["inputs"].get("target")
        if isinstance(target, str) and (commit is None or (isinstance(commit, str) and _is_sha(commit))):
            records[env] = Recorded(commit, target)
    return records


def _is_sha(text: str) -> bool:
    return len(text) == 40 and all(c in "0123456789abcdef" for c in text)


def moved_on(base: Base, base_prints: Mapping[str, str], tip_prints: Mapping[str, str]) -> list[str]:
    """Environments whose deployed state changed on the deployed branch after this branch's base."""
    deployed = base.deployed
    if deployed is None or deployed.tip is None or deployed.tip == deployed.merge_base:
        return []
    return sorted(env for env, digest in base_prints.items() if tip_prints.get(env, "") != digest)
