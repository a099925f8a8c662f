"""Argo CD manifests: one Application per region (app-of-apps), or one ApplicationSet.

Pure: every function returns documents (dicts); file names are chosen by
:mod:`compiler.render.gitops`.
"""

from __future__ import annotations

from typing import Any

from compiler.plan.model import Plan
from compiler.render.deployments import Deployment
from compiler.render.names import (
    LABEL_PRIMARY,
    LABEL_REGION,
    LABEL_WAVE,
    base_labels,
    environment_object_name,
    region_labels,
)
from compiler.repo.layout import env_dir
from compiler.spec.models import ArgoCD, Chart

API_VERSION = "argoproj.io/v1alpha1"
SYNC_WAVE = "argocd.argoproj.io/sync-wave"
# Deleting an Application with this finalizer deletes what it deployed: pruning a
# removed region's Application uninstalls the release, as `state: absent` asks.
RESOURCES_FINALIZER = "resources-finalizer.argocd.argoproj.io"
# Applications are objects of the cluster Argo CD runs in.
IN_CLUSTER = "https://kubernetes.default.svc"


def application(plan: Plan, deployment: Deployment) -> dict[str, Any]:
    """The Application of one region; its sync wave is its rollout position (primary: 0)."""
    settings = plan.env.gitops.argocd
    spec: dict[str, Any] = {
        "project": settings.project,
        "source": _source(settings, deployment.chart, deployment.chart_version)
        | {"helm": {"releaseName": deployment.release, "valuesObject": deployment.values}},
        "destination": _destination(deployment) | {"namespace": deployment.namespace},
    }
    spec |= _sync_policy(settings)
    return {
        "apiVersion": API_VERSION,
        "kind": "Application",
        "metadata": {
            "name": deployment.name,
            "namespace": settings.namespace,
            "labels": region_labels(plan.environment, deployment.region, deployment.primary, deployment.wave),
            "annotations": {SYNC_WAVE: str(deployment.wave)},
            "finalizers": [RESOURCES_FINALIZER],
        },
        "spec": spec,
    }


def parent_application(plan: Plan) -> dict[str, Any]:
    """The app-of-apps parent: it deploys the region Applications of ``generated/<env>/argocd``.

    That folder is a kustomize directory whose kustomization.yaml lists the region
    files only, so the parent, which lives there too, never manages itself. It carries
    no resources finalizer: deleting the parent must not cascade into the releases.
    """
    settings = plan.env.gitops.argocd
    assert settings.repo_url is not None, "validate requires gitops.argocd.repo_url for Argo CD output"
    spec: dict[str, Any] = {
        "project": settings.project,
        "source": {
            "repoURL": settings.repo_url,
            "targetRevision": settings.revision,
            "path": f"{env_dir(plan.environment)}/argocd",
        },
        "destination": {"server": IN_CLUSTER, "namespace": settings.namespace},
    }
    spec |= _sync_policy(settings)
    return {
        "apiVersion": API_VERSION,
        "kind": "Application",
        "metadata": {
            "name": environment_object_name(plan.env.release, plan.environment),
            "namespace": settings.namespace,
            "labels": base_labels(plan.environment),
        },
        "spec": spec,
    }


def application_set(plan: Plan, deployments: tuple[Deployment, ...]) -> dict[str, Any]:
    """One ApplicationSet whose RollingSync steps follow the rollout waves.

    RollingSync turns auto-sync off on the Applications it owns and syncs a step
    once the previous one is Healthy. Without ``auto_sync`` every step has
    ``maxUpdate: 0``: nothing syncs until an operator syncs it, wave by wave.
    """
    settings = plan.env.gitops.argocd
    return {
        "apiVersion": API_VERSION,
        "kind": "ApplicationSet",
        "metadata": {
            "name": environment_object_name(plan.env.release, plan.environment),
            "namespace": settings.namespace,
            "labels": base_labels(plan.environment),
        },
        "spec": {
            "goTemplate": True,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [{"list": {"elements": [_element(d) for d in deployments]}}],
            "strategy": {
                "type": "RollingSync",
                "deletionOrder": "Reverse",
                "rollingSync": {"steps": _steps(deployments, settings.auto_sync)},
            },
            "template": _template(plan),
            "templatePatch": TEMPLATE_PATCH,
        },
    }


# The parts that differ per region and are not plain strings: the destination
# (server or name) and the values object. JSON is valid YAML, so toJson needs no indenting.
TEMPLATE_PATCH = """\
spec:
  destination: {{ if .server }}{"server": {{ toJson .server }}}{{ else }}{"name": {{ toJson .cluster }}}{{ end }}
  source:
    helm:
      valuesObject: {{ toJson .values }}
"""


def _template(plan: Plan) -> dict[str, Any]:
    settings = plan.env.gitops.argocd
    source = _source(settings, plan.env.chart, "{{ .chartVersion }}")
    return {
        "metadata": {
            "name": "{{ .name }}",
            "labels": base_labels(plan.environment)
            | {
                LABEL_REGION: "{{ .region }}",
                LABEL_PRIMARY: "{{ .primary }}",
                LABEL_WAVE: "{{ .wave }}",
            },
            "finalizers": [RESOURCES_FINALIZER],
        },
        "spec": {
            "project": settings.project,
            "source": source | {"helm": {"releaseName": plan.env.release}},
            "destination": {"namespace": plan.env.namespace},
        },
    }


def _element(deployment: Deployment) -> dict[str, Any]:
    # Strings throughout: Go templates print numbers from JSON as floats.
    return {
        "name": deployment.name,
        "region": deployment.region,
        "primary": "true" if deployment.primary else "false",
        "wave": str(deployment.wave),
        "cluster": deployment.cluster,
        "server": deployment.server or "",
        "chartVersion": deployment.chart_version,
        "values": deployment.values,
    }


def _steps(deployments: tuple[Deployment, ...], auto_sync: bool) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    for wave in sorted({d.wave for d in deployments}):
        step: dict[str, Any] = {"matchExpressions": [{"key": LABEL_WAVE, "operator": "In", "values": [str(wave)]}]}
        if not auto_sync:
            step["maxUpdate"] = 0
        steps.append(step)
    return steps


def _source(settings: ArgoCD, chart: Chart, version: str) -> dict[str, Any]:
    """Where the chart comes from. Argo CD names OCI registries without the oci:// scheme."""
    if chart.path is not None:
        return {"repoURL": settings.repo_url, "path": chart.path, "targetRevision": settings.revision}
    assert chart.repository is not None
    return {"repoURL": chart.repository.removeprefix("oci://"), "chart": chart.name, "targetRevision": version}


def _destination(deployment: Deployment) -> dict[str, str]:
    return {"server": deployment.server} if deployment.server else {"name": deployment.cluster}


def _sync_policy(settings: ArgoCD) -> dict[str, Any]:
    if not settings.auto_sync:
        return {}
    return {"syncPolicy": {"automated": {"prune": True, "selfHeal": True}}}
