"""`rollplan diff`: print the redacted per-region values diff, base → target."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from compiler import console
from compiler.pipeline import compile_deployed
from compiler.plan.model import RegionChange
from compiler.render.planjson import plan_document


def run(root: Path, envs: Sequence[str], base: str | None, *, as_json: bool, exit_code: bool = False) -> int:
    compiled, _, warnings = compile_deployed(root, envs, base)
    for warning in warnings:
        console.warning(warning)
    changes = [c for plan in compiled.plans.values() for c in plan.regions if c.change != "noop" or c.diff]
    if as_json:
        docs = {env: plan_document(p, compiled.fingerprints[env])["regions"] for env, p in compiled.plans.items()}
        console.document({"ok": True, "environments": docs, "changes": len(changes)})
    else:
        lines = [line for env, plan in compiled.plans.items() for c in plan.regions for line in _lines(env, c)]
        console.result("\n".join(lines) if lines else "no regions")
    return 3 if exit_code and changes else 0  # like `git diff --exit-code`


def _lines(env: str, change: RegionChange) -> list[str]:
    lines = [f"{env}/{change.name}: {change.change}"]
    for entry in change.diff:
        if entry.secret:
            lines.append(f"  ~ {entry.path}: (secret, {entry.op})")
            continue
        old = json.dumps(entry.old, sort_keys=True, ensure_ascii=False)
        new = json.dumps(entry.new, sort_keys=True, ensure_ascii=False)
        sign = {"added": "+", "removed": "-", "changed": "~"}[entry.op]
        detail = {"added": new, "removed": old, "changed": f"{old} → {new}"}[entry.op]
        lines.append(f"  {sign} {entry.path}: {detail}")
    return lines
