"""The values diff agrees with DeepDiff's tree report, read the way rollplan reads it.

DeepDiff is the reference here only: the diff itself is a plain walk over the
two trees. The reference is asked to look at every key (``__``-prefixed ones
too) and never to collapse a mapping whose keys mostly changed into one
change, which would carry the whole mapping, secrets included. Its scalars
never compare equal across types (no 0 beside False, no 2.0 beside 2):
inside lists DeepDiff compares items by hash, so [False] and [0] look equal
to it. (Where nothing else changed, documents equal by == have no diff at all.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from deepdiff import DeepDiff
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.plan.diff import values_diff
from compiler.plan.model import DiffEntry
from compiler.resolve.secrets import redact, secret_locations
from compiler.resolve.values import leaf_paths
from compiler.spec.models import EnvironmentSpec

ENV = EnvironmentSpec.model_validate(
    {
        "service": "tenant",
        "version": "1",
        "release": "t100",
        "namespace": "voice",
        "chart": {"name": "tenant", "repository": "oci://r.example.com/c"},
        "secrets": {"paths": ["a.password"]},
    }
)
REPORTS = {
    "values_changed": "changed",
    "type_changes": "changed",
    "dictionary_item_added": "added",
    "dictionary_item_removed": "removed",
    "iterable_item_added": "changed",
    "iterable_item_removed": "changed",
}


def _escaped(key: str) -> str:
    # helm's --set form: a dot inside a key is written \. (and a backslash \\).
    return key.replace("\\", "\\\\").replace(".", "\\.")


def _keys(path: str) -> list[str]:
    return [re.sub(r"\\(.)", r"\1", part) for part in re.findall(r"(?:\\.|[^.\\])+", path)]


def _dotted(parts: Iterable[Any]) -> tuple[str, bool]:
    keys: list[str] = []
    for part in parts:
        if isinstance(part, int):
            return ".".join(keys), True
        keys.append(_escaped(str(part)))
    return ".".join(keys), False


def _get(values: Mapping[str, Any], path: str) -> Any:
    node: Any = values
    for key in _keys(path):
        node = node.get(key) if isinstance(node, Mapping) else None
    return node


def _holds_secret(path: str, value: Any) -> bool:
    """The policy asked about ``value`` where it sits: secret when any leaf of it is."""
    doc: Any = value
    for key in reversed(_keys(path)):
        doc = {key: doc}
    return any(secret_locations(doc, ENV.secrets))


def _entry(path: str, op: str, old: Any, new: Any) -> DiffEntry:
    if _holds_secret(path, old) or _holds_secret(path, new):
        return DiffEntry(path=path, op=op, secret=True)  # type: ignore[arg-type]
    return DiffEntry(path=path, op=op, old=old, new=new)  # type: ignore[arg-type]


def reference_diff(base: dict[str, Any], target: dict[str, Any]) -> tuple[DiffEntry, ...]:
    if base == target:
        return ()
    found: dict[str, DiffEntry] = {}
    tree = DeepDiff(base, target, view="tree", verbose_level=2, threshold_to_diff_deeper=0,
                    ignore_private_variables=False)  # fmt: skip
    for report, op in REPORTS.items():
        for item in tree.get(report, ()):
            path, in_list = _dotted(item.path(output_format="list"))
            if in_list:
                found[path] = _entry(path, "changed", _get(base, path), _get(target, path))
            elif op in ("added", "removed") and isinstance(item.t2 if op == "added" else item.t1, Mapping):
                side = item.t2 if op == "added" else item.t1
                pairs = list(leaf_paths(side, path + ".")) if side else [(path, side)]
                for leaf, value in pairs:
                    found[leaf] = _entry(leaf, op, None if op == "added" else value, value if op == "added" else None)
            else:
                found[path] = _entry(path, op, None if op == "added" else item.t1, None if op == "removed" else item.t2)
    return tuple(found[p] for p in sorted(found))


# "a.b" beside "a" → "b": a dotted key and a nested path must stay two paths.
KEYS = st.sampled_from(["a", "b", "password", "__x", "list", "a.b", "a\\"])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.sampled_from([-2, 2, 3]), st.sampled_from([-0.5, 2.5]), st.sampled_from(["", "x", "1"])
)
TREES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=12,
)
VALUES = st.dictionaries(KEYS, TREES, max_size=4)


@settings(max_examples=400, deadline=None)
@given(VALUES, VALUES)
def test_values_diff_matches_deepdiff_reference(base: dict[str, Any], target: dict[str, Any]) -> None:
    assert values_diff(redact(base, ENV.secrets), redact(target, ENV.secrets)) == reference_diff(base, target)


@settings(max_examples=200, deadline=None)
@given(VALUES)
def test_values_diff_of_a_tree_and_itself_is_empty(values: dict[str, Any]) -> None:
    assert values_diff(redact(values, ENV.secrets), redact(values, ENV.secrets)) == ()


def test_values_diff_mapping_with_mostly_new_keys_is_reported_leaf_by_leaf() -> None:
    base = {"a": {"password": "hunter2", "host": "h"}}
    target = {"a": {"password": "hunter3", "url": "u", "port": 1}}
    diff = values_diff(redact(base, ENV.secrets), redact(target, ENV.secrets))
    assert [(d.path, d.op) for d in diff] == [
        ("a.host", "removed"), ("a.password", "changed"), ("a.port", "added"), ("a.url", "added")
    ]  # fmt: skip
    assert "hunter" not in repr(diff)


def test_values_diff_reports_double_underscore_keys() -> None:
    diff = values_diff({"a": {"__x": 1}}, {"a": {"__x": 2}})
    assert [(d.path, d.old, d.new) for d in diff] == [("a.__x", 1, 2)]


def test_values_diff_int_float_and_bool_differ_in_type() -> None:
    diff = values_diff({"a": {"n": 1, "b": True}, "z": 0}, {"a": {"n": 1.0, "b": 1}, "z": 1})
    assert [(d.path, d.old, d.new) for d in diff] == [("a.b", True, 1), ("a.n", 1, 1.0), ("z", 0, 1)]


def test_values_diff_dotted_key_and_nested_path_stay_apart() -> None:
    base = {"a.b": 1, "a": {"b": 1}, "podAnnotations": {"prometheus.io/scrape": "true"}}
    target = {"a.b": 2, "a": {"b": 1}, "podAnnotations": {"prometheus.io/scrape": "false"}}
    assert values_diff(base, target) == (
        DiffEntry(path="a\\.b", op="changed", old=1, new=2),
        DiffEntry(path="podAnnotations.prometheus\\.io/scrape", op="changed", old="true", new="false"),
    )
    swapped = values_diff({"a.b": 1}, {"a": {"b": 1}})
    assert [(e.path, e.op) for e in swapped] == [("a.b", "added"), ("a\\.b", "removed")]
