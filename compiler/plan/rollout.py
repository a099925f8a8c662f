"""The order environments roll out in: each after every environment it `needs` or whose component it uses.

:func:`waits_for` is what one environment waits for, with the regions of those
environments on its own clusters (Flux can wait on their releases there).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from compiler.spec.needs import find_cycles
from compiler.spec.provides import same_cluster

if TYPE_CHECKING:
    from compiler.spec.load import LoadedEnvironment, Specs

Needs = Mapping[str, Sequence[str]]


def rollout_order(needs: Needs) -> list[str]:
    """A topological order of ``needs``' keys, ties by name, so the same graph always gives the same order.

    Names that are not keys are ignored (loading refuses them before a plan is
    made), and so are self-references. Raises ValueError on a cycle.
    """
    waiting = {env: {n for n in wanted if n in needs and n != env} for env, wanted in needs.items()}
    order: list[str] = []
    while waiting:
        ready = sorted(env for env, wanted in waiting.items() if not wanted)
        if not ready:
            raise ValueError("needs form a cycle: " + " → ".join(find_cycles(needs)[0]))
        first = ready[0]
        order.append(first)
        del waiting[first]
        for wanted in waiting.values():
            wanted.discard(first)
    return order


@dataclass(frozen=True)
class Peer:
    """A region of an environment waited for, on the same cluster as one of ours: its release can be waited on."""

    region: str
    env: str
    their_region: str
    cluster: str
    release: str
    flux_namespace: str
    flux: bool
    """The environment waited for writes Flux manifests, so its HelmRelease exists to depend on."""


@dataclass(frozen=True)
class Wait:
    """An environment this one rolls out after: named in ``needs`` (``reason`` empty) or implied by `provides`."""

    env: str
    reason: str
    peers: tuple[Peer, ...]


def waits_for(name: str, specs: Specs) -> tuple[Wait, ...]:
    """What ``name`` waits for: its needs, then the providers it consumes (spec/provides.py), by name."""
    every = specs.every_environment()
    env = every[name]
    reasons = {wanted: "" for wanted in env.spec.needs}
    removals = set()
    for link in specs.links.implicit.get(name, ()):
        reasons.setdefault(link.provider, link.reason)
        if link.removal and link.provider not in env.spec.needs:
            removals.add(link.provider)  # the consumer's regions there go: no release of theirs to wait on
    return tuple(
        Wait(other, reason, _peers(env, every[other]) if other in every and other not in removals else ())
        for other, reason in sorted(reasons.items())
    )


def _peers(ours: LoadedEnvironment, theirs: LoadedEnvironment) -> tuple[Peer, ...]:
    """Per region of ours present after the rollout, the region of theirs present after it on the same cluster."""
    flux = "flux" in theirs.spec.gitops.controllers
    namespace = theirs.spec.gitops.flux.namespace
    present = [r for r in theirs.regions if r.state == "present"]
    peers = []
    for region in (r for r in ours.regions if r.state == "present"):
        match = next((r for r in present if same_cluster(r.cluster, region.cluster)), None)
        if match is not None:
            peers.append(
                Peer(region.name, theirs.name, match.name, region.cluster.name, theirs.spec.release, namespace, flux)
            )
    return tuple(peers)


@dataclass(frozen=True)
class Consumer:
    """A region of another environment that uses a component this one provides, and what it requires of it."""

    env: str
    region: str
    component: str
    requires: str
    version: str
    """The version this environment will provide there (it satisfies ``requires``: loading checked it)."""


def consumers_of(name: str, specs: Specs) -> tuple[Consumer, ...]:
    """Every region of another environment that uses what ``name`` provides, by environment and region."""
    return tuple(
        Consumer(env, region, supply.component, supply.requires, supply.version)
        for env, regions in sorted(specs.links.supplied.items())
        for region, supplies in sorted(regions.items())
        for supply in supplies.values()
        if supply.provider == name
    )
