"""Compare a live release with the plan's expectations, and decide what a script does next.

A region is at the plan's base, at its target, in between (a chart version of
the plan with other values or an unfinished revision: a partial run), absent,
or unknown (something the plan never deployed). What follows depends on the
direction: forward runs only from the base; a rollback restores from the
target or from in between; ``rollback-all`` (an irreversible migration, whose
database restore touches every region) restores any region the plan knows.

A region whose workload runs at 0 replicas was stopped with kubectl (the stop
before a database restore), which leaves its helm release as it was: it looks
at base or target, but it is not. Outside ``rollback-all`` (which stops every
region itself) the check stops there and says which run to finish.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from compiler.live.fingerprint import Fingerprint, values_digest
from compiler.live.helm import LiveRelease
from compiler.spec.models import Secrets

LiveState = Literal["base", "target", "between", "absent", "unknown"]
Mode = Literal["forward", "rollback", "rollback-all"]
Action = Literal["proceed", "skip", "stop"]
MODES: tuple[Mode, ...] = ("forward", "rollback", "rollback-all")
DEPLOYED = "deployed"
# `helm uninstall --keep-history` leaves the release's records behind with this status: nothing runs.
UNINSTALLED = "uninstalled"


@dataclass(frozen=True)
class Expected:
    """What the plan expects of one region: its release before (base) and after (target); None = no release."""

    region: str
    release: str
    base: Fingerprint | None
    target: Fingerprint | None
    resume: tuple[str, int] | None = None
    """The plan's script that stops regions for a database restore, and the number of its restore step."""


@dataclass(frozen=True)
class Verdict:
    state: LiveState
    action: Action
    message: str


def live_print(live: LiveRelease, rules: Secrets) -> Fingerprint:
    return Fingerprint(live.chart_version, values_digest(live.values, rules))


def classify(expected: Expected, live: LiveRelease | None, rules: Secrets) -> LiveState:
    """Where the live release stands against the plan. Base wins when base and target look alike."""
    if live is None or live.status == UNINSTALLED:
        return "absent"
    found = live_print(live, rules)
    finished = live.status == DEPLOYED
    if finished and expected.base is not None and expected.base.matches(found):
        return "base"
    if finished and expected.target is not None and expected.target.matches(found):
        return "target"
    sides = [fp for fp in (expected.base, expected.target) if fp is not None]
    return "between" if any(fp.knows_chart(live.chart_version) for fp in sides) else "unknown"


def describe(live: LiveRelease | None, rules: Secrets) -> str:
    if live is None or live.status == UNINSTALLED:
        return "no release"
    found = live_print(live, rules)
    status = "" if live.status == DEPLOYED else f", status {live.status}"
    return f"{found.short()}, revision {live.revision}{status}"


def expectation(fp: Fingerprint | None) -> str:
    return fp.short() if fp is not None else "no release"


def decide(
    mode: Mode, expected: Expected, live: LiveRelease | None, rules: Secrets, replicas: int | None = None
) -> Verdict:
    state = classify(expected, live, rules)
    if replicas == 0 and state != "absent" and mode != "rollback-all":
        return Verdict(state, "stop", _stopped(expected, describe(live, rules)))
    action = _ACTIONS[mode](state, expected)
    return Verdict(state, action, _message(mode, action, state, expected, describe(live, rules)))


def _forward(state: LiveState, expected: Expected) -> Action:
    if state == "absent":
        # An install starts from no release; an uninstall that already ran has nothing left to do.
        return "proceed" if expected.base is None else "skip" if expected.target is None else "stop"
    return {"base": "proceed", "target": "skip"}.get(state, "stop")  # type: ignore[return-value]


def _rollback(state: LiveState, expected: Expected) -> Action:
    if state == "absent":
        return "skip" if expected.base is None else "proceed" if expected.target is None else "stop"
    return {"base": "skip", "target": "proceed", "between": "proceed"}.get(state, "stop")  # type: ignore[return-value]


def _rollback_all(state: LiveState, expected: Expected) -> Action:
    return "proceed" if state == "base" else _rollback(state, expected)


_ACTIONS = {"forward": _forward, "rollback": _rollback, "rollback-all": _rollback_all}


def _message(mode: Mode, action: Action, state: LiveState, expected: Expected, found: str) -> str:
    who = f"{expected.region}: release {expected.release}"
    if action == "stop":
        wanted = _wanted(mode, expected)
        return f"{who} runs {found}, but the plan expects {wanted}: stopping before {expected.region} is touched"
    if action == "skip":
        if mode == "forward":
            return f"{who} is already at the plan's target ({found}): skipping its change steps, still verifying it"
        return f"{who} is at the plan's base ({found}): nothing to restore, skipping its rollback steps"
    if mode != "forward" and state == "base":
        return f"{who} is at the plan's base ({found}); restored anyway: the database restore concerns every region"
    where = {"base": "at the plan's base", "target": "at the plan's target", "between": "between base and target",
             "absent": "not installed"}.get(state, state)  # fmt: skip
    return f"{who} is {where} ({found}): proceeding"


def _stopped(expected: Expected, found: str) -> str:
    """A region scaled to zero: which run stopped it, and how to finish that run."""
    who = f"{expected.region}: release {expected.release}"
    if expected.resume is not None:
        script, number = expected.resume
        cause = (
            f"an interrupted run of {script} stopped it for the database restore; finish that run first: resume "
            f"it with '{script} --from {number}' (the restore; '--from {number + 1}' if that restore completed)"
        )
    else:
        cause = (
            "this plan never stops it, so it was scaled down by hand or by an interrupted run of another plan: "
            "finish that run, or scale it back, first"
        )
    return f"{who} runs {found} but is scaled to 0 replicas: {cause}; stopping before {expected.region} is touched"


def _wanted(mode: Mode, expected: Expected) -> str:
    base, target = expectation(expected.base), expectation(expected.target)
    if mode == "forward":
        first = "no release (an install)" if expected.base is None else f"its base ({base})"
        return f"{first}, or its target ({target}) when a rerun finds it done"
    return f"its target ({target}), its base ({base}), or a revision of one of those charts"
