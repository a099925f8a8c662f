"""What a GitOps controller cannot do: the manual steps of a plan, for plan.md's GitOps section.

Argo CD and Flux sync manifests; they take no database backup, do no Redis
maintenance and restore nothing. Whoever syncs must do those steps by hand,
at the right moment, exactly as upgrade.sh and rollback.sh would.
"""

from __future__ import annotations

from compiler.plan.model import Plan, Step
from compiler.render.shellwords import shell_join

HAND_PHASES = ("backup", "maintenance", "restore")


def controller_limits(plan: Plan) -> list[str]:
    """Markdown paragraphs: the steps to do by hand around the syncs, forward and for a rollback."""
    forward = [_item(s, _before(s.region)) for s in plan.steps if _by_hand(s)]
    rollback = [_item(s, "before the rollback sync") for s in plan.rollback if _by_hand(s)]
    if not forward and not rollback:
        return []
    names = [name for key, name in (("argocd", "Argo CD"), ("flux", "Flux")) if key in plan.env.gitops.controllers]
    who = f"neither {' nor '.join(names)} runs" if len(names) > 1 else f"{''.join(names)} does not run"
    intro = (
        f"**What a controller cannot do**: {who} these steps of the plan. With GitOps, do "
        "them by hand at the moment named, and sync nothing further until each is done:"
    )
    return [intro, "\n".join(f"- {line}" for line in (*forward, *rollback))]


def _by_hand(step: Step) -> bool:
    """A step no controller does: backup, maintenance, restore, stopping a region, or a manual readiness gate."""
    if step.phase in HAND_PHASES or step.guards_data:
        return True
    if step.phase == "scale" and step.id.endswith("-stop"):
        return True
    return step.phase == "gate" and step.argv is None and not step.id.endswith(("-health-gate", "-pause"))


def _before(region: str | None) -> str:
    return f"before `{region}` syncs" if region else "before the first sync"


def _item(step: Step, when: str) -> str:
    command = f" (`{shell_join(step.argv)}`)" if step.argv is not None else ""
    return f"{when}: {step.description}{command}"
