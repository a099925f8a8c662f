"""The planner on real scenario repositories: one rule or change kind per test, on the compiled Plan objects."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import scenarios

from compiler import cli
from compiler.errors import PlanBlocked
from compiler.pipeline import compile_repo
from compiler.plan.model import Plan, Step
from compiler.repo.example import TextEdit

PLANNED = (
    *scenarios.GOLDEN,
    "unchanged",
    "region_added",
    "environment_added",
    "all_removed",
)
HELM_KUBECTL = ("helm", "kubectl")


@pytest.fixture(scope="module")
def roots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    builders = {**scenarios.GOLDEN, "unchanged": scenarios.unchanged, "region_added": scenarios.region_added,
                "environment_added": scenarios.environment_added, "all_removed": scenarios.all_removed}  # fmt: skip
    return {name: builders[name](tmp_path_factory.mktemp(name) / "repo") for name in PLANNED}


@pytest.fixture(scope="module")
def plans(roots: dict[str, Path]) -> dict[str, dict[str, Plan]]:
    return {name: compile_repo(root).plans for name, root in roots.items()}


def prod(plans: dict[str, dict[str, Plan]], scenario: str) -> Plan:
    return plans[scenario]["prod"]


def all_steps(plan: Plan) -> Iterator[Step]:
    yield from plan.steps
    yield from plan.uninstall
    yield from plan.rollback


def regions_in_order(steps: tuple[Step, ...]) -> list[str]:
    """The regions ``steps`` touch, in the order they are first touched."""
    return list(dict.fromkeys(s.region for s in steps if s.region is not None))


def index(steps: tuple[Step, ...], step_id: str) -> int:
    return [s.id for s in steps].index(step_id)


def kinds(plan: Plan) -> dict[str, str]:
    return {r.name: r.change for r in plan.regions}


def test_planner_primary_region_first_then_rollout_order(plans: dict[str, dict[str, Plan]]) -> None:
    plan = prod(plans, "demo")
    assert [(r.name, r.primary, r.wave) for r in plan.regions] == [
        ("westus2", True, 0), ("eastus", False, 1), ("centralus", False, 2)]  # fmt: skip
    assert regions_in_order(plan.steps) == ["westus2", "eastus", "centralus"]


def test_planner_backup_before_the_primary_upgrade(plans: dict[str, dict[str, Plan]]) -> None:
    plan = prod(plans, "demo")
    check, backup = plan.steps[:2]
    # The live check comes first: a rerun after the primary was upgraded must not back up its migrated database.
    assert (check.id, check.phase) == ("westus2-live-check", "preflight")
    assert (backup.phase, backup.region) == ("backup", "westus2")
    assert backup.argv is not None and "pg_dump" in backup.argv
    assert [s.phase for s in plan.steps].count("backup") == 1
    assert index(plan.steps, backup.id) < index(plan.steps, "westus2-upgrade")


@pytest.mark.parametrize("scenario", ["demo", "database_move", "redis_move_primary", "one_replica"])
def test_planner_verify_and_gate_close_every_region(plans: dict[str, dict[str, Plan]], scenario: str) -> None:
    plan = prod(plans, scenario)
    changed = [r.name for r in plan.regions if r.change != "noop"]
    for name in changed:
        own = [s for s in plan.steps if s.region == name and s.id != f"{name}-pause"]
        # The region's last two steps: rollout status, then a manual health gate that pauses.
        verify, gate = own[-2], own[-1]
        assert verify.phase == "verify" and verify.argv is not None and "rollout" in verify.argv
        assert gate.phase == "gate" and gate.argv is None and gate.pause
        assert "tenant_service_health_level" in gate.description
    for before, after in itertools.pairwise(changed):
        assert index(plan.steps, f"{before}-health-gate") < min(
            i for i, s in enumerate(plan.steps) if s.region == after
        ), f"{after} starts before {before} passed its gate"


def test_planner_pause_between_regions_but_not_after_the_last(plans: dict[str, dict[str, Plan]]) -> None:
    plan = prod(plans, "demo")
    pauses = [s for s in plan.steps if s.argv is not None and s.argv[0] == "sleep"]
    assert [(s.region, s.argv) for s in pauses] == [("westus2", ("sleep", "600")), ("eastus", ("sleep", "600"))]


def test_planner_image_only_sets_every_tag_path_on_top_of_the_values_file(
    plans: dict[str, dict[str, Plan]],
) -> None:
    plan = plans["demo"]["staging"]
    assert kinds(plan) == {"westus2": "image-only"}
    upgrade = next(s for s in plan.steps if s.phase == "upgrade")
    assert upgrade.argv is not None
    words = list(upgrade.argv)
    f_at = words.index("-f")
    assert words[f_at + 1] == "generated/staging/values/westus2.yaml"
    sets = [words[i + 1] for i, w in enumerate(words) if w == "--set"]
    assert sets == [f"{path}=100.0.1000071.2" for path in plan.env.image.paths]
    assert all(i > f_at for i, w in enumerate(words) if w == "--set"), "--set must come after -f"
    assert "--version" in words and words[words.index("--version") + 1] == "100.0.1000071"


def test_planner_upgrade_with_new_chart_uses_no_set(plans: dict[str, dict[str, Plan]]) -> None:
    upgrade = next(s for s in prod(plans, "demo").steps if s.phase == "upgrade")
    assert upgrade.argv is not None and "--set" not in upgrade.argv
    assert upgrade.argv[upgrade.argv.index("--version") + 1] == "100.0.1000076"


def test_planner_region_absent_at_base_is_an_install(plans: dict[str, dict[str, Plan]]) -> None:
    plan = prod(plans, "region_added")
    assert kinds(plan) == {"westus2": "noop", "eastus": "noop", "centralus": "install"}
    assert [s.id for s in plan.steps] == ["centralus-live-check", "centralus-preflight", "centralus-upgrade",
                                          "centralus-rollout-status", "centralus-health-gate"]  # fmt: skip
    assert plan.steps[1].argv is not None and "can-i" in plan.steps[1].argv
    # Undoing an install is an uninstall, behind the data-loss confirmation.
    assert [s.phase for s in plan.rollback] == ["preflight", "gate", "uninstall", "verify"]
    assert plan.rollback[2].argv is not None and plan.rollback[2].argv[:2] == ("helm", "uninstall")


def test_planner_install_names_a_key_its_release_removed_that_its_values_still_set(tmp_path: Path) -> None:
    root = scenarios.region_added(tmp_path / "repo")
    note, values = "release-notes/tenant/100.0.1000076.yaml", "environments/prod/values/regions/centralus.yaml"
    scenarios.apply_edits(root, [
        TextEdit(note, "values_keys:\n", "values_keys:\n  removed:\n    - tenant.legacyCache\n"),
        TextEdit(values, "tenant:\n", "tenant:\n  legacyCache:\n    enabled: true\n"),
    ])  # fmt: skip
    [centralus] = [r for r in compile_repo(root).plans["prod"].regions if r.name == "centralus"]
    assert centralus.change == "install"
    assert "values keys removed or renamed in 100.0.1000076 are still set: tenant.legacyCache" in centralus.risks


def test_planner_environment_absent_at_base_installs_without_backup(plans: dict[str, dict[str, Plan]]) -> None:
    plan = plans["environment_added"]["staging"]
    assert plan.base_env is None
    assert kinds(plan) == {"westus2": "install"}
    assert "backup" not in [s.phase for s in plan.steps]
    assert kinds(prod(plans, "environment_added")) == dict.fromkeys(("westus2", "eastus", "centralus"), "noop")


def test_planner_state_absent_is_an_uninstall_with_data_loss_warning(plans: dict[str, dict[str, Plan]]) -> None:
    plan = prod(plans, "region_removed")
    assert kinds(plan) == {"westus2": "noop", "eastus": "uninstall", "centralus": "noop"}
    assert plan.steps == ()
    assert [s.phase for s in plan.uninstall] == ["preflight", "gate", "uninstall", "verify"]
    gate, uninstall = plan.uninstall[1], plan.uninstall[2]
    assert gate.pause and "DATA LOSS" in gate.description
    assert uninstall.argv == ("helm", "uninstall", "t100", "--kube-context", "prod-eastus", "-n", "voice")
    assert any("data loss" in risk for risk in plan.regions[1].risks)


def test_planner_rollback_of_an_uninstall_reinstalls_the_base(plans: dict[str, dict[str, Plan]]) -> None:
    plan = prod(plans, "region_removed")
    upgrade = next(s for s in plan.rollback if s.phase == "upgrade")
    assert upgrade.region == "eastus" and upgrade.argv is not None
    assert upgrade.argv[:4] == ("helm", "upgrade", "--install", "t100")
    assert "generated/prod/rollback/values/eastus.yaml" in upgrade.argv
    assert upgrade.argv[upgrade.argv.index("--version") + 1] == "100.0.1000067"


def test_planner_uninstall_removes_the_primary_last(plans: dict[str, dict[str, Plan]]) -> None:
    plan = prod(plans, "all_removed")
    removed = [s.region for s in plan.uninstall if s.phase == "uninstall"]
    assert removed == ["centralus", "eastus", "westus2"]
    backup = next(s for s in plan.uninstall if s.phase == "backup")
    assert backup.region == "westus2"
    assert index(plan.uninstall, backup.id) < index(plan.uninstall, "uninstall-westus2-uninstall")
    assert index(plan.uninstall, "uninstall-eastus-gone") < index(plan.uninstall, backup.id)
    # Reinstalling goes the other way: the primary first.
    assert regions_in_order(plan.rollback) == ["westus2", "eastus", "centralus"]


def test_planner_nothing_changed_is_noop_with_no_steps(plans: dict[str, dict[str, Plan]]) -> None:
    for plan in plans["unchanged"].values():
        assert set(kinds(plan).values()) == {"noop"}
        assert (plan.steps, plan.uninstall, plan.rollback, plan.risks) == ((), (), (), ())
        assert all(r.diff == () and r.risks == () for r in plan.regions)


def test_planner_values_only_change_is_config(plans: dict[str, dict[str, Plan]]) -> None:
    plan = prod(plans, "database_move")
    assert kinds(plan) == dict.fromkeys(("westus2", "eastus", "centralus"), "config")
    for region in plan.regions:
        assert region.base is not None and region.target is not None
        assert region.base.release == region.target.release
        assert [d.path for d in region.diff] == ["tenant.pgdb.dbhost"]


def test_planner_database_move_gates_before_each_region_and_names_degradation(
    plans: dict[str, dict[str, Plan]],
) -> None:
    plan = prod(plans, "database_move")
    for region in plan.regions:
        gate = index(plan.steps, f"{region.name}-database-ready")
        assert plan.steps[gate].pause and plan.steps[gate].argv is None
        assert "database is ready" in plan.steps[gate].description
        assert gate < index(plan.steps, f"{region.name}-upgrade")
        assert any(r.startswith("backend move") for r in region.risks)
        assert any(r.startswith("writes unavailable while t100-0") for r in region.risks)
    # The way back needs the previous database ready before each region switches back.
    for region in plan.regions:
        assert index(plan.rollback, f"rollback-{region.name}-database-ready") < index(
            plan.rollback, f"rollback-{region.name}-upgrade"
        )


def test_planner_redis_change_follows_the_vendor_choreography(plans: dict[str, dict[str, Plan]]) -> None:
    plan = prod(plans, "redis_move_primary")
    assert kinds(plan) == {"westus2": "config", "eastus": "noop", "centralus": "noop"}
    region = [s for s in plan.steps if s.region == "westus2" and s.phase not in ("backup", "preflight")]
    assert [s.phase for s in region] == [
        "scale", "verify", "maintenance", "restart", "verify", "scale", "verify", "gate"]  # fmt: skip
    scale_down, _, maintenance, restart, _, scale_up, _, _ = region
    # Scaling goes through helm with the deployed release and values, replicaCount set to 1 (the vendor's way).
    assert scale_down.argv is not None and scale_down.argv[:3] == ("helm", "upgrade", "--install")
    assert "tenant.deployment.replicaCount=1" in scale_down.argv
    assert "generated/prod/rollback/values/westus2.yaml" in scale_down.argv
    assert maintenance.argv is None and maintenance.pause and "Redis" in maintenance.description
    assert restart.argv is not None and "tenant.deployment.replicaCount=1" in restart.argv
    assert scale_up.argv is not None and "--set" not in scale_up.argv
    assert "3 replicas" in scale_up.description
    assert any("Redis connection change" in r for r in plan.regions[0].risks)


def test_planner_one_replica_region_names_a_full_outage(plans: dict[str, dict[str, Plan]]) -> None:
    plan = prod(plans, "one_replica")
    risks = {r.name: r.risks[0] for r in plan.regions}
    assert risks["centralus"].startswith("full outage: t100-0 is the only replica")
    assert risks["westus2"].startswith("writes unavailable while t100-0 (master) restarts")
    upgrade = plan.steps[index(plan.steps, "centralus-upgrade")]
    assert upgrade.risk is not None and upgrade.risk.startswith("full outage")


def test_planner_irreversible_migration_rollback_starts_with_restore(plans: dict[str, dict[str, Plan]]) -> None:
    plan = prod(plans, "irreversible")
    assert plan.irreversible == ("100.0.1000079",)
    # Every region is checked, then stopped so nothing writes while the backup is restored, then the restore.
    checks, stops = plan.rollback[:3], plan.rollback[3:6]
    assert [(s.phase, s.argv[:2] if s.argv else None) for s in checks] == [("preflight", ("rollplan", "preflight"))] * 3
    assert all(s.argv is not None and s.argv[s.argv.index("--mode") + 1] == "rollback-all" for s in checks)
    assert [(s.phase, s.argv[-1] if s.argv else None) for s in stops] == [("scale", "--replicas=0")] * 3
    assert [s.region for s in stops] == ["westus2", "eastus", "centralus"]
    first = plan.rollback[6]
    assert (first.phase, first.region, first.pause) == ("restore", None, True)
    assert first.argv is not None and "pg_restore" in first.argv
    assert [s.phase for s in plan.rollback].count("restore") == 1
    for region in plan.regions:
        assert any(r.startswith("irreversible database migration in 100.0.1000079") for r in region.risks)


def test_planner_irreversible_plan_md_says_the_rollback_restores(roots: dict[str, Path]) -> None:
    from compiler.commands.compile import write_all

    root = roots["irreversible"]
    write_all(root, compile_repo(root))
    text = (root / "generated/prod/plan.md").read_text(encoding="utf-8")
    rollback = text[text.index("## Rollback") :]
    assert "The rollback restores the database backup first" in rollback
    assert "100.0.1000079" in rollback
    assert rollback.index("**restore**") < rollback.index("**upgrade**")


def test_planner_reversible_migration_needs_no_restore(plans: dict[str, dict[str, Plan]]) -> None:
    plan = prod(plans, "demo")
    assert plan.irreversible == ()
    assert "restore" not in [s.phase for s in plan.rollback]


def test_planner_rollback_runs_in_reverse_region_order(plans: dict[str, dict[str, Plan]]) -> None:
    for scenario in ("demo", "database_move", "irreversible"):
        plan = prod(plans, scenario)
        # irreversible: stopping every region and restoring the database come before the regions
        restored = plan.rollback[7:] if scenario == "irreversible" else plan.rollback
        assert regions_in_order(restored) == list(reversed(regions_in_order(plan.steps))), scenario


def test_planner_rollback_restores_base_release_and_values(plans: dict[str, dict[str, Plan]]) -> None:
    plan = prod(plans, "demo")
    for step in (s for s in plan.rollback if s.phase == "upgrade"):
        assert step.argv is not None
        assert step.argv[step.argv.index("--version") + 1] == "100.0.1000067"
        assert step.argv[step.argv.index("-f") + 1] == f"generated/prod/rollback/values/{step.region}.yaml"


def test_planner_every_command_names_its_cluster_and_namespace(plans: dict[str, dict[str, Plan]]) -> None:
    checked = 0
    for per_env in plans.values():
        for plan in per_env.values():
            contexts = {r.name: r.current.context for r in plan.regions}
            for step in all_steps(plan):
                if step.argv is None or step.argv[0] not in HELM_KUBECTL:
                    continue
                flag = "--kube-context" if step.argv[0] == "helm" else "--context"
                words = list(step.argv)
                assert flag in words, f"{step.id}: {words}"
                context = words[words.index(flag) + 1]
                if step.region is not None:
                    assert context == contexts[step.region], step.id
                assert words[words.index("-n") + 1] == plan.env.namespace, step.id
                checked += 1
    assert checked > 100


def test_planner_no_atomic_flag_anywhere(plans: dict[str, dict[str, Plan]]) -> None:
    # --atomic is gone in helm 4 and would hide a failed upgrade behind an automatic rollback.
    words = [w for per_env in plans.values() for p in per_env.values() for s in all_steps(p) for w in s.argv or ()]
    assert words and not [w for w in words if w.startswith("--atomic")]


def test_planner_step_ids_unique_within_a_plan(plans: dict[str, dict[str, Plan]]) -> None:
    for per_env in plans.values():
        for plan in per_env.values():
            ids = [s.id for s in all_steps(plan)]
            assert len(ids) == len(set(ids)), plan.environment


def test_planner_step_ids_stable_across_compiles(roots: dict[str, Path], plans: dict[str, dict[str, Plan]]) -> None:
    again = compile_repo(roots["demo"]).plans
    for env, plan in plans["demo"].items():
        assert [s.id for s in all_steps(again[env])] == [s.id for s in all_steps(plan)]
        assert again[env] == plan


def test_planner_critical_fix_target_is_urgent(plans: dict[str, dict[str, Plan]]) -> None:
    assert prod(plans, "demo").urgent and plans["demo"]["staging"].urgent
    # 100.0.1000079 is not itself a security fix, though the path to it passes 76.
    assert not prod(plans, "irreversible").urgent


def blocked(root: Path) -> PlanBlocked:
    with pytest.raises(PlanBlocked) as caught:
        compile_repo(root)
    return caught.value


def test_planner_third_party_below_requirement_blocks_naming_everything(tmp_path: Path) -> None:
    err = blocked(scenarios.blocked_redis(tmp_path / "repo"))
    redis = [p for p in err.problems if p.path == "third_party.redis"]
    assert len(redis) == 1
    problem = redis[0]
    assert problem.location.file == "environments/staging/regions/westus2.yaml"
    for part in ("region westus2", "redis", "7.0.15", ">=7.2", "100.0.1000073", "third-party-prerequisite"):
        assert part in problem.message


def test_planner_malformed_installed_version_blocks_at_its_line(tmp_path: Path) -> None:
    root = scenarios.example_repo(tmp_path / "repo")
    region = "environments/prod/regions/eastus.yaml"
    scenarios.apply_edits(root, [TextEdit(region, "kubernetes: '1.29.4'", "kubernetes: 'v1.29.4-eks-a1b2c3'"),
                                 scenarios.prod_version("100.0.1000079")])  # fmt: skip
    assert "prod" in compile_repo(root).plans
    scenarios.apply_edits(root, [TextEdit(region, "kubernetes: 'v1.29.4-eks-a1b2c3'", "kubernetes: 'eks-1.29'")])
    problem = next(p for p in blocked(root).problems if p.path == "third_party.kubernetes")
    assert problem.location.file == region and problem.location.line > 0 and problem.location.column > 0
    assert "expected a version such as 1.29.4 or v1.29.4-eks-" in problem.message


def test_planner_target_outside_support_window_blocks_naming_file_and_rule(tmp_path: Path) -> None:
    err = blocked(scenarios.blocked_n2(tmp_path / "repo"))
    assert {p.location.file for p in err.problems} == {"environments/prod/environment.yaml"}
    assert {p.path for p in err.problems} == {"version"}
    # One version field, one problem: reported once, at its line, not once per region.
    assert len(err.problems) == 1 and err.problems[0].location.line > 0
    assert all("N-2" in p.message and "support-window" in p.message for p in err.problems)


def test_planner_allow_unsupported_version_is_a_loud_risk(tmp_path: Path) -> None:
    compiled = compile_repo(scenarios.blocked_n2(tmp_path / "repo", allow=True))
    plan = compiled.plans["prod"]
    assert len(plan.risks) == 1 and plan.risks[0].startswith("UNSUPPORTED: version 100.0.1000071")
    assert "N-2" in plan.risks[0] and "allow_unsupported_version" in plan.risks[0]
    assert kinds(plan) == dict.fromkeys(("westus2", "eastus", "centralus"), "upgrade")
    plan_md = compiled.files["prod"]["plan.md"].decode("utf-8")
    assert f"> **{plan.risks[0]}**" in plan_md[: plan_md.index("<!-- rollplan:summary-end -->")]


def test_planner_blocked_compile_exits_1_and_names_region_component_versions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = scenarios.blocked_redis(tmp_path / "repo")
    assert cli.main(["compile", "--root", str(root)]) == 1
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if "third_party.redis" in x)
    assert line.startswith("error: environments/staging/regions/westus2.yaml")
    for part in ("region westus2", "redis 7.0.15 is installed", "requires >=7.2"):
        assert part in line
    assert not (root / "generated").exists()


def test_planner_blocked_n2_compile_exits_1_naming_the_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = scenarios.blocked_n2(tmp_path / "repo")
    assert cli.main(["compile", "--root", str(root)]) == 1
    err = capsys.readouterr().err
    assert "error: environments/prod/environment.yaml" in err and "N-2 support window" in err
    assert "allow_unsupported_version" in err
