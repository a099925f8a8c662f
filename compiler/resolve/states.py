"""Resolve loaded specs into per-region states: release, effective values, files."""

from __future__ import annotations

from collections.abc import Mapping

from compiler.plan.model import RegionState, Release
from compiler.resolve.secrets import redact, supplied_paths, without_owned
from compiler.resolve.values import effective_values, values_files
from compiler.spec.load import LoadedEnvironment, Specs
from compiler.spec.models import EnvironmentSpec, RegionSpec, ReleaseNote, Secrets
from compiler.spec.secretcheck import owned_paths


def resolve_release(env: EnvironmentSpec, region: RegionSpec, notes: Mapping[str, ReleaseNote]) -> Release:
    """The release a region runs: its pin, else the environment's version; explicit overrides win.

    Without a release note for the version (a service whose notes are optional), the spec's
    own chart version and image tag, which loading made sure are given.
    """
    if region.pin is not None:
        pin = region.pin
        return _release(pin.version, notes.get(pin.version), pin.chart_version, pin.image_tag)
    return _release(env.version, notes.get(env.version), env.chart.version, env.image.tag)


def _release(version: str, note: ReleaseNote | None, chart_version: str | None, image_tag: str | None) -> Release:
    chart_version = chart_version or (note.chart_version if note else None)
    image_tag = image_tag or (note.image_tag if note else None)
    assert chart_version is not None and image_tag is not None, "loading requires them without a release note"
    return Release(version=note.version if note else version, chart_version=chart_version, image_tag=image_tag)


def region_states(loaded: LoadedEnvironment, specs: Specs, rules: Secrets) -> dict[str, RegionState]:
    """Every region of an environment that is (to be) deployed, by name, its values redacted by ``rules``.

    ``rules`` are the secret rules of both sides of the plan, so that a value secret
    on either side is hidden on both: nothing after this point holds a secret.
    """
    env = loaded.spec
    notes = specs.release_notes.get(env.service, {})
    rules = without_owned(rules, owned_paths(env))  # the image tag and replica count are the spec's, never secret
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
