"""The service profiles, keyed by the ``service`` an environment names."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from compiler.profiles.base import Profile
from compiler.profiles.generic import GenericProfile
from compiler.profiles.tenant import TenantProfile

PROFILES: Mapping[str, Profile] = MappingProxyType(
    {profile.service: profile for profile in (TenantProfile(), GenericProfile())}
)


def profile_for(service: str) -> Profile:
    """The profile of ``service``; the spec's ``service`` field only admits registered names."""
    try:
        return PROFILES[service]
    except KeyError:
        raise AssertionError(f"no profile for service {service!r}: the spec model and the registry disagree") from None
