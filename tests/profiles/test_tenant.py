"""The Tenant Service profile: workload shape, health gate, risks, alerts, removal prose."""

from __future__ import annotations

from support.planfactory import make_env, make_plan, make_region, make_state

from compiler.plan.diff import Signals
from compiler.plan.steps import Side, StepList
from compiler.profiles.tenant import HEALTH_GATE, TenantProfile

PROFILE = TenantProfile()
STATE = make_state(make_env(), make_region("eu", primary=True))
REDIS = Signals(tags_only=False, database=False, redis=True, secret_refs=False)
DATABASE = Signals(tags_only=False, database=True, redis=False, secret_refs=False)


def test_tenant_degradation_risk_names_master_pod_or_full_outage() -> None:
    assert "t100-0" in PROFILE.degradation_risk("t100", 3, None)
    assert "writes unavailable" in PROFILE.degradation_risk("t100", 3, None)
    assert PROFILE.degradation_risk("t100", 1, None).startswith("full outage")


def test_tenant_degradation_risk_redis_change_is_a_full_outage_at_any_size() -> None:
    assert PROFILE.degradation_risk("t100", 5, REDIS).startswith("full outage")


def test_tenant_health_gate_text_and_alerts_share_one_definition() -> None:
    gate = PROFILE.health_gate(STATE)
    _, rules = PROFILE.alert_rules(make_plan())
    exprs = " ".join(r["expr"] for r in rules)
    negation = {">=": "<", "==": "!="}
    for metric, op, value in HEALTH_GATE:
        assert f"{metric} {op} {value}" in gate
        assert f" {negation[op]} {value}" in exprs and metric in exprs


def test_tenant_workload_is_the_statefulset_and_pod_zero_goes_last() -> None:
    assert PROFILE.workload(STATE) == "statefulset/t100"
    assert PROFILE.gone(STATE)[0] == "pod/t100-0"
    assert PROFILE.installs(STATE) == "statefulsets"


def test_tenant_apply_state_redis_change_runs_the_choreography() -> None:
    sl = StepList(prefix="")
    side = Side(STATE, "values/eu.yaml")
    PROFILE.apply_state(sl, side, REDIS, image_only=False, what="upgrade eu", before=side, which="new")
    slugs = [s.id for s in sl.steps]
    assert slugs == [
        "eu-scale-down", "eu-scale-down-status", "eu-redis-maintenance", "eu-upgrade-single",
        "eu-single-status", "eu-scale-up", "eu-rollout-status", "eu-health-gate",
    ]  # fmt: skip
    down = sl.steps[0].argv
    assert down is not None and "tenant.deployment.replicaCount=1" in down


def test_tenant_apply_state_without_redis_change_is_one_upgrade_and_verify() -> None:
    sl = StepList(prefix="")
    PROFILE.apply_state(sl, Side(STATE, "v.yaml"), None, image_only=False, what="up", before=None, which="new")
    assert [s.id for s in sl.steps] == ["eu-upgrade", "eu-rollout-status", "eu-health-gate"]


def test_tenant_before_apply_gates_only_a_database_change() -> None:
    sl = StepList(prefix="")
    PROFILE.before_apply(sl, STATE, REDIS, "new")
    assert sl.steps == []
    PROFILE.before_apply(sl, STATE, DATABASE, "previous")
    assert [s.id for s in sl.steps] == ["eu-database-ready"] and "previous database" in sl.steps[0].description


def test_tenant_removal_survivors_names_the_statefulset_volumes() -> None:
    text = PROFILE.removal_survivors(make_plan())
    assert "PersistentVolumeClaims" in text and "`t100` StatefulSet" in text
