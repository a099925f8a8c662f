"""Flux manifests: the chart sources of an environment and one HelmRelease per region. Pure: returns documents.

Every object lives in the Flux namespace of the instance that applies
``generated/<env>/flux`` (a management cluster); each HelmRelease reaches its
region's cluster through the kubeconfig Secret ``<cluster>-kubeconfig``, so no
two regions can land on one cluster by accident. One instance reconciles them
all, so ``dependsOn`` can order the regions.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from compiler.plan.model import Plan
from compiler.render.deployments import Deployment
from compiler.render.names import base_labels, object_name, region_labels
from compiler.spec.models import Chart

SOURCE_API = "source.toolkit.fluxcd.io/v1"
HELM_API = "helm.toolkit.fluxcd.io/v2"
REMEDIATION_RETRIES = 3
# The layer of an OCI artifact that holds a Helm chart, kept as it is (Flux's own recipe for charts).
HELM_CHART_LAYER = {"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip", "operation": "copy"}
_FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
_LIST_INDEX = re.compile(r"(?<!\\)\.([0-9]+)(?=\.|$)")
_SECRET_KEY = re.compile(r"[-._a-zA-Z0-9]+")
"""What Kubernetes accepts as a key of a Secret's data."""
_SECRET_KEY_CHARS = 200


def chart_sources(plan: Plan, deployments: tuple[Deployment, ...]) -> list[dict[str, Any]]:
    """The chart sources the HelmReleases refer to, one per source (not per region), by name."""
    sources = {_source_name(plan, d.chart, d.chart_version): d for d in deployments}
    return [chart_source(plan, name, d.chart, d.chart_version) for name, d in sorted(sources.items())]


def chart_source(plan: Plan, name: str, chart: Chart, version: str) -> dict[str, Any]:
    """An OCIRepository (one chart version), a HelmRepository (https) or a GitRepository (a chart kept in git)."""
    settings = plan.env.gitops.flux
    spec: dict[str, Any] = {"interval": settings.interval}
    if chart.path is not None:
        kind, spec = "GitRepository", spec | _git_spec(plan)
        secret = settings.git_secret_ref
    else:
        assert chart.repository is not None
        kind = "OCIRepository" if _is_oci(chart) else "HelmRepository"
        spec["url"] = f"{chart.repository.rstrip('/')}/{chart.name}" if _is_oci(chart) else chart.repository
        if _is_oci(chart):
            spec |= {"ref": {"tag": oci_tag(version)}, "layerSelector": dict(HELM_CHART_LAYER)}
        secret = settings.secret_ref
    if secret is not None:
        spec["secretRef"] = {"name": secret}
    metadata = {"name": name, "namespace": settings.namespace, "labels": base_labels(plan.environment)}
    return {"apiVersion": SOURCE_API, "kind": kind, "metadata": metadata, "spec": spec}


def helm_release(plan: Plan, deployment: Deployment) -> dict[str, Any]:
    """The HelmRelease of one region.

    ``storageNamespace`` is the release namespace so that Flux and ``upgrade.sh``
    (``helm upgrade --install -n <namespace>``) act on one and the same helm release.
    ``timeout`` is the rollout's verify timeout: the time the scripts give a region too.
    ``dependsOn`` holds the region before it and, in the forward manifests, the releases on
    the same cluster of the environments the plan waits for (render/waits.py says where).
    """
    settings = plan.env.gitops.flux
    spec: dict[str, Any] = {
        "interval": settings.interval,
        "timeout": f"{plan.env.rollout.verify_timeout}s",
        "releaseName": deployment.release,
        "targetNamespace": deployment.namespace,
        "storageNamespace": deployment.namespace,
        **_chart(plan, deployment),
        "values": deployment.values,
        **remediation(deployment),
        "kubeConfig": {"secretRef": {"name": kubeconfig_secret(deployment.cluster)}},
    }
    if deployment.secret_paths:
        spec["valuesFrom"] = _values_from(plan, deployment)
    after = [{"name": name, "namespace": namespace} for name, namespace in deployment.after]
    if deployment.depends_on:
        after.insert(0, {"name": deployment.depends_on, "namespace": settings.namespace})
    if after:
        spec["dependsOn"] = after
    return {"apiVersion": HELM_API, "kind": "HelmRelease", "metadata": _metadata(plan, deployment), "spec": spec}


def remediation(deployment: Deployment) -> dict[str, Any]:
    """What Flux does when an install or upgrade fails.

    A change through a release that migrates the database gets no automatic
    remediation: a rollback would run the old code on the migrated schema (and an
    uninstall would leave the schema migrated). Flux stops at the failure; the
    plan's rollback (which restores the backup first where needed) decides.
    """
    if deployment.migrations:
        manual = {"retries": 0, "remediateLastFailure": False}
        return {"install": {"remediation": manual}, "upgrade": {"remediation": dict(manual)}}
    return {
        "install": {"remediation": {"retries": REMEDIATION_RETRIES}},
        "upgrade": {"remediation": {"retries": REMEDIATION_RETRIES, "strategy": "rollback"}},
        "rollback": {"cleanupOnFail": True},
    }


def oci_tag(version: str) -> str:
    """The tag helm pushes a chart version under: OCI tags cannot hold '+', helm writes '_' instead."""
    return version.replace("+", "_")


def kubeconfig_secret(cluster: str) -> str:
    """The Secret, in the Flux namespace, holding the kubeconfig of a region's cluster (key ``value``)."""
    return object_name(cluster, "kubeconfig")


def values_key(path: str) -> str:
    """The key of the values Secret that holds the secret at values ``path``.

    The path itself where Kubernetes takes it as a Secret key and it names one
    place only. A path with other characters (``annotations.example.com/token``),
    or with a dot inside one of its keys (``conn\\.password``, which would read as
    ``conn.password`` nested), gets those replaced by ``_`` and a digest of the
    path after them: a key the Secret can hold, and never another path's.
    """
    if "\\" not in path and len(path) <= _SECRET_KEY_CHARS and _SECRET_KEY.fullmatch(path):
        return path
    plain = re.sub(r"[^-._a-zA-Z0-9]", "_", path.replace("\\.", "_"))[:_SECRET_KEY_CHARS]
    return f"{plain}-{_digest(path)}"


def values_secret(plan: Plan) -> str:
    """The Secret, in the Flux namespace, whose keys are the secret values paths."""
    return plan.env.gitops.flux.secret_name or object_name(plan.env.release, "values")


def _is_oci(chart: Chart) -> bool:
    return chart.repository is not None and chart.repository.startswith("oci://")


def _source_name(plan: Plan, chart: Chart, version: str) -> str:
    """One name per source: per repository URL, and per chart version for OCI (an OCIRepository holds one tag)."""
    release, env = plan.env.release, plan.environment
    if chart.path is not None:
        return object_name(release, env, "git", _digest(plan.env.gitops.argocd.repo_url or ""))
    assert chart.repository is not None
    if not _is_oci(chart):
        return object_name(release, env, chart.name, _digest(chart.repository))
    readable = object_name(release, env, chart.name, re.sub(r"[^a-z0-9-]", "-", version.lower()))
    return object_name(readable[:54].rstrip("-"), _digest(f"{chart.repository}\n{version}"))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def _chart(plan: Plan, deployment: Deployment) -> dict[str, Any]:
    chart = deployment.chart
    source_ref = {
        "name": _source_name(plan, chart, deployment.chart_version),
        "namespace": plan.env.gitops.flux.namespace,
    }
    if _is_oci(chart):
        return {"chartRef": {"kind": "OCIRepository"} | source_ref}
    if chart.path is not None:
        # Revision: rebuild the chart on every commit, not only when Chart.yaml's version moves.
        git_ref = {"kind": "GitRepository"} | source_ref
        return {"chart": {"spec": {"chart": chart.path, "reconcileStrategy": "Revision", "sourceRef": git_ref}}}
    helm_ref = {"kind": "HelmRepository"} | source_ref
    return {"chart": {"spec": {"chart": chart.name, "version": deployment.chart_version, "sourceRef": helm_ref}}}


def _values_from(plan: Plan, deployment: Deployment) -> list[dict[str, Any]]:
    name = values_secret(plan)
    return [
        {"kind": "Secret", "name": name, "valuesKey": values_key(path), "targetPath": _target_path(path)}
        for path in deployment.secret_paths
    ]


def _target_path(path: str) -> str:
    """Helm's --set syntax for a values path: a list item is `[index]` (`env[0].value`), a dot in a key `\\.`."""
    return _LIST_INDEX.sub(r"[\1]", path)


def _git_spec(plan: Plan) -> dict[str, Any]:
    """This repository, at the revision the Argo CD settings name (the one setting of where the repo lives)."""
    return {"url": plan.env.gitops.argocd.repo_url, "ref": _git_ref(plan)}


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
