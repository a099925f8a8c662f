"""Effective values: helm's merge rule and the fields the spec owns."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.resolve.values import deep_merge, effective_values, get_path, set_path
from compiler.spec.models import EnvironmentSpec, RegionSpec

ENV = EnvironmentSpec.model_validate(
    {
        "service": "tenant",
        "version": "100.0.1",
        "release": "t100",
        "namespace": "voice",
        "chart": {"name": "tenant", "repository": "oci://registry.example.com/charts"},
        "values": ["env/a.yaml", "env/b.yaml"],
    }
)
REGION = RegionSpec.model_validate(
    {"name": "west", "primary": True, "cluster": {"name": "w", "context": "w"}, "replicas": 3, "values": ["r.yaml"]}
)


def test_deep_merge_maps_merge_lists_and_scalars_replace() -> None:
    base = {"a": {"x": 1, "y": [1, 2]}, "s": "old"}
    merged = deep_merge(base, {"a": {"y": [3], "z": True}, "s": "new"})
    assert merged == {"a": {"x": 1, "y": [3], "z": True}, "s": "new"}
    assert base == {"a": {"x": 1, "y": [1, 2]}, "s": "old"}, "inputs are not mutated"


def test_effective_values_layers_env_then_region_then_owned_fields() -> None:
    docs = {
        "env/a.yaml": {"tenant": {"general": {"location": "env-a"}, "deployment": {"replicaCount": 9}}},
        "env/b.yaml": {"tenant": {"general": {"location": "env-b", "keep": 1}}},
        "r.yaml": {"tenant": {"general": {"location": "west"}}, "images": {"tenant": {"tag": "stale"}}},
    }
    values = effective_values(ENV, REGION, docs, "100.0.2")
    assert values["tenant"]["general"] == {"location": "west", "keep": 1}
    assert values["tenant"]["deployment"]["replicaCount"] == 3
    assert [get_path(values, p) for p in ENV.image.paths] == ["100.0.2"] * 3


def test_set_path_replaces_a_scalar_on_the_way() -> None:
    values: dict[str, Any] = {"images": "flat"}
    set_path(values, "images.tenant.tag", "1")
    assert values == {"images": {"tenant": {"tag": "1"}}}
    assert get_path(values, "images.missing.tag") is None


leaves = st.one_of(st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=3))
keys = st.text("abc", min_size=1, max_size=2)
trees = st.recursive(leaves, lambda children: st.dictionaries(keys, children), max_leaves=8)


@settings(deadline=None, max_examples=60)
@given(st.dictionaries(keys, trees), st.dictionaries(keys, trees))
def test_deep_merge_override_leaves_always_win(base: dict[str, Any], override: dict[str, Any]) -> None:
    merged = deep_merge(base, override)
    for key, value in override.items():
        if not isinstance(value, dict) or not isinstance(base.get(key), dict):
            assert merged[key] == value
    assert deep_merge(merged, override) == merged, "merging the same override twice changes nothing"
