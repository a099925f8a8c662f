"""Resolve loaded specs into per-region states: release, effective values, files."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from compiler.plan.model import RegionState, Release
from compiler.resolve.secrets import (
    Leaf,
    redact,
    redacted_paths,
    secret_leaves,
    secret_texts,
    supplied_paths,
    without_owned,
)
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


@dataclass(frozen=True)
class PlanStates:
    target: dict[str, RegionState]
    base: dict[str, RegionState]
    pasted: dict[str, list[str]]
    """Target paths, by region, hidden only because they equal a secret of the base: helm gets them from no file."""


def plan_states(
    target: LoadedEnvironment, target_specs: Specs, base: LoadedEnvironment | None, base_specs: Specs | None,
    rules: Secrets,
) -> PlanStates:  # fmt: skip
    """The region states of both sides of a plan (base empty without one).

    A secret pasted again is the same secret (rule 8) across regions and sides too: a
    password in one region's values of the base and its copy in another region's file,
    or left in the target, are hidden alike.
    """
    target_rules, target_merged = _merged(target, target_specs, rules)
    sides = [(target.spec, target_merged, target_rules)]
    if base is not None and base_specs is not None:
        base_rules, base_merged = _merged(base, base_specs, rules)
        sides.append((base.spec, base_merged, base_rules))
    own = _texts(target_merged, target_rules)
    known = {text for _, merged, side_rules in sides for text in _texts(merged, side_rules)}
    states = [_states(env, merged, side_rules, known) for env, merged, side_rules in sides]
    pasted: dict[str, list[str]] = {}
    for region, _, effective, leaves in target_merged if known - own else ():
        alone = set(redacted_paths(redact(effective, target_rules, own, leaves)))
        extra = [p for p in redacted_paths(states[0][region.name].values) if p not in alone]
        if extra:
            pasted[region.name] = extra
    return PlanStates(states[0], states[1] if len(states) > 1 else {}, pasted)


_Merged = list[tuple[RegionSpec, Release, dict[str, Any], list[Leaf]]]
"""Each region to be deployed: its release, its effective values (not yet redacted), and their leaves, walked once."""


def _merged(loaded: LoadedEnvironment, specs: Specs, rules: Secrets) -> tuple[Secrets, _Merged]:
    """The side's rules, and the effective values (not yet redacted) of every region to be deployed."""
    env = loaded.spec
    notes = specs.release_notes.get(env.service, {})
    rules = without_owned(rules, owned_paths(env))  # the image tag and replica count are the spec's, never secret
    merged: _Merged = []
    for region in loaded.regions:
        if region.state != "present":
            continue
        release = resolve_release(env, region, notes)
        effective = effective_values(env, region, specs.values, release.image_tag)
        merged.append((region, release, effective, secret_leaves(effective, rules)))
    return rules, merged


def _texts(merged: _Merged, rules: Secrets) -> set[str]:
    return {text for _, _, values, leaves in merged for text in secret_texts(values, rules, leaves)}


def _states(env: EnvironmentSpec, merged: _Merged, rules: Secrets, known: set[str]) -> dict[str, RegionState]:
    states: dict[str, RegionState] = {}
    for region, release, effective, leaves in merged:
        values = redact(effective, rules, known, leaves)
        states[region.name] = RegionState(
            env=env,
            region=region,
            release=release,
            values=values,
            values_files=values_files(env, region),
            secret_paths=supplied_paths(values, rules),
        )
    return states
