"""The :class:`Profile` protocol: what a service profile tells the service-neutral stages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from compiler.plan.diff import Signals
    from compiler.plan.model import DiffEntry, Plan, RegionState
    from compiler.plan.steps import Side, StepList
    from compiler.spec.models import EnvironmentSpec


class Profile(Protocol):
    """One service's upgrade knowledge. Implementations are stateless singletons.

    Text methods return plain prose for plan.md and the scripts; step methods
    append to a :class:`~compiler.plan.steps.StepList`.
    """

    service: str
    """The ``service`` value of environment.yaml this profile serves."""

    manual_backup: bool
    """Without ``backup.command``: a manual backup step before the primary changes (True), or none."""

    def workload(self, state: RegionState) -> str:
        """The ``kind/name`` whose rollout status says a region is up, e.g. ``deployment/web``."""
        ...

    def installs(self, state: RegionState) -> str:
        """The resource (plural, lower case) a preflight checks it may create, e.g. ``deployments``."""
        ...

    def install_preflight(self, state: RegionState) -> str:
        """What the preflight of an install checks, in words."""
        ...

    def gone(self, state: RegionState) -> tuple[str, str]:
        """After an uninstall: the object to wait for the deletion of, and the step's description."""
        ...

    def health_gate(self, state: RegionState) -> str:
        """The confirmation an operator gives after a region's rollout status passed."""
        ...

    def signals(self, diff: tuple[DiffEntry, ...], env: EnvironmentSpec) -> Signals:
        """What a region's values diff means to this service's rules."""
        ...

    def degradation_risk(self, release: str, replicas: int, sig: Signals | None) -> str:
        """What users notice while a region with ``replicas`` pods is upgraded."""
        ...

    def signal_risks(self, sig: Signals, release: str) -> list[str]:
        """Risks of what the values diff changes."""
        ...

    def before_apply(self, sl: StepList, state: RegionState, sig: Signals | None, which: str) -> None:
        """Steps before a region is brought to ``state`` (``which`` is "new" forward, "previous" back)."""
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
        which: str,
        stopped: bool = False,
    ) -> None:
        """Bring a region to ``to``: the upgrade, any choreography the vendor asks for, and verification.

        ``before`` is what runs now (None for an install). ``stopped``: the region was stopped
        for a database restore, so what ran before must not start again.
        """
        ...

    def backup_description(self) -> str:
        """The backup step before the primary region changes, in words."""
        ...

    def restore_description(self, versions: tuple[str, ...]) -> str:
        """The restore step of a rollback past irreversible migrations of ``versions``, in words."""
        ...

    def alert_rules(self, plan: Plan) -> tuple[str, list[dict[str, Any]]]:
        """The alert group's name suffix and its Prometheus rules."""
        ...

    def removal_survivors(self, plan: Plan) -> str:
        """What outlives the uninstall of a region, for the removal note of plan.md."""
        ...

    def uninstall_advice(self) -> str:
        """A sentence (ending in a space) for the data-loss confirmation before an uninstall, or nothing."""
        ...
