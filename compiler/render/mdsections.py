"""The sections of plan.md below the first screen, each as Markdown lines.

Every user string goes through :mod:`compiler.render.mdtext`; sizes stay
bounded at fleet scale: identical per-region diffs share one table, long
region runs share one diagram node, and long lists fold into ``<details>``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from compiler.plan.model import DiffEntry, Plan, RegionChange, Release, Step
from compiler.render import mdtext as md
from compiler.spec.models import ReleaseNote

MAX_VALUE = 60
FOLD = 10
"""Lists longer than this fold into <details>."""
MAX_NODES = 10
"""Regions after the primary drawn one node each; beyond this, consecutive regions share a node."""
CHUNK = 10


def release_label(release: Release | None) -> str:
    if release is None:
        return "—"
    if release.chart_version == release.version and release.image_tag == release.version:
        return md.code(release.version)
    return f"{md.code(release.version)} (chart {md.code(release.chart_version)}, image {md.code(release.image_tag)})"


# --- release notes ----------------------------------------------------------------------------------------------


def ordered_releases(plan: Plan) -> list[ReleaseNote]:
    """The releases the upgrade passes through: the targets first, then the others, newest first."""
    targets = {r.target.release.version for r in plan.regions if r.target is not None and r.change != "noop"}
    newest = list(reversed(plan.releases))
    return [n for n in newest if n.version in targets] + [n for n in newest if n.version not in targets]


def release_notes(plan: Plan) -> list[str]:
    targets = {r.target.release.version for r in plan.regions if r.target is not None and r.change != "noop"}
    lines: list[str] = []
    for note in ordered_releases(plan):
        role = "target" if note.version in targets else "passed through"
        lines += [f"### {md.text(note.version)} ({role}, released {note.released.isoformat()})", ""]
        lines += [f"- {fact}" for fact in _note_facts(note)]
        lines.append("")
        for paragraph in md.paragraphs(note.notes):
            lines += [f"> {paragraph}", ">"]
        if note.notes.strip():
            lines[-1] = ""
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _note_facts(note: ReleaseNote) -> list[str]:
    facts = [f"chart {md.code(note.chart_version)}, image {md.code(note.image_tag)}"]
    if note.critical_security_fix:
        facts.append("**critical security fix**")
    migration = {"none": "none", "reversible": "reversible", "irreversible": "**irreversible** (rollback restores)"}
    facts.append(f"database migration: {migration[note.database_migration]}")
    facts.append("provisioning changes: " + ("**required**" if note.provisioning_changes else "none"))
    keys = note.values_keys
    if keys.added:
        facts.append("values keys added: " + ", ".join(md.code(k) for k in keys.added))
    if keys.removed:
        facts.append("values keys removed: " + ", ".join(md.code(k) for k in keys.removed))
    if keys.renamed:
        facts.append("values keys renamed: " + ", ".join(f"{md.code(r.old)} → {md.code(r.new)}" for r in keys.renamed))
    if note.requires:
        needs = ", ".join(f"{md.text(name)} {md.code(spec)}" for name, spec in sorted(note.requires.items()))
        facts.append(f"requires: {needs}")
    return facts


# --- the regions table ------------------------------------------------------------------------------------------


def regions_table(plan: Plan, risk_ids: dict[str, int]) -> list[str]:
    rows = ["| Wave | Region | From | To | Change | Risks |", "|---|---|---|---|---|---|"]
    for change in plan.regions:
        name = change.name + (" (primary)" if change.primary else "")
        ids = ", ".join(f"R{n}" for n in sorted(risk_ids[r] for r in change.risks if r in risk_ids)) or "none"
        cells = [str(change.wave), name, _from(change), _to(change), md.text(change.change), ids]
        rows.append("| " + " | ".join(md.cell(c) for c in cells) + " |")
    if len(plan.regions) > FOLD:
        return md.details(f"{len(plan.regions)} regions, in rollout order", rows)
    return rows


def _from(change: RegionChange) -> str:
    return release_label(change.base.release if change.base else None)


def _to(change: RegionChange) -> str:
    return release_label(change.target.release if change.target else None)


# --- the rollout diagram ----------------------------------------------------------------------------------------


def mermaid(plan: Plan) -> list[str]:
    """The rollout as a flowchart: backup, the primary, then the regions one at a time (grouped at scale)."""
    forward = [r for r in plan.regions if r.change not in ("noop", "uninstall")]
    removed = sorted((r for r in plan.regions if r.change == "uninstall"), key=lambda r: (r.primary, -r.wave))
    grouped = len(forward) > MAX_NODES + 1
    lines = ["flowchart TB" if grouped else "flowchart LR"]
    previous = "start([start])"
    if any(s.phase == "backup" for s in plan.steps):
        lines.append(f"  {previous} --> backup[(database backup)]")
        previous = "backup"
    for group in _groups(forward) if grouped else [[r] for r in forward]:
        previous = _node(lines, previous, group)
    for group in _chunks(removed) if len(removed) > MAX_NODES else [[r] for r in removed]:
        first = group[0]
        label = f"uninstall {first.name}" if len(group) == 1 else f"uninstall {len(group)} regions, one at a time"
        lines.append(f'  {previous} --> u{first.wave}["{label}"]')
        previous = f"u{first.wave}"
    lines.append(f"  {previous} --> done([done])")
    return ["```mermaid", *lines, "```"]


def _node(lines: list[str], previous: str, group: list[RegionChange]) -> str:
    first, last = group[0], group[-1]
    if len(group) == 1:
        label = f"{first.name}{' (primary)' if first.primary else ''}: {first.change}"
        lines.append(f'  {previous} --> r{first.wave}["{label}"] --> g{first.wave}{{{{verify {first.name}}}}}')
        return f"g{first.wave}"
    label = (
        f"waves {first.wave}-{last.wave}: {len(group)} regions, {first.change}<br/>"
        f"{first.name} … {last.name}<br/>one at a time, each verified"
    )
    lines.append(f'  {previous} --> r{first.wave}["{label}"]')
    return f"r{first.wave}"


def _groups(forward: list[RegionChange]) -> list[list[RegionChange]]:
    """The primary alone, then runs of consecutive regions of one change kind, at most CHUNK each."""
    groups: list[list[RegionChange]] = []
    for change in forward:
        last = groups[-1] if groups else None
        joins = last is not None and not last[0].primary and not change.primary and last[0].change == change.change
        if last is not None and joins and len(last) < CHUNK:
            last.append(change)
        else:
            groups.append([change])
    return groups


def _chunks(changes: list[RegionChange]) -> list[list[RegionChange]]:
    return [changes[i : i + CHUNK] for i in range(0, len(changes), CHUNK)]


# --- the values diff --------------------------------------------------------------------------------------------


def values_diff(plan: Plan) -> list[str]:
    """One table per distinct diff, naming every region that has it; regions without a change in one line."""
    groups: dict[tuple[tuple[str, ...], ...], list[str]] = {}
    unchanged: list[str] = []
    for change in plan.regions:
        rows = tuple(_diff_row(d) for d in change.diff)
        if rows:
            groups.setdefault(rows, []).append(change.name)
        else:
            unchanged.append(change.name)
    lines: list[str] = []
    for rows, regions in groups.items():
        lines += [_regions_line(regions, len(plan.regions)), ""]
        lines += ["| Path | Change | Before | After |", "|---|---|---|---|"]
        lines += ["| " + " | ".join(md.cell(c) for c in row) + " |" for row in rows]
        lines.append("")
    if unchanged:
        lines += [f"No values change: {md.names(unchanged)}.", ""]
    return lines[:-1]


def diff_outline(plan: Plan) -> str:
    """The values diff in one sentence, for when its tables are elsewhere."""
    distinct = {tuple(_diff_row(d) for d in r.diff) for r in plan.regions if r.diff}
    changed = sum(1 for r in plan.regions if r.diff)
    return f"The values change in {changed} of {len(plan.regions)} regions, in {len(distinct)} distinct ways."


def _regions_line(regions: Sequence[str], total: int) -> str:
    if len(regions) == total and total > 1:
        return f"**All {total} regions:**"
    return f"**{md.names(regions)}** ({len(regions)} region{'s' if len(regions) != 1 else ''}):"


def _value(value: Any) -> str:
    shown = json.dumps(value, sort_keys=True, ensure_ascii=False)
    if len(shown) > MAX_VALUE:
        shown = shown[: MAX_VALUE - 1] + "…"
    return md.code(shown)


def _diff_row(entry: DiffEntry) -> tuple[str, ...]:
    if entry.secret:
        hidden = f"*(secret, {entry.op})*"
        old, new = (hidden if entry.op != "added" else ""), (hidden if entry.op != "removed" else "")
        return (md.code(entry.path), entry.op, old, new)
    # A side is empty only where the key is absent: a YAML null shows as `null` (in helm it
    # deletes the chart's default, which is not the same as leaving the key out).
    old = _value(entry.old) if entry.op != "added" else ""
    new = _value(entry.new) if entry.op != "removed" else ""
    return (md.code(entry.path), entry.op, old, new)


# --- steps ------------------------------------------------------------------------------------------------------


def step_list(steps: Sequence[Step]) -> list[str]:
    """A numbered list; each step's code block indented to sit inside its item, whatever the number's width."""
    lines: list[str] = []
    for number, step in enumerate(steps, start=1):
        lines += step_item(number, step)
    return lines


def step_item(number: int, step: Step) -> list[str]:
    marker = f"{number}. "
    pad = " " * len(marker)
    where = f" · {step.region}" if step.region else ""
    lines = [f"{marker}**{step.phase}**{where}: {md.text(step.description)}"]
    extra: list[str] = []
    if step.risk:
        extra.append(f"risk: {md.text(step.risk)}")
    if step.argv is None:
        extra.append("*manual step: the script waits for your confirmation*")
    elif step.pause:
        extra.append("the script pauses for confirmation first")
    for line in extra:
        lines[-1] += " \\"
        lines.append(pad + line)
    if step.argv is not None:
        lines += md.fence(md.shell_lines(step.argv), "sh", pad)
    return lines


def phase_counts(steps: Sequence[Step]) -> str:
    """How many steps of each phase, in order of first appearance: an outline when the steps are elsewhere."""
    counts: dict[str, int] = {}
    for step in steps:
        counts[step.phase] = counts.get(step.phase, 0) + 1
    return ", ".join(f"{phase} {count}" for phase, count in counts.items())
