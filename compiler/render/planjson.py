"""plan.json (C-16): the plan for machines. Documented in docs/plan-json.md."""

from __future__ import annotations

import json
from typing import Any

from compiler.plan.model import FORMAT_VERSION, DiffEntry, Plan, RegionChange


def plan_document(
    plan: Plan, fingerprints: dict[str, str], gitops: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The plan as a JSON-ready document.

    ``fingerprints`` holds the base and target input hashes, and under ``commit`` the base's commit id.

    ``gitops`` (a staged rollout's stages and stage) is written only when given.
    """
    document = {
        "format_version": FORMAT_VERSION,
        "environment": plan.environment,
        "service": plan.service,
        "fingerprint": plan.fingerprint,
        "base_commit": fingerprints.get("commit") or None,
        "inputs": {k: v for k, v in fingerprints.items() if k != "commit"},
        "urgent": plan.urgent,
        "risks": list(plan.risks),
        "irreversible_migrations": list(plan.irreversible),
        "primary_move": plan.primary_move.as_dict() if plan.primary_move else None,
        "restored_before": list(plan.restored_before),
        "regions": [_region(r) for r in plan.regions],
        "steps": [s.as_dict() for s in plan.steps],
        "uninstall": [s.as_dict() for s in plan.uninstall],
        "rollback": [s.as_dict() for s in plan.rollback],
    }
    return document | ({"gitops": gitops} if gitops is not None else {})


def render_plan_json(plan: Plan, fingerprints: dict[str, str], gitops: dict[str, Any] | None = None) -> str:
    document = plan_document(plan, fingerprints, gitops)
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _region(change: RegionChange) -> dict[str, Any]:
    return {
        "name": change.name,
        "primary": change.primary,
        "wave": change.wave,
        "change": change.change,
        "from": change.base.release.as_dict() if change.base else None,
        "to": change.target.release.as_dict() if change.target else None,
        "risks": list(change.risks),
        "diff": [_diff(d) for d in change.diff],
        "live": {
            "base": change.base_print.as_dict() if change.base_print else None,
            "target": change.target_print.as_dict() if change.target_print else None,
        },
    }


def _diff(entry: DiffEntry) -> dict[str, Any]:
    if entry.secret:
        return {"path": entry.path, "op": entry.op, "secret": True}
    out: dict[str, Any] = {"path": entry.path, "op": entry.op, "secret": False}
    if entry.op != "added":
        out["old"] = entry.old
    if entry.op != "removed":
        out["new"] = entry.new
    return out
