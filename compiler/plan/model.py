"""The plan: what the planner produces and every renderer reads.

Plain frozen dataclasses: built once by the planner, never mutated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from compiler.live.fingerprint import Fingerprint
from compiler.plan.rollout import Consumer, Wait
from compiler.spec.models import EnvironmentSpec, RegionSpec, ReleaseNote

Phase = Literal[
    "preflight", "backup", "gate", "scale", "maintenance", "upgrade", "restart", "verify", "uninstall", "restore"
]
ChangeKind = Literal["install", "upgrade", "downgrade", "image-only", "config", "uninstall", "noop"]
DiffOp = Literal["added", "removed", "changed"]

FORMAT_VERSION = 1


@dataclass(frozen=True)
class Release:
    """What a region runs: the vendor version and the chart version and image tag it resolves to."""

    version: str
    chart_version: str
    image_tag: str

    def as_dict(self) -> dict[str, str]:
        return {"version": self.version, "chart_version": self.chart_version, "image_tag": self.image_tag}


@dataclass(frozen=True)
class RegionState:
    """One side (base or target) of one region, fully resolved.

    ``values`` is the effective values document, each secret leaf already a
    :class:`~compiler.resolve.secrets.Redacted`: what a file may hold is
    ``strip_redacted(values)``. ``secret_paths`` are the values paths a secret store
    supplies (the secrets file of the scripts, Flux's values Secret).
    ``values_files`` are the repo-relative files merged into it, in order.
    """

    env: EnvironmentSpec
    region: RegionSpec
    release: Release
    values: dict[str, Any]
    values_files: tuple[str, ...]
    secret_paths: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.region.name

    @property
    def context(self) -> str:
        return self.region.cluster.context

    @property
    def namespace(self) -> str:
        return self.env.namespace

    @property
    def release_name(self) -> str:
        return self.env.release


@dataclass(frozen=True)
class DiffEntry:
    """One changed values path. For a secret path ``old``/``new`` are never filled in."""

    path: str
    op: DiffOp
    old: Any = None
    new: Any = None
    secret: bool = False


@dataclass(frozen=True)
class RegionChange:
    """What happens to one region, base → target. ``wave`` is its 0-based rollout position."""

    name: str
    primary: bool
    change: ChangeKind
    wave: int
    base: RegionState | None
    target: RegionState | None
    diff: tuple[DiffEntry, ...] = ()
    risks: tuple[str, ...] = ()
    base_print: Fingerprint | None = None
    """What the base release looks like live (chart version, values hash); None for an install."""
    target_print: Fingerprint | None = None
    migrations: tuple[str, ...] = ()
    """Releases this change passes through that migrate the database (reversibly or not)."""

    @property
    def current(self) -> RegionState:
        """The target state, or the base for a region being removed."""
        state = self.target or self.base
        assert state is not None, "a region change has at least one side"
        return state


@dataclass(frozen=True)
class PrimaryMove:
    """The primary region changes from ``source`` to ``destination`` in this plan."""

    source: str
    destination: str

    def as_dict(self) -> dict[str, str]:
        return {"from": self.source, "to": self.destination}


@dataclass(frozen=True)
class Step:
    """One plan step. ``argv`` is None for a manual step; ``pause`` asks for confirmation before it runs.

    ``guards_data`` marks a step that protects data (a manual backup, a restore, Redis
    maintenance, a data-loss confirmation): `--yes` never confirms it, only an answer
    or an explicit `--confirm <id>` does.
    """

    id: str
    phase: Phase
    region: str | None
    argv: tuple[str, ...] | None
    description: str
    risk: str | None = None
    pause: bool = False
    guards_data: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "phase": self.phase,
            "region": self.region,
            "argv": list(self.argv) if self.argv is not None else None,
            "description": self.description,
            "risk": self.risk,
            "pause": self.pause,
            "guards_data": self.guards_data,
        }


@dataclass(frozen=True)
class FastRollback:
    """One region's ``helm rollback`` to its previous revision: the fast path when only the release changed."""

    region: str
    argv: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """The whole plan of one environment.

    ``regions`` are in rollout order (primary first). ``steps`` is the forward
    plan, ``uninstall`` removes absent regions (primary last), ``rollback``
    undoes both, in execution order.
    """

    environment: str
    service: str
    fingerprint: str
    env: EnvironmentSpec
    base_env: EnvironmentSpec | None
    regions: tuple[RegionChange, ...]
    steps: tuple[Step, ...]
    uninstall: tuple[Step, ...]
    rollback: tuple[Step, ...]
    risks: tuple[str, ...] = ()
    urgent: bool = False
    irreversible: tuple[str, ...] = field(default=())
    """Releases on the way whose database migration cannot be undone: the rollback restores the backup first."""
    releases: tuple[ReleaseNote, ...] = field(default=())
    """The release notes of every release some region passes through, oldest first (by release date)."""
    primary_move: PrimaryMove | None = None
    restored_before: tuple[str, ...] = ()
    """Migrations a downgrade goes back across: the forward plan restores the backup taken before them."""
    fast_path: tuple[FastRollback, ...] = ()
    """Per changed region, the quick way back; none when the plan migrates or restores the database."""
    waits: tuple[Wait, ...] = ()
    """The environments this one rolls out after (`needs`, and the providers of what it requires): plan/rollout.py."""
    consumers: tuple[Consumer, ...] = ()
    """Regions of other environments that use a component this one provides (`provides`)."""
