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

UNRECORDED = "unrecorded"


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


def recorded_bases(root: Path, base: Base, envs: Sequence[str]) -> dict[str, str | None]:
    """On the deployed branch: each environment's base as its committed plan.json records it.

    Only a base that is an ancestor of HEAD counts (null: compiled when nothing
    was deployed). Elsewhere, and for environments without such a record, the
    plain rule applies: the result has no entry for them.
    """
    if base.deployed is None or not base.deployed.on_deployed_branch:
        return {}
    found: dict[str, str | None] = {}
    for env, commit in _plan_json_bases(root, envs).items():
        if commit is None or (commit != UNRECORDED and gitio.is_ancestor(root, commit)):
            found[env] = commit
    return found


def _plan_json_bases(root: Path, envs: Sequence[str]) -> dict[str, str | None]:
    generated = root / layout.GENERATED
    names = envs or sorted(p.name for p in generated.iterdir() if p.is_dir()) if generated.is_dir() else envs
    bases: dict[str, str | None] = {}
    for env in names:
        try:
            doc = json.loads((root / layout.env_dir(env) / "plan.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        commit = doc.get("base_commit", UNRECORDED) if isinstance(doc, dict) else UNRECORDED
        if commit is None or (isinstance(commit, str) and len(commit) == 40 and _hex(commit)):
            bases[env] = commit
    return bases


def _hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


def moved_on(base: Base, base_prints: Mapping[str, str], tip_prints: Mapping[str, str]) -> list[str]:
    """Environments whose deployed state changed on the deployed branch after this branch's base."""
    deployed = base.deployed
    if deployed is None or deployed.tip is None or deployed.tip == deployed.merge_base:
        return []
    return sorted(env for env, digest in base_prints.items() if tip_prints.get(env, "") != digest)
