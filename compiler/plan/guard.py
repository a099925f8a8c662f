"""Live checks: each region's release is compared with the plan before anything changes it.

Every region that changes gets a ``preflight`` step running ``rollplan preflight``
first: forward, it goes on from the base, skips a region already at the target
(a rerun resumes), and stops on anything else; in the rollback it skips a region
still at the base and restores the others. A region its workload shows stopped
(0 replicas: a stop before a database restore, which helm does not see) stops
the check, naming the script of this plan that stops regions and its restore step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from compiler.live.fingerprint import ANY_CHART, Fingerprint, fingerprint, token, union_rules
from compiler.plan import argv
from compiler.plan.model import RegionChange, RegionState, Step
from compiler.plan.steps import StepList
from compiler.spec.models import EnvironmentSpec, Secrets
from compiler.spec.types import VALUES_PATH

if TYPE_CHECKING:
    from compiler.profiles.base import Profile


def plan_rules(env: EnvironmentSpec, base_env: EnvironmentSpec | None) -> Secrets:
    """The secret rules of both sides, as the values files apply them."""
    return union_rules([env.secrets] + ([base_env.secrets] if base_env is not None else []))


def with_prints(change: RegionChange, rules: Secrets) -> RegionChange:
    rules = region_rules(change, rules)
    return replace(change, base_print=_print(change.base, rules), target_print=_print(change.target, rules))


def region_rules(change: RegionChange, rules: Secrets) -> Secrets:
    """``rules`` and the region's redacted paths: a secret pasted from another region is secret only by its path.

    The live release holds the copy but not the secret it copies, so the live check
    must be told where it is, or the release would never match its plan.
    """
    found = {p for state in (change.base, change.target) if state is not None for p in state.secret_paths}
    extra = {p for p in found if VALUES_PATH.match(p)} - set(rules.paths)
    return rules.model_copy(update={"paths": tuple(sorted({*rules.paths, *extra}))}) if extra else rules


def _print(state: RegionState | None, rules: Secrets) -> Fingerprint | None:
    if state is None:
        return None
    # helm reports a repository chart's version from its Chart.yaml, which the plan does not read.
    chart = ANY_CHART if state.env.chart.path is not None else state.release.chart_version
    return fingerprint(chart, state.values, rules)


def live_check(sl: StepList, profile: Profile, change: RegionChange, mode: str, rules: Secrets) -> None:
    """The preflight step that guards ``change`` in one direction (forward, rollback, rollback-all)."""
    state = change.current if mode == "forward" else (change.base or change.current)
    rules = region_rules(change, rules)
    expected = f"base {_show(change.base_print)}, target {_show(change.target_print)}"
    what = "before it changes" if mode == "forward" else "before it is restored"
    sl.add(
        "preflight", change.name,
        argv.live_check(state, change.name, mode, token(change.base_print), token(change.target_print),
                        (rules.paths, rules.words), profile.workload(state)),
        f"check the live {state.release_name} in {change.name} against the plan {what} ({expected}): "
        + _outcomes(mode),
        slug="live-check",
    )  # fmt: skip


def _show(fp: Fingerprint | None) -> str:
    return fp.short() if fp is not None else "no release"


def _outcomes(mode: str) -> str:
    if mode == "forward":
        return "at base, go on; at target, skip its change steps; anything else stops the script"
    if mode == "rollback":
        return "at base, skip it; at target or in between, restore it; anything else stops the script"
    return "restore it unless it runs something the plan never deployed, which stops the script"


def with_resume(scripts: Sequence[tuple[str, Sequence[Step]]]) -> list[tuple[Step, ...]]:
    """Every script's steps, each live check told which script of the plan stops regions (and its restore step).

    At most one script of a plan stops regions for a database restore (the forward plan of a
    downgrade across a migration, or the rollback of an upgrade across one); a region a live
    check finds stopped was left so by an interrupted run of that script.
    """
    resume = next((f"{name}:{n}" for name, steps in scripts for n, s in enumerate(steps, 1)
                   if s.phase == "restore" and any(_stops(o) for o in steps)), None)  # fmt: skip
    return [tuple(_resumable(s, resume) for s in steps) for _, steps in scripts]


def _stops(step: Step) -> bool:
    return step.phase == "scale" and step.argv is not None and "--replicas=0" in step.argv


def _resumable(step: Step, resume: str | None) -> Step:
    words = step.argv
    if resume is None or words is None or tuple(words[:2]) != ("rollplan", "preflight") or "rollback-all" in words:
        return step
    cut = words.index("--")
    return replace(step, argv=(*words[:cut], "--resume", resume, *words[cut:]))
