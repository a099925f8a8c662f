"""plan.md of a 100-region environment, built the way benchmarks/fleet.py builds its fleet (not timed).

The page must still fit a pull-request comment: under 60,000 bytes, with
the steps moved to steps.md, identical values diffs in one table, and a
diagram of wave groups rather than a 100-node chain.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from support import mdcheck

from compiler.pipeline import compile_repo
from compiler.render.shellwords import shell_join
from compiler.repo import gitio

FLEET = Path(__file__).resolve().parents[2] / "benchmarks" / "fleet.py"
REGIONS = 100
LIMIT = 60_000


def _fleet_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rollplan_fleet_benchmark", FLEET)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fleet_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    fleet = _fleet_module()
    root = tmp_path_factory.mktemp("fleet") / "repo"
    layout = fleet.plan_fleet(REGIONS, 1)
    fleet.write_fleet(root, layout)
    gitio.init_with_commit(root, "Deployed fleet")
    fleet.apply_change(root, layout)
    (files,) = compile_repo(root).files.values()
    return {path: data.decode("utf-8") for path, data in files.items() if path.endswith((".md", ".json"))}


def test_plan_md_scale_100_regions_fits_a_comment(fleet_files: dict[str, str]) -> None:
    size = len(fleet_files["plan.md"].encode("utf-8"))
    assert size < LIMIT, f"plan.md of {REGIONS} regions is {size} bytes"
    assert "[steps.md](steps.md#steps)" in fleet_files["plan.md"]


def test_plan_md_scale_steps_md_holds_every_command_in_its_item(fleet_files: dict[str, str]) -> None:
    plan = json.loads(fleet_files["plan.json"])
    commands = [shell_join(s["argv"]) for part in ("steps", "rollback") for s in plan[part] if s["argv"] is not None]
    blocks = [f for f in mdcheck.fences(fleet_files["steps.md"]) if f.info == "sh"]
    assert [mdcheck.unfold(b.content) for b in blocks] == commands
    assert all(b.in_list_item for b in blocks)
    assert not [f for f in mdcheck.fences(fleet_files["plan.md"]) if f.info == "sh"]
    for name in ("plan.md", "steps.md"):
        assert not list(mdcheck.problems(fleet_files[name])), name


def test_plan_md_scale_diagram_groups_the_waves(fleet_files: dict[str, str]) -> None:
    (diagram,) = [f.content for f in mdcheck.fences(fleet_files["plan.md"]) if f.info == "mermaid"]
    edges = [line for line in diagram.splitlines() if "-->" in line]
    assert 5 <= len(edges) <= 15, diagram
    assert "waves 1-10: 10 regions" in diagram


def test_plan_md_scale_identical_diffs_share_one_table(fleet_files: dict[str, str]) -> None:
    text = fleet_files["plan.md"]
    assert text.count("| Path | Change | Before | After |") == 1
    assert f"**All {REGIONS} regions:**" in text


def test_plan_md_scale_every_risk_on_the_first_screen(fleet_files: dict[str, str]) -> None:
    first = fleet_files["plan.md"].split("<!-- rollplan:summary-end -->")[0]
    plan = json.loads(fleet_files["plan.json"])
    risks = {risk for region in plan["regions"] for risk in region["risks"]}
    assert risks and all(risk in first for risk in risks)
    assert len(first.encode("utf-8")) < 8_000
