"""The rollout order of environments: each after every environment it needs, ties by name."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.plan.rollout import rollout_order
from compiler.spec.needs import find_cycles


def test_rollout_order_puts_needs_first_and_breaks_ties_by_name() -> None:
    needs = {"voice": ["redis", "tenant"], "tenant": ["redis"], "gws": [], "redis": []}
    assert rollout_order(needs) == ["gws", "redis", "tenant", "voice"]


def test_rollout_order_without_needs_is_by_name() -> None:
    assert rollout_order({"staging": [], "prod": []}) == ["prod", "staging"]


def test_rollout_order_refuses_a_cycle_naming_its_members_in_order() -> None:
    with pytest.raises(ValueError, match="needs form a cycle: a → c → b → a"):
        rollout_order({"a": ["c"], "b": ["a"], "c": ["b"], "d": []})


def test_find_cycles_one_per_group_smallest_name_first() -> None:
    needs = {"x": ["y"], "y": ["x", "z"], "z": ["y"], "p": ["q"], "q": ["p"], "s": ["s"], "t": ["x"]}
    assert find_cycles(needs) == [["p", "q", "p"], ["x", "y", "x"]]


def test_find_cycles_ignores_self_references_and_unknown_names() -> None:
    assert find_cycles({"a": ["a", "ghost"], "b": ["a"]}) == []


def test_find_cycles_survives_a_long_chain() -> None:
    # A chain longer than Python's recursion limit: the walk must be iterative.
    names = [f"e{i:05d}" for i in range(5000)]
    needs = {name: [names[i + 1]] if i + 1 < len(names) else [names[0]] for i, name in enumerate(names)}
    (cycle,) = find_cycles(needs)
    assert cycle[0] == cycle[-1] == "e00000" and len(cycle) == 5001


@st.composite
def acyclic_needs(draw: st.DrawFn) -> dict[str, list[str]]:
    names = draw(st.lists(st.from_regex(r"[a-z]{1,4}", fullmatch=True), min_size=1, max_size=12, unique=True))
    # An edge only from a later name to an earlier one in a shuffled list: never a cycle.
    shuffled = draw(st.permutations(names))
    return {
        env: draw(st.lists(st.sampled_from(shuffled[:i]), unique=True)) if i else []
        for i, env in enumerate(shuffled)
    }


@settings(max_examples=200, deadline=None)
@given(acyclic_needs())
def test_rollout_order_respects_every_need_and_is_deterministic(needs: dict[str, list[str]]) -> None:
    order = rollout_order(needs)
    assert sorted(order) == sorted(needs)
    position = {env: i for i, env in enumerate(order)}
    for env, wanted in needs.items():
        assert all(position[w] < position[env] for w in wanted), (env, wanted, order)
    assert rollout_order(dict(reversed(list(needs.items())))) == order
    assert find_cycles(needs) == []
