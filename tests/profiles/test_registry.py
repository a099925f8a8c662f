"""The profile registry: every service the spec admits has exactly one profile."""

from __future__ import annotations

import typing

from compiler.profiles.registry import PROFILES, profile_for
from compiler.profiles.tenant import TenantProfile
from compiler.spec.models import EnvironmentSpec, ReleaseNote


def _services(model: type[EnvironmentSpec] | type[ReleaseNote]) -> set[str]:
    return set(typing.get_args(model.model_fields["service"].annotation))


def test_registry_covers_every_service_the_spec_admits() -> None:
    assert set(PROFILES) == _services(EnvironmentSpec)
    assert _services(ReleaseNote) <= set(PROFILES)


def test_registry_keys_are_the_profiles_own_service_names() -> None:
    assert all(profile.service == service for service, profile in PROFILES.items())


def test_profile_for_tenant_is_the_tenant_profile() -> None:
    assert isinstance(profile_for("tenant"), TenantProfile)
