"""`rollplan compile`: plan every environment and write generated/<env>/."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from compiler import layout, output
from compiler.pipeline import Compiled, compile_repo, output_dir
from compiler.plan import Plan
from compiler.writer import write_folder


def run(root: Path, envs: Sequence[str], base: str, *, as_json: bool, commit: bool = False, branch: str | None = None) -> int:
    output.progress(f"compiling against base {base} …")
    compiled = compile_repo(root, envs, base)
    written = write_all(root, compiled)
    if as_json:
        output.document({"ok": True, "plans": [plan_summary(p) for p in compiled.plans.values()], "changed": written})
        return 0
    for plan in compiled.plans.values():
        output.result(summary_line(plan))
    output.result("\n".join(f"wrote {p}" for p in written) if written else "generated/ is up to date")
    return 0


def write_all(root: Path, compiled: Compiled) -> list[str]:
    """Write every environment's folder; every file is rendered before the first write."""
    written: list[str] = []
    for env, files in compiled.files.items():
        changed = write_folder(output_dir(root, env), files)
        written += [f"{layout.env_dir(env)}/{p}" for p in changed]
    return written


def plan_summary(plan: Plan) -> dict[str, Any]:
    return {
        "environment": plan.environment,
        "urgent": plan.urgent,
        "regions": [{"name": r.name, "change": r.change, "risks": list(r.risks)} for r in plan.regions],
        "steps": len(plan.steps),
        "rollback_steps": len(plan.rollback),
        "uninstall_steps": len(plan.uninstall),
    }


def summary_line(plan: Plan) -> str:
    changes = ", ".join(f"{r.name} {r.change}" for r in plan.regions) or "no regions"
    urgent = " URGENT" if plan.urgent else ""
    return f"{plan.environment}:{urgent} {changes}; {len(plan.steps)} steps, rollback {len(plan.rollback)} steps"
