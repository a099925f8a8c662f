"""Prometheus rule helpers the profiles share."""

from __future__ import annotations

from typing import Any

from compiler.plan.model import Plan


def duration(seconds: int) -> str:
    """A Prometheus duration: 600 → 10m, 90 → 1m30s, 3600 → 1h."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = "".join(f"{n}{unit}" for n, unit in ((hours, "h"), (minutes, "m"), (secs, "s")) if n)
    return text or "0"


def pods_selector(plan: Plan) -> str:
    """The label matchers of this release's pods."""
    return f'namespace="{plan.env.namespace}", pod=~"{plan.env.release}-.*"'


def where(plan: Plan) -> str:
    return f"{plan.env.release} in namespace {plan.env.namespace}"


def rule(alert: str, expr: str, seconds: int, severity: str, summary: str, plan: Plan) -> dict[str, Any]:
    """One alerting rule, labelled with the monitoring labels, its severity and the environment."""
    return {
        "alert": alert,
        "expr": expr,
        "for": duration(seconds),
        "labels": dict(plan.env.monitoring.labels) | {"severity": severity, "environment": plan.environment},
        "annotations": {"summary": summary},
    }


def pending_rule(alert: str, plan: Plan) -> dict[str, Any]:
    """A pod of the release Pending longer than ``monitoring.pending_timeout``."""
    timeout = plan.env.monitoring.pending_timeout
    return rule(
        alert,
        f'max by (namespace, pod) (kube_pod_status_phase{{phase="Pending", {pods_selector(plan)}}}) > 0',
        timeout,
        "critical",
        f"A pod of {where(plan)} has been Pending for {duration(timeout)}.",
        plan,
    )
