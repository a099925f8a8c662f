"""Third-party first: environments that provide a component to the others on their clusters (`provides:`).

An environment that lists ``provides: [redis]`` runs Redis for every other
environment on the clusters of its regions; the version it provides in a region
is the release it runs there after the rollout (``version``, or the region's pin).
A region of another environment whose release note requires that component,
on the same cluster, is a consumer of it:

- its prerequisite is checked against the provider's target version, and a
  provider that will not satisfy it is refused, naming both files;
- its environment gets an implicit need of the provider (the provider rolls out
  first, and is rolled back last);
- a provider region being removed while a consumer region on its cluster stays is
  refused; one removed together with the consumer's region goes after it.

Two regions are on the same cluster when they name the same cluster, the same
kube context or the same API server. Pure: reads loaded specs, returns data.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from compiler.errors import Location, Problem
from compiler.spec.models import Cluster, RegionSpec, ReleaseNote

if TYPE_CHECKING:
    from compiler.spec.load import LoadedEnvironment

Notes = Mapping[str, Mapping[str, ReleaseNote]]


@dataclass(frozen=True)
class Provision:
    """One region of a providing environment: what it will run there after the rollout."""

    env: str
    region: RegionSpec
    component: str
    version: str
    where: Location
    """The provides entry of the environment."""
    version_at: Location
    """Where the version is written: the environment's `version`, or the region's `pin.version`."""
    state_at: Location
    """The region's `state` (or the top of its file)."""

    @property
    def present(self) -> bool:
        return self.region.state == "present"


@dataclass(frozen=True)
class Link:
    """An implicit need: ``consumer`` rolls out after ``provider``, for ``reason``."""

    consumer: str
    provider: str
    reason: str
    where: Location
    removal: bool = False
    """A provider waiting for a consumer removed with it: no release of the one is left to wait on."""


@dataclass(frozen=True)
class Supply:
    """A component that a region's installed version comes from another environment's target."""

    component: str
    provider: str
    provider_region: str
    version: str
    requires: str
    """The requirement checked against ``version``, from the consumer's release note."""


@dataclass(frozen=True)
class Links:
    """What the provides of a repository imply for each environment."""

    implicit: Mapping[str, tuple[Link, ...]] = field(default_factory=dict)
    """By consumer: the environments it waits for without naming them in `needs`."""
    supplied: Mapping[str, Mapping[str, Mapping[str, Supply]]] = field(default_factory=dict)
    """By environment, region and component: where the version its prerequisite is checked against comes from."""

    def needs(self, env: str) -> list[str]:
        return sorted({link.provider for link in self.implicit.get(env, ())})


def same_cluster(a: Cluster, b: Cluster) -> bool:
    """The same cluster: by name, kube context, or API server."""
    return a.name == b.name or a.context == b.context or (a.server is not None and a.server == b.server)


def note_file(service: str, version: str) -> str:
    return f"release-notes/{service}/{version}.yaml"


def provides_links(environments: Mapping[str, LoadedEnvironment], notes: Notes) -> tuple[list[Problem], Links]:
    """The problems of every ``provides`` of ``environments``, and the links they imply."""
    problems = _duplicate_entries(environments)
    provisions = _provisions(environments)
    if not provisions:
        return problems, Links()  # nothing provided: no region to match
    problems += _conflicts(environments, provisions)
    found = _Found()
    for name, env in sorted(environments.items()):
        for region in env.regions:
            for component, spec in _requires(env, region, notes):
                matches = [p for p in provisions.get(component, []) if p.env != name and same_cluster(
                    p.region.cluster, region.cluster)]  # fmt: skip
                if matches:
                    _consume(found, env, region, component, spec, matches)
    problems += found.problems
    implicit: dict[str, tuple[Link, ...]] = {}
    for link in found.links:
        known = implicit.get(link.consumer, ())
        if all(k.provider != link.provider for k in known):
            implicit[link.consumer] = (*known, link)
    return problems, Links(implicit, found.supplied)


@dataclass
class _Found:
    problems: list[Problem] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    supplied: dict[str, dict[str, dict[str, Supply]]] = field(default_factory=dict)


def _consume(
    found: _Found, env: LoadedEnvironment, region: RegionSpec, component: str, spec: str, matches: list[Provision]
) -> None:
    """The links and checks of one consumer region that requires ``component`` on a cluster a provider covers."""
    consumer = f"region {region.name} of {env.name} ({env.region_files[region.name]})"
    present = sorted((p for p in matches if p.present), key=lambda p: p.env)
    if region.state == "absent":
        for gone in (p for p in matches if not p.present):
            reason = (f"{env.name}'s region {region.name} is removed on cluster {region.cluster.name} where {gone.env} "
                      f"removes its {component}: the consumer goes first")  # fmt: skip
            found.links.append(Link(gone.env, env.name, reason, gone.where, removal=True))
        return
    if not present:
        for gone in matches:
            message = (
                f"region {gone.region.name} of {gone.env} is removed while {consumer} on the same cluster "
                f"{region.cluster.name} still requires {component} {spec}; remove or move that region first, or "
                f"keep {component} there (a region whose uninstall is done already: delete its file) "
                "(rule: third-party-provider)"
            )
            found.problems.append(Problem(gone.state_at, "state", message))
        return
    if len({p.env for p in present}) > 1:
        return  # two providers on one cluster: refused as such (_conflicts), neither is the one to check
    provider = present[0]
    found.supplied.setdefault(env.name, {}).setdefault(region.name, {})[component] = Supply(
        component, provider.env, provider.region.name, provider.version, spec
    )
    version_of = note_file(env.spec.service, _version(region, env))
    reason = (f"{provider.env} provides {component} on cluster {region.cluster.name}; {version_of} requires "
              f"{component} {spec}")  # fmt: skip
    found.links.append(Link(env.name, provider.env, reason, provider.where))
    problem = _unsatisfied(provider, consumer, version_of, component, spec)
    if problem is not None:
        found.problems.append(problem)


def _unsatisfied(provider: Provision, consumer: str, note: str, component: str, spec: str) -> Problem | None:
    field_path = "pin.version" if provider.region.pin is not None else "version"
    try:
        ok = SpecifierSet(spec).contains(Version(provider.version), prereleases=True)
    except InvalidVersion:
        message = (
            f"{provider.env} provides {component} at {provider.version!r}, which is not a version number, and "
            f"{consumer} requires {component} {spec} ({note}); expected the component's version "
            "(rule: third-party-provider)"
        )
        return Problem(provider.version_at, field_path, message)
    if ok:
        return None
    message = (
        f"{provider.env} will provide {component} {provider.version} in region {provider.region.name}, and "
        f"{consumer} requires {component} {spec} ({note}); expected a version matching {spec} "
        f"(rule: third-party-prerequisite)"
    )
    return Problem(provider.version_at, field_path, message)


def _version(region: RegionSpec, env: LoadedEnvironment) -> str:
    return region.pin.version if region.pin is not None else env.spec.version


def _requires(env: LoadedEnvironment, region: RegionSpec, notes: Notes) -> Iterator[tuple[str, str]]:
    note = notes.get(env.spec.service, {}).get(_version(region, env))
    if note is not None:
        yield from sorted(note.requires.items())


def _provisions(environments: Mapping[str, LoadedEnvironment]) -> dict[str, list[Provision]]:
    out: dict[str, list[Provision]] = {}
    for name, env in sorted(environments.items()):
        for index, component in enumerate(dict.fromkeys(env.spec.provides)):
            where = env.locate(env.spec_file, ("provides", index))
            for region in env.regions:
                pinned = region.pin is not None
                at = env.locate(env.region_files[region.name], ("pin", "version")) if pinned else env.locate(
                    env.spec_file, ("version",))  # fmt: skip
                state_at = env.locate(env.region_files[region.name], ("state",))
                out.setdefault(component, []).append(
                    Provision(name, region, component, _version(region, env), where, at, state_at)
                )
    return out


def _duplicate_entries(environments: Mapping[str, LoadedEnvironment]) -> list[Problem]:
    problems = []
    for env in environments.values():
        for index, component in enumerate(env.spec.provides):
            if component in env.spec.provides[:index]:
                where = env.locate(env.spec_file, ("provides", index))
                problems.append(Problem(where, f"provides.{index}", f"component {component!r} is listed twice"))
    return problems


def _conflicts(
    environments: Mapping[str, LoadedEnvironment], provisions: Mapping[str, list[Provision]]
) -> list[Problem]:
    """Two environments providing one component on one cluster: a consumer there could not tell whose it uses."""
    problems = []
    for component, found in sorted(provisions.items()):
        present = [p for p in found if p.present]
        for one in present:
            for other in present:
                if other.env != one.env and same_cluster(one.region.cluster, other.region.cluster):
                    other_file = environments[other.env].region_files[other.region.name]
                    index = environments[one.env].spec.provides.index(component)
                    message = (
                        f"{one.env} provides {component} on cluster {one.region.cluster.name} (region "
                        f"{one.region.name}), and so does {other.env} ({other_file}); expected one provider "
                        f"of {component} per cluster (rule: third-party-provider)"
                    )
                    problems.append(Problem(one.where, f"provides.{index}", message))
    return problems
