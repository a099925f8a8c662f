"""The values diff of one region, base → target, and what it signals to the rules."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from deepdiff import DeepDiff

from compiler.models import EnvironmentSpec
from compiler.plan import DiffEntry, DiffOp
from compiler.secrets import is_secret_path
from compiler.values import leaf_paths

_REPORTS: dict[str, DiffOp] = {
    "values_changed": "changed",
    "type_changes": "changed",
    "dictionary_item_added": "added",
    "dictionary_item_removed": "removed",
    "iterable_item_added": "changed",
    "iterable_item_removed": "changed",
}


def _dotted(parts: Iterable[Any]) -> tuple[str, bool]:
    """A dotted path up to the first list index, and whether a list index was cut off."""
    keys: list[str] = []
    for part in parts:
        if isinstance(part, int):
            return ".".join(keys), True
        keys.append(str(part))
    return ".".join(keys), False


def _get(values: Mapping[str, Any], path: str) -> Any:
    node: Any = values
    for key in path.split("."):
        node = node.get(key) if isinstance(node, Mapping) else None
    return node


def values_diff(base: Mapping[str, Any], target: Mapping[str, Any], env: EnvironmentSpec) -> tuple[DiffEntry, ...]:
    """Leaf-level changes base → target, sorted by path; secret paths carry no values."""
    if base == target:
        return ()
    found: dict[str, DiffEntry] = {}
    tree = DeepDiff(dict(base), dict(target), view="tree", verbose_level=2)
    for report, op in _REPORTS.items():
        for item in tree.get(report, ()):
            path, in_list = _dotted(item.path(output_format="list"))
            if in_list:
                _record(found, path, "changed", _get(base, path), _get(target, path), env)
            elif op == "added" and isinstance(item.t2, Mapping) and item.t2:
                for leaf, value in leaf_paths(item.t2, path + "."):
                    _record(found, leaf, "added", None, value, env)
            elif op == "removed" and isinstance(item.t1, Mapping) and item.t1:
                for leaf, value in leaf_paths(item.t1, path + "."):
                    _record(found, leaf, "removed", value, None, env)
            else:
                old = None if op == "added" else item.t1
                new = None if op == "removed" else item.t2
                _record(found, path, op, old, new, env)
    return tuple(found[p] for p in sorted(found))


def _record(found: dict[str, DiffEntry], path: str, op: DiffOp, old: Any, new: Any, env: EnvironmentSpec) -> None:
    if is_secret_path(path, env.secrets):
        found[path] = DiffEntry(path=path, op=op, secret=True)
    else:
        found[path] = DiffEntry(path=path, op=op, old=old, new=new)


@dataclass(frozen=True)
class Signals:
    """What a region's diff means to the planning rules."""

    tags_only: bool
    database: bool
    redis: bool
    replicas: bool
    secret_refs: bool


def _under(path: str, prefixes: Iterable[str]) -> bool:
    return any(path == p or path.startswith(p + ".") for p in prefixes)


def signals(diff: tuple[DiffEntry, ...], env: EnvironmentSpec) -> Signals:
    """Classify a region's diff into the signals the rules act on."""
    paths = [entry.path for entry in diff]
    tag_paths = set(env.image.paths)
    return Signals(
        tags_only=bool(paths) and all(p in tag_paths for p in paths),
        database=any(_under(p, env.paths.database) for p in paths),
        redis=any(_under(p, env.paths.redis) for p in paths),
        replicas=env.paths.replicas in paths,
        secret_refs=any("secret" in p.lower() for p in paths),
    )
