"""Effective values: what helm receives for one region.

Merge rule (the one helm applies to several ``-f`` files): later files win;
mappings merge key by key, recursively; lists and scalars are replaced whole.
Order: the environment's values files, then the region's, then the fields
the spec owns (the image tag at every tag path, the replica count).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from compiler.spec.models import EnvironmentSpec, RegionSpec


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """A new mapping: ``override`` layered over ``base`` by the merge rule above."""
    merged: dict[str, Any] = dict(base)
    for key, value in override.items():
        old = merged.get(key)
        if isinstance(old, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(old, value)
        else:
            merged[key] = _copy(value)
    return merged


def _copy(value: Any) -> Any:
    """A deep copy; plain YAML data (dicts, lists, immutable scalars) without ``copy.deepcopy``'s bookkeeping."""
    kind = type(value)
    if kind is dict:
        return {key: _copy(item) for key, item in value.items()}
    if kind is list:
        return [_copy(item) for item in value]
    if kind in _IMMUTABLE:
        return value
    return copy.deepcopy(value)


_IMMUTABLE = frozenset((str, int, float, bool, type(None)))


def set_path(values: dict[str, Any], path: str, value: Any) -> None:
    """Set dotted ``path`` in ``values``, creating mappings on the way (replacing non-mappings)."""
    node = values
    *parents, leaf = path.split(".")
    for key in parents:
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child
    node[leaf] = value


def get_path(values: Mapping[str, Any], path: str) -> Any:
    """The value at dotted ``path``, or None when any part is missing."""
    node: Any = values
    for key in path.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def values_files(env: EnvironmentSpec, region: RegionSpec) -> tuple[str, ...]:
    """The repo-relative values files of a region, in the order helm layers them."""
    return (*env.values, *region.values)


def effective_values(
    env: EnvironmentSpec,
    region: RegionSpec,
    documents: Mapping[str, Mapping[str, Any]],
    image_tag: str,
) -> dict[str, Any]:
    """The merged values of one region; ``documents`` maps a repo path to its parsed values."""
    merged: dict[str, Any] = {}
    for path in values_files(env, region):
        merged = deep_merge(merged, documents[path])
    _set_owned_fields(merged, env, region, image_tag)  # merged shares nothing with the documents
    return merged


def _set_owned_fields(values: dict[str, Any], env: EnvironmentSpec, region: RegionSpec, image_tag: str) -> None:
    for path in env.image.paths:
        set_path(values, path, image_tag)
    set_path(values, env.paths.replicas, region.replicas)


def path_key(key: object) -> str:
    """One key as a dotted path writes it: a dot in the key escaped as helm's --set does (``a\\.b``).

    Without it, key ``a.b`` and key ``b`` under ``a`` would be one path, and a
    change to either could hide the other's. A backslash is escaped too.
    """
    return str(key).replace("\\", "\\\\").replace(".", "\\.")


def leaf_paths(values: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    """Every (dotted path, leaf value) of ``values``, keys as path_key writes them; empty mappings count as leaves."""
    for key, value in values.items():
        path = f"{prefix}{path_key(key)}"
        if isinstance(value, Mapping) and value:
            yield from leaf_paths(value, path + ".")
        else:
            yield path, value
