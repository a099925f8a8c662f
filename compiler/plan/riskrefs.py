"""Risks that speak of steps, written once the steps exist: each names only steps the plan has, by id.

A risk that says "between the step that changes B and the one that changes A"
is wrong when only the primary flag moved and neither region has such a step.
So these texts are derived from the built steps (forward, uninstall, rollback),
and every step they mention is named by its id (``step <id>``), which a test
checks against the plan over every scenario.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from compiler.plan import downgrade
from compiler.plan.model import PrimaryMove, RegionChange, Step

if TYPE_CHECKING:
    from compiler.plan.assess import Assessment
    from compiler.spec.models import Backup

UNDO = "<rollback of the migration>"
"""Where a release note's irreversible migration risk says what the rollback does: filled in by :func:`undo`."""

APPLY_PHASES = ("upgrade", "restart")
"""Phases whose step deploys a region's new release or values: where the region takes up its new role."""


def first(steps: Sequence[Step], wanted: Callable[[Step], bool]) -> str | None:
    return next((step.id for step in steps if wanted(step)), None)


def applies(steps: Sequence[Step], region: str) -> str | None:
    """The first step that deploys ``region``'s new state, or None when the plan has none."""
    return first(steps, lambda s: s.region == region and s.phase in APPLY_PHASES)


def primary_move_risk(move: PrimaryMove, forward: Sequence[Step], uninstall: Sequence[Step]) -> str:
    """What a reviewer must know about a primary move, naming the steps that open and close its window."""
    src, dst = move.source, move.destination
    to_dst, to_src = applies(forward, dst), applies(forward, src)
    removed = first(uninstall, lambda s: s.region == src and s.phase == "uninstall")
    backup = first(forward, lambda s: s.phase == "backup")
    head = f"PRIMARY MOVE: {src} → {dst}."
    backed = f" The database is backed up first (step {backup})." if backup else ""
    opened = f"step {to_dst}" if to_dst else "the start of upgrade.sh"
    if removed:
        return (
            f"{head} From {opened} until {src} is uninstalled (step {removed} of uninstall.sh), the two regions "
            f"disagree on the master: two masters, or none. Run uninstall.sh right after upgrade.sh.{backed}"
        )
    if to_dst and to_src:
        return (
            f"{head} From step {to_dst} until step {to_src}, the two regions disagree on the master: two masters, "
            f"or none. The plan runs them one after the other, with no pause between them.{backed}"
        )
    unchanged = " and ".join(name for name, step in ((dst, to_dst), (src, to_src)) if step is None)
    changed = f" {dst} takes the master role at step {to_dst}." if to_dst else ""
    changed += f" {src} gives it up at step {to_src}." if to_src else ""
    return (
        f"{head} This plan deploys nothing to {unchanged}: by the primary flag alone, the service "
        f"there keeps the role its values give it, so the regions may disagree on the master (two masters, or "
        f"none).{changed} Check that the values naming the master region (such as the master data centre) move "
        f"to {dst} in every region.{backed}"
    )


def undo(rollback: Sequence[Step], *, new_database: bool) -> str:
    """What the rollback does about an irreversible migration, by the step that does it (if any)."""
    restore = first(rollback, lambda s: s.phase == "restore")
    if restore is not None:
        return f"the rollback restores the backup first (step {restore})"
    if new_database:
        return "nothing to restore: nothing ran on the database before this plan"
    return "the deployed database runs that schema already (migrated before this plan): the rollback restores nothing"


def with_undo(risks: Sequence[str], text: str) -> tuple[str, ...]:
    return tuple(risk.replace(UNDO, text) for risk in risks)


def dump_backup(forward: Sequence[Step]) -> str | None:
    """The backup step a downgrade's own restore may read the dump of."""
    return first(forward, lambda s: s.phase == "backup")


def downgrade_risk(versions: Sequence[str], forward: Sequence[Step]) -> str:
    """The environment risk of going back across irreversible migrations, by the steps that do it."""
    which = ", ".join(versions)
    stops = [s.id for s in forward if s.phase == "scale" and s.argv is not None and "--replicas=0" in s.argv]
    restore = first(forward, lambda s: s.phase == "restore")
    stopped = f"steps {stops[0]} to {stops[-1]} stop every region" if len(stops) > 1 else (
        f"step {stops[0]} stops the region" if stops else "every region is stopped")  # fmt: skip
    restored = f"step {restore} restores" if restore else "the database is restored from"
    return (
        f"DOWNGRADE across the irreversible database migration of {which}: {stopped}, {restored} the backup taken "
        f"before {which}, then the older release is installed; every write made since that backup is lost"
    )


def environment_risks(
    found: Assessment, backup: Backup, forward: Sequence[Step], uninstall: Sequence[Step]
) -> list[str]:
    """The environment risks that speak of steps: a downgrade's restore, its dump, a primary move."""
    risks: list[str] = []
    if found.restore_from:
        risks.append(downgrade_risk(found.restore_from, forward))
        step = dump_backup(forward)
        overwritten = downgrade.dump_overwritten_risk(backup.command, backup.restore_command, found.restore_from, step)
        risks += [overwritten] if overwritten else []
    if found.move is not None:
        risks.append(primary_move_risk(found.move, forward, uninstall))
    return risks


def region_changes(changes: Sequence[RegionChange], found: Assessment, rollback: Sequence[Step]) -> tuple[
        RegionChange, ...]:  # fmt: skip
    """The region changes, their migration risks saying what the rollback does (by its step)."""
    text = undo(rollback, new_database=found.base is None or not found.base.regions)
    return tuple(replace(change, risks=with_undo(change.risks, text)) for change in changes)
