"""plan.md: the reviewer's view of a plan, with the decision on its first screen.

The first screen says what changes (from → to, in how many regions, of which
kinds), the counts, the urgency, every risk with the regions it applies to,
the manual steps and the rollback strategy; the sections below give the
details. When the whole page would not fit a pull-request comment, the step
lists and the GitOps notes move to steps.md beside it, which plan.md links.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, get_args

from compiler.plan.model import ChangeKind, Plan, RegionChange, Step
from compiler.render import mdsections as sections
from compiler.render import mdtext as md
from compiler.render.gitops import gitops_notes
from compiler.render.shellwords import shell_join
from compiler.render.templating import render
from compiler.render.waits import consumers_line, waits_line

SPLIT_BYTES = 50_000
"""Above this, the step lists go to steps.md: plan.md must fit a GitHub comment (65,536 characters)."""
STEPS_FILE = "steps.md"
SUMMARY_END = "<!-- rollplan:summary-end -->"
"""Ends the first screen: CI can post everything above it when the page is too long for a comment."""
SEVERE = ("DOWNGRADE", "UNSUPPORTED", "URGENT", "full outage", "irreversible", "data loss", "DATA LOSS", "destructive")
COUNT_LABELS = {"install": "to install", "upgrade": "to upgrade", "config": "values-only", "uninstall": "to uninstall",
                "noop": "unchanged"}  # fmt: skip


def render_plan_md(plan: Plan, gitops: list[str] | None = None) -> str:
    """The Markdown plan of one environment, steps included whatever its size."""
    return _page(plan, gitops_notes(plan) if gitops is None else gitops, split=False)


def render_plan_docs(plan: Plan, gitops: list[str] | None = None) -> dict[str, str]:
    """plan.md, plus steps.md when the steps would make plan.md too long for a comment."""
    notes = gitops_notes(plan) if gitops is None else gitops
    whole = _page(plan, notes, split=False)
    if len(whole.encode("utf-8")) <= SPLIT_BYTES:
        return {"plan.md": whole}
    page = _page(plan, notes, split=True)
    if len(page.encode("utf-8")) <= SPLIT_BYTES:
        return {"plan.md": page, STEPS_FILE: _steps_page(plan, notes, diff=False)}
    # Many regions with diffs of their own: the values diff goes beside the steps too.
    page = _page(plan, notes, split=True, diff_elsewhere=True)
    return {"plan.md": page, STEPS_FILE: _steps_page(plan, notes, diff=True)}


def _page(plan: Plan, gitops: list[str], *, split: bool, diff_elsewhere: bool = False) -> str:
    risk_ids = _risk_ids(plan)
    return render(
        "plan.md.j2",
        plan=plan,
        split=split,
        diff_elsewhere=diff_elsewhere,
        steps_file=STEPS_FILE,
        summary_end=SUMMARY_END,
        first_screen=_first_screen(plan, risk_ids, gitops),
        releases=sections.release_notes(plan),
        regions=sections.regions_table(plan, risk_ids),
        mermaid=sections.mermaid(plan),
        diff=sections.values_diff(plan),
        diff_outline=sections.diff_outline(plan),
        steps=sections.step_list(plan.steps),
        steps_outline=_outline("upgrade.sh", plan.steps),
        uninstall=sections.step_list(plan.uninstall),
        uninstall_outline=_outline("uninstall.sh", plan.uninstall),
        rollback=sections.step_list(plan.rollback),
        rollback_outline=_outline("rollback.sh", plan.rollback),
        fast_path=_fast_path(plan),
        irreversible=", ".join(md.text(version) for version in plan.irreversible),
        gitops=gitops,
        primary_move=_primary_move(plan),
    )


def _steps_page(plan: Plan, gitops: list[str], *, diff: bool) -> str:
    return render(
        "steps.md.j2",
        plan=plan,
        diff=sections.values_diff(plan) if diff else [],
        steps=sections.step_list(plan.steps),
        uninstall=sections.step_list(plan.uninstall),
        rollback=sections.step_list(plan.rollback),
        gitops=gitops,
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
        "unchanged": " and ".join(n for n in (move.destination, move.source) if numbers.get(n) is None),
    }


# --- the first screen -------------------------------------------------------------------------------------------


def _first_screen(plan: Plan, risk_ids: dict[str, int], gitops: list[str]) -> list[str]:
    facts = [
        f"**Change:** {_change_sentence(plan)}",
        f"**Plan:** {_count_line(plan)}",
        f"**Urgency:** {_urgency(plan)}",
        f"**Rollback:** {_rollback_line(plan)}",
    ]
    if plan.waits:
        facts.append(waits_line(plan))
    if plan.consumers:
        facts.append(consumers_line(plan))
    lines = [line + " \\" for line in facts[:-1]] + facts[-1:] + [""]
    lines += [f"> **{md.text(risk)}**" for risk in plan.risks] + ([""] if plan.risks else [])
    lines += ["### Risks", "", *_risk_list(plan, risk_ids), ""]
    lines += ["### Manual steps", "", *_manual_steps(plan), ""]
    lines.append("Sections: " + " · ".join(f"[{title}](#{md.slug(title)})" for title in _sections(plan, gitops)))
    return lines


def _change_sentence(plan: Plan) -> str:
    changed = [r for r in plan.regions if r.change != "noop"]
    if not changed:
        return "none: every region already runs the target."
    moves: dict[tuple[str, str], list[RegionChange]] = {}
    for change in changed:
        moves.setdefault((_version(change, "base"), _version(change, "target")), []).append(change)
    parts = [f"{_move(frm, to)} in {_kinds(group)}" for (frm, to), group in moves.items()]
    primary = next((r for r in changed if r.primary), None)
    tail = ""
    if primary is not None and len(changed) > 1:  # the primary goes first, but is removed last
        tail = f", {primary.name} (primary) {'last' if primary.change == 'uninstall' else 'first'}"
    return f"{'; '.join(parts)}. Changing: {len(changed)} of {len(plan.regions)} regions{tail}."


def _move(frm: str, to: str) -> str:
    return f"values only, release {to} unchanged," if frm == to else f"{frm} → {to}"


def _version(change: RegionChange, side: str) -> str:
    state = change.base if side == "base" else change.target
    if state is None:
        return "not installed" if side == "base" else "removed"
    return md.code(state.release.version)


def _kinds(group: Sequence[RegionChange]) -> str:
    counts: dict[str, int] = {}
    for change in group:
        counts[change.change] = counts.get(change.change, 0) + 1
    regions = f"{len(group)} region{'s' if len(group) > 1 else ''}"
    return f"{regions} ({', '.join(f'{n} {md.text(kind)}' for kind, n in counts.items())})"


def _count_line(plan: Plan) -> str:
    """Terraform-like: one count per change kind, every kind the model knows, then the step counts."""
    known = get_args(ChangeKind)
    kinds = [*known, *sorted({r.change for r in plan.regions} - set(known))]
    counts = [f"{sum(r.change == kind for r in plan.regions)} {COUNT_LABELS.get(kind, kind)}" for kind in kinds]
    manual = sum(s.argv is None for s in plan.steps)
    steps = f"{len(plan.steps)} steps in upgrade.sh ({manual} manual), {len(plan.rollback)} in rollback.sh"
    if plan.uninstall:
        steps += f", {len(plan.uninstall)} in uninstall.sh"
    return f"{', '.join(counts)}; {steps}."


def _urgency(plan: Plan) -> str:
    if plan.urgent:
        return "**URGENT**: the target release is a critical security fix. Schedule this rollout early."
    return "routine: no critical security fix on the way."


def _rollback_line(plan: Plan) -> str:
    if not plan.rollback:
        return "nothing to roll back."
    if plan.irreversible:
        return (
            f"**restore**: the database migration of {', '.join(md.code(v) for v in plan.irreversible)} cannot be "
            "undone, so rollback.sh stops every changed region, restores the backup taken before the upgrade "
            "(writes since then are lost), then re-installs the deployed state."
        )
    fast = " A failed region upgrade can take the fast path, `helm rollback`." if _fast_path(plan) else ""
    return (
        "rollback.sh re-installs the deployed state of every changed region, in reverse order; "
        f"no database restore.{fast}"
    )


def _risk_ids(plan: Plan) -> dict[str, int]:
    """Every distinct risk, the severe ones first, numbered from 1."""
    found = list(dict.fromkeys([*plan.risks, *(risk for r in plan.regions for risk in r.risks)]))
    ordered = sorted(found, key=lambda risk: not _severe(risk))
    return {risk: number for number, risk in enumerate(ordered, start=1)}


def _severe(risk: str) -> bool:
    return any(word in risk for word in SEVERE)


def _risk_list(plan: Plan, risk_ids: dict[str, int]) -> list[str]:
    if not risk_ids:
        return ["None."]
    changed = [r.name for r in plan.regions if r.change != "noop"]
    lines = []
    for risk, number in risk_ids.items():
        regions = [r.name for r in plan.regions if risk in r.risks]
        if risk in plan.risks:
            where = "the environment"
        elif regions == changed and len(changed) > 1:
            where = f"all {len(changed)} changed regions"
        elif len(regions) > sections.FOLD:
            where = f"{len(regions)} regions (the [Regions](#regions) table names them)"
        else:
            where = md.names(regions)
        shown = f"**{md.text(risk)}**" if _severe(risk) else md.text(risk)
        lines.append(f"- **R{number}** {shown} — {where}")
    return lines


def _manual_steps(plan: Plan) -> list[str]:
    """The steps without a command, grouped when the same step repeats in every region."""
    lines: list[str] = []
    for script, steps in (("upgrade.sh", plan.steps), ("uninstall.sh", plan.uninstall)):
        for (phase, description), found in _manual_groups(steps).items():
            numbers = _numbers([n for n, _ in found])
            regions = [s.region for _, s in found if s.region]
            where = f" in {_where(plan, regions)}" if len(found) > 1 and regions else ""
            label = "step" if len(found) == 1 else "steps"
            lines.append(f"- {script} {label} {numbers}{where} · **{phase}**: {description}")
    return lines or ["None."]


def _numbers(numbers: list[int]) -> str:
    if len(numbers) <= sections.FOLD:
        return ", ".join(map(str, numbers))
    return f"{numbers[0]}, {numbers[1]}, {numbers[2]}, … {numbers[-1]}"


def _where(plan: Plan, regions: list[str]) -> str:
    changed = [r.name for r in plan.regions if r.change != "noop"]
    if regions == changed:
        return f"each of the {len(changed)} changed regions"
    if len(regions) > sections.FOLD:
        return f"{len(regions)} regions ({md.names(regions)})"
    return md.names(regions)


def _manual_groups(steps: Sequence[Step]) -> dict[tuple[str, str], list[tuple[int, Step]]]:
    groups: dict[tuple[str, str], list[tuple[int, Step]]] = {}
    for number, step in enumerate(steps, start=1):
        if step.argv is not None:
            continue
        description = md.text(step.description)
        if step.region:
            description = re.sub(rf"(?<![0-9a-z]){re.escape(step.region)}(?![0-9a-z])", "*region*", description)
        groups.setdefault((step.phase, description), []).append((number, step))
    named: dict[tuple[str, str], list[tuple[int, Step]]] = {}
    for (phase, description), found in groups.items():
        # A step of its own keeps its region's name.
        key = (phase, md.text(found[0][1].description)) if len(found) == 1 else (phase, description)
        named.setdefault(key, []).extend(found)
    return named


def _sections(plan: Plan, gitops: list[str]) -> list[str]:
    titles = ["Release notes"] if plan.releases else []
    titles += ["Regions", "Rollout order", "Values diff", "Steps"]
    titles += ["Uninstall"] if plan.uninstall else []
    titles += ["Rollback"] + (["GitOps"] if gitops else [])
    return titles


# --- the rest ---------------------------------------------------------------------------------------------------


def _outline(script: str, steps: Sequence[Step]) -> str:
    manual = sum(s.argv is None for s in steps)
    return f"{script} runs {len(steps)} steps ({manual} manual): {sections.phase_counts(steps)}."


def _fast_path(plan: Plan) -> list[str]:
    """The quick way back per region, as the plan gives it (none when the database is migrated or restored)."""
    return [f"- {md.text(f.region)}: {md.code(shell_join(f.argv))}" for f in plan.fast_path]
