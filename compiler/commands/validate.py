"""`rollplan validate`: every check compile runs, and all problems at once.

Loading is strict (C-5), and then every environment is planned and rendered
in memory against the deployed base, as `compile` would: policy (the N-2
window, third-party prerequisites), reserved names and every cross-file rule.
A repository `validate` calls valid compiles. Nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from compiler import console
from compiler.errors import GitError
from compiler.pipeline import compile_deployed, load_target


def run(root: Path, envs: Sequence[str], base: str | None = None, *, as_json: bool) -> int:
    specs = load_target(root, envs)  # the loading problems first: a plan needs specs that load
    with console.slow_progress("validating …"):
        try:
            compiled, chosen, warnings = compile_deployed(root, envs, base)
            plans, described = compiled.plans, chosen.described
        except GitError as err:
            if base is not None or "not inside a git repository" not in str(err):
                raise
            # No deployed state to plan against: the specs are valid, the policy could not be checked.
            plans, described, warnings = {}, "none (not a git repository)", [f"{err}: plans not checked"]
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
