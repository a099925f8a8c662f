"""GitOps output of one plan: Argo CD, Flux, their rollback twins, and the alerts.

:func:`render_gitops` maps each path relative to ``generated/<env>/`` to the YAML
documents of that file; the writer dumps them. :func:`gitops_notes` explains in
plan.md how each controller keeps the rollout order and how to roll back.
"""

from __future__ import annotations

from typing import Any

from compiler.plan.model import Plan
from compiler.profiles.registry import profile_for
from compiler.render import argocd, flux
from compiler.render.alerts import render_alerts
from compiler.render.deployments import Deployment, forward_deployments, rollback_deployments
from compiler.render.manual import controller_limits
from compiler.repo.layout import env_dir

Documents = dict[str, list[dict[str, Any]]]


def render_gitops(plan: Plan, forward: tuple[Deployment, ...] | None = None) -> Documents:
    """Every GitOps file of the plan: ``argocd/``, ``flux/``, ``rollback/…`` and ``alerts.yaml``.

    ``forward`` is ``forward_deployments(plan)`` when the caller has it already.
    """
    forward = forward_deployments(plan) if forward is None else forward
    rollback = rollback_deployments(plan)
    files: Documents = {}
    files |= _prefixed("argocd/", _argocd_files(plan, forward))
    files |= _prefixed("flux/", _flux_files(plan, forward))
    files |= _prefixed("rollback/argocd/", _argocd_files(plan, rollback))
    files |= _prefixed("rollback/flux/", _flux_files(plan, rollback))
    files["alerts.yaml"] = [render_alerts(plan)]
    return files


def _argocd_files(plan: Plan, deployments: tuple[Deployment, ...]) -> Documents:
    if plan.env.gitops.argocd.mode == "applicationset":
        files: Documents = {"applicationset.yaml": [argocd.application_set(plan, deployments)]}
    else:
        files = {f"{d.region}.yaml": [argocd.application(plan, d)] for d in deployments}
    files["kustomization.yaml"] = [_kustomization(sorted(files))]
    if plan.env.gitops.argocd.mode == "app-of-apps":
        files["parent.yaml"] = [argocd.parent_application(plan)]
    return files


def _flux_files(plan: Plan, deployments: tuple[Deployment, ...]) -> Documents:
    files = {f"{d.region}.yaml": flux.region_documents(plan, d) for d in deployments}
    return files | {"kustomization.yaml": [_kustomization(sorted(files))]}


def _kustomization(resources: list[str]) -> dict[str, Any]:
    # No apiVersion/kind: kustomize reads this as a kustomize.config.k8s.io/v1beta1
    # Kustomization all the same, and manifest validators do not mistake it for a
    # cluster object. Listing files explicitly keeps parent.yaml out of the build,
    # and a rollback commit of this file drops regions that did not exist before.
    return {"resources": resources}


def _prefixed(prefix: str, files: Documents) -> Documents:
    return {prefix + path: docs for path, docs in files.items()}


def gitops_notes(plan: Plan, forward: tuple[Deployment, ...] | None = None) -> list[str]:
    """Markdown paragraphs for plan.md: order enforcement, rollback, removed regions."""
    forward = forward_deployments(plan) if forward is None else forward
    notes = [_argocd_note(plan, forward), *_flux_notes(plan, forward), *controller_limits(plan), _rollback_note(plan)]
    notes += [_removal_note(plan, name) for name in _removed(plan)]
    secret_paths = sorted({p for d in forward for p in d.secret_paths})
    if secret_paths:
        notes.append(_secrets_note(plan, secret_paths))
    return notes


def _argocd_note(plan: Plan, forward: tuple[Deployment, ...]) -> str:
    settings = plan.env.gitops.argocd
    folder = f"`{env_dir(plan.environment)}/argocd/`"
    if settings.mode == "applicationset":
        how = (
            f"**Argo CD** (ApplicationSet in {folder}): a `RollingSync` strategy with one step per wave, selected "
            "by the label `rollplan.io/wave`; a step starts only when every Application of the previous one is "
            "Healthy. Progressive syncs must be enabled in the ApplicationSet controller. RollingSync turns "
            "auto-sync off on the Applications; "
        )
        how += (
            "steps run by themselves (`auto_sync: true`)."
            if settings.auto_sync
            else "every step has `maxUpdate: 0`, so an operator syncs each wave by hand after its gate."
        )
    else:
        how = (
            f"**Argo CD** (app-of-apps in {folder}): apply `parent.yaml` once; it manages one Application per "
            "region, ordered by the `argocd.argoproj.io/sync-wave` annotation (the primary is wave 0). Waves wait "
            "for the previous Application to be Healthy only where Argo CD assesses Application health "
            "(a `resource.customizations` health check for `argoproj.io/Application`). "
        )
        how += (
            "Auto-sync is on: each region syncs as soon as its wave is reached."
            if settings.auto_sync
            else "Auto-sync is off: sync the parent, then each region in wave order, each after the previous "
            "region's gate passed."
        )
    return how + " Order: " + _order(forward) + "."


def _flux_notes(plan: Plan, forward: tuple[Deployment, ...]) -> list[str]:
    folder = f"`{env_dir(plan.environment)}/flux/`"
    chain = (
        f"**Flux** ({folder}, applied by one Flux instance): each HelmRelease `dependsOn` the one before it, so "
        "Flux upgrades a region only once the previous region's release is Ready. `dependsOn` only orders "
        "HelmReleases reconciled by the same Flux instance: remote clusters are reached through the kubeconfig "
        f"Secrets `<cluster>-kubeconfig` in `{plan.env.gitops.flux.namespace}`. Order: {_order(forward)}."
    )
    commits = _commits(plan, rollback=False)
    if not commits:
        return [chain]
    separate = (
        "Where the clusters are managed separately (a Flux instance each, which cannot see the other "
        "instances' releases, so `dependsOn` must go), keep the order by committing one region per commit, "
        "each after the previous region's gate passed:\n\n" + commits
    )
    return [chain, separate]


def _commits(plan: Plan, *, rollback: bool) -> str:
    """Numbered commits, one region each: changes in rollout order, removals primary last.

    For a rollback, everything in reverse: the last region changed goes back first.
    """
    changed = [c for c in plan.regions if c.change not in ("noop", "uninstall")]
    removed = sorted((c for c in plan.regions if c.change == "uninstall"), key=lambda c: -c.wave)
    steps = [_commit_text(c.name, c.change, rollback) for c in changed] + [
        _commit_text(c.name, c.change, rollback) for c in removed
    ]
    if rollback:
        steps.reverse()
    return "\n".join(f"{i}. {text}" for i, text in enumerate(steps, 1))


def _commit_text(region: str, change: str, rollback: bool) -> str:
    file, entry = f"`flux/{region}.yaml`", "its line in `flux/kustomization.yaml`"
    if change == ("install" if rollback else "uninstall"):
        return f"`{region}`: delete {file} and {entry}"
    if rollback:
        added = f" with {entry}" if change == "uninstall" else ""
        return f"`{region}`: `rollback/flux/{region}.yaml` as {file}{added}"
    return f"`{region}`: {file}" + (f" with {entry}" if change == "install" else "")


def _rollback_note(plan: Plan) -> str:
    base = f"{env_dir(plan.environment)}/rollback"
    text = (
        f"**Rolling back with GitOps**: `{base}/argocd/` and `{base}/flux/` hold the same objects built from the "
        "deployed (base) state, under the same names. Commit the files of those folders over `argocd/` and `flux/` "
        "(their kustomization.yaml drops regions that did not exist before, and pruning removes them), or "
        "`git revert` the commit that applied this plan. Either way Flux then rolls back in rollout order; with "
        "Argo CD without auto-sync, sync the regions in reverse wave order."
    )
    commits = _commits(plan, rollback=True)
    if commits:
        text += " To roll back in reverse order instead, one region per commit:\n\n" + commits
    return text


def _removal_note(plan: Plan, region: str) -> str:
    return (
        f"**{region} is removed** (`state: absent`): it has no forward manifest, so pruning (a sync of the "
        "parent with prune, the ApplicationSet dropping its element, or Flux's prune) deletes its Application, "
        "whose resources finalizer uninstalls the release, or its HelmRelease, which Flux uninstalls. "
        f"What survives: {profile_for(plan.service).removal_survivors(plan)}; delete them by hand "
        "once the data is no longer needed. The rollback manifests reinstall the region."
    )


def _secrets_note(plan: Plan, secret_paths: list[str]) -> str:
    paths = ", ".join(f"`{p}`" for p in secret_paths)
    return (
        f"**Secret values** ({paths}) are in no manifest. Flux reads them from the Secret "
        f"`{flux.values_secret(plan)}` in `{plan.env.gitops.flux.namespace}` (one key per values path, "
        "`valuesFrom`); Argo CD has no such reference, so with Argo CD the chart must take them from "
        "Kubernetes Secrets it mounts."
    )


def _removed(plan: Plan) -> list[str]:
    return [c.name for c in plan.regions if c.change == "uninstall"]


def _order(deployments: tuple[Deployment, ...]) -> str:
    return " → ".join(f"`{d.region}` (wave {d.wave})" for d in deployments) or "no region"
