"""The service profiles by ``service``: the one place a new profile is registered."""

from __future__ import annotations

from compiler.profiles.base import Profile
from compiler.profiles.generic import GenericProfile
from compiler.profiles.tenant import TenantProfile

PROFILES: dict[str, Profile] = {profile.service: profile for profile in (TenantProfile(), GenericProfile())}


def profile_for(service: str) -> Profile:
    """The profile of ``service``; the spec models admit only registered services."""
    return PROFILES[service]
