"""GitOps output of one plan: Argo CD, Flux, their rollback twins, and the alerts.

:func:`render_gitops` maps each path relative to ``generated/<env>/`` to the YAML
documents of that file; the writer dumps them. :func:`gitops_notes` explains in
plan.md how each controller keeps the rollout order and how to roll back.
"""

from __future__ import annotations

from typing import Any

from compiler.plan.model import Plan
from compiler.profiles.registry import profile_for
from compiler.render import argocd, flux, staging, waits
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
    controllers = plan.env.gitops.controllers
    files: Documents = {}
    if "argocd" in controllers:
        files |= _prefixed("argocd/", _argocd_files(plan, forward))
        files |= _prefixed("rollback/argocd/", _argocd_files(plan, rollback))
    if "flux" in controllers:
        files |= _prefixed("flux/", _flux_files(plan, forward))
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
    files = {f"{d.region}.yaml": [flux.helm_release(plan, d)] for d in deployments}
    if deployments:
        files["sources.yaml"] = flux.chart_sources(plan, deployments)
    return files | {"kustomization.yaml": [_kustomization(sorted(files))]}


def _kustomization(resources: list[str]) -> dict[str, Any]:
    # No apiVersion/kind: kustomize reads this as a kustomize.config.k8s.io/v1beta1
    # Kustomization all the same, and manifest validators do not mistake it for a
    # cluster object. Listing files explicitly keeps parent.yaml out of the build,
    # and a rollback commit of this file drops regions that did not exist before.
    return {"resources": resources}


def _prefixed(prefix: str, files: Documents) -> Documents:
    return {prefix + path: docs for path, docs in files.items()}


def gitops_notes(plan: Plan, forward: tuple[Deployment, ...] | None = None, stage: int | None = None) -> list[str]:
    """Markdown paragraphs for plan.md: order enforcement, rollback, removed regions.

    ``stage`` is where a staged rollout stands (``gitops.promotion: staged``).
    """
    forward = forward_deployments(plan) if forward is None else forward
    controllers = plan.env.gitops.controllers
    notes = [_staged_note(plan, stage)] if stage is not None else []
    if "argocd" in controllers:
        notes += [_argocd_note(plan, forward), *_argocd_source_notes(plan)]
    if "flux" in controllers:
        notes += _flux_notes(plan, forward) if stage is None else [_flux_note(plan, forward)]
        notes += _remediation_notes(plan)
    notes += [text for text in [waits.waits_note(plan, forward)] if text]
    notes += controller_limits(plan)
    notes.append(_rollback_note(plan) if stage is None else _staged_rollback_note(plan))
    notes += [_removal_note(plan, name) for name in _removed(plan)]
    states = [s for c in plan.regions for s in (c.base, c.target) if s is not None]
    secret_paths = sorted({p for state in states for p in state.secret_paths})
    if secret_paths:
        notes.append(_secrets_note(plan, secret_paths))
    return notes


def _staged_note(plan: Plan, stage: int) -> str:
    env = plan.environment
    return (
        f"**Staged promotion** (`gitops.promotion: staged`): the manifests under `{env_dir(env)}/` move one region "
        "at a time, so no controller has to order clusters. Once a stage's region passed its gate, run "
        f"`rollplan promote --env {env}` on the deployed branch and commit what it writes (or add `--commit`). "
        "Stages:\n\n" + staging.checklist(plan, stage)
    )


def _staged_rollback_note(plan: Plan) -> str:
    return (
        f"**Rolling back a staged rollout**: `rollplan promote --env {plan.environment} --rollback` moves the last "
        "promoted region back to its base state, one region per commit, in reverse order, the same way. "
        f"`{env_dir(plan.environment)}/rollback/` holds every region's base state for reference."
    )


def _argocd_source_notes(plan: Plan) -> list[str]:
    chart = plan.env.chart
    notes = []
    if chart.repository is not None and chart.repository.startswith("oci://"):
        notes.append(
            f"**Argo CD and OCI charts**: register `{chart.repository.removeprefix('oci://')}` as a Helm repository "
            'with `enableOCI: "true"` (a repository Secret labelled `argocd.argoproj.io/secret-type: repository`, '
            "with credentials if the registry is private): the Applications name it without the `oci://` scheme."
        )
    if plan.env.gitops.argocd.repo_url is not None:
        notes.append(
            f"**Argo CD and this repository**: `{plan.env.gitops.argocd.repo_url}` must be known to Argo CD "
            "(a repository Secret, with credentials if it is private) for the app-of-apps parent"
            + (" and the chart kept in git." if chart.path is not None else ".")
        )
    return notes


def _remediation_notes(plan: Plan) -> list[str]:
    migrating = [c for c in plan.regions if c.migrations]
    if not migrating:
        return []
    regions = ", ".join(f"`{c.name}`" for c in migrating)
    releases = ", ".join(f"`{v}`" for v in sorted({v for c in migrating for v in c.migrations}))
    return [
        f"**No automatic rollback by Flux** for {regions}: the change passes through release(s) {releases}, which "
        "migrate the database. Their HelmReleases have `retries: 0` and `remediateLastFailure: false`: a rollback "
        "by the controller would run the old code on the migrated schema. When an upgrade fails, Flux stops there "
        "and the plan's rollback decides (restoring the backup first where the migration is irreversible)."
    ]


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
            "steps run by themselves (`auto_sync: true`), but RollingSync has open bugs in which a later step "
            "starts before the earlier one synced the new revision (argoproj/argo-cd#29410, #22852): do not "
            "rely on it for the order, or use `gitops.promotion: staged`."
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


def _flux_note(plan: Plan, forward: tuple[Deployment, ...]) -> str:
    folder = f"`{env_dir(plan.environment)}/flux/`"
    return (
        f"**Flux** ({folder}, applied by one Flux instance): each HelmRelease `dependsOn` the one before it, so "
        "Flux upgrades a region only once the previous region's release is Ready. `dependsOn` only orders "
        "HelmReleases reconciled by the same Flux instance: every region's cluster is reached through the "
        f"kubeconfig Secret `<cluster>-kubeconfig` in `{plan.env.gitops.flux.namespace}`, and the chart sources "
        f"are in `sources.yaml`. Order: {_order(forward)}."
    )


def _flux_notes(plan: Plan, forward: tuple[Deployment, ...]) -> list[str]:
    chain = _flux_note(plan, forward)
    commits = _commits(plan, rollback=False)
    if not commits:
        return [chain]
    separate = (
        "Where the clusters are managed separately (a Flux instance each, which cannot see the other "
        "instances' releases, so `dependsOn` must go), keep the order by committing one region per commit, "
        "each after the previous region's gate passed. Keep both versions' chart sources in `flux/sources.yaml` "
        "until the last region moved, or let `gitops.promotion: staged` and `rollplan promote` write each "
        "stage:\n\n" + commits
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
    controllers = sorted(plan.env.gitops.controllers)
    folders = " and ".join(f"`{base}/{c}/`" for c in controllers)
    over = " and ".join(f"`{c}/`" for c in controllers)
    after = {
        "flux": "Flux then rolls back in rollout order",
        "argocd": "with Argo CD without auto-sync, sync the regions in reverse wave order",
    }
    text = (
        f"**Rolling back with GitOps**: {folders} hold the same objects built from the deployed (base) state, "
        f"under the same names. Commit the files of those folders over {over} (their kustomization.yaml drops "
        "regions that did not exist before, and pruning removes them), or `git revert` the commit that applied "
        f"this plan. Either way {'; '.join(after[c] for c in reversed(controllers))}."
    )
    commits = _commits(plan, rollback=True) if "flux" in controllers else ""
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


def _renamed_keys(secret_paths: list[str]) -> str:
    """The Secret keys that are not their values path (a Secret key takes fewer characters), as a sentence."""
    renamed = [f"`{path}` → `{flux.values_key(path)}`" for path in secret_paths if flux.values_key(path) != path]
    return f" Keys that are not the path itself: {', '.join(renamed)}." if renamed else ""


def _secrets_note(plan: Plan, secret_paths: list[str]) -> str:
    paths = ", ".join(f"`{p}`" for p in secret_paths)
    controllers = plan.env.gitops.controllers
    parts = [
        f"The scripts pass `<secrets dir>/{plan.environment}/<region>.yaml`, kept outside the repository, "
        "as the last `-f` of every helm upgrade (`--secrets DIR` or `ROLLPLAN_SECRETS_DIR`), and stop before "
        "their first step when one is missing.",
        "The rollback restores the base with the base's secrets: `<base secrets dir>/"
        f"{plan.environment}/<region>.yaml` (`--base-secrets DIR`), else `<region>.base.yaml` in the secrets "
        "folder, else the current `<region>.yaml`, after a loud warning that secrets changed since the base "
        "come back changed.",
    ]
    if "flux" in controllers:
        parts.append(
            f"Flux reads them from the Secret `{flux.values_secret(plan)}` in `{plan.env.gitops.flux.namespace}` "
            "(one key per values path, `valuesFrom`)."
            + _renamed_keys(secret_paths)
        )
    if "argocd" in controllers:
        parts.append(
            "Argo CD has no such reference: the chart must read them from Kubernetes Secrets it mounts "
            "(`…secretName`, `existingSecret`), or an Argo CD plugin must supply them (docs/gitops.md)."
        )
    return f"**Secret values** ({paths}) are in no generated file; each way of deploying supplies them. " + " ".join(
        parts
    )


def _removed(plan: Plan) -> list[str]:
    return [c.name for c in plan.regions if c.change == "uninstall"]


def _order(deployments: tuple[Deployment, ...]) -> str:
    return " → ".join(f"`{d.region}` (wave {d.wave})" for d in deployments) or "no region"
