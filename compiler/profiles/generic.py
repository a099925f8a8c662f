"""The generic profile: any Helm chart, with no vendor choreography.

Each region gets one ``helm upgrade --install``, a ``kubectl rollout status`` of
its workload (``deployment/<release>`` unless the spec names one) and a
confirmation gate. No database or Redis steps, no health metric: an operator
confirms the service answers. A backup runs only when the spec gives one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from compiler.plan.diff import Signals, signals
from compiler.plan.rules import secret_risks
from compiler.plan.steps import Side, StepList, upgrade, verify_rollout
from compiler.profiles import alerting
from compiler.profiles.base import created_kind

if TYPE_CHECKING:
    from compiler.plan.model import DiffEntry, Plan, RegionState
    from compiler.spec.models import EnvironmentSpec

SERVICE = "generic"
TAG_PATHS = ("image.tag",)
REPLICAS_PATH = "replicaCount"
"""Where ``helm create`` puts the image tag and the replica count."""


class GenericProfile:
    """Any Helm chart: rollout status and a confirmation gate per region, nothing vendor-specific."""

    service = SERVICE

    def tag_paths(self, env: EnvironmentSpec) -> tuple[str, ...]:
        return TAG_PATHS if env.image.paths is None else env.image.paths

    def replicas_path(self, env: EnvironmentSpec) -> str:
        return REPLICAS_PATH if env.paths.replicas is None else env.paths.replicas

    def alert_labels(self, env: EnvironmentSpec) -> dict[str, str]:
        return dict(env.monitoring.labels or {})

    def complete(self, env: EnvironmentSpec) -> EnvironmentSpec:
        return env.model_copy(update={
            "image": env.image.model_copy(update={"paths": self.tag_paths(env)}),
            "monitoring": env.monitoring.model_copy(update={"labels": self.alert_labels(env)}),
            "paths": env.paths.model_copy(update={"replicas": self.replicas_path(env), "database": (), "redis": ()}),
        })  # fmt: skip

    def workload(self, state: RegionState) -> str:
        return state.env.workload or f"deployment/{state.release_name}"

    def gone(self, state: RegionState) -> str:
        return self.workload(state)

    def uninstall_advice(self) -> str:
        return ""

    def created_kind(self, env: EnvironmentSpec) -> tuple[str, str]:
        return created_kind(env.workload or "deployment/")

    def signals(self, diff: tuple[DiffEntry, ...], env: EnvironmentSpec) -> Signals:
        return signals(diff, tag_paths=self.tag_paths(env))

    def restart_risk(self, release: str, replicas: int, sig: Signals | None) -> str | None:
        """None: how a rolling update of an unknown chart degrades service is not known here."""
        return None

    def signal_risks(self, sig: Signals, release: str) -> list[str]:
        return secret_risks(sig)

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
        """One upgrade, the rollout status of the workload, and a confirmation gate."""
        state = to.state
        upgrade(sl, to, tag_paths=self.tag_paths(state.env), image_only=image_only, what=what, risk=None)
        workload = self.workload(state)
        verify_rollout(sl, state, workload, state.env.rollout.verify_timeout)
        sl.add(
            "gate", state.name, None,
            f"confirm {state.name} is healthy: {workload} is Ready in namespace {state.namespace} on "
            f"{state.context} and the service answers as expected; then continue",
            slug="health-gate", pause=True,
        )  # fmt: skip

    def database_gate(self, sl: StepList, state: RegionState, which: str) -> None:
        """Nothing: the generic profile watches no database connection, so no diff signals one."""

    def backs_up(self, env: EnvironmentSpec) -> bool:
        return env.backup.command is not None

    def backup_description(self) -> str:
        return "back up the service's data before the primary region changes"

    def alert_rules(self, plan: Plan) -> list[dict[str, Any]]:
        """A pod of the release Pending too long: the one alert that needs no service metric."""
        return [alerting.pending("PodPending", plan, self.alert_labels(plan.env))]

    def removal_note(self, plan: Plan, region: str) -> str:
        return (
            f"**{region} is removed** (`state: absent`): it has no forward manifest, so pruning (a sync of the "
            "parent with prune, the ApplicationSet dropping its element, or Flux's prune) deletes its Application, "
            "whose resources finalizer uninstalls the release, or its HelmRelease, which Flux uninstalls. "
            f"What survives: whatever `{plan.env.release}` keeps outside the release (external databases, "
            "PersistentVolumeClaims of a StatefulSet, which `helm uninstall` does not delete); delete it by hand "
            "once the data is no longer needed. The rollback manifests reinstall the region."
        )
