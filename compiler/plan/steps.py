"""Step builders: the helm/kubectl choreography of one region, forward and back."""

from __future__ import annotations

from dataclasses import dataclass, field

from compiler.plan import argv
from compiler.plan.diff import Signals
from compiler.plan.model import Phase, RegionChange, RegionState, Step
from compiler.plan.rules import degradation_risk

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


def verify(sl: StepList, state: RegionState, timeout: int) -> None:
    """Rollout status (a pod Pending past the timeout fails it), then a health gate."""
    sl.add(
        "verify", state.name, argv.rollout_status(state, timeout),
        f"wait until every {state.release_name} pod in {state.name} is Ready (fails on a pod Pending past {timeout}s)",
        slug="rollout-status",
    )  # fmt: skip
    sl.add(
        "gate", state.name, None,
        f"confirm {state.name} is healthy: tenant_service_health_level >= 2 and tenant_redis_state == 2 "
        f"for namespace {state.namespace} on {state.context}, no pod Pending; then continue",
        slug="health-gate", pause=True,
    )  # fmt: skip


def tag_sets(state: RegionState) -> tuple[tuple[str, str], ...]:
    return tuple((path, state.release.image_tag) for path in state.env.image.paths)


@dataclass(frozen=True)
class Side:
    """A region state and the values file that carries it to helm."""

    state: RegionState
    values_file: str


def apply_state(
    sl: StepList,
    to: Side,
    sig: Signals | None,
    *,
    image_only: bool,
    what: str,
    before: Side | None,
    redis: str,
    stopped: bool = False,
) -> None:
    """Bring a region to ``to``: the Redis choreography when its connection changes, else one upgrade.

    ``before`` is what runs now (None for an install); ``redis`` names the connection being
    deployed ("new" forward, "previous" in a rollback). The restart window is the one of the
    fewer replicas of both sides (one replica before is a full outage, whatever comes after);
    an install restarts nothing. ``stopped``: the region was stopped for a database restore,
    and what ran before must not start again on the restored database.
    """
    state = to.state
    timeout = state.env.rollout.verify_timeout
    if sig is not None and sig.redis and before is not None:
        redis_choreography(sl, to, None if stopped else before, what, redis)
        return
    sets = tag_sets(state) if image_only else ()
    replicas = min(state.region.replicas, before.state.region.replicas) if before is not None else 0
    sl.add(
        "upgrade", state.name, argv.helm_upgrade(state, to.values_file, timeout=timeout, sets=sets), what,
        slug="upgrade", risk=degradation_risk(state.release_name, replicas) if before is not None else None,
    )  # fmt: skip
    verify(sl, state, timeout)


def redis_choreography(sl: StepList, to: Side, before: Side | None, what: str, redis: str) -> None:
    """The vendor's order for a Redis connection change: one replica, maintenance, restart, scale back.

    Scaling goes through helm with ``replicaCount`` (as the vendor says), so the release
    history, and a GitOps controller, agree with what runs. Forward, the scale-down keeps the
    running release and values; in a rollback it already uses the base ones, since a region the
    failed rollout never reached must not be moved to the target on its way down. ``before``
    is None when the region is stopped already (for a database restore): nothing to scale down.
    """
    state, name = to.state, to.state.name
    timeout, one = state.env.rollout.verify_timeout, ((state.env.paths.replicas, "1"),)
    if before is not None:
        source = before if redis == "new" else to
        down = argv.helm_upgrade(source.state, source.values_file, timeout=timeout, sets=one)
        which = "current" if source is before else "base"
        sl.add("scale", name, down, f"scale {name} to one replica ({which} release and values) before the Redis "
               "maintenance", slug="scale-down", risk="capacity reduced to a single pod")  # fmt: skip
        sl.add("verify", name, argv.rollout_status(state, timeout), "wait for the single replica",
               slug="scale-down-status")  # fmt: skip
    sl.add("maintenance", name, None, f"perform the Redis maintenance for {name} now; continue once Redis serves "
           f"the {redis} connection parameters", slug="redis-maintenance", pause=True)  # fmt: skip
    single = argv.helm_upgrade(state, to.values_file, timeout=timeout, sets=one)
    sl.add("restart", name, single, f"{what}, with the {redis} Redis connection, at one replica",
           slug="upgrade-single", risk=degradation_risk(state.release_name, 1))  # fmt: skip
    sl.add("verify", name, argv.rollout_status(state, timeout), "wait for the restarted pod", slug="single-status")
    sl.add("scale", name, argv.helm_upgrade(state, to.values_file, timeout=timeout),
           f"scale back to {state.region.replicas} replicas", slug="scale-up")  # fmt: skip
    verify(sl, state, timeout)


def stop_region(sl: StepList, state: RegionState, why: str) -> None:
    """Scale a region's release to zero: nothing may write while the database is restored."""
    sl.add("scale", state.name, argv.scale(state, 0), f"stop {state.release_name} in {state.name}: {why}",
           slug="stop", risk=f"full outage of {state.name} until its release is restored below")  # fmt: skip


def database_gate(sl: StepList, state: RegionState, which: str) -> None:
    sl.add(
        "gate", state.name, None,
        f"confirm the {which} database is ready and reachable from {state.context} with the connection values "
        f"this step deploys; writes are degraded while {state.release_name} switches",
        slug="database-ready", pause=True, risk="backend move: writes degraded during the switch",
    )  # fmt: skip


def uninstall_region(sl: StepList, change: RegionChange, timeout: int) -> None:
    state = change.current
    sl.add(
        "gate", state.name, None,
        f"DATA LOSS: uninstalling removes every Kubernetes resource of {state.release_name} in {state.name} "
        f"({state.context}); data may be purged. In production, talk to the vendor's support first. Confirm to go on",
        slug="confirm-uninstall", pause=True, risk="destructive",
    )  # fmt: skip
    sl.add("uninstall", state.name, argv.helm_uninstall(state), f"uninstall {state.release_name} from {state.name}",
           slug="uninstall", risk="data loss: the release and its resources are removed")  # fmt: skip
    sl.add("verify", state.name, argv.wait_deleted(state, timeout), f"wait until {state.release_name}-0 is gone",
           slug="gone")  # fmt: skip
