"""Step builders every service shares: upgrade, rollout status, stop, uninstall.

What differs per service (gates, backend choreographies) is in ``compiler/profiles``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from compiler.plan import argv
from compiler.plan.model import Phase, RegionChange, RegionState, Step

if TYPE_CHECKING:
    from compiler.profiles.base import Profile

GUARD_SLUGS = frozenset({"confirm-uninstall"})
"""Steps that confirm a data loss: like manual backups, restores and maintenance, --yes never confirms them."""


@dataclass
class StepList:
    """Steps in execution order, with ids unique within one plan and stable across runs."""

    prefix: str
    steps: list[Step] = field(default_factory=list)
    _ids: set[str] = field(default_factory=set)

    def add(
        self,
        phase: Phase,
        region: str | None,
        command: tuple[str, ...] | None,
        description: str,
        *,
        slug: str,
        risk: str | None = None,
        pause: bool = False,
    ) -> None:
        base = f"{self.prefix}{region or 'all'}-{slug}"
        step_id, n = base, 1
        while step_id in self._ids:
            n += 1
            step_id = f"{base}-{n}"
        self._ids.add(step_id)
        self.steps.append(Step(step_id, phase, region, command, description, risk, pause, guards(phase, command, slug)))


def guards(phase: Phase, command: tuple[str, ...] | None, slug: str) -> bool:
    """Whether a step guards data: a manual backup or maintenance, any restore, a data-loss confirmation."""
    return (phase in ("backup", "maintenance") and command is None) or phase == "restore" or slug in GUARD_SLUGS


def verify_rollout(sl: StepList, state: RegionState, workload: str, timeout: int) -> None:
    """Rollout status of ``workload``: a pod Pending past the timeout fails it."""
    sl.add(
        "verify", state.name, argv.rollout_status(state, workload, timeout),
        f"wait until every {state.release_name} pod in {state.name} is Ready (fails on a pod Pending past {timeout}s)",
        slug="rollout-status",
    )  # fmt: skip


@dataclass(frozen=True)
class Side:
    """A region state and the values file that carries it to helm."""

    state: RegionState
    values_file: str


def upgrade(
    sl: StepList, to: Side, *, tag_paths: tuple[str, ...], image_only: bool, what: str, risk: str | None
) -> None:
    """One ``helm upgrade --install`` to ``to``; an image-only change also sets the tag at every tag path."""
    state = to.state
    sets = tuple((path, state.release.image_tag) for path in tag_paths) if image_only else ()
    command = argv.helm_upgrade(state, to.values_file, timeout=state.env.rollout.verify_timeout, sets=sets)
    sl.add("upgrade", state.name, command, what, slug="upgrade", risk=risk)


def stop_region(sl: StepList, state: RegionState, workload: str, why: str) -> None:
    """Scale a region's release to zero: nothing may write while the database is restored."""
    sl.add("scale", state.name, argv.scale(state, workload, 0), f"stop {state.release_name} in {state.name}: {why}",
           slug="stop", risk=f"full outage of {state.name} until its release is restored below")  # fmt: skip


def uninstall_region(sl: StepList, change: RegionChange, timeout: int, profile: Profile) -> None:
    """Confirm the data loss, uninstall, then wait until the profile's last object is deleted."""
    state = change.current
    sl.add(
        "gate", state.name, None,
        f"DATA LOSS: uninstalling removes every Kubernetes resource of {state.release_name} in {state.name} "
        f"({state.context}); data may be purged. {profile.uninstall_advice()}Confirm to go on",
        slug="confirm-uninstall", pause=True, risk="destructive",
    )  # fmt: skip
    sl.add("uninstall", state.name, argv.helm_uninstall(state), f"uninstall {state.release_name} from {state.name}",
           slug="uninstall", risk="data loss: the release and its resources are removed")  # fmt: skip
    gone = profile.gone(state)
    name = gone.split("/", 1)[-1]
    sl.add("verify", state.name, argv.wait_deleted(state, gone, timeout), f"wait until {name} is gone", slug="gone")
