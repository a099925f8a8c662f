"""The Profile protocol: every service-specific fact the planner and renderers ask for.

A profile answers for one ``service`` of the environment spec. The generic
parts of a plan (rollout order, N-2 and prerequisite rules, helm commands,
reverse-order rollback, uninstall with the primary last) live in
``compiler/plan``; a profile supplies what differs per service: defaults for
the values paths, the workload a rollout waits for, how a region is brought to
a state and verified, the risks of a change, the alert rules and the prose.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from compiler.plan.diff import Signals
    from compiler.plan.model import DiffEntry, Plan, RegionState
    from compiler.plan.steps import Side, StepList
    from compiler.spec.models import EnvironmentSpec


class Profile(Protocol):
    """What the planner and the renderers need to know about one service."""

    service: str

    def tag_paths(self, env: EnvironmentSpec) -> tuple[str, ...]:
        """The values paths that carry the image tag (the spec's, else the profile's default)."""
        ...

    def replicas_path(self, env: EnvironmentSpec) -> str:
        """The values path of the replica count."""
        ...

    def alert_labels(self, env: EnvironmentSpec) -> dict[str, str]:
        """Labels of the alerts (the spec's, else the profile's default)."""
        ...

    def complete(self, env: EnvironmentSpec) -> EnvironmentSpec:
        """``env`` with every default the profile owns filled in: what the input fingerprint covers."""
        ...

    def workload(self, state: RegionState) -> str:
        """The ``kind/name`` a rollout waits for and a stop scales, e.g. ``deployment/web``."""
        ...

    def gone(self, state: RegionState) -> str:
        """The ``kind/name`` whose deletion shows an uninstall is done."""
        ...

    def uninstall_advice(self) -> str:
        """A sentence (ending in a space) for the data-loss confirmation before an uninstall, or nothing."""
        ...

    def created_kind(self, env: EnvironmentSpec) -> tuple[str, str]:
        """The resource a first install creates: its plural for ``kubectl auth can-i``, and a reader's name."""
        ...

    def signals(self, diff: tuple[DiffEntry, ...], env: EnvironmentSpec) -> Signals:
        """What a region's values diff means to this service's rules."""
        ...

    def restart_risk(self, release: str, replicas: int, sig: Signals | None) -> str | None:
        """The risk of restarting ``replicas`` pods of ``release`` for a change signalled by ``sig``."""
        ...

    def signal_risks(self, sig: Signals, release: str) -> list[str]:
        """Risks of what the values diff changes."""
        ...

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
        """Bring a region to ``to`` and verify it (see :func:`compiler.plan.steps.upgrade`)."""
        ...

    def database_gate(self, sl: StepList, state: RegionState, which: str) -> None:
        """A gate before a region switches to the ``which`` ("new"/"previous") database."""
        ...

    def backs_up(self, env: EnvironmentSpec) -> bool:
        """Whether the plan takes a backup before the primary region changes (manual without a command)."""
        ...

    def backup_description(self) -> str:
        """What the backup before the primary region changes saves."""
        ...

    def alert_rules(self, plan: Plan) -> list[dict[str, Any]]:
        """The Prometheus alert rules of ``plan``'s release."""
        ...

    def removal_note(self, plan: Plan, region: str) -> str:
        """plan.md prose: what removing ``region`` through GitOps deletes, and what survives."""
        ...


KIND_NAMES = {"deployment": "Deployment", "statefulset": "StatefulSet", "daemonset": "DaemonSet"}
"""The workload kinds a spec may name (``workload: kind/name``), as Kubernetes spells them."""


def created_kind(workload: str) -> tuple[str, str]:
    """The plural of ``workload``'s kind for ``kubectl auth can-i``, and a reader's name for it."""
    kind = workload.split("/", 1)[0]
    return f"{kind}s", f"the {KIND_NAMES.get(kind, kind)}"
