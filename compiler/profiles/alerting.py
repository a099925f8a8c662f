"""Pieces every profile's alert rules share: Prometheus durations, one rule, the Pending-pod alert."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from compiler.plan.model import Plan


def duration(seconds: int) -> str:
    """A Prometheus duration: 600 → 10m, 90 → 1m30s, 3600 → 1h."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = "".join(f"{n}{unit}" for n, unit in ((hours, "h"), (minutes, "m"), (secs, "s")) if n)
    return text or "0"


def pods(plan: Plan) -> str:
    """The label matchers of the release's pods."""
    return f'namespace="{plan.env.namespace}", pod=~"{plan.env.release}-.*"'


def where(plan: Plan) -> str:
    """The release, for an alert summary."""
    return f"{plan.env.release} in namespace {plan.env.namespace}"


def rule(
    alert: str, expr: str, seconds: int, severity: str, summary: str, plan: Plan, labels: dict[str, str]
) -> dict[str, Any]:
    """One alerting rule; ``labels`` are the profile's alert labels."""
    return {
        "alert": alert,
        "expr": expr,
        "for": duration(seconds),
        "labels": labels | {"severity": severity, "environment": plan.environment},
        "annotations": {"summary": summary},
    }


def pending(alert: str, plan: Plan, labels: dict[str, str]) -> dict[str, Any]:
    """A pod of the release Pending past ``monitoring.pending_timeout`` (an image that cannot be scheduled)."""
    timeout = plan.env.monitoring.pending_timeout
    expr = f'max by (namespace, pod) (kube_pod_status_phase{{phase="Pending", {pods(plan)}}}) > 0'
    summary = f"A pod of {where(plan)} has been Pending for {duration(timeout)}."
    return rule(alert, expr, timeout, "critical", summary, plan, labels)
