"""The vendor-recommended alerts as one PrometheusRule. Pure: returns the document."""

from __future__ import annotations

from typing import Any

from compiler.plan.model import Plan
from compiler.render.names import base_labels, object_name

API_VERSION = "monitoring.coreos.com/v1"
# Absent metrics: long enough to ride out a scrape or two during a normal pod restart.
ABSENT_FOR = 300
HEALTH_WARNING_FOR = 120
HEALTH_CRITICAL_FOR = 300
REDIS_FOR = 600
HEALTHY_LEVEL = 2
REDIS_CONNECTED = 2


def render_alerts(plan: Plan) -> dict[str, Any]:
    """A PrometheusRule with the Tenant Service alerts, scoped to this release's pods."""
    monitoring = plan.env.monitoring
    return {
        "apiVersion": API_VERSION,
        "kind": "PrometheusRule",
        "metadata": {
            "name": object_name(plan.env.release, plan.environment, "alerts"),
            "namespace": monitoring.namespace,
            "labels": base_labels(plan.environment) | dict(monitoring.labels),
        },
        "spec": {"groups": [{"name": f"{plan.env.release}.{plan.environment}.tenant", "rules": _rules(plan)}]},
    }


def duration(seconds: int) -> str:
    """A Prometheus duration: 600 → 10m, 90 → 1m30s, 3600 → 1h."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = "".join(f"{n}{unit}" for n, unit in ((hours, "h"), (minutes, "m"), (secs, "s")) if n)
    return text or "0"


def _rules(plan: Plan) -> list[dict[str, Any]]:
    env = plan.env
    release = env.release
    pods = f'namespace="{env.namespace}", pod=~"{release}-.*"'
    where = f"{release} in namespace {env.namespace}"
    return [
        _rule(
            "TenantPodPending",
            f'max by (namespace, pod) (kube_pod_status_phase{{phase="Pending", {pods}}}) > 0',
            env.monitoring.pending_timeout,
            "critical",
            f"A pod of {where} has been Pending for {duration(env.monitoring.pending_timeout)}.",
            plan,
        ),
        _rule(
            "TenantMetricsAbsent",
            f"absent(tenant_service_health_level{{{pods}}})",
            ABSENT_FOR,
            "critical",
            f"No tenant_service_health_level from {where}: pods not running or the image cannot be pulled.",
            plan,
        ),
        _rule(
            "TenantServiceHealthLow",
            f"tenant_service_health_level{{{pods}}} < {HEALTHY_LEVEL}",
            HEALTH_WARNING_FOR,
            "warning",
            f"The health level of {{{{ $labels.pod }}}} ({where}) is below {HEALTHY_LEVEL}.",
            plan,
        ),
        _rule(
            "TenantServiceHealthLow",
            f"tenant_service_health_level{{{pods}}} < {HEALTHY_LEVEL}",
            HEALTH_CRITICAL_FOR,
            "critical",
            f"The health level of {{{{ $labels.pod }}}} ({where}) has been below {HEALTHY_LEVEL} "
            f"for {duration(HEALTH_CRITICAL_FOR)}.",
            plan,
        ),
        _rule(
            "TenantRedisDisconnected",
            f"tenant_redis_state{{{pods}}} != {REDIS_CONNECTED}",
            REDIS_FOR,
            "critical",
            f"{{{{ $labels.pod }}}} ({where}) has not been connected to Redis for {duration(REDIS_FOR)}.",
            plan,
        ),
    ]


def _rule(alert: str, expr: str, seconds: int, severity: str, summary: str, plan: Plan) -> dict[str, Any]:
    return {
        "alert": alert,
        "expr": expr,
        "for": duration(seconds),
        "labels": dict(plan.env.monitoring.labels) | {"severity": severity, "environment": plan.environment},
        "annotations": {"summary": summary},
    }
