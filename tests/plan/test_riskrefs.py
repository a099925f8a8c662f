"""Risks name only steps the plan has: every risk kind, over every scenario plan."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import scenarios

from compiler.pipeline import compile_repo
from compiler.plan import riskrefs
from compiler.plan.model import Plan, PrimaryMove, Step
from compiler.repo.example import TextEdit

STEP_WORDS = re.compile(r"\bsteps? ([^\s,.;:()]+)(?: to ([^\s,.;:()]+))?")


def flag_only(root: Path) -> Path:
    """prod at 76; only the primary flag moves from westus2 to eastus: no values, no release change."""
    scenarios.example_repo(root, [scenarios.prod_version(scenarios.SUPPORTED)])
    order = TextEdit(scenarios.PROD_ENV, "    - eastus\n    - centralus\n", "    - westus2\n    - centralus\n")
    scenarios.apply_edits(root, [scenarios.PRIMARY_FLAG, scenarios.NEW_PRIMARY, order])
    return root


def move_and_remove(root: Path) -> Path:
    """The primary moves to eastus while westus2 is uninstalled."""
    scenarios.example_repo(root, [scenarios.prod_version(scenarios.SUPPORTED)])
    old = TextEdit("environments/prod/regions/westus2.yaml", "primary: true\n", "state: absent\n")
    order = TextEdit(scenarios.PROD_ENV, "    - eastus\n    - centralus\n", "    - centralus\n")
    scenarios.apply_edits(root, [old, scenarios.NEW_PRIMARY, order, *scenarios.master_dc("eastus")])
    return root


def move_with_downgrade(root: Path) -> Path:
    """The primary moves to eastus in the same change that goes back across the irreversible migration."""
    scenarios.downgrade_irreversible(root)
    order = TextEdit(scenarios.PROD_ENV, "    - eastus\n    - centralus\n", "    - westus2\n    - centralus\n")
    scenarios.apply_edits(root, [scenarios.PRIMARY_FLAG, scenarios.NEW_PRIMARY, order, *scenarios.master_dc("eastus")])
    return root


def move_to_new_region(root: Path) -> Path:
    """centralus is installed as the new primary; westus2 keeps its release and values: only its flag moves."""
    listed = TextEdit(scenarios.PROD_ENV, "    - eastus\n    - centralus\n", "    - eastus\n")
    scenarios.example_repo(root, [scenarios.prod_version(scenarios.SUPPORTED), listed],
                           ["environments/prod/regions/centralus.yaml"])  # fmt: skip
    new_primary = TextEdit("environments/prod/regions/centralus.yaml", "name: centralus\n",
                           "name: centralus\nprimary: true\n")  # fmt: skip
    order = TextEdit(scenarios.PROD_ENV, "    - eastus\n", "    - westus2\n    - eastus\n")
    scenarios.apply_edits(root, [scenarios.PRIMARY_FLAG, new_primary, order])
    return root


def migrated_before(root: Path) -> Path:
    """centralus already runs 100.0.1000079: the others follow, and the rollback restores nothing."""
    scenarios.example_repo(root, [scenarios.prod_version(scenarios.SUPPORTED), scenarios.pin("centralus", 2,
                                                                                              "100.0.1000079")])
    to_79 = TextEdit(scenarios.PROD_ENV, f"version: '{scenarios.SUPPORTED}'\n", "version: '100.0.1000079'\n")
    scenarios.apply_edits(root, [to_79, TextEdit("environments/prod/regions/centralus.yaml",
                                                 "pin:\n  version: '100.0.1000079'\n", "")])  # fmt: skip
    return root


def new_environment_migrating(root: Path) -> Path:
    """staging is new and installs 100.0.1000079: its migration has nothing to restore."""
    scenarios.environment_added(root)
    env = root / scenarios.STAGING_ENV
    env.write_text(env.read_text().replace("version: '100.0.1000071.2'\n", "version: '100.0.1000079'\n"))
    for region in (root / "environments/staging/regions").glob("*.yaml"):
        region.write_text(region.read_text().replace("redis: '7.0.15'", "redis: '7.2.4'"))
    return root


EXTRA = {"flag_only": flag_only, "move_and_remove": move_and_remove, "move_with_downgrade": move_with_downgrade,
         "move_to_new_region": move_to_new_region,
         "migrated_before": migrated_before, "new_environment_migrating": new_environment_migrating,
         "region_added": scenarios.region_added, "all_removed": scenarios.all_removed}  # fmt: skip
ALL = {**scenarios.GOLDEN, **EXTRA}


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Plan]:
    built: dict[str, Plan] = {}
    for name, build in ALL.items():
        for env, plan in compile_repo(build(tmp_path_factory.mktemp(name) / "repo")).plans.items():
            built[f"{name}/{env}"] = plan
    return built


def risks(plan: Plan) -> Iterator[str]:
    yield from plan.risks
    for change in plan.regions:
        yield from change.risks
    for step in (*plan.steps, *plan.uninstall, *plan.rollback):
        if step.risk:
            yield step.risk


def all_steps(plan: Plan) -> tuple[Step, ...]:
    return (*plan.steps, *plan.uninstall, *plan.rollback)


def test_riskrefs_every_step_a_risk_names_is_in_the_plan(plans: dict[str, Plan]) -> None:
    for name, plan in plans.items():
        known = {s.id for s in all_steps(plan)}
        for risk in risks(plan):
            assert riskrefs.UNDO not in risk, (name, risk)
            for found in STEP_WORDS.findall(risk):
                named = [word for word in found if word]
                assert set(named) <= known, f"{name}: {risk!r} names {named}, not steps of the plan"


def test_riskrefs_the_scenarios_cover_every_risk_kind(plans: dict[str, Plan]) -> None:
    texts = [risk for plan in plans.values() for risk in risks(plan)]
    kinds = {
        "move, both change": "the two regions disagree on the master: two masters, or none. The plan runs them",
        "move, source removed": "is uninstalled (step uninstall-",
        "move, flag only": "This plan deploys nothing to eastus and westus2:",
        "move, one side": "This plan deploys nothing to westus2:",
        "downgrade across": "DOWNGRADE across the irreversible database migration of 100.0.1000079: steps ",
        "dump overwritten": "this plan backs up first (step ",
        "restores": "the rollback restores the backup first (step rollback-all-database-restore)",
        "migrated before": "(migrated before this plan): the rollback restores nothing",
        "new database": "nothing to restore: nothing ran on the database before this plan",
    }
    missing = [kind for kind, words in kinds.items() if not any(words in text for text in texts)]
    assert missing == []


def test_riskrefs_a_flag_only_move_names_no_step(plans: dict[str, Plan]) -> None:
    plan = plans["flag_only/prod"]
    assert plan.primary_move == PrimaryMove("westus2", "eastus")
    [risk] = [r for r in plan.risks if r.startswith("PRIMARY MOVE")]
    assert STEP_WORDS.findall(risk) == [] and not any(s.phase in ("upgrade", "restart") for s in plan.steps)


def test_riskrefs_a_move_with_a_downgrade_names_the_steps_of_both(plans: dict[str, Plan]) -> None:
    plan = plans["move_with_downgrade/prod"]
    ids = [s.id for s in plan.steps]
    [move] = [r for r in plan.risks if r.startswith("PRIMARY MOVE")]
    assert "From step eastus-upgrade until step westus2-upgrade" in move
    assert ids.index("all-database-restore") < ids.index("eastus-upgrade") < ids.index("westus2-upgrade")
