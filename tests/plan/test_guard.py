"""Live checks in the plan: where they run, what they expect, and that the expectation is what helm receives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import scenarios

from compiler.commands.compile import write_all
from compiler.live.fingerprint import values_digest
from compiler.pipeline import compile_repo
from compiler.plan.guard import plan_rules
from compiler.render.shell import skippable_steps

SCENARIOS = ("demo", "irreversible", "region_removed", "redis_move_primary", "downgrade_irreversible")


@pytest.fixture(scope="module")
def roots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    built = {}
    for name in SCENARIOS:
        root = scenarios.GOLDEN[name](tmp_path_factory.mktemp(name) / "repo")
        write_all(root, compile_repo(root))
        built[name] = root
    return built


def plan_json(root: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((root / "generated/prod/plan.json").read_text(encoding="utf-8"))
    return doc


def flag(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_guard_hashes_are_those_of_the_values_files_helm_receives(roots: dict[str, Path]) -> None:
    root = roots["demo"]
    plan = compile_repo(root).plans["prod"]
    rules = plan_rules(plan.env, plan.base_env)
    checked = 0
    for region in plan_json(root)["regions"]:
        for side, folder in (("target", "values"), ("base", "rollback/values")):
            path = root / "generated/prod" / folder / f"{region['name']}.yaml"
            if region["live"][side] is None or not path.exists():
                continue
            values = yaml.safe_load(path.read_text(encoding="utf-8"))
            assert region["live"][side]["values_sha256"] == values_digest(values, rules), (region["name"], side)
            checked += 1
    assert checked >= 4


def test_guard_every_changing_region_starts_with_its_live_check(roots: dict[str, Path]) -> None:
    doc = plan_json(roots["demo"])
    changing = [r["name"] for r in doc["regions"] if r["change"] != "noop"]
    for name in changing:
        first = next(s for s in doc["steps"] if s["region"] == name)
        assert first["id"] == f"{name}-live-check" and first["phase"] == "preflight"
        region = next(r for r in doc["regions"] if r["name"] == name)
        live = region["live"]
        assert flag(first["argv"], "--base") == f"{live['base']['chart_version']}@{live['base']['values_sha256']}"
        assert flag(first["argv"], "--mode") == "forward"
        assert flag(first["argv"], "--secret-path") == "tenant.redis.password"


def test_guard_queries_name_context_and_namespace(roots: dict[str, Path]) -> None:
    for section in ("steps", "rollback"):
        for step in (s for s in plan_json(roots["demo"])[section] if s["id"].endswith("live-check")):
            argv = step["argv"]
            cut = argv.index("--")
            metadata, values, replicas = argv[cut + 1 :][:10], argv[cut + 12 :][:10], argv[cut + 23 :]
            assert metadata[:3] == ["helm", "get", "metadata"] and values[:3] == ["helm", "get", "values"]
            for query in (metadata, values):
                assert flag(query, "--kube-context") == f"prod-{step['region']}" and flag(query, "-n") == "voice"
            assert replicas == ["kubectl", "--context", f"prod-{step['region']}", "-n", "voice", "get",
                                "statefulset/t100", "-o", "jsonpath={.spec.replicas}"]  # fmt: skip


def test_guard_live_checks_name_the_script_that_stops_regions_and_its_restore(roots: dict[str, Path]) -> None:
    # An upgrade across a migration: rollback.sh stops every region; upgrade.sh's checks point to its restore.
    doc = plan_json(roots["irreversible"])
    restore = next(n for n, s in enumerate(doc["rollback"], 1) if s["phase"] == "restore")
    forward = [s for s in doc["steps"] if s["id"].endswith("live-check")]
    assert forward and {flag(s["argv"], "--resume") for s in forward} == {f"rollback.sh:{restore}"}
    # rollback-all stops every region itself: a stopped region is no surprise there.
    assert all("--resume" not in s["argv"] for s in doc["rollback"] if s["id"].endswith("live-check"))
    # A downgrade across one: upgrade.sh stops every region, and both scripts point to its restore.
    down = plan_json(roots["downgrade_irreversible"])
    restore = next(n for n, s in enumerate(down["steps"], 1) if s["phase"] == "restore")
    checks = [s for section in ("steps", "rollback") for s in down[section] if s["id"].endswith("live-check")]
    assert checks and {flag(s["argv"], "--resume") for s in checks} == {f"upgrade.sh:{restore}"}
    # A plan that stops nothing names no script.
    assert all("--resume" not in s["argv"] for s in plan_json(roots["demo"])["steps"] if s["argv"])


def test_guard_irreversible_rollback_checks_every_region_before_stopping_any(roots: dict[str, Path]) -> None:
    rollback = plan_json(roots["irreversible"])["rollback"]
    phases = [s["phase"] for s in rollback]
    assert phases[:4] == ["preflight"] * 3 + ["scale"]
    assert {flag(s["argv"], "--mode") for s in rollback if s["id"].endswith("live-check")} == {"rollback-all"}


def test_guard_uninstall_checks_the_release_before_removing_it(roots: dict[str, Path]) -> None:
    doc = plan_json(roots["region_removed"])
    first = doc["uninstall"][0]
    assert (first["id"], flag(first["argv"], "--target")) == ("uninstall-eastus-live-check", "none")
    region = next(r for r in doc["regions"] if r["name"] == "eastus")
    assert region["live"]["target"] is None and region["live"]["base"] is not None


def test_guard_skippable_steps_are_the_changes_after_a_check(roots: dict[str, Path]) -> None:
    plan = compile_repo(roots["redis_move_primary"]).plans["prod"]
    skipped = {plan.steps[n - 1].phase for n in skippable_steps(plan.steps)}
    assert skipped == {"backup", "scale", "maintenance", "restart"}
    kept = {s.phase for n, s in enumerate(plan.steps, start=1) if n not in skippable_steps(plan.steps)}
    assert kept == {"preflight", "verify", "gate"}
