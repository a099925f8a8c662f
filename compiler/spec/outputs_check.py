"""Checks of what the GitOps manifests are written from: the target side's settings only.

The base (deployed) side is read for its state; these checks do not apply to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from compiler.errors import Problem

if TYPE_CHECKING:
    from compiler.spec.load import LoadedEnvironment


def gitops_problems(loaded: LoadedEnvironment) -> list[Problem]:
    """What the controllers need: where this repository lives, and one cluster per region."""
    problems: list[Problem] = []
    _check_repo_url(problems, loaded)
    _check_clusters(problems, loaded)
    return problems


def _check_repo_url(problems: list[Problem], loaded: LoadedEnvironment) -> None:
    spec = loaded.spec
    reasons = {
        "Argo CD output is written (gitops.controllers)": "argocd" in spec.gitops.controllers,
        "the chart is kept in git (chart.path)": spec.chart.path is not None,
    }
    needed = [why for why, applies in reasons.items() if applies]
    if needed and spec.gitops.argocd.repo_url is None:
        where = loaded.locate(loaded.spec_file, ("gitops", "argocd", "repo_url"))  # or its nearest parent
        message = f"required key is missing: {' and '.join(needed)}; expected the URL this repository is cloned from"
        problems.append(Problem(where, "gitops.argocd.repo_url", message))


def _check_clusters(problems: list[Problem], loaded: LoadedEnvironment) -> None:
    """Two regions on one cluster would share the release and namespace: each controller would fight the other.

    A region being removed counts too: its uninstall would delete the release the other region runs.
    """
    seen: dict[str, str] = {}
    for region in loaded.regions:
        for key_path, key in (("cluster.name", region.cluster.name), ("cluster.server", region.cluster.server)):
            first = seen.setdefault(key, region.name) if key is not None else region.name
            if first == region.name:
                continue
            where = loaded.locate(loaded.region_files[region.name], key_path.split("."))
            release = f"release {loaded.spec.release!r} in namespace {loaded.spec.namespace!r}"
            message = f"region {first!r} runs on cluster {key!r} too, with the same {release}; expected its own cluster"
            problems.append(Problem(where, key_path, message))
    _check_contexts(problems, loaded)


def _check_contexts(problems: list[Problem], loaded: LoadedEnvironment) -> None:
    """Every command names its kube context: two regions on one context would act on one release.

    Uninstalling one of them would then remove the release the other runs.
    """
    seen: dict[str, str] = {}
    for region in loaded.regions:
        first = seen.setdefault(region.cluster.context, region.name)
        if first == region.name:
            continue
        where = loaded.locate(loaded.region_files[region.name], ("cluster", "context"))
        message = (
            f"region {first!r} uses kube context {region.cluster.context!r} too, so every helm and kubectl command "
            f"of both would act on one release {loaded.spec.release!r} in namespace {loaded.spec.namespace!r}; "
            "expected a context of its own"
        )
        problems.append(Problem(where, "cluster.context", message))
