"""The values paths rollplan sets itself (image tag paths, replica count) must lead through mappings.

rollplan writes the image tag at every `image.paths` entry and the replica
count at `paths.replicas`, creating mappings on the way. Where a values file
already holds a string, number or list on the way (`images.registry.tag` when
`images.registry` is the registry's host name), setting the path would
replace that value with a mapping: the chart would silently lose it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from compiler.errors import Problem
from compiler.spec.models import RegionSpec

if TYPE_CHECKING:
    from compiler.spec.load import LoadedEnvironment
    from compiler.spec.yamlio import Document


def owned_path_problems(loaded: LoadedEnvironment, documents: Mapping[str, Document]) -> list[Problem]:
    """One problem per owned path that crosses a non-mapping value in some present region's values files."""
    problems: dict[tuple[str, str], Problem] = {}
    spec = loaded.spec
    owned: list[tuple[str, tuple[str | int, ...]]] = [
        (path, ("image", "paths", index)) for index, path in enumerate(spec.image.paths)
    ]
    owned.append((spec.paths.replicas, ("paths", "replicas")))
    for region in loaded.regions:
        if region.state != "present":
            continue
        for path, field in owned:
            for file, crossed in _crossings(path, _files(loaded, region), documents):
                if (path, crossed) in problems:
                    continue
                doc = documents[file]
                where = doc.locate(crossed.split("."))
                kind = _kind(_get(doc.data, crossed.split(".")))
                message = (
                    f"rollplan sets {path} here, which goes through {crossed}: {where} sets that to {kind}, "
                    "which setting the path would replace; expected a mapping there, or a path that does not cross it"
                )
                problems[(path, crossed)] = Problem(
                    loaded.locate(loaded.spec_file, field), ".".join(map(str, field)), message
                )
    return list(problems.values())


def owned_path_overrides(loaded: LoadedEnvironment, documents: Mapping[str, Document]) -> list[str]:
    """One note per values file that sets an owned path itself: rollplan's value wins, the file's never arrives.

    Not an error (the file may predate the spec, or serve another tool too), but
    a change to that key alone plans nothing, which a reviewer must be told.
    """
    spec = loaded.spec
    owned = [(path, ("version",), "version (or a region's pin)") for path in spec.image.paths]
    owned.append((spec.paths.replicas, ("replicas",), "each region's replicas"))
    notes: dict[tuple[str, str], str] = {}
    for region in loaded.regions:
        for file in _files(loaded, region) if region.state == "present" else ():
            doc = documents.get(file)
            for path, field, winner in owned:
                if doc is None or (file, path) in notes or _get(doc.data, path.split("."), _MISSING) is _MISSING:
                    continue
                source = loaded.spec_file if field == ("version",) else loaded.region_files[region.name]
                notes[(file, path)] = (
                    f"{doc.locate(path.split('.'))} sets {path}, which rollplan sets from {winner} "
                    f"({loaded.locate(source, field)}): the file's value is overridden and changing it alone "
                    "plans nothing; change the spec field instead, or remove the key (rule: owned-path-override)"
                )
    return [notes[key] for key in sorted(notes)]


def _files(loaded: LoadedEnvironment, region: RegionSpec) -> tuple[str, ...]:
    return (*loaded.spec.values, *region.values)


def _crossings(path: str, files: Sequence[str], documents: Mapping[str, Document]) -> Iterator[tuple[str, str]]:
    """(file, prefix) where the last file to set a proper prefix of ``path`` sets it to a non-mapping."""
    parts = path.split(".")
    for end in range(1, len(parts)):
        prefix = parts[:end]
        setter: str | None = None
        for file in files:
            doc = documents.get(file)
            if doc is None:
                continue
            value = _get(doc.data, prefix, missing=_MISSING)
            if value is not _MISSING:
                setter = file if value is not None and not isinstance(value, Mapping) else None
        if setter is not None:
            yield setter, ".".join(prefix)
            return


_MISSING = object()


def _get(data: Any, parts: Sequence[str], missing: Any = None) -> Any:
    node = data
    for part in parts:
        if not isinstance(node, Mapping) or part not in node:
            return missing
        node = node[part]
    return node


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    return "a string"
