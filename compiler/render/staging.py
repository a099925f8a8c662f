"""Staged promotion: the rollout as a list of stages, one region each, that git moves one at a time.

With ``gitops.promotion: staged`` the controllers never order clusters: the
manifests of a region reach the target only when ``rollplan promote`` commits
them, after the previous region's gate. Stage ``k`` means the first ``k``
stages are promoted; going back (``promote --rollback``) lowers ``k`` again,
the last promoted region first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from compiler.plan.model import Plan, RegionChange
from compiler.render.deployments import Deployment, forward_deployments, staged_deployments


@dataclass(frozen=True)
class Staging:
    """Where a staged rollout stands: ``stage`` of the plan's stages are promoted, planned from ``base_commit``."""

    stage: int
    base_commit: str


def stages(plan: Plan) -> tuple[RegionChange, ...]:
    """The regions that change, in promotion order: rollout order, then removals with the primary last."""
    changed = [c for c in plan.regions if c.change not in ("noop", "uninstall")]
    removed = sorted((c for c in plan.regions if c.change == "uninstall"), key=lambda c: (c.primary, -c.wave))
    return (*changed, *removed)


def is_staged(plan: Plan) -> bool:
    return plan.env.gitops.promotion == "staged"


def first_stage(plan: Plan) -> int:
    """What compile writes: the first stage (the primary, when it changes) promoted."""
    return min(1, len(stages(plan)))


def deployments(plan: Plan, staging: Staging | None) -> tuple[Deployment, ...]:
    """What the forward manifests hold: every region at its target, or only the promoted stages."""
    if staging is None or not is_staged(plan):
        return forward_deployments(plan)
    return staged_deployments(plan, promoted(plan, staging.stage))


def promoted(plan: Plan, stage: int) -> frozenset[str]:
    return frozenset(c.name for c in stages(plan)[:stage])


def plan_json_section(plan: Plan, staging: Staging) -> dict[str, Any]:
    """plan.json's ``gitops`` key: what ``promote`` and ``check`` read back."""
    return {
        "promotion": "staged",
        "base_commit": staging.base_commit,
        "stage": staging.stage,
        "stages": [{"region": c.name, "change": c.change} for c in stages(plan)],
    }


def checklist(plan: Plan, stage: int) -> str:
    """The stages as a Markdown checklist, promoted ones ticked."""
    lines = []
    for number, change in enumerate(stages(plan), 1):
        mark = "x" if number <= stage else " "
        primary = " (primary)" if change.primary else ""
        lines.append(f"- [{mark}] stage {number}: `{change.name}`{primary}, {change.change}")
    return "\n".join(lines) or "- nothing to promote: no region changes"
