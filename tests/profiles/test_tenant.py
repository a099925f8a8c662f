"""The Tenant Service profile: defaults, restart windows, the health gate and the alerts that share it."""

from __future__ import annotations

import re

from support.planfactory import make_env, make_plan, make_region, make_state

from compiler.plan.diff import Signals
from compiler.plan.steps import Side, StepList
from compiler.profiles import tenant
from compiler.profiles.tenant import TenantProfile

PROFILE = TenantProfile()


def _sig(*, redis: bool = False, database: bool = False) -> Signals:
    return Signals(tags_only=False, database=database, redis=redis, secret_refs=False)


def test_tenant_defaults_fill_what_the_spec_leaves_out() -> None:
    env = make_env(image={}, monitoring={"namespace": "mon"})
    assert PROFILE.tag_paths(env) == tenant.TAG_PATHS
    assert PROFILE.replicas_path(env) == tenant.REPLICAS_PATH
    assert PROFILE.alert_labels(env) == tenant.ALERT_LABELS
    complete = PROFILE.complete(env)
    assert (complete.image.paths, complete.paths.redis, complete.paths.database) == (
        tenant.TAG_PATHS, tenant.REDIS_PREFIXES, tenant.DATABASE_PREFIXES,
    )  # fmt: skip


def test_tenant_defaults_yield_to_the_spec() -> None:
    env = make_env(image={"paths": ["a.tag"]}, paths={"replicas": "a.replicas", "redis": []})
    assert (PROFILE.tag_paths(env), PROFILE.replicas_path(env)) == (("a.tag",), "a.replicas")
    assert PROFILE.complete(env).paths.redis == (), "an empty list switches the Redis choreography off"


def test_tenant_restart_risk_names_master_pod_or_full_outage() -> None:
    risk = PROFILE.restart_risk("t100", 3, None)
    assert risk is not None and "t100-0" in risk and "writes unavailable" in risk
    assert (PROFILE.restart_risk("t100", 1, None) or "").startswith("full outage")
    assert (PROFILE.restart_risk("t100", 3, _sig(redis=True)) or "").startswith("full outage"), "Redis runs at one"


def test_tenant_health_gate_and_alerts_read_the_same_thresholds() -> None:
    env, region = make_env(), make_region("westus2", primary=True)
    sl = StepList(prefix="")
    PROFILE.apply_state(sl, Side(make_state(env, region), "v.yaml"), None, image_only=False, what="install",
                        before=None, redis="new")  # fmt: skip
    gate = next(s for s in sl.steps if s.id.endswith("health-gate"))
    level = re.search(rf"{tenant.HEALTH_METRIC} >= (\d+)", gate.description)
    redis = re.search(rf"{tenant.REDIS_METRIC} == (\d+)", gate.description)
    assert level is not None and redis is not None
    exprs = [r["expr"] for r in PROFILE.alert_rules(make_plan())]
    assert any(e.startswith(tenant.HEALTH_METRIC) and e.endswith(f"< {level[1]}") for e in exprs)
    assert any(e.startswith(tenant.REDIS_METRIC) and e.endswith(f"!= {redis[1]}") for e in exprs)


def test_tenant_redis_change_runs_the_vendor_choreography() -> None:
    env, region = make_env(), make_region("westus2", primary=True)
    state = make_state(env, region)
    sl = StepList(prefix="")
    PROFILE.apply_state(sl, Side(state, "new.yaml"), _sig(redis=True), image_only=False, what="upgrade",
                        before=Side(state, "old.yaml"), redis="new")  # fmt: skip
    slugs = [s.id.removeprefix("westus2-") for s in sl.steps]
    assert slugs == ["scale-down", "scale-down-status", "redis-maintenance", "upgrade-single", "single-status",
                     "scale-up", "rollout-status", "health-gate"]  # fmt: skip
    assert f"{tenant.REPLICAS_PATH}=1" in (sl.steps[0].argv or ())
    assert sl.steps[1].argv is not None and "statefulset/t100" in sl.steps[1].argv


def test_tenant_workload_is_the_release_statefulset_unless_the_spec_names_one() -> None:
    region = make_region("westus2", primary=True)
    assert PROFILE.workload(make_state(make_env(), region)) == "statefulset/t100"
    assert PROFILE.workload(make_state(make_env(workload="statefulset/other"), region)) == "statefulset/other"
    assert PROFILE.gone(make_state(make_env(), region)) == "pod/t100-0"
    assert PROFILE.gone(make_state(make_env(workload="statefulset/other"), region)) == "pod/other-0"
    assert PROFILE.created_kind(make_env()) == ("statefulsets", "the StatefulSet")
    assert PROFILE.created_kind(make_env(workload="deployment/x")) == ("deployments", "the Deployment")


def test_tenant_database_gate_names_the_database_being_switched_to() -> None:
    sl = StepList(prefix="")
    PROFILE.database_gate(sl, make_state(make_env(), make_region("eu", primary=True)), "previous")
    assert [s.id for s in sl.steps] == ["eu-database-ready"] and "previous database" in sl.steps[0].description
    assert sl.steps[0].pause and sl.steps[0].argv is None


def test_tenant_removal_note_names_what_survives_the_uninstall() -> None:
    text = PROFILE.removal_note(make_plan(), "eu")
    assert "PersistentVolumeClaims" in text and "`t100` StatefulSet" in text and "database and Redis" in text
