"""The order environments roll out in: each after every environment it `needs`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from compiler.spec.needs import find_cycles

Needs = Mapping[str, Sequence[str]]


def rollout_order(needs: Needs) -> list[str]:
    """A topological order of ``needs``' keys, ties by name, so the same graph always gives the same order.

    Names that are not keys are ignored (loading refuses them before a plan is
    made), and so are self-references. Raises ValueError on a cycle.
    """
    waiting = {env: {n for n in wanted if n in needs and n != env} for env, wanted in needs.items()}
    order: list[str] = []
    while waiting:
        ready = sorted(env for env, wanted in waiting.items() if not wanted)
        if not ready:
            raise ValueError("needs form a cycle: " + " → ".join(find_cycles(needs)[0]))
        first = ready[0]
        order.append(first)
        del waiting[first]
        for wanted in waiting.values():
            wanted.discard(first)
    return order
