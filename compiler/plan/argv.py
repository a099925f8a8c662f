"""The helm and kubectl command lines a plan runs, as argv lists.

Every command names its cluster and namespace explicitly (C-9a), and uses
only flags that helm 3.12+ and helm 4 both accept.
"""

from __future__ import annotations

from compiler.plan.model import RegionState


def chart_args(state: RegionState) -> tuple[str, ...]:
    """The chart reference and version flags for ``helm upgrade --install``."""
    chart = state.env.chart
    version = ("--version", state.release.chart_version)
    if chart.path is not None:
        return (chart.path,)
    assert chart.repository is not None
    if chart.repository.startswith("oci://"):
        return (f"{chart.repository.rstrip('/')}/{chart.name}", *version)
    return (chart.name, "--repo", chart.repository, *version)


def helm_target(state: RegionState) -> tuple[str, ...]:
    return ("--kube-context", state.context, "-n", state.namespace)


def kubectl_target(state: RegionState) -> tuple[str, ...]:
    return ("--context", state.context, "-n", state.namespace)


def helm_upgrade(
    state: RegionState,
    values_file: str,
    *,
    timeout: int,
    sets: tuple[tuple[str, str], ...] = (),
    secrets_file: str | None = None,
) -> tuple[str, ...]:
    """``helm upgrade --install`` of ``state``'s release with its values file, the secrets file last, and ``--set``s."""
    set_args: list[str] = []
    for path, value in sets:
        set_args += ["--set", f"{path}={value}"]
    secrets = ("-f", secrets_file) if secrets_file else ()
    return (
        "helm", "upgrade", "--install", state.release_name, *chart_args(state),
        *helm_target(state), "-f", values_file, *secrets, *set_args, "--timeout", f"{timeout}s",
    )  # fmt: skip


def helm_history(state: RegionState) -> tuple[str, ...]:
    return ("helm", "history", state.release_name, *helm_target(state), "--max", "5")


def helm_rollback(state: RegionState) -> tuple[str, ...]:
    """Roll the release back to the revision before the current one."""
    return ("helm", "rollback", state.release_name, *helm_target(state))


def helm_uninstall(state: RegionState) -> tuple[str, ...]:
    return ("helm", "uninstall", state.release_name, *helm_target(state))


def can_install(state: RegionState, resource: str) -> tuple[str, ...]:
    """May the region's context create ``resource`` (plural, e.g. ``deployments``) in its namespace?"""
    return ("kubectl", *kubectl_target(state), "auth", "can-i", "create", resource)


def rollout_status(state: RegionState, workload: str, timeout: int) -> tuple[str, ...]:
    """Wait for the rollout of ``workload`` (``kind/name``)."""
    return ("kubectl", *kubectl_target(state), "rollout", "status", workload, f"--timeout={timeout}s")


def scale(state: RegionState, workload: str, replicas: int) -> tuple[str, ...]:
    return ("kubectl", *kubectl_target(state), "scale", workload, f"--replicas={replicas}")


def wait_deleted(state: RegionState, target: str, timeout: int) -> tuple[str, ...]:
    """Wait until ``target`` (``kind/name``) is deleted."""
    return ("kubectl", *kubectl_target(state), "wait", "--for=delete", target, f"--timeout={timeout}s")


def sleep(seconds: int) -> tuple[str, ...]:
    return ("sleep", str(seconds))


def helm_get(state: RegionState, what: str) -> tuple[str, ...]:
    """``helm get metadata|values`` of ``state``'s release as JSON: what the live checks read."""
    return ("helm", "get", what, state.release_name, *helm_target(state), "-o", "json")


def workload_replicas(state: RegionState, workload: str) -> tuple[str, ...]:
    """``kubectl get`` of the replica count ``workload`` runs at: what a stop with ``kubectl scale`` changed."""
    return ("kubectl", *kubectl_target(state), "get", workload, "-o", "jsonpath={.spec.replicas}")


def live_check(
    state: RegionState,
    region: str,
    mode: str,
    base: str,
    target: str,
    secrets: tuple[tuple[str, ...], tuple[str, ...]],
    workload: str,
) -> tuple[str, ...]:
    """``rollplan preflight``: compare the live release with the fingerprint tokens ``base`` and ``target``.

    The helm queries and the replica query it runs follow ``--``, so that they are in the plan like
    every other command.
    """
    paths, words = secrets
    path_args = [word for path in paths for word in ("--secret-path", path)]
    return (
        "rollplan", "preflight", "--region", region, "--mode", mode, "--base", base, "--target", target,
        "--secret-words", ",".join(words), *path_args,
        "--", *helm_get(state, "metadata"), "--", *helm_get(state, "values"),
        "--", *workload_replicas(state, workload),
    )  # fmt: skip
