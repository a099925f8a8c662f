"""plan.md: the reviewer's view of a plan."""

from __future__ import annotations

import json
from typing import Any

from compiler.plan.model import DiffEntry, Plan, RegionChange, Release, Step
from compiler.render.gitops import gitops_notes
from compiler.render.shellwords import shell_join
from compiler.render.templating import render

MAX_CELL = 60


def render_plan_md(plan: Plan, gitops: list[str] | None = None) -> str:
    """The Markdown plan of one environment."""
    changed = [r for r in plan.regions if r.change != "noop"]
    return render(
        "plan.md.j2",
        plan=plan,
        summary=[_summary_row(r) for r in plan.regions],
        mermaid=_mermaid(plan),
        diffs=[{"name": r.name, "rows": [_diff_row(d) for d in r.diff]} for r in plan.regions],
        steps=[_step(s) for s in plan.steps],
        uninstall=[_step(s) for s in plan.uninstall],
        rollback=[_step(s) for s in plan.rollback],
        risk_lines=[{"name": r.name, "risk": risk} for r in changed for risk in r.risks],
        irreversible=plan.irreversible,
        fast_path=[{"name": f.region, "command": shell_join(f.argv)} for f in plan.fast_path],
        gitops=gitops_notes(plan) if gitops is None else gitops,
        primary_move=_primary_move(plan),
    )


def _primary_move(plan: Plan) -> dict[str, Any] | None:
    """The primary move section: both regions, their steps, and the window between them."""
    move = plan.primary_move
    if move is None:
        return None
    numbers = {s.region: n for n, s in enumerate(plan.steps, start=1) if s.phase in ("upgrade", "restart")}
    return {
        "source": move.source,
        "destination": move.destination,
        "first": numbers.get(move.destination),
        "second": numbers.get(move.source),
        "backup": next((n for n, s in enumerate(plan.steps, start=1) if s.phase == "backup"), None),
        "removed": any(r.name == move.source and r.change == "uninstall" for r in plan.regions),
    }


def _release(release: Release | None) -> str:
    if release is None:
        return "—"
    if release.chart_version == release.version and release.image_tag == release.version:
        return f"`{release.version}`"
    return f"`{release.version}` (chart `{release.chart_version}`, image `{release.image_tag}`)"


def _summary_row(change: RegionChange) -> dict[str, Any]:
    return {
        "name": change.name,
        "primary": change.primary,
        "wave": change.wave,
        "from": _release(change.base.release if change.base else None),
        "to": _release(change.target.release if change.target else None),
        "change": change.change,
        "risk": _cell(_worst(change.risks)) if change.risks else "none",
    }


SEVERE = ("DOWNGRADE", "UNSUPPORTED", "full outage", "irreversible", "data loss", "URGENT")


def _worst(risks: tuple[str, ...]) -> str:
    """The risk a reviewer must see first: outages and irreversible steps before degradations."""
    ranked = sorted(risks, key=lambda r: next((i for i, w in enumerate(SEVERE) if w in r), len(SEVERE)))
    more = f" (+{len(risks) - 1} more)" if len(risks) > 1 else ""
    return ranked[0] + more


def _cell(text: str) -> str:
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= MAX_CELL * 2 else text[: MAX_CELL * 2 - 1] + "…"


def _value(value: Any) -> str:
    if value is None:
        return ""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    if len(text) > MAX_CELL:
        text = text[: MAX_CELL - 1] + "…"
    return "`" + text.replace("`", "'").replace("|", "\\|") + "`"


def _diff_row(entry: DiffEntry) -> dict[str, str]:
    if entry.secret:
        hidden = "*(secret, hidden)*"
        return {"path": entry.path, "op": entry.op, "old": hidden if entry.op != "added" else "",
                "new": hidden if entry.op != "removed" else ""}  # fmt: skip
    return {"path": entry.path, "op": entry.op, "old": _value(entry.old), "new": _value(entry.new)}


def _step(step: Step) -> dict[str, Any]:
    return {**step.as_dict(), "command": shell_join(step.argv) if step.argv is not None else ""}


def _mermaid(plan: Plan) -> str:
    """The rollout as a left-to-right flowchart: backup, then each region and its gate."""
    lines = ["flowchart LR"]
    previous = "start([start])"
    if any(s.phase == "backup" for s in plan.steps):
        lines.append(f"  {previous} --> backup[(database backup)]")
        previous = "backup"
    for change in plan.regions:
        if change.change in ("noop", "uninstall"):
            continue
        label = f"{change.name}{' (primary)' if change.primary else ''}: {change.change}"
        node = f'r{change.wave}["{label}"]'
        gate = f"g{change.wave}{{{{verify {change.name}}}}}"
        lines.append(f"  {previous} --> {node} --> {gate}")
        previous = f"g{change.wave}"
    removed = sorted((r for r in plan.regions if r.change == "uninstall"), key=lambda r: (r.primary, -r.wave))
    for change in removed:
        lines.append(f'  {previous} --> u{change.wave}["uninstall {change.name}"]')
        previous = f"u{change.wave}"
    lines.append(f"  {previous} --> done([done])")
    return "\n".join(lines)
