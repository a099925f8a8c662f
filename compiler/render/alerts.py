"""The alerts of a plan as one PrometheusRule; the rules come from the service profile. Pure."""

from __future__ import annotations

from typing import Any

from compiler.plan.model import Plan
from compiler.profiles.registry import profile_for
from compiler.render.names import base_labels, object_name

API_VERSION = "monitoring.coreos.com/v1"


def render_alerts(plan: Plan) -> dict[str, Any]:
    """A PrometheusRule with the alerts of the plan's service profile, scoped to this release's pods."""
    monitoring = plan.env.monitoring
    suffix, rules = profile_for(plan.service).alert_rules(plan)
    return {
        "apiVersion": API_VERSION,
        "kind": "PrometheusRule",
        "metadata": {
            "name": object_name(plan.env.release, plan.environment, "alerts"),
            "namespace": monitoring.namespace,
            "labels": base_labels(plan.environment) | dict(monitoring.labels),
        },
        "spec": {"groups": [{"name": f"{plan.env.release}.{plan.environment}.{suffix}", "rules": rules}]},
    }
