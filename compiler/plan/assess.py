"""Assess a whole environment, base against target: the safety rules that need every region at once.

The planner calls :func:`assess` once per environment. The problems it
returns block the plan together with the per-region rules; the rest shapes
the plan (the order around a primary move, a restore before a downgrade
across an irreversible migration) and adds environment risks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from compiler.errors import Location, Problem
from compiler.plan import safety
from compiler.plan.envstate import EnvState, Epochs, env_state
from compiler.plan.model import PrimaryMove, RegionState
from compiler.spec.load import LoadedEnvironment
from compiler.spec.models import ReleaseNote


@dataclass(frozen=True)
class Assessment:
    """What the environment-wide rules found. ``restore_from`` names the migrations a downgrade undoes."""

    epochs: Epochs
    base: EnvState | None
    target: EnvState
    problems: tuple[Problem, ...]
    risks: tuple[str, ...]
    move: PrimaryMove | None
    restore_from: tuple[str, ...]

    @property
    def migrated(self) -> tuple[str, ...]:
        """Releases whose irreversible migration this plan runs on the deployed database.

        Only a database that moves to a newer epoch needs the backup back on rollback: a new
        environment has nothing to restore, and a migration some region already ran is done.
        """
        if self.base is None or not self.base.regions:
            return ()
        started = (self.epochs.started_by(e) for e in range(self.base.epoch + 1, self.target.epoch + 1))
        return tuple(v for v in started if v)

    def downgrade(self, base: RegionState, target: RegionState) -> bool:
        return safety.is_downgrade(base.release, target.release, self.epochs)


def assess(
    target_loaded: LoadedEnvironment,
    target_states: Mapping[str, RegionState],
    base_loaded: LoadedEnvironment | None,
    base_states: Mapping[str, RegionState],
    notes: Mapping[str, ReleaseNote],
) -> Assessment:
    """Run every environment rule over the base and target state of one environment."""
    epochs = Epochs.of(notes)
    target = env_state(target_loaded, target_states, epochs)
    base = env_state(base_loaded, base_states, epochs) if base_loaded is not None else None
    problems = [*safety.deleted_regions(base, target), *safety.one_primary(base, target)]
    problems += safety.pinned_primary(base, target) + safety.epoch_readers(target, epochs)
    spec = target_loaded.spec
    found, risks = safety.pinned_versions(target, spec.version, epochs, allow=spec.rollout.allow_unsupported_version)
    problems += found
    restore_from: tuple[str, ...] = ()
    if base is not None:
        restore = target_loaded.spec.backup.restore_command
        where = _restore_at(target_loaded)
        problems += safety.downgrade_restore(base, target, epochs, restore, where)
        undone = (epochs.started_by(e) for e in range(target.epoch + 1, base.epoch + 1))
        restore_from = tuple(v for v in undone if v) if target.regions else ()
    if target_loaded.spec.gitops.promotion == "staged":
        migrated = Assessment(epochs, base, target, (), (), None, restore_from).migrated
        where = target_loaded.locate(target_loaded.spec_file, ["gitops", "promotion"])
        problems += safety.staged_across_migration(where, target_loaded.spec.service, migrated, restore_from)
    move = safety.primary_move(base, target)
    risks += safety.missed_fixes(target, notes, epochs)
    return Assessment(epochs, base, target, tuple(problems), tuple(risks), move, restore_from)


def _restore_at(loaded: LoadedEnvironment) -> Location:
    return loaded.locate(loaded.spec_file, ["backup", "restore_command"])
