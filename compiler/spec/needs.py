"""Cross-environment check of `needs:` (multi-service rollouts): every name known, no self-reference, no cycle.

The graph functions are pure, over environment names; the rollout order uses them too.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from compiler.errors import Location, Problem

if TYPE_CHECKING:
    from compiler.spec.load import LoadedEnvironment
    from compiler.spec.provides import Link


def needs_problems(
    environments: Mapping[str, LoadedEnvironment], known: Sequence[str], implicit: Mapping[str, Sequence[Link]] = {}
) -> list[Problem]:
    """Problems of the loaded environments' `needs`, located at the entry that causes each.

    ``known`` lists every environment of the repository: a run limited with
    --env still accepts a need on an environment it does not load. ``implicit``
    are the needs that `provides` adds (spec/provides.py): a cycle through one of
    them is reported at the provides entry it comes from, with its reason.
    """
    problems: list[Problem] = []
    for name, env in sorted(environments.items()):
        for index, wanted in enumerate(env.spec.needs):
            if wanted == name:
                problems.append(_at(env, index, f"environment {name!r} cannot need itself"))
            elif wanted not in known:
                listed = ", ".join(sorted(n for n in known if n != name)) or "none"
                problems.append(_at(env, index, f"unknown environment {wanted!r} (other environments: {listed})"))
            elif wanted in env.spec.needs[:index]:
                problems.append(_at(env, index, f"environment {wanted!r} is listed twice"))
    graph = {name: [*env.spec.needs, *(link.provider for link in implicit.get(name, ()))]
             for name, env in environments.items()}  # fmt: skip
    for cycle in find_cycles(graph):
        text = " → ".join(cycle)
        for member, nxt in itertools.pairwise(cycle):
            env = environments[member]
            if nxt in env.spec.needs:
                message = f"needs form a cycle: {text}; remove one of these needs"
                problems.append(_at(env, env.spec.needs.index(nxt), message))
                continue
            link = next(k for k in implicit[member] if k.provider == nxt)
            message = (f"needs form a cycle: {text}; {member} → {nxt} is implicit: {link.reason}; remove one of "
                       "these needs or provides")  # fmt: skip
            problems.append(Problem(link.where, "provides", message))
    return problems


Needs = Mapping[str, Sequence[str]]


def find_cycles(needs: Needs) -> list[list[str]]:
    """One cycle per group of environments that need each other, as its members in order, closed by the first.

    Each starts at the group's smallest name and follows the smallest names
    first, so the same graph always gives the same message. Self-references
    are not cycles here: loading names them on their own.
    """
    edges = {env: sorted({n for n in wanted if n in needs and n != env}) for env, wanted in needs.items()}
    cycles: list[list[str]] = []
    for group in _groups(edges):
        if len(group) > 1:
            cycles.append(_cycle_through(min(group), set(group), edges))
    return sorted(cycles)


def _cycle_through(start: str, members: set[str], edges: Mapping[str, list[str]]) -> list[str]:
    """A simple path start → … → start inside ``members`` (one exists: they all reach each other)."""
    path = [start]
    choices = [iter([n for n in edges[start] if n in members])]
    seen = {start}
    while choices:
        nxt = next(choices[-1], None)
        if nxt is None:
            choices.pop()
            seen.discard(path.pop())
            continue
        if nxt == start:
            return [*path, start]
        if nxt in seen:
            continue
        path.append(nxt)
        seen.add(nxt)
        choices.append(iter([n for n in edges[nxt] if n in members]))
    raise AssertionError(f"{start} is in a group of environments that need each other but reaches none of them")


def _groups(edges: Mapping[str, list[str]]) -> list[list[str]]:
    """Strongly connected components (Kosaraju, iterative: a long chain of needs must not exhaust the stack)."""
    finished: list[str] = []
    visited: set[str] = set()
    for root in sorted(edges):
        if root in visited:
            continue
        visited.add(root)
        stack = [(root, iter(edges[root]))]
        while stack:
            env, pending = stack[-1]
            nxt = next(pending, None)
            if nxt is None:
                stack.pop()
                finished.append(env)
            elif nxt not in visited:
                visited.add(nxt)
                stack.append((nxt, iter(edges[nxt])))
    reverse: dict[str, list[str]] = {env: [] for env in edges}
    for env, wanted in edges.items():
        for other in wanted:
            reverse[other].append(env)
    groups: list[list[str]] = []
    assigned: set[str] = set()
    for root in reversed(finished):
        if root in assigned:
            continue
        group: list[str] = []
        todo = [root]
        assigned.add(root)
        while todo:
            env = todo.pop()
            group.append(env)
            for other in reverse[env]:
                if other not in assigned:
                    assigned.add(other)
                    todo.append(other)
        groups.append(sorted(group))
    return groups


def _at(env: LoadedEnvironment, index: int, message: str) -> Problem:
    where: Location = env.locate(env.spec_file, ("needs", index))
    return Problem(where, f"needs.{index}", message)
