"""`rollplan drift`: read-only, compare every region's live release with the plan's base (exit 3 on drift).

It runs the same helm and kubectl queries as the scripts' live checks. A region
is in sync when it runs the base, already at target when it runs the target,
stopped when its workload runs at 0 replicas (an interrupted stop for a database
restore, which helm does not see), and drifted otherwise (a hand-made change, a
half-finished run, a missing release).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from compiler import console
from compiler.live.fingerprint import Fingerprint, differing_paths
from compiler.live.helm import LiveQueryError, Queries, read_release, read_replicas
from compiler.live.verdict import Expected, classify, describe, expectation, live_print
from compiler.pipeline import compile_deployed
from compiler.plan import argv, guard
from compiler.plan.model import Plan, RegionChange
from compiler.profiles.registry import profile_for

EXIT_DRIFTED = 3
EXIT_UNREADABLE = 1
UNREADABLE = "not readable"
STOPPED = "stopped (0 replicas)"
HEADERS = ("region", "expected base", "live", "state")


def run(root: Path, envs: Sequence[str], base: str | None, *, as_json: bool) -> int:
    compiled, _, warnings = compile_deployed(root, envs, base)
    for warning in warnings:
        console.warning(warning)
    rows = {env: [_row(plan, change) for change in plan.regions] for env, plan in compiled.plans.items()}
    states = {row["state"] for env_rows in rows.values() for row in env_rows}
    drifted = bool({"drifted", STOPPED} & states)
    if as_json:
        ok = not drifted and UNREADABLE not in states
        console.document({"ok": ok, "drifted": drifted, "environments": rows})
    else:
        console.result("\n\n".join(_table(env, env_rows) for env, env_rows in rows.items()) or "no environments")
    # One unreachable cluster does not hide the others: every region is reported, then the worst outcome wins.
    return EXIT_UNREADABLE if UNREADABLE in states else EXIT_DRIFTED if drifted else 0


def _row(plan: Plan, change: RegionChange) -> dict[str, Any]:
    rules = guard.region_rules(change, guard.plan_rules(plan.env, plan.base_env))
    state = change.base or change.current  # where the release runs now
    replicas_query = argv.workload_replicas(state, profile_for(plan.service).workload(state))
    try:
        queries = Queries(argv.helm_get(state, "metadata"), argv.helm_get(state, "values"), replicas_query)
        live = read_release(queries)
        replicas = read_replicas(queries) if live is not None else None
    except LiveQueryError as err:
        console.progress(f"error: {change.name}: {err}")
        return {"region": change.name, "context": state.context, "expected_base": _print(change.base_print),
                "expected_target": _print(change.target_print), "live": None, "live_text": "?",
                "expected_text": expectation(change.base_print), "state": UNREADABLE, "values_differ_at": [],
                "error": str(err)}  # fmt: skip
    found = classify(Expected(change.name, state.release_name, change.base_print, change.target_print), live, rules)
    return {
        "region": change.name,
        "context": state.context,
        "expected_base": _print(change.base_print),
        "expected_target": _print(change.target_print),
        "live": None if live is None else {"chart_version": live.chart_version, "status": live.status,
                                           "revision": live.revision,
                                           "values_sha256": live_print(live, rules).values_sha256},
        "live_text": describe(live, rules),
        "expected_text": expectation(change.base_print),
        "replicas": replicas,
        "state": STOPPED if replicas == 0 and found != "absent" else _label(found, change),
        "values_differ_at": differing_paths(change.base.values, live.values, rules)
        if live is not None and change.base is not None and found != "base" else [],
    }  # fmt: skip


def _print(fp: Fingerprint | None) -> dict[str, str] | None:
    return fp.as_dict() if fp is not None else None


def _label(found: str, change: RegionChange) -> str:
    if found == "absent":
        return "in sync" if change.base_print is None else "already at target" if change.target_print is None \
            else "drifted"  # fmt: skip
    return {"base": "in sync", "target": "already at target"}.get(found, "drifted")


def _table(env: str, rows: list[dict[str, Any]]) -> str:
    cells = [HEADERS, *((r["region"], r["expected_text"], r["live_text"], r["state"]) for r in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(HEADERS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    notes = [f"{r['region']}: values differ from the base at {_paths(r['values_differ_at'])}"
             for r in rows if r["state"] == "drifted" and r["values_differ_at"]]  # fmt: skip
    return f"environment {env}\n" + "\n".join([*lines, *notes])


def _paths(paths: list[str], shown: int = 5) -> str:
    more = f" and {len(paths) - shown} more" if len(paths) > shown else ""
    return ", ".join(paths[:shown]) + more
