"""Step builders: the helm/kubectl choreography of one region, forward and back."""

from __future__ import annotations

from dataclasses import dataclass, field

from compiler import argv
from compiler.diff import Signals
from compiler.plan import Phase, RegionChange, RegionState, Step
from compiler.rules import degradation_risk


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
        self.steps.append(Step(step_id, phase, region, command, description, risk, pause))


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


def apply_state(
    sl: StepList, state: RegionState, values_file: str, sig: Signals | None, *, image_only: bool, what: str
) -> None:
    """Bring a region to ``state``: the Redis choreography when its connection changes, else one upgrade."""
    timeout = state.env.rollout.verify_timeout
    sets = tag_sets(state) if image_only else ()
    replicas = state.region.replicas
    if sig is not None and sig.redis:
        redis_choreography(sl, state, values_file, timeout, what)
        return
    sl.add(
        "upgrade", state.name, argv.helm_upgrade(state, values_file, timeout=timeout, sets=sets), what,
        slug="upgrade", risk=degradation_risk(state.release_name, replicas),
    )  # fmt: skip
    verify(sl, state, timeout)


def redis_choreography(sl: StepList, state: RegionState, values_file: str, timeout: int, what: str) -> None:
    """The vendor's order for a Redis connection change: one replica, maintenance, restart, scale back."""
    name, replicas_path = state.name, state.env.paths.replicas
    sl.add("scale", name, argv.scale(state, 1), "scale to one replica before the Redis maintenance",
           slug="scale-down", risk="capacity reduced to a single pod")  # fmt: skip
    sl.add("verify", name, argv.rollout_status(state, timeout), "wait for the single replica", slug="scale-down-status")
    sl.add("maintenance", name, None, f"perform the Redis maintenance for {name} now; continue once Redis serves "
           "the new connection parameters", slug="redis-maintenance", pause=True)  # fmt: skip
    single = argv.helm_upgrade(state, values_file, timeout=timeout, sets=((replicas_path, "1"),))
    sl.add("restart", name, single, f"{what}, with the new Redis connection, at one replica",
           slug="upgrade-single", risk=degradation_risk(state.release_name, 1))  # fmt: skip
    sl.add("verify", name, argv.rollout_status(state, timeout), "wait for the restarted pod", slug="single-status")
    sl.add("scale", name, argv.helm_upgrade(state, values_file, timeout=timeout),
           f"scale back to {state.region.replicas} replicas", slug="scale-up")  # fmt: skip
    verify(sl, state, timeout)


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
