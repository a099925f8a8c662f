"""plan.md's account of the order across environments: what this one waits for, and how each controller keeps it.

Flux can wait on another environment's HelmRelease only where both run on one
cluster and one Flux instance reconciles both folders; across clusters the order
is kept by the top-level scripts, by merging in order, or by staged promotion.
"""

from __future__ import annotations

from compiler.plan.model import Plan
from compiler.plan.rollout import Wait
from compiler.render import mdtext as md
from compiler.render.deployments import Deployment
from compiler.render.names import region_object_name


def waits_line(plan: Plan) -> str:
    """The first screen's line naming the environments this rollout starts after ('' when none)."""
    if not plan.waits:
        return ""
    names = ", ".join(_wait_text(wait) for wait in plan.waits)
    return (f"**Waits for:** {names}: this rollout starts only after those environments completed and verified "
            "(`generated/rollout.json`, `generated/upgrade.sh`); the rollback runs before theirs.")  # fmt: skip


def consumers_line(plan: Plan) -> str:
    """The first screen's line naming who uses what this environment provides ('' when nobody does)."""
    if not plan.consumers:
        return ""
    uses = "; ".join(
        f"{md.text(c.env)} `{c.region}` requires {md.code(c.component + ' ' + c.requires)} (gets {md.code(c.version)})"
        for c in plan.consumers
    )
    return (f"**Provides:** {uses}. They roll out after this environment and roll back before it; a version that "
            "does not satisfy them is refused.")  # fmt: skip


def _wait_text(wait: Wait) -> str:
    return md.text(wait.env) + (f" (implicit: {md.text(wait.reason)})" if wait.reason else "")


def waits_note(plan: Plan, forward: tuple[Deployment, ...]) -> str:
    """How the controllers keep the order across environments ('' when this one waits for none)."""
    if not plan.waits:
        return ""
    parts = ["**Order across environments**:"]
    if "flux" in plan.env.gitops.controllers:
        parts.append(_flux_part(plan, forward))
    if "argocd" in plan.env.gitops.controllers:
        parts.append(
            "Argo CD orders sync waves within one parent only: sync (or merge) this environment's parent after "
            f"{_names(plan.waits)} is Healthy, in the order of `generated/rollout.json`."
        )
    parts.append(
        "Across clusters, the order is kept by `generated/upgrade.sh` (one environment at a time, this one "
        "after those it waits for, and `generated/rollback.sh` in reverse), by merging this environment's change "
        "only once theirs is verified, or by `gitops.promotion: staged` (docs/gitops.md)."
    )
    return " ".join(parts)


def _flux_part(plan: Plan, forward: tuple[Deployment, ...]) -> str:
    waited = [d for d in forward if d.after]
    if not forward:
        return "no region of this environment is deployed after the plan, so Flux has nothing to order."
    sentences = [
        f"`{d.region}`'s HelmRelease `dependsOn` {_releases(plan, d)} on its cluster `{d.cluster}`" for d in waited
    ]
    text = "; ".join(sentences) + (
        ": Flux upgrades it only once those are Ready. This needs both environments' `flux/` folders applied by "
        "one Flux instance (`dependsOn` sees no other instance's objects, and a missing one holds the release). "
        if sentences
        else "Flux gets no `dependsOn` across environments here: "
    )
    alone = [d.region for d in forward if not d.after]
    if alone:
        regions = ", ".join(f"`{r}`" for r in alone) + (" shares" if len(alone) == 1 else " share")
        text += f"{regions} no cluster with a Flux release of {_names(plan.waits)}, so Flux does not wait there."
    return text.rstrip()


def _releases(plan: Plan, deployment: Deployment) -> str:
    names = {
        region_object_name(p.release, p.env, p.their_region): p.env
        for wait in plan.waits
        for p in wait.peers
        if p.region == deployment.region and p.flux
    }
    return ", ".join(f"`{name}` ({md.text(env)})" for name, env in names.items())


def _names(waits: tuple[Wait, ...]) -> str:
    return ", ".join(f"`{w.env}`" for w in waits)
