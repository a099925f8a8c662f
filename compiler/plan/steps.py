"""Step builders shared by every profile: upgrade, verify, stop, uninstall."""

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


def verify(sl: StepList, profile: Profile, state: RegionState, timeout: int) -> None:
    """Rollout status (a pod Pending past the timeout fails it), then the profile's health gate."""
    sl.add(
        "verify", state.name, argv.rollout_status(state, profile.workload(state), timeout),
        f"wait until every {state.release_name} pod in {state.name} is Ready (fails on a pod Pending past {timeout}s)",
        slug="rollout-status",
    )  # fmt: skip
    sl.add("gate", state.name, None, profile.health_gate(state), slug="health-gate", pause=True)


def tag_sets(state: RegionState) -> tuple[tuple[str, str], ...]:
    return tuple((path, state.release.image_tag) for path in state.env.image.paths)


@dataclass(frozen=True)
class Side:
    """A region state and the files that carry it to helm: its values, and its secrets when it has any."""

    state: RegionState
    values_file: str
    secrets_file: str | None = None

    def upgrade(self, timeout: int, sets: tuple[tuple[str, str], ...] = ()) -> tuple[str, ...]:
        return argv.helm_upgrade(
            self.state, self.values_file, timeout=timeout, sets=sets, secrets_file=self.secrets_file
        )


def upgrade(sl: StepList, profile: Profile, to: Side, *, image_only: bool, what: str, before: Side | None) -> None:
    """One ``helm upgrade`` to ``to`` (only the tag paths when ``image_only``), then verify.

    The restart window is the one of the fewer replicas of both sides (one replica before is a
    full outage, whatever comes after); an install (``before`` None) restarts nothing.
    """
    state = to.state
    timeout = state.env.rollout.verify_timeout
    sets = tag_sets(state) if image_only else ()
    risk = None
    if before is not None:
        replicas = min(state.region.replicas, before.state.region.replicas)
        risk = profile.degradation_risk(state.release_name, replicas, None)
    sl.add(
        "upgrade", state.name, to.upgrade(timeout, sets), what,
        slug="upgrade", risk=risk,
    )  # fmt: skip
    verify(sl, profile, state, timeout)


def stop_region(sl: StepList, profile: Profile, state: RegionState, why: str) -> None:
    """Scale a region's release to zero: nothing may write while the database is restored."""
    sl.add("scale", state.name, argv.scale(state, profile.workload(state), 0),
           f"stop {state.release_name} in {state.name}: {why}",
           slug="stop", risk=f"full outage of {state.name} until its release is restored below")  # fmt: skip


def uninstall_region(sl: StepList, profile: Profile, change: RegionChange, timeout: int) -> None:
    state = change.current
    sl.add(
        "gate", state.name, None,
        f"DATA LOSS: uninstalling removes every Kubernetes resource of {state.release_name} in {state.name} "
        f"({state.context}); data may be purged. {profile.uninstall_advice()}Confirm to go on",
        slug="confirm-uninstall", pause=True, risk="destructive",
    )  # fmt: skip
    sl.add("uninstall", state.name, argv.helm_uninstall(state), f"uninstall {state.release_name} from {state.name}",
           slug="uninstall", risk="data loss: the release and its resources are removed")  # fmt: skip
    target, description = profile.gone(state)
    sl.add("verify", state.name, argv.wait_deleted(state, target, timeout), description, slug="gone")
