"""The values diff of one region, base → target, and what it signals to the rules."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from compiler.plan.model import DiffEntry, DiffOp
from compiler.resolve.secrets import contains_redacted
from compiler.resolve.values import leaf_paths, path_key
from compiler.spec.models import EnvironmentSpec


def values_diff(base: Mapping[str, Any], target: Mapping[str, Any]) -> tuple[DiffEntry, ...]:
    """Leaf-level changes of redacted values base → target, sorted by path; secret entries carry no values.

    Values differ when their types do (1, 1.0 and True are three values). A
    change anywhere inside a list is one change of the whole list, at its path:
    helm replaces lists whole. A mapping added or removed is reported leaf by leaf.
    """
    if base == target:
        return ()
    found: dict[str, DiffEntry] = {}
    _diff_mappings(base, target, "", found)
    return tuple(found[p] for p in sorted(found))


def _diff_mappings(old: Mapping[str, Any], new: Mapping[str, Any], prefix: str, found: dict[str, DiffEntry]) -> None:
    for key, value in new.items():
        if key not in old:
            _one_side(found, f"{prefix}{path_key(key)}", "added", value)
    for key, value in old.items():
        path = f"{prefix}{path_key(key)}"
        if key not in new:
            _one_side(found, path, "removed", value)
            continue
        other = new[key]
        if isinstance(value, Mapping) and isinstance(other, Mapping):
            _diff_mappings(value, other, path + ".", found)
        elif not _same(value, other):
            _record(found, path, "changed", value, other)


def _one_side(found: dict[str, DiffEntry], path: str, op: DiffOp, value: Any) -> None:
    """A key only one side has: each leaf of a non-empty mapping, else the value itself."""
    leaves = leaf_paths(value, path + ".") if isinstance(value, Mapping) and value else [(path, value)]
    for leaf, leaf_value in leaves:
        old, new = (None, leaf_value) if op == "added" else (leaf_value, None)
        _record(found, leaf, op, old, new)


def _same(a: Any, b: Any) -> bool:
    """Equal values of equal types, all the way down."""
    if type(a) is not type(b):
        return False
    if isinstance(a, Mapping):
        return a.keys() == b.keys() and all(_same(value, b[key]) for key, value in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(map(_same, a, b))
    return bool(a == b)


def _record(found: dict[str, DiffEntry], path: str, op: DiffOp, old: Any, new: Any) -> None:
    # A list with one secret item is hidden whole: the diff shows a list as one value.
    if contains_redacted(old) or contains_redacted(new):
        found[path] = DiffEntry(path=path, op=op, secret=True)
    else:
        found[path] = DiffEntry(path=path, op=op, old=old, new=new)


@dataclass(frozen=True)
class Signals:
    """What a region's diff means to the planning rules.

    ``database`` and ``redis``: a connection the profile watches changes (see its prefixes).
    """

    tags_only: bool
    database: bool
    redis: bool
    secret_refs: bool
    secret_values: bool = False


def _under(path: str, prefixes: Iterable[str]) -> bool:
    return any(path == p or path.startswith(p + ".") for p in prefixes)


def signals(
    diff: tuple[DiffEntry, ...], env: EnvironmentSpec, *, database: Iterable[str] = (), redis: Iterable[str] = ()
) -> Signals:
    """Classify a region's diff: tag paths only, changes under the ``database``/``redis`` prefixes, secret refs.

    A secret entry never reaches helm from the repository (the secret store supplies
    it), so it signals only that secrets changed: it starts no Redis choreography.
    """
    paths = [entry.path for entry in diff if not entry.secret]
    tag_paths = set(env.image.paths)
    return Signals(
        tags_only=bool(diff) and all(entry.path in tag_paths and not entry.secret for entry in diff),
        database=any(_under(p, database) for p in paths),
        redis=any(_under(p, redis) for p in paths),
        secret_refs=any("secret" in p.lower() for p in paths),
        secret_values=any(entry.secret for entry in diff),
    )
