"""`rollplan validate` reports the problems of every environment in one run, whichever stage found them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import scenarios
from support.demorepo import rollplan

from compiler.repo.example import TextEdit

# staging fails to load (an unknown key); prod loads but its plan is blocked (outside N-2).
BROKEN_STAGING = TextEdit(scenarios.STAGING_ENV, "release: t100\n", "release: t100\nreleas: t100\n")


def _repo(tmp_path: Path) -> Path:
    root = scenarios.blocked_n2(tmp_path / "repo")
    scenarios.apply_edits(root, [BROKEN_STAGING])
    return root


def test_validate_plans_the_environments_that_load_and_reports_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _repo(tmp_path)
    done = rollplan(capsys, "validate", "--root", str(root))
    assert done.code == 1
    errors = [line for line in done.err.splitlines() if line.startswith("error: ")]
    assert any(line.startswith(f"error: {scenarios.STAGING_ENV}:") and "releas" in line for line in errors)
    assert any(line.startswith(f"error: {scenarios.PROD_ENV}:") and "support-window" in line for line in errors)
    locations = [line.removeprefix("error: ").split(" ")[0] for line in errors]
    assert all(loc.count(":") >= 3 for loc in locations), locations  # file:line:column:
    assert errors == sorted(errors, key=lambda line: (line.split(":")[1], int(line.split(":")[2])))


def test_validate_json_lists_the_problems_of_every_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _repo(tmp_path)
    done = rollplan(capsys, "validate", "--root", str(root), "--format", "json")
    assert done.code == 1
    doc = json.loads(done.out or done.err)
    files = {p["file"] for p in doc["errors"]}
    assert {scenarios.STAGING_ENV, scenarios.PROD_ENV} <= files


def test_validate_one_environment_alone_reports_only_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _repo(tmp_path)
    done = rollplan(capsys, "validate", "--root", str(root), "--env", "prod")
    assert done.code == 1
    assert "support-window" in done.err and scenarios.STAGING_ENV not in done.err
