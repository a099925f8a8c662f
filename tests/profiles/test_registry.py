"""The profile registry: one profile per service the spec admits."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest

from compiler.profiles import generic, tenant
from compiler.profiles.registry import PROFILES, profile_for
from compiler.spec.models import EnvironmentSpec, ReleaseNote


def test_registry_keys_are_exactly_the_services_the_spec_admits() -> None:
    services = set(get_args(EnvironmentSpec.model_fields["service"].annotation))
    assert set(PROFILES) == services
    assert set(get_args(ReleaseNote.model_fields["service"].annotation)) == services


def test_registry_profile_for_returns_the_profile_of_that_service() -> None:
    for service, profile in PROFILES.items():
        assert profile_for(service) is profile and profile.service == service


def test_registry_unknown_service_is_a_bug_not_a_user_error() -> None:
    with pytest.raises(AssertionError, match="no profile for service 'nope'"):
        profile_for("nope")


def test_registry_readme_table_names_each_profile_default() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Service profiles", 1)[1].split("\n## ", 1)[0]
    for module in (tenant, generic):
        assert f"`{module.SERVICE}`" in table
        for path in (*module.TAG_PATHS, module.REPLICAS_PATH):
            assert f"`{path}`" in table, f"the README's profile table misses {path}"
    assert f"`{tenant.HEALTH_METRIC} >= {tenant.HEALTHY_LEVEL}`" in table
