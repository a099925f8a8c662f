"""`rollplan validate`: every check compile runs, and all problems at once.

Loading is strict (C-5), and then every environment is planned and rendered
in memory against the deployed base, as `compile` would: policy (the N-2
window, third-party prerequisites), reserved names and every cross-file rule.
A repository `validate` calls valid compiles. Nothing is written.

An environment whose specs do not load does not hide the others: each
environment that loads on its own is still planned, and the problems of all
of them are reported together, sorted (exit 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from compiler import console
from compiler.errors import GitError, InputError, Problem
from compiler.pipeline import compile_deployed, load_target
from compiler.spec.load import Specs


def run(root: Path, envs: Sequence[str], base: str | None = None, *, as_json: bool) -> int:
    problems: list[Problem] = []
    try:
        specs = load_target(root, envs)
        planned: Sequence[str] = envs
    except InputError as err:
        problems += err.problems
        planned = _loading_alone(root, envs)
        if not planned:
            raise
    with console.slow_progress("validating …"):
        try:
            compiled, chosen, warnings = compile_deployed(root, planned, base)
            plans, described = compiled.plans, chosen.described
        except InputError as err:  # every environment was planned: these are the problems of all of them
            if not problems:
                raise
            raise InputError(list(dict.fromkeys([*problems, *err.problems]))) from err
        except GitError as err:
            if base is not None or "not inside a git repository" not in str(err):
                raise
            # No deployed state to plan against: the specs are valid, the policy could not be checked.
            plans, described, warnings = {}, "none (not a git repository)", [f"{err}: plans not checked"]
    if problems:
        raise InputError(problems)
    warnings = [*(note for _, loaded in sorted(specs.environments.items()) for note in loaded.overridden), *warnings]
    for warning in warnings:
        console.warning(warning)
    summary: dict[str, dict[str, Any]] = {
        name: {"regions": [r.name for r in loaded.regions], "version": loaded.spec.version}
        for name, loaded in sorted(specs.environments.items())
    }
    for name, plan in plans.items():
        summary[name]["changes"] = sum(r.change != "noop" for r in plan.regions)
    notes = sum(len(v) for v in specs.release_notes.values())
    if as_json:
        console.document({"ok": True, "environments": summary, "release_notes": notes, "base": described,
                          "warnings": warnings})
        return 0
    for name, info in summary.items():
        console.result(f"{name}: {len(info['regions'])} region(s), version {info['version']}: ok")
    console.result(f"{len(summary)} environment(s), {notes} release note(s): valid (base: {described})")
    return 0


def _loading_alone(root: Path, envs: Sequence[str]) -> list[str]:
    """The environments (of ``envs``, or all) whose specs load on their own, when some did not."""
    names = list(envs) or sorted(p.parent.name for p in (root / "environments").glob("*/environment.yaml"))
    return [name for name in names if _loads(root, name)]


def _loads(root: Path, name: str) -> Specs | None:
    try:
        return load_target(root, [name])
    except InputError:
        return None
