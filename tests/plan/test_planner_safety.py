"""The environment safety rules in the planner, on real scenario repositories."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import scenarios

from compiler.errors import PlanBlocked
from compiler.pipeline import compile_repo
from compiler.plan import downgrade
from compiler.plan.model import Plan, Step
from compiler.render.markdown import render_plan_md
from compiler.repo.example import TextEdit

EXTRA = {"downgrade_same_epoch": scenarios.downgrade_same_epoch, "unchanged": scenarios.unchanged,
         "region_added": scenarios.region_added, "all_removed": scenarios.all_removed}  # fmt: skip
PLANNED = {**scenarios.GOLDEN, **EXTRA}


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Plan]]:
    return {name: compile_repo(build(tmp_path_factory.mktemp(name) / "repo")).plans for name, build in PLANNED.items()}


def acting(steps: tuple[Step, ...]) -> tuple[Step, ...]:
    """The steps that act, without the live checks that guard each region first."""
    return tuple(s for s in steps if not s.id.endswith("-live-check"))


def ids(steps: tuple[Step, ...]) -> list[str]:
    """Ids of the steps that act (live checks left out)."""
    return [s.id for s in acting(steps)]


def kinds(plan: Plan) -> dict[str, str]:
    return {r.name: r.change for r in plan.regions}


# --- blocked ------------------------------------------------------------------

BLOCKS = {
    "downgrade_no_restore": ("environments/prod/environment.yaml", "downgrade-restore", "backup.restore_command"),
    "pinned_behind_migration": ("environments/prod/regions/eastus.yaml", "epoch-reader", "region eastus stays on"),
    "pinned_primary": ("environments/prod/regions/westus2.yaml", "pinned-primary", "primary region westus2 is pinned"),
    "primary_removed": ("environments/prod/regions/westus2.yaml", "one-primary", "primary region westus2 is removed"),
    "region_file_deleted": ("HEAD:environments/prod/regions/eastus.yaml", "region-file-deleted", "state: absent"),
}


@pytest.mark.parametrize("scenario", sorted(BLOCKS))
def test_planner_safety_refuses_with_a_located_message(tmp_path: Path, scenario: str) -> None:
    root = scenarios.BLOCKED[scenario](tmp_path / "repo")
    file, rule, words = BLOCKS[scenario]

    with pytest.raises(PlanBlocked) as caught:
        compile_repo(root, ["prod"])

    [problem] = [p for p in caught.value.problems if f"(rule: {rule})" in p.message]
    assert problem.location.file == file
    assert problem.location.line > 0 and problem.location.column > 0
    assert words in str(problem)


def test_planner_safety_blocks_are_reported_with_the_other_rules(tmp_path: Path) -> None:
    root = scenarios.pinned_primary(tmp_path / "repo")
    scenarios.apply_edits(root, [TextEdit("environments/prod/regions/eastus.yaml", "redis: '7.2.4'", "redis: '6.0'")])

    with pytest.raises(PlanBlocked) as caught:
        compile_repo(root, ["prod"])

    rules = {p.message.rsplit("(rule: ", 1)[-1] for p in caught.value.problems}
    assert {"pinned-primary)", "third-party-prerequisite)"} <= rules


# --- downgrades ---------------------------------------------------------------


def test_planner_downgrade_across_a_migration_stops_restores_then_installs(plans: dict[str, dict[str, Plan]]) -> None:
    plan = plans["downgrade_irreversible"]["prod"]
    assert set(kinds(plan).values()) == {"downgrade"}
    assert plan.restored_before == ("100.0.1000079",)
    assert ids(plan.steps)[:5] == [
        "westus2-database-backup", "centralus-stop", "eastus-stop", "westus2-stop", "all-database-restore"]  # fmt: skip
    restore = acting(plan.steps)[4]
    assert restore.phase == "restore" and restore.guards_data and restore.argv is not None
    first_upgrade = next(i for i, s in enumerate(plan.steps) if s.phase == "upgrade")
    assert first_upgrade > 4 and plan.steps[first_upgrade].region == "westus2"
    assert any(r.startswith("DOWNGRADE across the irreversible database migration") for r in plan.risks)
    assert not plan.urgent


def test_planner_downgrade_restores_with_the_restore_command_the_target_sets(tmp_path: Path) -> None:
    # The downgrade-restore rule reads the target's restore_command; the restore step must run that one too,
    # not the base's (which may be missing, outdated, or hold a credential shown as REDACTED).
    root, env = tmp_path / "repo", scenarios.PROD_ENV
    before = TextEdit(env, "--dbname=tenant_t100", "--dbname=tenant_before")
    scenarios.example_repo(root, [scenarios.prod_version("100.0.1000079"), before])
    scenarios.apply_edits(root, [TextEdit(env, "version: '100.0.1000079'\n", "version: '100.0.1000076'\n"),
                                 TextEdit(env, before.new, before.old)])  # fmt: skip
    [restore] = [s for s in compile_repo(root).plans["prod"].steps if s.phase == "restore"]
    assert restore.argv is not None and "--dbname=tenant_t100" in restore.argv


def test_planner_rollback_of_a_downgrade_backs_up_and_goes_primary_first(plans: dict[str, dict[str, Plan]]) -> None:
    plan = plans["downgrade_irreversible"]["prod"]
    assert plan.rollback[0].phase == "backup"
    regions = list(dict.fromkeys(s.region for s in plan.rollback if s.region))
    assert regions == ["westus2", "eastus", "centralus"]


def test_planner_downgrade_within_an_epoch_is_named_and_never_urgent(plans: dict[str, dict[str, Plan]]) -> None:
    plan = plans["downgrade_same_epoch"]["prod"]
    assert set(kinds(plan).values()) == {"downgrade"}
    assert not plan.urgent  # 100.0.1000071.2 is a critical security fix, but the plan goes back to it
    assert not any("URGENT" in risk for r in plan.regions for risk in r.risks)
    assert all(r.risks[0].startswith("DOWNGRADE from 100.0.1000076 to 100.0.1000071.2") for r in plan.regions)
    assert not any(s.phase == "restore" for s in plan.steps)


# --- the primary --------------------------------------------------------------


def test_planner_primary_move_is_named_and_ordered_back_to_back(plans: dict[str, dict[str, Plan]]) -> None:
    plan = plans["primary_move"]["prod"]
    assert plan.primary_move is not None and plan.primary_move.as_dict() == {"from": "westus2", "to": "eastus"}
    assert acting(plan.steps)[0].phase == "backup"
    regions = list(dict.fromkeys(s.region for s in plan.steps if s.region))
    assert regions == ["eastus", "westus2", "centralus"]
    between = [s for s in plan.steps if s.region in ("eastus", "westus2")]
    assert not any(s.id == "eastus-pause" for s in between)
    assert any("PRIMARY MOVE: westus2 → eastus" in r for r in plan.risks)


def test_planner_pin_that_misses_a_critical_fix_is_said(plans: dict[str, dict[str, Plan]]) -> None:
    plan = plans["pin_misses_fix"]["prod"]
    assert kinds(plan)["centralus"] == "noop"
    [risk] = [r for r in plan.risks if r.startswith("centralus is held by its pin")]
    assert "misses the critical security fix in" in risk and "100.0.1000076" in risk


# --- risk text ------------------------------------------------------------------


def test_planner_base_with_one_replica_is_a_full_outage_even_when_the_target_has_more(tmp_path: Path) -> None:
    root = scenarios.one_replica(tmp_path / "repo")
    scenarios.apply_edits(
        root, [TextEdit("environments/prod/regions/centralus.yaml", "replicas: 1\n", "replicas: 2\n")]
    )
    plan = compile_repo(root, ["prod"]).plans["prod"]
    step = next(s for s in plan.steps if s.id == "centralus-upgrade")
    assert step.risk is not None and step.risk.startswith("full outage")
    region = next(r for r in plan.regions if r.name == "centralus")
    assert region.risks[0].startswith("full outage")


def test_planner_install_claims_no_restart_window(plans: dict[str, dict[str, Plan]]) -> None:
    plan = plans["region_added"]["prod"]
    step = next(s for s in plan.steps if s.id == "centralus-upgrade")
    assert step.risk is None
    region = next(r for r in plan.regions if r.name == "centralus")
    assert not any("restarts" in risk for risk in region.risks)


# --- rollback from the base state only ----------------------------------------


@pytest.mark.parametrize("scenario", sorted(PLANNED))
def test_planner_rollback_never_names_target_values_or_versions(
    plans: dict[str, dict[str, Plan]], scenario: str
) -> None:
    for env, plan in plans[scenario].items():
        target_values = f"generated/{env}/values/"
        for change in plan.regions:
            if change.target is None or change.base is None:
                continue
            base, target = change.base.release, change.target.release
            forbidden = {v for v in (target.chart_version, target.image_tag, target.version)} - {
                base.chart_version, base.image_tag, base.version}  # fmt: skip
            for step in plan.rollback:
                if step.region != change.name or step.argv is None:
                    continue
                words = " ".join(step.argv)
                assert target_values not in words, (scenario, step.id)
                assert not any(word in forbidden or word.endswith(tuple(f"={v}" for v in forbidden))
                               for word in step.argv), (scenario, step.id)  # fmt: skip


def test_planner_redis_rollback_scales_down_with_the_base_values(plans: dict[str, dict[str, Plan]]) -> None:
    plan = plans["redis_move_primary"]["prod"]
    down = next(s for s in plan.rollback if s.id == "rollback-westus2-scale-down")
    assert down.argv is not None
    assert "generated/prod/rollback/values/westus2.yaml" in down.argv
    assert "base release and values" in down.description


def test_planner_rollback_restores_nothing_when_the_migration_already_ran(tmp_path: Path) -> None:
    # centralus already runs 100.0.1000079 in the base: the database is migrated before this plan.
    root = scenarios.example_repo(tmp_path / "repo", [scenarios.prod_version(scenarios.SUPPORTED),
                                                     scenarios.pin("centralus", 2, "100.0.1000079")])  # fmt: skip
    to_79 = TextEdit(scenarios.PROD_ENV, f"version: '{scenarios.SUPPORTED}'\n", "version: '100.0.1000079'\n")
    scenarios.apply_edits(root, [to_79])
    plan = compile_repo(root, ["prod"]).plans["prod"]
    assert plan.irreversible == ()
    assert not any(s.phase in ("restore", "scale") for s in plan.rollback)


def test_planner_primary_move_with_the_old_primary_uninstalled(tmp_path: Path) -> None:
    root = scenarios.example_repo(tmp_path / "repo", [scenarios.prod_version(scenarios.SUPPORTED)])
    old = TextEdit("environments/prod/regions/westus2.yaml", "primary: true\n", "state: absent\n")
    order = TextEdit(scenarios.PROD_ENV, "    - eastus\n    - centralus\n", "    - centralus\n")
    scenarios.apply_edits(root, [old, scenarios.NEW_PRIMARY, order, *scenarios.master_dc("eastus")])
    plan = compile_repo(root, ["prod"]).plans["prod"]
    assert plan.primary_move is not None and plan.primary_move.as_dict() == {"from": "westus2", "to": "eastus"}
    [risk] = [r for r in plan.risks if r.startswith("PRIMARY MOVE: westus2 → eastus")]
    assert "until westus2 is uninstalled (step uninstall-westus2-uninstall of uninstall.sh)" in risk
    assert [s.region for s in plan.uninstall if s.phase == "uninstall"] == ["westus2"]


def test_planner_downgrade_with_a_redis_change_starts_nothing_old_after_the_restore(tmp_path: Path) -> None:
    root = scenarios.downgrade_irreversible(tmp_path / "repo")
    scenarios.apply_edits(root, [scenarios.REDIS_MOVE])
    plan = compile_repo(root, ["prod"]).plans["prod"]
    restore = ids(plan.steps).index("all-database-restore")
    after = [s for s in plan.steps[restore:] if s.argv is not None and s.argv[:2] == ("helm", "upgrade")]
    assert after, "the regions are installed after the restore"
    assert all("100.0.1000079" not in s.argv for s in after if s.argv is not None)
    assert "westus2-scale-down" not in ids(plan.steps)
    assert "westus2-redis-maintenance" in ids(plan.steps)


def test_planner_primary_move_to_a_new_region_backs_up_before_installing_it(tmp_path: Path) -> None:
    # centralus is not deployed in the base; the change installs it as the new primary.
    listed = TextEdit(scenarios.PROD_ENV, "    - eastus\n    - centralus\n", "    - eastus\n")
    root = scenarios.example_repo(tmp_path / "repo", [scenarios.prod_version(scenarios.SUPPORTED), listed],
                                  ["environments/prod/regions/centralus.yaml"])  # fmt: skip
    new_primary = TextEdit("environments/prod/regions/centralus.yaml", "name: centralus\n",
                           "name: centralus\nprimary: true\n")  # fmt: skip
    order = TextEdit(scenarios.PROD_ENV, "    - eastus\n", "    - westus2\n    - eastus\n")
    scenarios.apply_edits(root, [scenarios.PRIMARY_FLAG, new_primary, order])
    plan = compile_repo(root, ["prod"]).plans["prod"]
    assert plan.primary_move is not None and plan.primary_move.as_dict() == {"from": "westus2", "to": "centralus"}
    assert [s.phase for s in acting(plan.steps)[:2]] == ["backup", "preflight"]
    assert acting(plan.steps)[1].region == "centralus"
    # Only the flag moved: westus2's values still name it the master data centre, and the plan says so.
    assert {r.name: r.change for r in plan.regions}["westus2"] == "noop"
    [risk] = [r for r in plan.risks if r.startswith("PRIMARY MOVE: westus2 → centralus")]
    assert "This plan deploys nothing to westus2" in risk
    assert "centralus takes the master role at step centralus-upgrade" in risk and "westus2-upgrade" not in risk
    assert "Nothing deployed to westus2 changes in this plan" in render_plan_md(plan)


def test_planner_downgrade_whose_backup_overwrites_the_restore_dump_says_so(
    plans: dict[str, dict[str, Plan]],
) -> None:
    plan = plans["downgrade_irreversible"]["prod"]
    backup, restore = plan.env.backup.command, plan.env.backup.restore_command
    assert backup is not None and restore is not None
    shared = downgrade.shared_dump(backup, restore)
    assert shared, "the example's commands write and read one dump file"
    assert any(r.startswith("RESTORE WOULD LOAD THE MIGRATED DATABASE") and shared[0] in r for r in plan.risks)


def test_planner_shared_dump_ignores_urls_and_distinct_files() -> None:
    assert downgrade.shared_dump(["pg_dump", "--file=/b/new.dump"], ["pg_restore", "/b/old.dump"]) == []
    assert downgrade.shared_dump(["x", "s3://b/k", "deploy/tools"], ["y", "s3://b/k", "deploy/tools"]) == []
    assert downgrade.shared_dump(["pg_dump", "--file=/b/d.dump"], ["pg_restore", "/b/d.dump"]) == ["/b/d.dump"]


def test_planner_primary_moved_to_a_region_that_is_removed_is_refused_at_its_state(tmp_path: Path) -> None:
    root = scenarios.example_repo(tmp_path / "repo", [scenarios.prod_version(scenarios.SUPPORTED)])
    gone = TextEdit("environments/prod/regions/eastus.yaml", "name: eastus\n",
                    "name: eastus\nprimary: true\nstate: absent\n")  # fmt: skip
    order = TextEdit(scenarios.PROD_ENV, "    - eastus\n    - centralus\n", "    - westus2\n    - centralus\n")
    scenarios.apply_edits(root, [scenarios.PRIMARY_FLAG, gone, order])
    with pytest.raises(PlanBlocked) as caught:
        compile_repo(root, ["prod"])
    [problem] = caught.value.problems
    assert str(problem.location) == "environments/prod/regions/eastus.yaml:4:8"
    assert "region eastus is the primary (primary: true) and is removed (state: absent)" in problem.message
    assert "(rule: one-primary)" in problem.message


def test_planner_a_pin_back_below_a_migration_the_database_ran_is_refused(tmp_path: Path) -> None:
    # Every region runs 100.0.1000079; holding one back at 76 would leave it unable to read the database.
    root = scenarios.example_repo(tmp_path / "repo", [scenarios.prod_version("100.0.1000079")])
    scenarios.apply_edits(root, [scenarios.pin("centralus", 2, scenarios.SUPPORTED)])
    with pytest.raises(PlanBlocked) as caught:
        compile_repo(root, ["prod"])
    [problem] = caught.value.problems
    assert problem.location.file == "environments/prod/regions/centralus.yaml" and problem.path == "pin.version"
    assert "(rule: epoch-reader)" in problem.message
