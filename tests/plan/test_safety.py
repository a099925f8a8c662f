"""The environment safety rules, one function at a time, on hand-built environment states."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from compiler.errors import Location
from compiler.plan.envstate import EnvState, Epochs, RegionFacts
from compiler.plan.model import PrimaryMove, Release
from compiler.plan.safety import (
    deleted_regions,
    downgrade_restore,
    epoch_readers,
    is_downgrade,
    missed_fixes,
    one_primary,
    pinned_primary,
    pinned_versions,
    primary_move,
    staged_across_migration,
)
from compiler.spec.models import ReleaseNote

ENV_FILE = "environments/prod/environment.yaml"


def _note(version: str, day: int, **extra: Any) -> ReleaseNote:
    data = {"version": version, "released": datetime.date(2024, 1, day), "chart_version": version,
            "image_tag": version, **extra}  # fmt: skip
    return ReleaseNote.model_validate(data)


# 3 migrates irreversibly (epoch 1 starts there); 4 is a critical security fix.
NOTES = {n.version: n for n in (_note("1", 1), _note("2", 2), _note("3", 3, database_migration="irreversible"),
                                _note("4", 4, critical_security_fix=True), _note("5", 5))}  # fmt: skip
EPOCHS = Epochs.of(NOTES)


def _facts(name: str, version: str, *, primary: bool = False, pin: bool = False) -> RegionFacts:
    file = f"environments/prod/regions/{name}.yaml"
    release = Release(version, version, version)
    pin_at = Location(file, 9, 12) if pin else None
    return RegionFacts(name, primary, release, 3, EPOCHS.epoch(version), file, pin_at)


def _state(*regions: RegionFacts, absent: tuple[str, ...] = ()) -> EnvState:
    running = {f.name: f for f in regions}
    names = [*running, *absent]
    files = {n: f"environments/prod/regions/{n}.yaml" for n in names}
    return EnvState(
        name="prod",
        regions=running,
        files=files,
        absent=frozenset(absent),
        declared_at={n: Location(files[n], 2, 7) for n in names},
        epoch=max((f.epoch for f in regions), default=0),
        version_at=Location(ENV_FILE, 4, 10),
    )


def test_epochs_count_irreversible_migrations_by_release_date() -> None:
    assert [EPOCHS.epoch(v) for v in ("1", "2", "3", "4", "5")] == [0, 0, 1, 1, 1]
    assert EPOCHS.started_by(1) == "3"
    assert EPOCHS.started_by(0) is None


def test_epochs_older_uses_release_dates_not_version_strings() -> None:
    epochs = Epochs.of({n.version: n for n in (_note("100.0.10", 1), _note("100.0.9", 2))})
    assert epochs.older("100.0.10", "100.0.9")
    assert not epochs.older("100.0.9", "100.0.10")
    assert not epochs.older("unknown", "100.0.9")


def test_is_downgrade_only_when_the_target_was_released_before_the_base() -> None:
    assert is_downgrade(Release("4", "4", "4"), Release("2", "2", "2"), EPOCHS)
    assert not is_downgrade(Release("2", "2", "2"), Release("4", "4", "4"), EPOCHS)
    assert not is_downgrade(Release("2", "2", "2"), Release("2", "2", "x"), EPOCHS)


def test_epoch_readers_blocks_a_region_pinned_before_the_migration_naming_its_pin_line() -> None:
    target = _state(_facts("west", "3", primary=True), _facts("east", "2", pin=True))
    [problem] = epoch_readers(target, EPOCHS)
    assert problem.location == Location("environments/prod/regions/east.yaml", 9, 12)
    assert problem.path == "pin.version"
    assert "region east stays on 2" in problem.message
    assert "migration of 3" in problem.message
    assert "(rule: epoch-reader)" in problem.message


def test_epoch_readers_points_at_the_environment_version_for_unpinned_regions_left_behind() -> None:
    target = _state(_facts("west", "4", primary=True, pin=True), _facts("east", "2"))
    [problem] = epoch_readers(target, EPOCHS)
    assert problem.location == Location(ENV_FILE, 4, 10)
    assert problem.path == "version"


def test_epoch_readers_accepts_regions_that_all_read_the_epoch() -> None:
    assert epoch_readers(_state(_facts("west", "3", primary=True), _facts("east", "5", pin=True)), EPOCHS) == []
    assert epoch_readers(_state(_facts("west", "1", primary=True), _facts("east", "2", pin=True)), EPOCHS) == []


def test_downgrade_restore_blocks_without_a_restore_command() -> None:
    base = _state(_facts("west", "4", primary=True))
    target = _state(_facts("west", "2", primary=True))
    where = Location(ENV_FILE, 20, 3)
    [problem] = downgrade_restore(base, target, EPOCHS, None, where)
    assert problem.location == where
    assert problem.path == "backup.restore_command"
    assert "migration of 3" in problem.message and "(rule: downgrade-restore)" in problem.message


def test_downgrade_restore_passes_with_a_restore_command() -> None:
    base = _state(_facts("west", "4", primary=True))
    target = _state(_facts("west", "2", primary=True))
    assert downgrade_restore(base, target, EPOCHS, ("restore",), Location(ENV_FILE)) == []


def test_downgrade_restore_has_nothing_to_say_within_one_epoch() -> None:
    base = _state(_facts("west", "5", primary=True))
    target = _state(_facts("west", "3", primary=True))
    assert downgrade_restore(base, target, EPOCHS, None, Location(ENV_FILE)) == []


def test_one_primary_blocks_removing_the_primary_while_others_stay() -> None:
    base = _state(_facts("west", "2", primary=True), _facts("east", "2"))
    target = _state(_facts("east", "2"), absent=("west",))
    [problem] = one_primary(base, target)
    assert problem.location == Location("environments/prod/regions/west.yaml", 2, 7)
    assert "primary region west is removed while east stay(s)" in problem.message
    assert "(rule: one-primary)" in problem.message


def test_one_primary_accepts_a_new_primary_named_in_the_same_change() -> None:
    base = _state(_facts("west", "2", primary=True), _facts("east", "2"))
    target = _state(_facts("east", "2", primary=True), absent=("west",))
    assert one_primary(base, target) == []


def test_one_primary_accepts_an_environment_with_nothing_running() -> None:
    base = _state(_facts("west", "2", primary=True))
    assert one_primary(base, _state(absent=("west",))) == []


def test_primary_move_names_both_regions() -> None:
    base = _state(_facts("west", "2", primary=True), _facts("east", "2"))
    target = _state(_facts("west", "2"), _facts("east", "2", primary=True))
    move = primary_move(base, target)
    assert move == PrimaryMove("west", "east")
    assert move.as_dict() == {"from": "west", "to": "east"}


def test_primary_move_is_none_when_the_primary_stays_or_is_new() -> None:
    same = _state(_facts("west", "2", primary=True))
    assert primary_move(same, same) is None
    assert primary_move(None, same) is None


def test_pinned_primary_blocks_secondaries_that_change_release() -> None:
    base = _state(_facts("west", "2", primary=True), _facts("east", "2"))
    target = _state(_facts("west", "2", primary=True, pin=True), _facts("east", "4"))
    [problem] = pinned_primary(base, target)
    assert problem.location == Location("environments/prod/regions/west.yaml", 9, 12)
    assert "primary region west is pinned to 2 while east change release" in problem.message
    assert "(rule: pinned-primary)" in problem.message


def test_pinned_primary_counts_an_install_as_a_release_change() -> None:
    base = _state(_facts("west", "2", primary=True))
    target = _state(_facts("west", "2", primary=True, pin=True), _facts("east", "4"))
    assert len(pinned_primary(base, target)) == 1


def test_pinned_primary_is_fine_when_nothing_else_changes_release() -> None:
    base = _state(_facts("west", "2", primary=True), _facts("east", "2"))
    target = _state(_facts("west", "4", primary=True, pin=True), _facts("east", "2"))
    assert pinned_primary(base, target) == []


def test_deleted_regions_blocks_a_deployed_region_whose_file_is_gone() -> None:
    base = _state(_facts("west", "2", primary=True), _facts("east", "2"))
    target = _state(_facts("west", "2", primary=True))
    [problem] = deleted_regions(base, target)
    assert problem.location == Location("environments/prod/regions/east.yaml", 2, 7)
    assert "state: absent" in problem.message and "(rule: region-file-deleted)" in problem.message


def test_deleted_regions_allows_removing_the_file_of_a_region_already_absent() -> None:
    base = _state(_facts("west", "2", primary=True), absent=("east",))
    assert deleted_regions(base, _state(_facts("west", "2", primary=True))) == []


def test_missed_fixes_names_a_pinned_region_behind_a_critical_fix_others_run() -> None:
    target = _state(_facts("west", "5", primary=True), _facts("east", "2", pin=True))
    [risk] = missed_fixes(target, NOTES, EPOCHS)
    assert risk.startswith("east is held by its pin at 2 (environments/prod/regions/east.yaml:9:12)")
    assert risk.endswith("misses the critical security fix in 4")


def test_missed_fixes_ignores_unpinned_regions_and_fixes_nobody_runs() -> None:
    assert missed_fixes(_state(_facts("west", "2", primary=True), _facts("east", "1", pin=True)), NOTES, EPOCHS) == []
    assert missed_fixes(_state(_facts("west", "5", primary=True), _facts("east", "2")), NOTES, EPOCHS) == []


@pytest.mark.parametrize(("pinned", "rule"), [("5", "pin-ahead"), ("1", "pin-window"), ("2", None), ("4", None)])
def test_pinned_versions_hold_regions_back_within_n2_of_the_environment(pinned: str, rule: str | None) -> None:
    target = _state(_facts("west", "4", primary=True), _facts("east", pinned, pin=True))
    problems, risks = pinned_versions(target, "4", EPOCHS, allow=False)
    assert risks == []
    assert [p.message.rsplit("(rule: ", 1)[1].rstrip(")") for p in problems] == ([rule] if rule else [])
    assert all(p.location == Location("environments/prod/regions/east.yaml", 9, 12) for p in problems)


def test_pinned_versions_window_suggests_only_pins_the_support_window_accepts() -> None:
    # Two releases behind 4 is 2, but the vendor supports only the newest three (3, 4, 5): a pin to 2 is refused.
    target = _state(_facts("west", "4", primary=True), _facts("east", "1", pin=True))
    [problem], _ = pinned_versions(target, "4", EPOCHS, allow=False)
    assert "pin it to 3 or 4," in problem.message and "2 or" not in problem.message


def test_pinned_versions_window_is_a_loud_risk_when_allowed() -> None:
    target = _state(_facts("west", "4", primary=True), _facts("east", "1", pin=True))
    problems, [risk] = pinned_versions(target, "4", EPOCHS, allow=True)
    assert problems == [] and risk.startswith("UNSUPPORTED: region east is pinned to 1")
    ahead = _state(_facts("west", "4", primary=True), _facts("east", "5", pin=True))
    assert [p.path for p in pinned_versions(ahead, "4", EPOCHS, allow=True)[0]] == ["pin.version"]


def test_staged_across_migration_names_the_setting_and_the_release_note() -> None:
    where = Location(ENV_FILE, 30, 14)
    assert staged_across_migration(where, "tenant", (), ()) == []
    [up] = staged_across_migration(where, "tenant", ("3",), ())
    assert up.location == where and up.path == "gitops.promotion"
    assert "runs the irreversible database migration of 3 (release-notes/tenant/3.yaml)" in up.message
    [down] = staged_across_migration(where, "tenant", (), ("3",))
    assert "goes back across" in down.message and "(rule: staged-migration)" in down.message
