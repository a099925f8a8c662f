"""Safety rules across the whole environment: each a small function over the base and target state.

A rule either blocks the plan (a located :class:`Problem` that names the rule
and how to fix it) or adds a named risk a reviewer must see. docs/rules.md
lists them all with the vendor sentence each comes from.
"""

from __future__ import annotations

from collections.abc import Mapping

from compiler.errors import Location, Problem
from compiler.plan.envstate import EnvState, Epochs
from compiler.plan.model import PrimaryMove, Release
from compiler.plan.rules import SUPPORTED_BEHIND_NEWEST
from compiler.spec.load import RELEASE_NOTES
from compiler.spec.models import ReleaseNote


def blocked(where: Location, path: str, rule: str, message: str, fix: str) -> Problem:
    """A blocking finding in the one shape every rule uses: what is wrong, how to fix it, which rule."""
    return Problem(where, path, f"{message}; {fix} (rule: {rule})")


def is_downgrade(base: Release, target: Release, epochs: Epochs) -> bool:
    """Whether a region goes back to a release published before the one it runs (by date)."""
    return base.version != target.version and epochs.older(target.version, base.version)


def epoch_readers(target: EnvState, epochs: Epochs) -> list[Problem]:
    """Rule epoch-reader: no running region may be left on a release that cannot read the database's epoch."""
    problems: list[Problem] = []
    creator = epochs.started_by(target.epoch)
    leaders = sorted(n for n, f in target.regions.items() if f.epoch == target.epoch)
    for name, facts in sorted(target.regions.items()):
        if facts.epoch >= target.epoch:
            continue
        held = "its pin" if facts.pin_at is not None else "the environment's version"
        problems.append(blocked(
            target.holder_at(name), "pin.version" if facts.pin_at is not None else "version", "epoch-reader",
            f"region {name} stays on {facts.release.version} ({held}) while {', '.join(leaders)} run(s) a release "
            f"with the irreversible database migration of {creator}: the shared database moves to a schema "
            f"{facts.release.version} cannot read",
            f"move {name} to {creator} or later in the same change, or hold every region before {creator}",
        ))  # fmt: skip
    return problems


def downgrade_restore(
    base: EnvState, target: EnvState, epochs: Epochs, restore: tuple[str, ...] | None, where: Location
) -> list[Problem]:
    """Rule downgrade-restore: going back across an irreversible migration needs the pre-migration backup.

    Blocks when no restore command is configured; the plan then restores (the risk it
    spells out names its steps: riskrefs.downgrade_risk).
    """
    if target.epoch >= base.epoch or not target.regions or restore is not None:
        return []
    undone = [epochs.started_by(e) for e in range(target.epoch + 1, base.epoch + 1)]
    versions = ", ".join(v for v in undone if v)
    message = (
        f"the plan goes back before the irreversible database migration of {versions}: the older release "
        "cannot read the migrated database, which must be restored from the backup taken before it"
    )
    fix = "set backup.restore_command to the command that restores that backup, or keep the newer release"
    return [blocked(where, "backup.restore_command", "downgrade-restore", message, fix)]


def staged_across_migration(
    where: Location, service: str, migrated: tuple[str, ...], restored: tuple[str, ...]
) -> list[Problem]:
    """Rule staged-migration: a staged promotion may not cross an irreversible database migration.

    Staged promotion leaves every later region on its base release until it is
    promoted (hours or days later), and moves them back one at a time. Across an
    irreversible migration those regions cannot read the shared database, and a
    promotion back cannot restore it. Moving every region at once instead would
    drop the primary-first order and the backup before it, which no controller
    enforces across clusters.
    """
    crossed = migrated or restored
    if not crossed:
        return []
    notes = ", ".join(f"{RELEASE_NOTES}/{service}/{version}.yaml" for version in crossed)
    way = "runs" if migrated else "goes back across"
    message = (
        f"gitops.promotion is staged, but this change {way} the irreversible database migration of "
        f"{', '.join(crossed)} ({notes}): the regions a staged rollout has not reached yet would run a release "
        "that cannot read the shared database, and promoting back cannot restore it"
    )
    fix = (
        "set gitops.promotion: all for this change and roll it out with upgrade.sh (primary first, a backup "
        "before it, rollback.sh restores the database), then set it back to staged"
    )
    return [blocked(where, "gitops.promotion", "staged-migration", message, fix)]


def one_primary(base: EnvState | None, target: EnvState) -> list[Problem]:
    """Rule one-primary: while any region runs, exactly one running region is the primary."""
    if not target.regions or len(target.primaries) == 1:
        return []
    staying = ", ".join(sorted(target.regions))
    old = base.primary if base is not None else None
    if old is not None and old not in target.regions:
        where = target.declared_at.get(old) or target.version_at
        message = f"the primary region {old} is removed while {staying} stay(s) without a primary"
        fix = f"set 'primary: true' in one region that stays (and 'primary: false' in {old}) in the same change"
        return [blocked(where, "state", "one-primary", message, fix)]
    removed = sorted(target.flagged & target.absent)
    if removed and not target.primaries:
        name = removed[0]
        message = f"region {name} is the primary (primary: true) and is removed (state: absent) while {staying} stay(s)"
        fix = f"set 'primary: true' in one region that stays instead, or keep {name} (remove 'state: absent')"
        return [blocked(target.declared_at.get(name) or target.version_at, "state", "one-primary", message, fix)]
    where = target.version_at
    found = ", ".join(target.primaries) or "none"
    fix = "set 'primary: true' in exactly one region that is present"
    return [blocked(where, "", "one-primary", f"running regions {staying} have primary region(s): {found}", fix)]


def primary_move(base: EnvState | None, target: EnvState) -> PrimaryMove | None:
    """Rule primary-move: the primary changes region (a risk and its own plan section, never silent)."""
    if base is None or base.primary is None or target.primary is None or base.primary == target.primary:
        return None
    return PrimaryMove(base.primary, target.primary)


def pinned_primary(base: EnvState | None, target: EnvState) -> list[Problem]:
    """Rule pinned-primary: a pinned primary may not be passed by secondaries that change release.

    The primary leads a rollout and its database is backed up first; while it is
    held back, no other region may change release.
    """
    primary = target.primary
    if primary is None or target.regions[primary].pin_at is None:
        return []
    moving = [name for name, facts in sorted(target.regions.items()) if name != primary and _release_changes(
        base, name, facts.release)]  # fmt: skip
    if not moving:
        return []
    facts = target.regions[primary]
    message = (
        f"the primary region {primary} is pinned to {facts.release.version} while {', '.join(moving)} change "
        "release: the primary leads every rollout and is backed up first"
    )
    fix = f"remove the pin of {primary} (or move it to the new release), or pin {', '.join(moving)} too"
    assert facts.pin_at is not None
    return [blocked(facts.pin_at, "pin.version", "pinned-primary", message, fix)]


def _release_changes(base: EnvState | None, name: str, release: Release) -> bool:
    before = base.regions.get(name) if base is not None else None
    return before is None or before.release != release


def deleted_regions(base: EnvState | None, target: EnvState) -> list[Problem]:
    """Rule region-file-deleted: a deployed region whose file is gone is refused, not silently uninstalled."""
    if base is None:
        return []
    problems: list[Problem] = []
    for name in sorted(base.regions):
        if name in target.files:
            continue
        message = f"region {name} is deployed but its file {base.files[name]} is deleted"
        fix = "restore the file and set 'state: absent' in it to uninstall the region (uninstall.sh)"
        problems.append(blocked(base.declared_at[name], "", "region-file-deleted", message, fix))
    return problems


def pinned_versions(target: EnvState, version: str, epochs: Epochs, *, allow: bool) -> tuple[list[Problem], list[str]]:
    """Rules pin-ahead and pin-window: a pin holds a region back, and no further than N-2 of the environment's version.

    A pin newer than the environment's version would lead the rollout from a
    secondary region, ahead of the primary and of the backup before it. A pin
    more than two releases (by date) behind it keeps a region on a release the
    vendor no longer supports beside it: blocked, or a loud risk with
    ``rollout.allow_unsupported_version``.
    """
    if version not in epochs.order:
        return [], []
    position = epochs.order.index(version)
    window = epochs.order[max(0, position - SUPPORTED_BEHIND_NEWEST) : position + 1]
    problems: list[Problem] = []
    risks: list[str] = []
    for name, facts in sorted(target.regions.items()):
        pinned = facts.release.version
        if facts.pin_at is None or pinned in window or pinned not in epochs.order:
            continue
        if epochs.older(version, pinned):
            message = (
                f"region {name} is pinned to {pinned}, released after the environment's version {version}: a pin "
                "holds a region back, never ahead of the primary and the backup taken before it"
            )
            fix = f"set version: '{pinned}' in the environment and pin the regions that stay behind, or pin {name} "
            fix += f"to {version} or earlier"
            problems.append(blocked(facts.pin_at, "pin.version", "pin-ahead", message, fix))
            continue
        message = (
            f"region {name} is pinned to {pinned}, more than {SUPPORTED_BEHIND_NEWEST} releases (by release date) "
            f"behind the environment's version {version}"
        )
        if allow:
            risks.append(f"UNSUPPORTED: {message}; allowed by rollout.allow_unsupported_version (rule: pin-window)")
            continue
        # Offer only pins the support-window rule accepts too: the newest releases, not only those near the version.
        supported = [v for v in window if v in epochs.order[-(SUPPORTED_BEHIND_NEWEST + 1) :]] or list(window)
        fix = f"pin it to {' or '.join(supported)}, or set rollout.allow_unsupported_version: true to proceed anyway"
        problems.append(blocked(facts.pin_at, "pin.version", "pin-window", message, fix))
    return problems, risks


def missed_fixes(target: EnvState, notes: Mapping[str, ReleaseNote], epochs: Epochs) -> list[str]:
    """Rule pin-misses-fix: a region held by its pin behind a critical security fix that others run."""
    running = [epochs.order.index(f.release.version) for f in target.regions.values() if f.release.version in notes]
    newest = max(running, default=-1)
    fixes = [v for v in epochs.order[: newest + 1] if notes[v].critical_security_fix]
    risks: list[str] = []
    for name, facts in sorted(target.regions.items()):
        missed = [v for v in fixes if epochs.older(facts.release.version, v)]
        if facts.pin_at is not None and missed:
            risks.append(
                f"{name} is held by its pin at {facts.release.version} ({facts.pin_at}) and misses the critical "
                f"security fix in {', '.join(missed)}"
            )
    return risks
