"""The generic profile: any Helm chart, with no vendor choreography.

Primary first, the rollout order, ``kubectl rollout status`` of one workload
and an operator's confirmation per region, rollback in reverse order to the
exact base, uninstall with the primary last. A backup step only when the
environment gives ``backup.command``. No metric gate: the alerts watch for
Pending pods only.
"""

from __future__ import annotations

from typing import Any

from compiler.plan.diff import Signals, signals
from compiler.plan.model import DiffEntry, Plan, RegionState
from compiler.plan.steps import Side, StepList, upgrade
from compiler.profiles.alerting import pending_rule
from compiler.spec.models import EnvironmentSpec

PLURAL = {"deployment": "deployments", "statefulset": "statefulsets", "daemonset": "daemonsets"}


class GenericProfile:
    """A Helm release whose readiness is the rollout status of one workload (default ``deployment/<release>``)."""

    service = "generic"
    manual_backup = False

    def workload(self, state: RegionState) -> str:
        return state.env.rollout.workload or f"deployment/{state.release_name}"

    def installs(self, state: RegionState) -> str:
        return PLURAL[self.workload(state).split("/", 1)[0]]

    def install_preflight(self, state: RegionState) -> str:
        return f"check that {state.context} lets us create {self.installs(state)} in {state.namespace}"

    def gone(self, state: RegionState) -> tuple[str, str]:
        workload = self.workload(state)
        return workload, f"wait until {workload} is gone"

    def health_gate(self, state: RegionState) -> str:
        return (
            f"confirm {state.name} is healthy: {self.workload(state)} rolled out in namespace {state.namespace} "
            f"on {state.context}, no pod Pending, and the service answers as expected; then continue"
        )

    def signals(self, diff: tuple[DiffEntry, ...], env: EnvironmentSpec) -> Signals:
        return signals(diff, env)

    def degradation_risk(self, release: str, replicas: int, sig: Signals | None) -> str:
        if replicas <= 1:
            return f"full outage: {release} has a single replica, which restarts during the upgrade"
        return f"capacity reduced while the {replicas} pods of {release} are replaced as the rollout strategy allows"

    def signal_risks(self, sig: Signals, release: str) -> list[str]:
        if sig.secret_refs:
            return ["secret references change: the referenced Secrets must exist in the cluster first"]
        return []

    def before_apply(self, sl: StepList, state: RegionState, sig: Signals | None, which: str) -> None:
        return None

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
        upgrade(sl, self, to, image_only=image_only, what=what, before=before)

    def backup_description(self) -> str:
        return "back up the service's data before the primary region changes"

    def restore_description(self, versions: tuple[str, ...]) -> str:
        return (
            f"restore the backup taken before the upgrade: the data migration of {', '.join(versions)} "
            "cannot be undone by an older release"
        )

    def alert_rules(self, plan: Plan) -> tuple[str, list[dict[str, Any]]]:
        return "service", [pending_rule("PodPending", plan)]

    def removal_survivors(self, plan: Plan) -> str:
        return (
            "data kept outside the release, and PersistentVolumeClaims of the release's workloads, "
            "which `helm uninstall` does not delete"
        )

    def uninstall_advice(self) -> str:
        return ""
