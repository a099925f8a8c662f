"""`rollplan diff`: print the redacted per-region values diff, base → target."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from compiler import console
from compiler.pipeline import compile_repo
from compiler.render.planjson import plan_document


def run(root: Path, envs: Sequence[str], base: str, *, as_json: bool) -> int:
    compiled = compile_repo(root, envs, base)
    if as_json:
        docs = {env: plan_document(p, compiled.fingerprints[env])["regions"] for env, p in compiled.plans.items()}
        console.document({"ok": True, "environments": docs})
        return 0
    lines: list[str] = []
    for env, plan in compiled.plans.items():
        for change in plan.regions:
            lines.append(f"{env}/{change.name}: {change.change}")
            for entry in change.diff:
                if entry.secret:
                    lines.append(f"  ~ {entry.path}: (secret, {entry.op})")
                    continue
                old = json.dumps(entry.old, sort_keys=True, ensure_ascii=False)
                new = json.dumps(entry.new, sort_keys=True, ensure_ascii=False)
                sign = {"added": "+", "removed": "-", "changed": "~"}[entry.op]
                detail = {"added": new, "removed": old, "changed": f"{old} → {new}"}[entry.op]
                lines.append(f"  {sign} {entry.path}: {detail}")
    console.result("\n".join(lines) if lines else "no regions")
    return 0
