"""The whole environment on one side (base or target): what the safety rules reason about.

The planner reasons region by region; some facts only exist across regions:
where the primary is, which releases run side by side, and which schema
epoch the shared database is in. An irreversible migration starts a new
epoch, and a release from before it cannot read the database any more.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from compiler.errors import Location
from compiler.plan.model import RegionState, Release
from compiler.spec.load import LoadedEnvironment
from compiler.spec.models import ReleaseNote


@dataclass(frozen=True)
class Epochs:
    """Schema epochs of a service's releases, from its release notes ordered by date.

    Epoch 0 is the schema before any irreversible migration the notes know of;
    every irreversible migration starts the next one.
    """

    order: tuple[str, ...]
    migrations: tuple[str, ...]
    """Versions whose database migration is irreversible, oldest first."""

    @classmethod
    def of(cls, notes: Mapping[str, ReleaseNote]) -> Epochs:
        ordered = sorted(notes.values(), key=lambda note: (note.released, note.version))
        migrations = tuple(n.version for n in ordered if n.database_migration == "irreversible")
        return cls(tuple(n.version for n in ordered), migrations)

    def epoch(self, version: str) -> int:
        """The epoch a release runs in: how many irreversible migrations it includes."""
        if version not in self.order:
            return 0
        position = self.order.index(version)
        return sum(1 for m in self.migrations if self.order.index(m) <= position)

    def started_by(self, epoch: int) -> str | None:
        """The release whose migration starts ``epoch`` (None for epoch 0)."""
        return self.migrations[epoch - 1] if 0 < epoch <= len(self.migrations) else None

    def older(self, version: str, than: str) -> bool:
        """Whether ``version`` was released before ``than`` (unknown versions are never older)."""
        if version not in self.order or than not in self.order:
            return False
        return self.order.index(version) < self.order.index(than)


@dataclass(frozen=True)
class RegionFacts:
    """One region as the environment sees it. ``pin_at`` is where its pin is written, when it has one."""

    name: str
    primary: bool
    release: Release
    replicas: int
    epoch: int
    file: str
    pin_at: Location | None


@dataclass(frozen=True)
class EnvState:
    """One side of an environment: its deployed regions, its region files, and the database epoch.

    ``regions`` holds the regions that run (``state: present``); ``files`` every
    region file, absent regions included. ``epoch`` is the highest epoch a
    running release has brought the shared database to (0 with no region).
    """

    name: str
    regions: Mapping[str, RegionFacts]
    files: Mapping[str, str]
    absent: frozenset[str]
    declared_at: Mapping[str, Location]
    """Where each region file declares its region: its ``state`` when it has one, else its ``name``."""
    epoch: int
    version_at: Location
    """Where the environment's ``version`` is written."""
    flagged: frozenset[str] = frozenset()
    """Regions whose file says ``primary: true``, absent ones included."""

    @property
    def primaries(self) -> tuple[str, ...]:
        return tuple(sorted(name for name, facts in self.regions.items() if facts.primary))

    @property
    def primary(self) -> str | None:
        """The one running primary region, or None when there is none (or more than one)."""
        found = self.primaries
        return found[0] if len(found) == 1 else None

    def holder_at(self, name: str) -> Location:
        """What keeps region ``name`` on its release: its pin line, else the environment's version."""
        facts = self.regions[name]
        return facts.pin_at or self.version_at


def env_state(loaded: LoadedEnvironment, states: Mapping[str, RegionState], epochs: Epochs) -> EnvState:
    """The state model of one side, from its loaded specs and resolved region states."""
    regions = {name: _facts(loaded, state, epochs) for name, state in sorted(states.items())}
    return EnvState(
        name=loaded.name,
        regions=regions,
        files=dict(loaded.region_files),
        absent=frozenset(r.name for r in loaded.regions if r.state == "absent"),
        declared_at={name: _declared(loaded, file) for name, file in sorted(loaded.region_files.items())},
        epoch=max((f.epoch for f in regions.values()), default=0),
        version_at=loaded.locate(loaded.spec_file, ["version"]),
        flagged=frozenset(r.name for r in loaded.regions if r.primary),
    )


def _declared(loaded: LoadedEnvironment, file: str) -> Location:
    doc = loaded.documents.get(file)
    has_state = doc is not None and isinstance(doc.data, dict) and "state" in doc.data
    return loaded.locate(file, ["state"] if has_state else ["name"])


def _facts(loaded: LoadedEnvironment, state: RegionState, epochs: Epochs) -> RegionFacts:
    region = state.region
    file = loaded.region_files[region.name]
    return RegionFacts(
        name=region.name,
        primary=region.primary,
        release=state.release,
        replicas=region.replicas,
        epoch=epochs.epoch(state.release.version),
        file=file,
        pin_at=loaded.locate(file, ["pin", "version"]) if region.pin is not None else None,
    )
