"""The GitHub Action in action.yml: composite, installs rollplan from its own checkout, comments once per PR."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support.demorepo import build_demo

ROOT = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))


def scripts() -> list[str]:
    """Each step's bash, with the workflow expressions replaced by plain words."""
    runs = [step["run"] for step in ACTION["runs"]["steps"] if "run" in step]
    return [re.sub(r"\$\{\{[^}]*\}\}", "value", run) for run in runs]


def test_action_is_composite_with_the_documented_inputs() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert {"root", "environments", "comment"} <= set(ACTION["inputs"])


def test_action_installs_rollplan_from_its_own_path_not_an_index() -> None:
    install = next(s for s in ACTION["runs"]["steps"] if s.get("name", "").startswith("Install rollplan"))
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert 'pip install --quiet "$ACTION_PATH"' in install["run"]
    assert "rollplan==" not in (ROOT / "action.yml").read_text(encoding="utf-8")


def test_action_inputs_never_reach_a_script_as_an_expression() -> None:
    # ${{ inputs.x }} inside `run:` is pasted into the script: an injection. They go through env.
    for step in ACTION["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step.get("name")


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
@pytest.mark.parametrize("index", range(len(scripts())))
def test_action_scripts_pass_shellcheck(tmp_path: Path, index: int) -> None:
    script = tmp_path / "step.sh"
    script.write_text("#!/usr/bin/env bash\n" + scripts()[index], encoding="utf-8")
    done = subprocess.run(["shellcheck", "--shell=bash", str(script)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout


def test_action_comment_has_the_marker_summary_and_plans(tmp_path: Path) -> None:
    repo = build_demo(tmp_path / "demo")
    script = ROOT / "action" / "plan_comment.py"
    done = subprocess.run([sys.executable, str(script), "--root", str(repo), "--exit-code", "0", "prod"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    body = done.stdout
    assert body.startswith("<!-- rollplan plan -->\n")
    assert "| prod | westus2 (primary) | upgrade | 100.0.1000067 → 100.0.1000076 |" in body
    assert "Plan: 3 to upgrade, 0 image-only" in body
    assert "<details><summary>prod: plan.md</summary>" in body
    assert "staging" not in body.split("<details>")[0]


def test_action_comment_of_a_stale_check_says_so_first(tmp_path: Path) -> None:
    repo = build_demo(tmp_path / "demo")
    errors = tmp_path / "err"
    errors.write_text("stale (changed): generated/prod/plan.md\n", encoding="utf-8")
    script = ROOT / "action" / "plan_comment.py"
    argv = [sys.executable, str(script), "--root", str(repo), "--exit-code", "3", "--errors", str(errors)]
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    assert "**generated/ is stale**" in done.stdout.splitlines()[3]
    assert "stale (changed): generated/prod/plan.md" in done.stdout


def test_action_comment_over_the_limit_keeps_each_plans_first_screen_whole(tmp_path: Path) -> None:
    repo = build_demo(tmp_path / "demo")
    plan = repo / "generated/prod/plan.md"
    text = plan.read_text(encoding="utf-8")
    assert "<!-- rollplan:summary-end -->" in text
    plan.write_text(text + "\n" + "filler line of a very long plan\n" * 3000, encoding="utf-8")
    script = ROOT / "action" / "plan_comment.py"
    done = subprocess.run([sys.executable, str(script), "--root", str(repo), "--exit-code", "0"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    body = done.stdout
    assert len(body) < 65536
    first_screen = text.split("<!-- rollplan:summary-end -->", 1)[0]
    assert first_screen in body, "the decision part of plan.md is kept whole, not cut mid-way"
    assert "filler line" not in body
    assert "`generated/prod/plan.md` in this pull request" in body
