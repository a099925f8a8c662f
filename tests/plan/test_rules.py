"""The Tenant planning rules, one function at a time."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from compiler.errors import Location
from compiler.plan.rules import (
    check_prerequisites,
    check_support,
    classify,
    note_risks,
    rollout_order,
    support_window,
)
from compiler.spec.models import EnvironmentSpec, RegionSpec, ReleaseNote

WHERE = Location("environments/prod/environment.yaml", 3, 1)


def _env(**extra: Any) -> EnvironmentSpec:
    data = {"service": "tenant", "version": "1", "release": "t100", "namespace": "voice",
            "chart": {"name": "tenant", "repository": "oci://r.example.com/c"}, **extra}  # fmt: skip
    return EnvironmentSpec.model_validate(data)


def _region(name: str, primary: bool = False, **extra: Any) -> RegionSpec:
    data = {"name": name, "primary": primary, "cluster": {"name": name, "context": name}, "replicas": 3, **extra}
    return RegionSpec.model_validate(data)


def _note(version: str, day: int, **extra: Any) -> ReleaseNote:
    return ReleaseNote.model_validate(
        {
            "version": version,
            "released": datetime.date(2024, 1, day),
            "chart_version": version,
            "image_tag": version,
            **extra,
        }
    )


NOTES = {
    n.version: n for n in (_note("100.0.9", 1), _note("100.0.10", 2), _note("100.0.10.1", 5), _note("100.0.11", 3))
}


def test_rollout_order_primary_first_then_listed_then_by_name() -> None:
    regions = [_region("c"), _region("b"), _region("p", primary=True), _region("a")]
    assert rollout_order(_env(rollout={"order": ["c"]}), regions) == ["p", "c", "a", "b"]


def test_support_window_orders_by_release_date_not_version_string() -> None:
    # 100.0.10.1 sorts before 100.0.11 as a string but was released after it.
    assert support_window(NOTES) == ("100.0.10", "100.0.11", "100.0.10.1")


def test_check_support_blocks_outside_n_minus_2() -> None:
    problems, risks = check_support("100.0.9", NOTES, _env(), WHERE, "version")
    assert risks == []
    assert len(problems) == 1
    assert problems[0].location == WHERE and problems[0].path == "version"
    assert "N-2" in problems[0].message and "100.0.9" in problems[0].message


def test_check_support_allowed_outside_window_is_a_loud_risk() -> None:
    problems, risks = check_support("100.0.9", NOTES, _env(rollout={"allow_unsupported_version": True}), WHERE, "v")
    assert problems == []
    assert risks and risks[0].startswith("UNSUPPORTED")


def test_check_support_inside_window_passes() -> None:
    assert check_support("100.0.10", NOTES, _env(), WHERE, "version") == ([], [])


def test_check_prerequisites_names_region_component_installed_and_required() -> None:
    note = _note("100.0.11", 3, requires={"redis": ">=7.2", "postgresql": ">=14"})
    region = _region("eastus", third_party={"redis": "7.0.15", "postgresql": "15.6"})
    problems = check_prerequisites(region, note, WHERE)
    assert len(problems) == 1
    text = problems[0].message
    assert all(word in text for word in ("eastus", "redis", "7.0.15", ">=7.2"))
    assert problems[0].path == "third_party.redis"


def test_check_prerequisites_unknown_installed_version_blocks() -> None:
    problems = check_prerequisites(_region("x"), _note("1", 1, requires={"consul": ">=1.15"}), WHERE)
    assert [p.path for p in problems] == ["third_party.consul"]


def test_check_prerequisites_met_is_empty() -> None:
    note = _note("1", 1, requires={"kubernetes": ">=1.25,<1.31"})
    assert check_prerequisites(_region("x", third_party={"kubernetes": "1.29.4"}), note, WHERE) == []


@pytest.mark.parametrize("reported", ["v1.29.4-eks-a1b2c3", "v1.29.4-gke.1043002", "1.29.4+k3s1", "v1.29.4", "1.29"])
def test_check_prerequisites_reads_kubernetes_versions_as_clusters_report_them(reported: str) -> None:
    note = _note("1", 1, requires={"kubernetes": ">=1.26,<1.30"})
    assert check_prerequisites(_region("x", third_party={"kubernetes": reported}), note, WHERE) == []


def test_check_prerequisites_compares_kubernetes_on_major_minor_patch() -> None:
    # The distribution build is no pre-release: v1.30.0-eks-… is 1.30.0, which >=1.30 admits and <1.30 refuses.
    region = _region("x", third_party={"kubernetes": "v1.30.0-eks-a1b2c3"})
    assert check_prerequisites(region, _note("1", 1, requires={"kubernetes": ">=1.30"}), WHERE) == []
    problems = check_prerequisites(region, _note("1", 1, requires={"kubernetes": "<1.30"}), WHERE)
    assert [p.path for p in problems] == ["third_party.kubernetes"]
    assert "third-party-prerequisite" in problems[0].message


@pytest.mark.parametrize("reported", ["v1.30.0-rc.1", "v1.30.0-alpha.3", "v1.30.0-beta.0+k3s1", "1.30.0-rc.1-eks-a1"])
def test_check_prerequisites_kubernetes_pre_release_is_not_the_release_it_leads_to(reported: str) -> None:
    region = _region("x", third_party={"kubernetes": reported})
    [problem] = check_prerequisites(region, _note("1", 1, requires={"kubernetes": ">=1.30"}), WHERE)
    assert f"kubernetes {reported} is installed" in problem.message
    assert check_prerequisites(region, _note("1", 1, requires={"kubernetes": ">=1.29"}), WHERE) == []


@pytest.mark.parametrize(("component", "reported", "example"), [
    ("kubernetes", "latest", "1.29.4 or v1.29.4-eks-"),
    ("kubernetes", "1.29.4 eks", "1.29.4 or v1.29.4-eks-"),
    ("kubernetes", "v1", "1.29.4 or v1.29.4-eks-"),
    ("redis", "7.2.4-eks-a1", "7.2.4 or v7.2.4"),
])  # fmt: skip
def test_check_prerequisites_malformed_version_says_what_is_expected(component: str, reported: str,
                                                                      example: str) -> None:  # fmt: skip
    note = _note("1", 1, requires={component: ">=1"})
    problems = check_prerequisites(_region("eastus", third_party={component: reported}), note, WHERE)
    assert [p.path for p in problems] == [f"third_party.{component}"]
    message = problems[0].message
    assert f"{reported!r} is not a version number" in message and f"expected a version such as {example}" in message
    assert "region eastus" in message


def test_classify_each_change_kind() -> None:
    assert classify(release_changed=True, chart_changed=True, tags_only=True, other_changed=False) == "upgrade"
    assert classify(release_changed=True, chart_changed=False, tags_only=True, other_changed=False) == "image-only"
    assert classify(release_changed=True, chart_changed=False, tags_only=False, other_changed=True) == "upgrade"
    assert classify(release_changed=False, chart_changed=False, tags_only=False, other_changed=True) == "config"
    assert classify(release_changed=False, chart_changed=False, tags_only=False, other_changed=False) == "noop"


def test_note_risks_flags_security_migration_provisioning_and_stale_keys() -> None:
    keys = {"removed": ["tenant.old"], "renamed": [{"from": "tenant.a", "to": "tenant.b"}]}
    note = _note(
        "2",
        2,
        critical_security_fix=True,
        database_migration="irreversible",
        provisioning_changes=True,
        values_keys=keys,
    )
    risks = note_risks(note, {"tenant.old", "tenant.a", "tenant.other"})
    assert any(r.startswith("URGENT") for r in risks)
    assert any("irreversible" in r for r in risks)
    assert any("provisioning" in r for r in risks)
    assert any("tenant.a" in r and "tenant.old" in r for r in risks)
    assert note_risks(_note("3", 3), set()) == []


def test_note_risks_a_removed_key_counts_as_set_when_a_value_under_it_is() -> None:
    note = _note("2", 2, values_keys={"removed": ["tenant.old"], "renamed": [{"from": "tenant.a", "to": "tenant.b"}]})
    [risk] = note_risks(note, {"tenant.old.enabled", "tenant.a.host", "tenant.older"})
    assert risk.endswith("are still set: tenant.old, tenant.a")
    assert note_risks(note, {"tenant.older", "tenant.ab"}) == []
