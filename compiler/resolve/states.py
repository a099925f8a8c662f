"""Resolve loaded specs into per-region states: release, effective values, files."""

from __future__ import annotations

from collections.abc import Mapping

from compiler.plan.model import RegionState, Release
from compiler.resolve.secrets import redact, supplied_paths
from compiler.resolve.values import effective_values, values_files
from compiler.spec.load import LoadedEnvironment, Specs
from compiler.spec.models import EnvironmentSpec, RegionSpec, ReleaseNote, Secrets


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


def region_states(loaded: LoadedEnvironment, specs: Specs, rules: Secrets) -> dict[str, RegionState]:
    """Every region of an environment that is (to be) deployed, by name, its values redacted by ``rules``.

    ``rules`` are the secret rules of both sides of the plan, so that a value secret
    on either side is hidden on both: nothing after this point holds a secret.
    """
    env = loaded.spec
    notes = specs.release_notes.get(env.service, {})
    states: dict[str, RegionState] = {}
    for region in loaded.regions:
        if region.state != "present":
            continue
        release = resolve_release(env, region, notes)
        values = redact(effective_values(env, region, specs.values, release.image_tag), rules)
        states[region.name] = RegionState(
            env=env,
            region=region,
            release=release,
            values=values,
            values_files=values_files(env, region),
            secret_paths=supplied_paths(values, rules),
        )
    return states
