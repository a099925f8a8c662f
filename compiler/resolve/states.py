"""Resolve loaded specs into per-region states: release, effective values, files."""

from __future__ import annotations

from collections.abc import Mapping

from compiler.plan.model import RegionState, Release
from compiler.profiles.registry import profile_for
from compiler.resolve.values import effective_values, values_files
from compiler.spec.load import LoadedEnvironment, Specs
from compiler.spec.models import EnvironmentSpec, RegionSpec, ReleaseNote


def resolve_release(env: EnvironmentSpec, region: RegionSpec, notes: Mapping[str, ReleaseNote]) -> Release:
    """The release a region runs: its pin, else the environment's version; explicit overrides win."""
    if region.pin is not None:
        note = notes[region.pin.version]
        return Release(
            version=note.version,
            chart_version=region.pin.chart_version or note.chart_version,
            image_tag=region.pin.image_tag or note.image_tag,
        )
    note = notes[env.version]
    return Release(
        version=note.version,
        chart_version=env.chart.version or note.chart_version,
        image_tag=env.image.tag or note.image_tag,
    )


def region_states(loaded: LoadedEnvironment, specs: Specs) -> dict[str, RegionState]:
    """Every region of an environment that is (to be) deployed, by name."""
    env = loaded.spec
    notes = specs.release_notes.get(env.service, {})
    profile = profile_for(env.service)
    tag_paths, replicas_path = profile.tag_paths(env), profile.replicas_path(env)
    states: dict[str, RegionState] = {}
    for region in loaded.regions:
        if region.state != "present":
            continue
        release = resolve_release(env, region, notes)
        states[region.name] = RegionState(
            env=env,
            region=region,
            release=release,
            values=effective_values(
                env, region, specs.values, release.image_tag, tag_paths=tag_paths, replicas_path=replicas_path
            ),
            values_files=values_files(env, region),
        )
    return states
