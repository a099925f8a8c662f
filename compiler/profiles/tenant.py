"""The Tenant Service profile: every fact of the vendor's upgrade guide that the plan needs.

Workload shape (one StatefulSet, pod ``<release>-0`` the master), the health
gate (defined once: the verify step and the alert rules read it), the Redis
and database choreographies, the backup wording, the alerts and what survives
an uninstall.
"""

from __future__ import annotations

from typing import Any

from compiler.plan import argv
from compiler.plan.diff import Signals, signals
from compiler.plan.model import DiffEntry, Plan, RegionState
from compiler.plan.steps import Side, StepList, upgrade, verify
from compiler.profiles.alerting import duration, pending_rule, pods_selector, rule, where
from compiler.spec.models import EnvironmentSpec

HEALTH_METRIC = "tenant_service_health_level"
REDIS_METRIC = "tenant_redis_state"
HEALTH_GATE = ((HEALTH_METRIC, ">=", 2), (REDIS_METRIC, "==", 2))
"""A healthy pod: each metric compared to its value. The verify gate asks for all of them;
each alert fires on the negation."""
NEGATION = {">=": "<", "==": "!="}

# Absent metrics: long enough to ride out a scrape or two during a normal pod restart.
ABSENT_FOR = 300
HEALTH_WARNING_FOR = 120
HEALTH_CRITICAL_FOR = 300
REDIS_FOR = 600


def _condition(metric: str, *, selector: str = "", negate: bool = False) -> str:
    """The gate's condition on ``metric`` as PromQL (or its negation)."""
    _, op, value = next(c for c in HEALTH_GATE if c[0] == metric)
    return f"{metric}{selector} {NEGATION[op] if negate else op} {value}"


class TenantProfile:
    """The Tenant Service: a StatefulSet whose pod ``-0`` is the master."""

    service = "tenant"
    manual_backup = True

    def workload(self, state: RegionState) -> str:
        return f"statefulset/{state.release_name}"

    def installs(self, state: RegionState) -> str:
        return "statefulsets"

    def install_preflight(self, state: RegionState) -> str:
        return f"check that {state.context} lets us create the StatefulSet in {state.namespace}"

    def gone(self, state: RegionState) -> tuple[str, str]:
        return f"pod/{state.release_name}-0", f"wait until {state.release_name}-0 is gone"

    def health_gate(self, state: RegionState) -> str:
        healthy = " and ".join(_condition(metric) for metric, _, _ in HEALTH_GATE)
        return (
            f"confirm {state.name} is healthy: {healthy} "
            f"for namespace {state.namespace} on {state.context}, no pod Pending; then continue"
        )

    def signals(self, diff: tuple[DiffEntry, ...], env: EnvironmentSpec) -> Signals:
        return signals(diff, env, database=env.paths.database, redis=env.paths.redis)

    def degradation_risk(self, release: str, replicas: int, sig: Signals | None) -> str:
        """The window in which the master pod restarts (writes unavailable), or a full outage."""
        if sig is not None and sig.redis:
            replicas = 1
        if replicas <= 1:
            return f"full outage: {release}-0 is the only replica and restarts during the upgrade"
        return (
            f"writes unavailable while {release}-0 (master) restarts; reads served by the other {replicas - 1} pod(s)"
        )

    def signal_risks(self, sig: Signals, release: str) -> list[str]:
        risks: list[str] = []
        if sig.database:
            risks.append("backend move: the new database must be ready first; writes degraded during the switch")
        if sig.redis:
            risks.append(
                f"Redis connection change: scaled to 1 replica for the maintenance; full outage as {release}-0 restarts"
            )
        if sig.secret_refs:
            risks.append("secret references change: the referenced Secrets must exist in the cluster first")
        return risks

    def before_apply(self, sl: StepList, state: RegionState, sig: Signals | None, which: str) -> None:
        """A database connection change waits for the operator to confirm the database is ready."""
        if sig is None or not sig.database:
            return
        sl.add(
            "gate", state.name, None,
            f"confirm the {which} database is ready and reachable from {state.context} with the connection values "
            f"this step deploys; writes are degraded while {state.release_name} switches",
            slug="database-ready", pause=True, risk="backend move: writes degraded during the switch",
        )  # fmt: skip

    def apply_state(
        self,
        sl: StepList,
        to: Side,
        sig: Signals | None,
        *,
        image_only: bool,
        what: str,
        before: Side | None,
        which: str,
        stopped: bool = False,
    ) -> None:
        """The Redis choreography when the Redis connection changes, else one upgrade."""
        if sig is not None and sig.redis and before is not None:
            self._redis_choreography(sl, to, None if stopped else before, what, which)
            return
        upgrade(sl, self, to, image_only=image_only, what=what, before=before)

    def _redis_choreography(self, sl: StepList, to: Side, before: Side | None, what: str, which: str) -> None:
        """The vendor's order for a Redis connection change: one replica, maintenance, restart, scale back.

        Scaling goes through helm with ``replicaCount`` (as the vendor says), so the release
        history, and a GitOps controller, agree with what runs. Forward, the scale-down keeps the
        running release and values; in a rollback it already uses the base ones, since a region the
        failed rollout never reached must not be moved to the target on its way down. ``before``
        is None when the region is stopped already (for a database restore): nothing to scale down.
        """
        state, name = to.state, to.state.name
        timeout, one = state.env.rollout.verify_timeout, ((state.env.paths.replicas, "1"),)
        status = argv.rollout_status(state, self.workload(state), timeout)
        if before is not None:
            source = before if which == "new" else to
            down = source.upgrade(timeout, one)
            held = "current" if source is before else "base"
            sl.add("scale", name, down, f"scale {name} to one replica ({held} release and values) before the Redis "
                   "maintenance", slug="scale-down", risk="capacity reduced to a single pod")  # fmt: skip
            sl.add("verify", name, status, "wait for the single replica", slug="scale-down-status")
        sl.add("maintenance", name, None, f"perform the Redis maintenance for {name} now; continue once Redis serves "
               f"the {which} connection parameters", slug="redis-maintenance", pause=True)  # fmt: skip
        single = to.upgrade(timeout, one)
        sl.add("restart", name, single, f"{what}, with the {which} Redis connection, at one replica",
               slug="upgrade-single", risk=self.degradation_risk(state.release_name, 1, None))  # fmt: skip
        sl.add("verify", name, status, "wait for the restarted pod", slug="single-status")
        sl.add("scale", name, to.upgrade(timeout),
               f"scale back to {state.region.replicas} replicas", slug="scale-up")  # fmt: skip
        verify(sl, self, state, timeout)

    def backup_description(self) -> str:
        return "back up the Tenant Service database before the primary region changes"

    def restore_description(self, versions: tuple[str, ...]) -> str:
        return (
            f"restore the database backup taken before the upgrade: the migration of {', '.join(versions)} "
            "cannot be undone by an older release"
        )

    def alert_rules(self, plan: Plan) -> tuple[str, list[dict[str, Any]]]:
        """The vendor-recommended alerts, scoped to this release's pods."""
        sel, at = "{" + pods_selector(plan) + "}", where(plan)
        low = _condition(HEALTH_METRIC, selector=sel, negate=True)
        level = next(value for metric, _, value in HEALTH_GATE if metric == HEALTH_METRIC)
        below = f"The health level of {{{{ $labels.pod }}}} ({at}) is below {level}."
        return "tenant", [
            pending_rule("TenantPodPending", plan),
            rule("TenantMetricsAbsent", f"absent({HEALTH_METRIC}{sel})", ABSENT_FOR, "critical",
                 f"No {HEALTH_METRIC} from {at}: pods not running or the image cannot be pulled.", plan),
            rule("TenantServiceHealthLow", low, HEALTH_WARNING_FOR, "warning", below, plan),
            rule("TenantServiceHealthLow", low, HEALTH_CRITICAL_FOR, "critical",
                 f"The health level of {{{{ $labels.pod }}}} ({at}) has been below {level} "
                 f"for {duration(HEALTH_CRITICAL_FOR)}.", plan),
            rule("TenantRedisDisconnected", _condition(REDIS_METRIC, selector=sel, negate=True), REDIS_FOR,
                 "critical", f"{{{{ $labels.pod }}}} ({at}) has not been connected to Redis for {duration(REDIS_FOR)}.",
                 plan),
        ]  # fmt: skip

    def removal_survivors(self, plan: Plan) -> str:
        return (
            "the database and Redis, which live outside the release, and the PersistentVolumeClaims "
            f"of the `{plan.env.release}` StatefulSet, which `helm uninstall` does not delete"
        )

    def uninstall_advice(self) -> str:
        return "In production, talk to the vendor's support first. "
