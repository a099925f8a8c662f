"""A downgrade across an irreversible migration: stop every region, restore, then install the older release.

An older release cannot read a database an irreversible migration has
changed, so going back means the backup taken before that migration:
nothing may write while it is restored, and every region that keeps its
release is started again afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from compiler.plan import argv
from compiler.plan.model import RegionChange, Release
from compiler.plan.steps import StepList, stop_region

if TYPE_CHECKING:
    from compiler.profiles.base import Profile


def risk(base: Release, target: Release) -> str:
    """The region risk of going back to an older release."""
    return (
        f"DOWNGRADE from {base.version} to {target.version}: the older release runs on data the newer one wrote; "
        "read the release notes in between"
    )


def stop_and_restore(
    sl: StepList, profile: Profile, changes: Sequence[RegionChange], versions: tuple[str, ...]
) -> None:
    """Stop every deployed region (primary last), then restore the backup taken before ``versions``."""
    running = sorted((c for c in changes if c.base is not None), key=lambda c: (c.primary, -c.wave))
    for change in running:
        assert change.base is not None
        stop_region(sl, profile, change.base, "no writes may reach the database while it is restored")
    state = running[-1].base if running else None
    if state is None:
        return
    which = ", ".join(versions)
    # The target's command, which the downgrade-restore rule checked: the base's may be missing or outdated.
    target = next((c.target.env for c in changes if c.target is not None), state.env)
    sl.add(
        "restore", None, target.backup.restore_command,
        f"restore the database backup taken before the irreversible migration of {which}: the older release "
        "cannot read the migrated database",
        slug="database-restore", pause=True,
        risk=f"every write made since the backup taken before {which} is lost",
    )  # fmt: skip


def restart_unchanged(sl: StepList, profile: Profile, changes: Sequence[RegionChange]) -> None:
    """Start again the regions that were stopped for the restore but keep their release."""
    for change in changes:
        if change.change != "noop" or change.base is None:
            continue
        state = change.base
        timeout = state.env.rollout.verify_timeout
        workload = profile.workload(state)
        sl.add("scale", change.name, argv.scale(state, workload, state.region.replicas),
               f"start {state.release_name} in {change.name} again at {state.region.replicas} replica(s)",
               slug="restart")  # fmt: skip
        ready = f"wait until every {state.release_name} pod in {change.name} is Ready"
        sl.add("verify", change.name, argv.rollout_status(state, workload, timeout), ready, slug="restart-status")


def shared_dump(backup: Sequence[str] | None, restore: Sequence[str] | None) -> list[str]:
    """File paths both the backup and the restore command name (a word, or its part after '=', that is a path)."""

    def paths(argv: Sequence[str] | None) -> set[str]:
        words = (w.split("=", 1)[-1] for w in argv or ())
        return {w for w in words if w.startswith(("/", "./", "../", "~/"))}

    return sorted(paths(backup) & paths(restore))


def dump_overwritten_risk(
    backup: Sequence[str] | None, restore: Sequence[str] | None, versions: Sequence[str], step: str | None
) -> str:
    """The loud risk of a downgrade whose own backup (``step``) overwrites the dump its restore needs ('' when none)."""
    shared = shared_dump(backup, restore)
    if not shared or step is None:
        return ""
    return (
        f"RESTORE WOULD LOAD THE MIGRATED DATABASE: backup.command and backup.restore_command both name "
        f"{', '.join(shared)}; this plan backs up first (step {step}), overwriting the dump from before "
        f"{', '.join(versions)}. Point restore_command at the pre-migration dump before running it"
    )
