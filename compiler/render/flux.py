"""Flux manifests: per region, a chart source and a HelmRelease. Pure: returns documents.

Every HelmRelease lives in the Flux namespace of the instance that applies
``generated/<env>/flux``; a region whose cluster has an API server URL is remote
and is reached through the kubeconfig Secret ``<cluster>-kubeconfig``. One
instance reconciles them all, so ``dependsOn`` can order the regions.
"""

from __future__ import annotations

import re
from typing import Any

from compiler.plan.model import Plan
from compiler.render.deployments import Deployment
from compiler.render.names import object_name, region_labels
from compiler.spec.models import Flux

SOURCE_API = "source.toolkit.fluxcd.io/v1"
HELM_API = "helm.toolkit.fluxcd.io/v2"
REMEDIATION_RETRIES = 3
_FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
_LIST_INDEX = re.compile(r"\.([0-9]+)(?=\.|$)")


def region_documents(plan: Plan, deployment: Deployment) -> list[dict[str, Any]]:
    """The chart source and the HelmRelease of one region, in that order."""
    return [chart_source(plan, deployment), helm_release(plan, deployment)]


def chart_source(plan: Plan, deployment: Deployment) -> dict[str, Any]:
    """A HelmRepository (``type: oci`` for OCI registries), or a GitRepository for a chart kept in git."""
    settings = plan.env.gitops.flux
    chart = deployment.chart
    if chart.path is not None:
        kind, spec = "GitRepository", _git_spec(plan, settings)
    else:
        assert chart.repository is not None
        kind, spec = "HelmRepository", {"url": chart.repository, "interval": settings.interval}
        if chart.repository.startswith("oci://"):
            spec["type"] = "oci"
    return {
        "apiVersion": SOURCE_API,
        "kind": kind,
        "metadata": _metadata(plan, deployment),
        "spec": spec,
    }


def helm_release(plan: Plan, deployment: Deployment) -> dict[str, Any]:
    """The HelmRelease of one region.

    ``storageNamespace`` is the release namespace so that Flux and ``upgrade.sh``
    (``helm upgrade --install -n <namespace>``) act on one and the same helm release.
    """
    settings = plan.env.gitops.flux
    spec: dict[str, Any] = {
        "interval": settings.interval,
        "releaseName": deployment.release,
        "targetNamespace": deployment.namespace,
        "storageNamespace": deployment.namespace,
        "chart": {"spec": _chart_spec(plan, deployment)},
        "values": deployment.values,
        "install": {"remediation": {"retries": REMEDIATION_RETRIES}},
        "upgrade": {"remediation": {"retries": REMEDIATION_RETRIES, "strategy": "rollback"}},
        "rollback": {"cleanupOnFail": True},
    }
    if deployment.secret_paths:
        spec["valuesFrom"] = _values_from(plan, deployment)
    if deployment.server:
        spec["kubeConfig"] = {"secretRef": {"name": kubeconfig_secret(deployment.cluster)}}
    if deployment.depends_on:
        spec["dependsOn"] = [{"name": deployment.depends_on, "namespace": settings.namespace}]
    return {"apiVersion": HELM_API, "kind": "HelmRelease", "metadata": _metadata(plan, deployment), "spec": spec}


def kubeconfig_secret(cluster: str) -> str:
    """The Secret, in the Flux namespace, holding the kubeconfig of a remote cluster (key ``value``)."""
    return object_name(cluster, "kubeconfig")


def values_secret(plan: Plan) -> str:
    """The Secret, in the Flux namespace, whose keys are the secret values paths."""
    return plan.env.gitops.flux.secret_name or object_name(plan.env.release, "values")


def _chart_spec(plan: Plan, deployment: Deployment) -> dict[str, Any]:
    settings = plan.env.gitops.flux
    chart = deployment.chart
    source_ref = {"name": deployment.name, "namespace": settings.namespace}
    if chart.path is not None:
        # Revision: rebuild the chart on every commit, not only when Chart.yaml's version moves.
        return {
            "chart": chart.path,
            "reconcileStrategy": "Revision",
            "sourceRef": {"kind": "GitRepository"} | source_ref,
        }
    source_ref = {"kind": "HelmRepository"} | source_ref
    return {"chart": chart.name, "version": deployment.chart_version, "sourceRef": source_ref}


def _values_from(plan: Plan, deployment: Deployment) -> list[dict[str, Any]]:
    name = values_secret(plan)
    return [
        {"kind": "Secret", "name": name, "valuesKey": path, "targetPath": _target_path(path)}
        for path in deployment.secret_paths
    ]


def _target_path(path: str) -> str:
    """Helm's --set syntax for a values path: a list item is `[index]` (`env[0].value`)."""
    return _LIST_INDEX.sub(r"[\1]", path)


def _git_spec(plan: Plan, settings: Flux) -> dict[str, Any]:
    """This repository, at the revision the Argo CD settings name (the one setting of where the repo lives)."""
    return {"url": plan.env.gitops.argocd.repo_url, "interval": settings.interval, "ref": _git_ref(plan)}


def _git_ref(plan: Plan) -> dict[str, str]:
    # Flux defaults to the branch `master`; name HEAD explicitly to follow the default branch.
    revision = plan.env.gitops.argocd.revision
    if revision == "HEAD" or revision.startswith("refs/"):
        return {"name": revision}
    if _FULL_SHA.match(revision):
        return {"commit": revision}
    return {"branch": revision}


def _metadata(plan: Plan, deployment: Deployment) -> dict[str, Any]:
    return {
        "name": deployment.name,
        "namespace": plan.env.gitops.flux.namespace,
        "labels": region_labels(plan.environment, deployment.region, deployment.primary, deployment.wave),
    }
