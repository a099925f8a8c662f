"""The profile registry: one profile per service the spec admits."""

from __future__ import annotations

from typing import get_args

import pytest

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
