"""The alerts of a plan's service profile as one PrometheusRule. Pure: returns the document."""

from __future__ import annotations

from typing import Any

from compiler.plan.model import Plan
from compiler.profiles.alerting import duration
from compiler.profiles.registry import profile_for
from compiler.render.names import base_labels, object_name

API_VERSION = "monitoring.coreos.com/v1"

__all__ = ["API_VERSION", "duration", "render_alerts"]


def render_alerts(plan: Plan) -> dict[str, Any]:
    """A PrometheusRule with the profile's alerts, scoped to this release's pods."""
    profile = profile_for(plan.service)
    monitoring = plan.env.monitoring
    rules = profile.alert_rules(plan)
    return {
        "apiVersion": API_VERSION,
        "kind": "PrometheusRule",
        "metadata": {
            "name": object_name(plan.env.release, plan.environment, "alerts"),
            "namespace": monitoring.namespace,
            "labels": base_labels(plan.environment) | profile.alert_labels(plan.env),
        },
        "spec": {"groups": [{"name": f"{plan.env.release}.{plan.environment}.{plan.service}", "rules": rules}]},
    }
