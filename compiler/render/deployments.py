"""What a GitOps controller deploys per region, for the target state or the base state.

Argo CD and Flux manifests are both built from :class:`Deployment`, so that the
forward manifests (target state) and the rollback manifests (base state) come out
of one function each, and an unchanged region yields the very same objects.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any

from compiler.errors import InputError
from compiler.plan.model import Plan, RegionChange, RegionState
from compiler.render.names import region_object_name
from compiler.resolve.secrets import strip_redacted
from compiler.spec.models import Chart

# File names the renderers use beside the per-region files `<region>.yaml`.
RESERVED_FILE_STEMS = ("parent", "kustomization", "applicationset", "sources")


@dataclass(frozen=True)
class Deployment:
    """One region's release as a controller should hold it. ``values`` carry no secret."""

    name: str
    region: str
    primary: bool
    wave: int
    cluster: str
    server: str | None
    release: str
    namespace: str
    chart: Chart
    chart_version: str
    values: dict[str, Any]
    secret_paths: tuple[str, ...]
    depends_on: str | None
    migrations: tuple[str, ...] = ()
    """Releases the region's change passes through that migrate the database, either way."""
    after: tuple[tuple[str, str], ...] = ()
    """(name, namespace) of the HelmReleases of other environments on this region's cluster that it waits for."""


def forward_deployments(plan: Plan) -> tuple[Deployment, ...]:
    """The target state of every region that is present after the plan, in rollout order."""
    sides = [(c, c.target) for c in plan.regions if _present(c.target) and c.change != "uninstall"]
    return _deployments(plan, sides, waits=True)


def staged_deployments(plan: Plan, promoted: Collection[str]) -> tuple[Deployment, ...]:
    """Regions in ``promoted`` at their target state, every other changed region still at its base.

    An unchanged region is the same on both sides; a region being installed appears
    once promoted, a region being removed disappears once promoted.
    """
    sides: list[tuple[RegionChange, RegionState | None]] = []
    for change in plan.regions:
        moved = change.name in promoted or change.change == "noop"
        state = change.target if moved else change.base
        if _present(state) and not (moved and change.change == "uninstall"):
            sides.append((change, state))
    return _deployments(plan, sides, waits=True)


def rollback_deployments(plan: Plan) -> tuple[Deployment, ...]:
    """The base state of every region deployed before the plan (uninstalled ones included).

    They wait for no other environment: the rollback goes the other way (consumers
    first), and a release installed by the plan of an environment waited for is
    gone once that environment rolled back, which would hold this one forever.
    """
    return _deployments(plan, [(c, c.base) for c in plan.regions if _present(c.base)])


def _present(state: RegionState | None) -> bool:
    return state is not None and state.region.state == "present"


def _deployments(
    plan: Plan, sides: list[tuple[RegionChange, RegionState | None]], *, waits: bool = False
) -> tuple[Deployment, ...]:
    anchors = _anchors(plan)
    out: list[Deployment] = []
    for change, state in sorted(sides, key=lambda side: side[0].wave):
        assert state is not None
        _check_file_stem(plan, change.name)
        earlier = [d.region for d in out]
        found = _deployment(plan, change, state, _dependency(earlier, anchors))
        out.append(replace(found, after=_waited_on(plan, change.name)) if waits else found)
    return tuple(out)


def _waited_on(plan: Plan, region: str) -> tuple[tuple[str, str], ...]:
    """The HelmReleases, on this region's cluster, of the environments the plan waits for (plan/rollout.py)."""
    peers = (p for wait in plan.waits for p in wait.peers if p.region == region and p.flux)
    return tuple((region_object_name(p.release, p.env, p.their_region), p.flux_namespace) for p in peers)


def _anchors(plan: Plan) -> frozenset[str]:
    """Regions deployed both before and after the plan.

    Ordering hangs on them first: an unchanged region must depend on the same
    release in the forward and in the rollback manifests, so that its objects are
    identical on both sides; a region being installed or removed exists on one side only.
    """
    return frozenset(
        c.name for c in plan.regions if _present(c.base) and _present(c.target) and c.change != "uninstall"
    )


def _dependency(earlier: list[str], anchors: frozenset[str]) -> str | None:
    """The region a region waits for: the nearest earlier anchor, else the nearest earlier region."""
    for region in reversed(earlier):
        if region in anchors:
            return region
    return earlier[-1] if earlier else None


def _deployment(plan: Plan, change: RegionChange, state: RegionState, depends_on: str | None) -> Deployment:
    release = plan.env.release
    return Deployment(
        name=region_object_name(release, plan.environment, change.name),
        region=change.name,
        primary=change.primary,
        wave=change.wave,
        cluster=state.region.cluster.name,
        server=state.region.cluster.server,
        release=state.release_name,
        namespace=state.namespace,
        chart=state.env.chart,
        chart_version=state.release.chart_version,
        values=_unshared(strip_redacted(state.values)),
        secret_paths=state.secret_paths,
        depends_on=region_object_name(release, plan.environment, depends_on) if depends_on else None,
        migrations=change.migrations,
    )


def _unshared(value: Any) -> Any:
    """A copy that shares no list or mapping with anything else.

    A YAML dumper writes an object it meets twice as an anchor and an alias; values
    merged from shared files may hold the same list in several regions.
    """
    if isinstance(value, dict):
        return {key: _unshared(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_unshared(item) for item in value]
    return value


def _check_file_stem(plan: Plan, region: str) -> None:
    if region in RESERVED_FILE_STEMS:
        raise InputError.single(
            file=f"environments/{plan.environment}/regions/{region}.yaml",
            path="name",
            message=f"region name {region!r} is reserved for generated files; "
            f"use a name other than {', '.join(RESERVED_FILE_STEMS)}",
        )
