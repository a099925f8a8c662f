"""The Tenant Service profile: every fact about the vendor's service that a plan needs.

The service is a StatefulSet named after the release; pod ``<release>-0`` is the
master (the only one with write access to provisioning data) and restarts last.
Values carry the image tag at three paths, the replica count, and the database
and Redis connections. Health is the ``tenant_service_health_level`` metric
(healthy at 2 and above), Redis the ``tenant_redis_state`` metric (2 when
connected): the verify gate and the alerts read the same thresholds below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from compiler.plan import argv
from compiler.plan.diff import Signals, signals
from compiler.plan.rules import secret_risks
from compiler.plan.steps import Side, StepList, upgrade, verify_rollout
from compiler.profiles import alerting
from compiler.profiles.base import created_kind

if TYPE_CHECKING:
    from compiler.plan.model import DiffEntry, Plan, RegionState
    from compiler.spec.models import EnvironmentSpec

SERVICE = "tenant"
TAG_PATHS = ("images.tenant.tag", "images.pgdbInit.tag", "images.pulseInit.tag")
REPLICAS_PATH = "tenant.deployment.replicaCount"
DATABASE_PREFIXES = ("tenant.pgdb",)
REDIS_PREFIXES = ("tenant.redis",)
ALERT_LABELS = {"service": "voice", "servicename": "tenant"}

HEALTH_METRIC = "tenant_service_health_level"
HEALTHY_LEVEL = 2
REDIS_METRIC = "tenant_redis_state"
REDIS_CONNECTED = 2
HEALTHY = f"{HEALTH_METRIC} >= {HEALTHY_LEVEL} and {REDIS_METRIC} == {REDIS_CONNECTED}"
"""The health gate a region must pass; the alerts below fire on its negation."""

# Absent metrics: long enough to ride out a scrape or two during a normal pod restart.
ABSENT_FOR = 300
HEALTH_WARNING_FOR = 120
HEALTH_CRITICAL_FOR = 300
REDIS_FOR = 600


class TenantProfile:
    """The Tenant Service: StatefulSet, master pod, database and Redis choreographies, health metrics."""

    service = SERVICE

    def tag_paths(self, env: EnvironmentSpec) -> tuple[str, ...]:
        return TAG_PATHS if env.image.paths is None else env.image.paths

    def replicas_path(self, env: EnvironmentSpec) -> str:
        return REPLICAS_PATH if env.paths.replicas is None else env.paths.replicas

    def alert_labels(self, env: EnvironmentSpec) -> dict[str, str]:
        return dict(ALERT_LABELS if env.monitoring.labels is None else env.monitoring.labels)

    def complete(self, env: EnvironmentSpec) -> EnvironmentSpec:
        paths = env.paths.model_copy(
            update={"replicas": self.replicas_path(env), "database": _database(env), "redis": _redis(env)}
        )
        return env.model_copy(update={
            "image": env.image.model_copy(update={"paths": self.tag_paths(env)}),
            "monitoring": env.monitoring.model_copy(update={"labels": self.alert_labels(env)}),
            "paths": paths,
        })  # fmt: skip

    def workload(self, state: RegionState) -> str:
        return state.env.workload or f"statefulset/{state.release_name}"

    def gone(self, state: RegionState) -> str:
        """Pod 0 of the StatefulSet: the master, which Kubernetes removes last (else the workload itself)."""
        kind, name = self.workload(state).split("/", 1)
        return f"pod/{name}-0" if kind == "statefulset" else f"{kind}/{name}"

    def uninstall_advice(self) -> str:
        return "In production, talk to the vendor's support first. "

    def created_kind(self, env: EnvironmentSpec) -> tuple[str, str]:
        return created_kind(env.workload or "statefulset/")

    def signals(self, diff: tuple[DiffEntry, ...], env: EnvironmentSpec) -> Signals:
        return signals(diff, tag_paths=self.tag_paths(env), database=_database(env), redis=_redis(env))

    def restart_risk(self, release: str, replicas: int, sig: Signals | None) -> str | None:
        """The window in which the master pod restarts (writes unavailable), or a full outage.

        A Redis connection change runs at one replica, whatever the region has.
        """
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
        return risks + secret_risks(sig)

    def apply_state(
        self,
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
        if sig is not None and sig.redis and before is not None:
            self._redis_choreography(sl, to, None if stopped else before, what, redis)
            return
        replicas = min(state.region.replicas, before.state.region.replicas) if before is not None else 0
        risk = self.restart_risk(state.release_name, replicas, None) if before is not None else None
        upgrade(sl, to, tag_paths=self.tag_paths(state.env), image_only=image_only, what=what, risk=risk)
        self._verify(sl, state)

    def _verify(self, sl: StepList, state: RegionState) -> None:
        """Rollout status (a pod Pending past the timeout fails it), then the health gate."""
        verify_rollout(sl, state, self.workload(state), state.env.rollout.verify_timeout)
        sl.add(
            "gate", state.name, None,
            f"confirm {state.name} is healthy: {HEALTHY} "
            f"for namespace {state.namespace} on {state.context}, no pod Pending; then continue",
            slug="health-gate", pause=True,
        )  # fmt: skip

    def _redis_choreography(self, sl: StepList, to: Side, before: Side | None, what: str, redis: str) -> None:
        """The vendor's order for a Redis connection change: one replica, maintenance, restart, scale back.

        Scaling goes through helm with ``replicaCount`` (as the vendor says), so the release
        history, and a GitOps controller, agree with what runs. Forward, the scale-down keeps the
        running release and values; in a rollback it already uses the base ones, since a region the
        failed rollout never reached must not be moved to the target on its way down. ``before``
        is None when the region is stopped already (for a database restore): nothing to scale down.
        """
        state, name = to.state, to.state.name
        timeout, one = state.env.rollout.verify_timeout, ((self.replicas_path(state.env), "1"),)
        workload = self.workload(state)
        if before is not None:
            source = before if redis == "new" else to
            down = argv.helm_upgrade(source.state, source.values_file, timeout=timeout, sets=one)
            which = "current" if source is before else "base"
            sl.add("scale", name, down, f"scale {name} to one replica ({which} release and values) before the Redis "
                   "maintenance", slug="scale-down", risk="capacity reduced to a single pod")  # fmt: skip
            sl.add("verify", name, argv.rollout_status(state, workload, timeout), "wait for the single replica",
                   slug="scale-down-status")  # fmt: skip
        sl.add("maintenance", name, None, f"perform the Redis maintenance for {name} now; continue once Redis serves "
               f"the {redis} connection parameters", slug="redis-maintenance", pause=True)  # fmt: skip
        single = argv.helm_upgrade(state, to.values_file, timeout=timeout, sets=one)
        sl.add("restart", name, single, f"{what}, with the {redis} Redis connection, at one replica",
               slug="upgrade-single", risk=self.restart_risk(state.release_name, 1, None))  # fmt: skip
        sl.add("verify", name, argv.rollout_status(state, workload, timeout), "wait for the restarted pod",
               slug="single-status")  # fmt: skip
        sl.add("scale", name, argv.helm_upgrade(state, to.values_file, timeout=timeout),
               f"scale back to {state.region.replicas} replicas", slug="scale-up")  # fmt: skip
        self._verify(sl, state)

    def database_gate(self, sl: StepList, state: RegionState, which: str) -> None:
        sl.add(
            "gate", state.name, None,
            f"confirm the {which} database is ready and reachable from {state.context} with the connection values "
            f"this step deploys; writes are degraded while {state.release_name} switches",
            slug="database-ready", pause=True, risk="backend move: writes degraded during the switch",
        )  # fmt: skip

    def backs_up(self, env: EnvironmentSpec) -> bool:
        """Always: the vendor asks for a database backup before the primary region is upgraded."""
        return True

    def backup_description(self) -> str:
        return "back up the Tenant Service database before the primary region changes"

    def alert_rules(self, plan: Plan) -> list[dict[str, Any]]:
        """The vendor-recommended alerts: a pod Pending, metrics absent, health low, Redis disconnected."""
        labels = self.alert_labels(plan.env)
        pods, where, pod = alerting.pods(plan), alerting.where(plan), "{{ $labels.pod }}"
        low = f"{HEALTH_METRIC}{{{pods}}} < {HEALTHY_LEVEL}"
        critical_for, redis_for = alerting.duration(HEALTH_CRITICAL_FOR), alerting.duration(REDIS_FOR)
        rules = [
            ("TenantMetricsAbsent", f"absent({HEALTH_METRIC}{{{pods}}})", ABSENT_FOR, "critical",
             f"No {HEALTH_METRIC} from {where}: pods not running or the image cannot be pulled."),
            ("TenantServiceHealthLow", low, HEALTH_WARNING_FOR, "warning",
             f"The health level of {pod} ({where}) is below {HEALTHY_LEVEL}."),
            ("TenantServiceHealthLow", low, HEALTH_CRITICAL_FOR, "critical",
             f"The health level of {pod} ({where}) has been below {HEALTHY_LEVEL} for {critical_for}."),
            ("TenantRedisDisconnected", f"{REDIS_METRIC}{{{pods}}} != {REDIS_CONNECTED}", REDIS_FOR, "critical",
             f"{pod} ({where}) has not been connected to Redis for {redis_for}."),
        ]  # fmt: skip
        pending = alerting.pending("TenantPodPending", plan, labels)
        return [pending, *(alerting.rule(*fields, plan, labels) for fields in rules)]

    def removal_note(self, plan: Plan, region: str) -> str:
        return (
            f"**{region} is removed** (`state: absent`): it has no forward manifest, so pruning (a sync of the "
            "parent with prune, the ApplicationSet dropping its element, or Flux's prune) deletes its Application, "
            "whose resources finalizer uninstalls the release, or its HelmRelease, which Flux uninstalls. "
            f"What survives: the database and Redis, which live outside the release, and the PersistentVolumeClaims "
            f"of the `{plan.env.release}` StatefulSet, which `helm uninstall` does not delete; delete them by hand "
            "once the data is no longer needed. The rollback manifests reinstall the region."
        )


def _database(env: EnvironmentSpec) -> tuple[str, ...]:
    return DATABASE_PREFIXES if env.paths.database is None else env.paths.database


def _redis(env: EnvironmentSpec) -> tuple[str, ...]:
    return REDIS_PREFIXES if env.paths.redis is None else env.paths.redis
