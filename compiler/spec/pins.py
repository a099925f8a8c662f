"""A chart version or image tag written beside a version must say what its release note says.

A release note names the chart version and image tag of its release. An
override that contradicts it (a pin's ``chart_version``, the environment's
``chart.version``) would deploy a chart or image the plan does not describe:
the N-2 window, the migrations and the prerequisites are read from the note of
another release than the one that runs. Checked on the target side only: the
base is what was deployed, however it was written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from compiler.errors import Problem

if TYPE_CHECKING:
    from compiler.spec.load import LoadedEnvironment
    from compiler.spec.models import ReleaseNote

RULE = "pin-matches-note"
_FIELDS = (("chart_version", "chart version"), ("image_tag", "image tag"))


def note_contradictions(loaded: LoadedEnvironment, notes: Mapping[str, ReleaseNote], folder: str) -> list[Problem]:
    """Every override of ``loaded`` that contradicts the release note of its version, located at the override."""
    spec = loaded.spec
    found: list[Problem] = []
    overrides = {"chart_version": ("chart", "version"), "image_tag": ("image", "tag")}
    env_values = {"chart_version": spec.chart.version, "image_tag": spec.image.tag}
    for key, label in _FIELDS:
        found += _contradiction(loaded, loaded.spec_file, overrides[key], env_values[key],
                                notes.get(spec.version), key, label, folder, "")  # fmt: skip
    for region in loaded.regions:
        if region.pin is None:
            continue
        file = loaded.region_files[region.name]
        pinned = {"chart_version": region.pin.chart_version, "image_tag": region.pin.image_tag}
        for key, label in _FIELDS:
            found += _contradiction(loaded, file, ("pin", key), pinned[key], notes.get(region.pin.version), key,
                                    label, folder, f"region {region.name}: ")  # fmt: skip
    return found


def _contradiction(
    loaded: LoadedEnvironment,
    file: str,
    path: tuple[str, str],
    written: str | None,
    note: ReleaseNote | None,
    key: str,
    label: str,
    folder: str,
    who: str,
) -> list[Problem]:
    listed = getattr(note, key) if note is not None else None
    if written is None or listed is None or written == listed:
        return []
    assert note is not None
    message = (
        f"{who}{'.'.join(path)} is {written!r}, but {folder}/{note.version}.yaml lists {label} {listed!r} for "
        f"version {note.version}; remove {'.'.join(path)} (the release note gives it), or pin the version whose "
        f"release note lists {written!r} (rule: {RULE})"
    )
    return [Problem(loaded.locate(file, path), ".".join(path), message)]
