"""The command line contract (C-13, C-14): exit codes from one boundary, stdout/stderr, --format json, --debug."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support.demorepo import build_demo, copy_repo, git, replace_text, rollplan

from compiler import pipeline
from compiler.commands.demo import EXAMPLE_PARTS, example_root

Capture = pytest.CaptureFixture[str]
CHECKOUT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo(tmp_path_factory.mktemp("template") / "demo")


@pytest.fixture
def repo(demo_template: Path, tmp_path: Path) -> Path:
    return copy_repo(demo_template, tmp_path / "repo")


def example_tree(target: Path) -> Path:
    """The example specs in ``target``, with no git around them."""
    for part in EXAMPLE_PARTS:
        if (example_root() / part).is_dir():
            copy_repo(example_root() / part, target / part)
    return target


def only_json(run_out: str) -> Any:
    """stdout holds exactly one JSON object (json.loads rejects anything after it)."""
    doc = json.loads(run_out)
    assert isinstance(doc, dict)
    return doc


# --- exit 0 --------------------------------------------------------------------------------------------------------


def test_cli_validate_valid_specs_exit_0(repo: Path, capsys: Capture) -> None:
    run = rollplan(capsys, "validate", "--root", str(repo))
    assert run.code == 0
    assert "2 environment(s), 7 release note(s): valid" in run.out
    assert run.err == ""


def test_cli_validate_json_summarises_environments(repo: Path, capsys: Capture) -> None:
    run = rollplan(capsys, "validate", "--root", str(repo), "--format", "json")
    assert run.code == 0
    doc = only_json(run.out)
    assert doc["ok"] is True
    assert doc["environments"] == {
        "prod": {"regions": ["centralus", "eastus", "westus2"], "version": "100.0.1000076", "changes": 3},
        "staging": {"regions": ["westus2"], "version": "100.0.1000071.2", "changes": 1},
    }


def test_cli_compile_json_summarises_plans_and_written_files(repo: Path, capsys: Capture) -> None:
    (repo / "generated/prod/plan.md").unlink()
    run = rollplan(capsys, "compile", "--root", str(repo), "--format", "json")
    assert run.code == 0, run.err
    doc = only_json(run.out)
    assert doc["changed"] == ["generated/prod/plan.md"]
    assert doc["commit"] is None
    plans = {p["environment"]: p for p in doc["plans"]}
    assert [(r["name"], r["change"]) for r in plans["prod"]["regions"]] == [
        ("westus2", "upgrade"),
        ("eastus", "upgrade"),
        ("centralus", "upgrade"),
    ]
    assert plans["staging"]["regions"][0]["change"] == "image-only"
    assert plans["prod"]["steps"] > 0 and plans["prod"]["rollback_steps"] > 0


def test_cli_compile_text_reports_plans_on_stdout_progress_on_stderr(repo: Path, capsys: Capture) -> None:
    run = rollplan(capsys, "compile", "--root", str(repo))
    assert run.code == 0
    assert run.out.splitlines() == [
        "prod: URGENT 100.0.1000067 → 100.0.1000076: 3 upgrade; 18 steps, rollback 12",
        "staging: URGENT 100.0.1000071 → 100.0.1000071.2: 1 image-only; 6 steps, rollback 4",
        "Plan: 3 to upgrade, 1 image-only, 0 to uninstall",
        f"base: merge-base of HEAD and main ({git(repo, 'rev-parse', 'HEAD').strip()[:12]})",
        "generated/ is up to date",
    ]
    assert run.err == ""  # the progress line is for a terminal, and only for a slow run


def test_cli_diff_text_shows_values_changes(repo: Path, capsys: Capture) -> None:
    run = rollplan(capsys, "diff", "--root", str(repo), "--env", "staging")
    assert run.code == 0
    assert run.out.splitlines() == [
        "staging/westus2: image-only",
        '  ~ images.pgdbInit.tag: "100.0.1000071" → "100.0.1000071.2"',
        '  ~ images.pulseInit.tag: "100.0.1000071" → "100.0.1000071.2"',
        '  ~ images.tenant.tag: "100.0.1000071" → "100.0.1000071.2"',
    ]


def test_cli_diff_json_lists_changes_per_region(repo: Path, capsys: Capture) -> None:
    run = rollplan(capsys, "diff", "--root", str(repo), "--format", "json")
    assert run.code == 0
    envs = only_json(run.out)["environments"]
    eastus = next(r for r in envs["prod"] if r["name"] == "eastus")
    paths = {d["path"]: (d["old"], d["new"]) for d in eastus["diff"]}
    assert paths["tenant.deployment.resources.limits.memory"] == ("6Gi", "8Gi")
    assert [r["name"] for r in envs["staging"]] == ["westus2"]


def test_cli_check_json_fresh_output(repo: Path, capsys: Capture) -> None:
    run = rollplan(capsys, "check", "--root", str(repo), "--format", "json")
    assert run.code == 0
    assert only_json(run.out)["ok"] is True


def test_cli_help_and_version_return_0(capsys: Capture) -> None:
    assert rollplan(capsys, "--help").code == 0
    version = rollplan(capsys, "--version")
    assert version.code == 0
    assert version.out.startswith("rollplan ")
    run = rollplan(capsys, "check", "--help")
    assert run.code == 0
    assert "--base REV" in run.out


# --- exit 1: invalid input, blocked plan, git cannot answer ---------------------------------------------------------


def add_unknown_key(repo: Path) -> None:
    replace_text(repo / "environments/prod/regions/eastus.yaml", "replicas: 3\n", "replicas: 3\nreplica: 4\n")


def test_cli_validate_invalid_input_exit_1_names_location(repo: Path, capsys: Capture) -> None:
    add_unknown_key(repo)
    run = rollplan(capsys, "validate", "--root", str(repo))
    assert run.code == 1
    assert run.out == ""
    assert "error: environments/prod/regions/eastus.yaml:8:1: replica: unknown key" in run.err
    assert run.err.endswith("1 problem found\n")


@pytest.mark.parametrize("command", ["validate", "compile", "check", "diff"])
def test_cli_invalid_input_json_errors_carry_location(repo: Path, capsys: Capture, command: str) -> None:
    add_unknown_key(repo)
    run = rollplan(capsys, command, "--root", str(repo), "--format", "json")
    assert run.code == 1
    doc = only_json(run.out)
    assert doc["ok"] is False and doc["exit_code"] == 1
    [error] = doc["errors"]
    assert error["file"] == "environments/prod/regions/eastus.yaml"
    assert (error["line"], error["column"]) == (8, 1)
    assert error["path"] == "replica"
    assert "unknown key" in error["message"]


def block_on_redis(repo: Path) -> None:
    """eastus keeps Redis 7.0 while release 100.0.1000076 requires >=7.2."""
    replace_text(repo / "environments/prod/regions/eastus.yaml", "redis: '7.2.4'", "redis: '7.0.15'")


def test_cli_compile_blocked_plan_exit_1_writes_nothing(repo: Path, capsys: Capture) -> None:
    block_on_redis(repo)
    before = sorted(p.read_bytes() for p in (repo / "generated").rglob("*") if p.is_file())
    run = rollplan(capsys, "compile", "--root", str(repo))
    assert run.code == 1
    assert "region eastus: redis 7.0.15 is installed, release 100.0.1000076 requires >=7.2" in run.err
    assert sorted(p.read_bytes() for p in (repo / "generated").rglob("*") if p.is_file()) == before


def test_cli_compile_blocked_plan_json(repo: Path, capsys: Capture) -> None:
    block_on_redis(repo)
    run = rollplan(capsys, "compile", "--root", str(repo), "--format", "json")
    assert run.code == 1
    [error] = only_json(run.out)["errors"]
    assert error["file"] == "environments/prod/regions/eastus.yaml"
    assert error["path"] == "third_party.redis"


@pytest.mark.parametrize("command", ["compile", "check", "diff"])
def test_cli_root_outside_git_exit_1(tmp_path: Path, capsys: Capture, command: str) -> None:
    root = example_tree(tmp_path / "specs")
    run = rollplan(capsys, command, "--root", str(root))
    assert run.code == 1
    assert "is not inside a git repository" in run.err
    assert not (root / "generated").exists()


def test_cli_validate_outside_git_checks_the_specs_and_says_the_plans_were_not(tmp_path: Path, capsys: Capture) -> None:
    run = rollplan(capsys, "validate", "--root", str(example_tree(tmp_path / "specs")))
    assert run.code == 0
    assert "plans not checked" in run.err


def test_cli_repository_without_commits_plans_installs(tmp_path: Path, capsys: Capture) -> None:
    # Nothing is deployed yet: every region is an install, and the example's deployed versions
    # are outside the N-2 window as installs.
    root = example_tree(tmp_path / "fresh")
    git(tmp_path, "init", "--quiet", str(root))
    run = rollplan(capsys, "compile", "--root", str(root))
    assert run.code == 1
    assert "outside the vendor's N-2 support window" in run.err
    assert not (root / "generated").exists()


def test_cli_unknown_base_revision_exit_1(repo: Path, capsys: Capture) -> None:
    run = rollplan(capsys, "check", "--root", str(repo), "--base", "origin/main")
    assert run.code == 1
    assert run.err == (
        "error: unknown revision 'origin/main': expected a commit, branch or tag (e.g. HEAD, origin/main)\n"
    )
    assert run.out == ""


def test_cli_base_beyond_shallow_history_exit_1(repo: Path, tmp_path: Path, capsys: Capture) -> None:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "pending change")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", "--depth", "1", repo.as_uri(), str(clone))
    run = rollplan(capsys, "check", "--root", str(clone), "--base", "HEAD~1")
    assert run.code == 1, run.err
    assert "revision 'HEAD~1'" in run.err
    assert "this clone is shallow" in run.err


def test_cli_bad_base_json(repo: Path, capsys: Capture) -> None:
    run = rollplan(capsys, "diff", "--root", str(repo), "--base", "nope", "--format", "json")
    assert run.code == 1
    assert only_json(run.out)["message"] == (
        "unknown revision 'nope': expected a commit, branch or tag (e.g. HEAD, origin/main)"
    )


# --- exit 2: usage ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["frobnicate"],
        ["check", "--bogus"],
        ["check", "--format", "xml"],
        ["validate", "--commit"],
        ["compile", "--branch"],
    ],
    ids=["no-command", "unknown-command", "unknown-option", "bad-format", "option-of-another-command", "no-value"],
)
def test_cli_usage_error_exit_2(capsys: Capture, argv: list[str]) -> None:
    run = rollplan(capsys, *argv)
    assert run.code == 2
    assert run.out == ""
    prog = " ".join(["rollplan", *argv[:1]]) if argv and argv[0] != "frobnicate" else "rollplan"
    assert run.err.startswith(f"usage: {prog} ")
    assert run.err.splitlines()[-1].startswith(f"{prog}: error: ")


def test_cli_usage_error_json(capsys: Capture) -> None:
    run = rollplan(capsys, "check", "--format", "json", "--bogus")
    assert run.code == 2
    doc = only_json(run.out)
    assert (doc["ok"], doc["exit_code"]) == (False, 2)
    assert doc["message"] == "rollplan check: error: unrecognized arguments: --bogus"


def test_cli_missing_root_exit_2(tmp_path: Path, capsys: Capture) -> None:
    run = rollplan(capsys, "check", "--root", str(tmp_path / "nowhere"))
    assert run.code == 2
    assert "not a directory" in run.err


def test_cli_demo_into_non_empty_directory_exit_2(tmp_path: Path, capsys: Capture) -> None:
    (tmp_path / "keep.txt").write_text("mine\n", encoding="utf-8")
    run = rollplan(capsys, "demo", str(tmp_path))
    assert run.code == 2
    assert (tmp_path / "keep.txt").read_text(encoding="utf-8") == "mine\n"


# --- exit 3: stale ---------------------------------------------------------------------------------------------------


def test_cli_check_stale_exit_3(repo: Path, capsys: Capture) -> None:
    (repo / "generated/prod/alerts.yaml").unlink()
    run = rollplan(capsys, "check", "--root", str(repo))
    assert run.code == 3
    assert run.out == ""
    assert "stale (missing): generated/prod/alerts.yaml" in run.err


# --- exit 4: internal error -----------------------------------------------------------------------------------------


@pytest.fixture
def broken_planner(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug deep in the pipeline: planning raises something no user can cause."""

    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("planner exploded")

    monkeypatch.setattr(pipeline, "plan_environment", explode)


@pytest.mark.usefixtures("broken_planner")
def test_cli_internal_error_exit_4_in_one_line(repo: Path, capsys: Capture) -> None:
    run = rollplan(capsys, "compile", "--root", str(repo))
    assert run.code == 4
    assert run.out == ""
    assert run.err.splitlines() == [
        "internal error: RuntimeError: planner exploded "
        "(this is a bug in rollplan; rerun with --debug for the traceback)"
    ]


@pytest.mark.usefixtures("broken_planner")
def test_cli_internal_error_with_debug_shows_traceback(repo: Path, capsys: Capture) -> None:
    run = rollplan(capsys, "compile", "--root", str(repo), "--debug")
    assert run.code == 4
    assert "Traceback (most recent call last):" in run.err
    assert 'in explode\n    raise RuntimeError("planner exploded")' in run.err
    assert run.err.rstrip().splitlines()[-1].startswith("internal error: RuntimeError: planner exploded")


@pytest.mark.usefixtures("broken_planner")
def test_cli_internal_error_json(repo: Path, capsys: Capture) -> None:
    run = rollplan(capsys, "diff", "--root", str(repo), "--format", "json")
    assert run.code == 4
    assert only_json(run.out) == {
        "format_version": 1,
        "ok": False,
        "exit_code": 4,
        "message": "internal error: RuntimeError: planner exploded",
    }
    assert "Traceback" not in run.err


@pytest.mark.usefixtures("broken_planner")
def test_cli_internal_error_does_not_touch_generated(repo: Path, capsys: Capture) -> None:
    before = {p: p.read_bytes() for p in (repo / "generated").rglob("*") if p.is_file()}
    assert rollplan(capsys, "compile", "--root", str(repo), "--commit").code == 4
    assert {p: p.read_bytes() for p in (repo / "generated").rglob("*") if p.is_file()} == before
    assert git(repo, "branch", "--show-current").strip() == "main"


# --- the real entry point, in a separate process ------------------------------------------------------------------


def run_module(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -m compiler ARGV…` from another directory, importing this checkout's code."""
    env = {**os.environ, "PYTHONPATH": str(CHECKOUT)}
    command = [sys.executable, "-m", "compiler", *argv]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)


def test_cli_subprocess_check_exit_codes(repo: Path) -> None:
    fresh = run_module("check", cwd=repo)  # --root defaults to the working directory
    assert (fresh.returncode, fresh.stdout.splitlines()[0]) == (0, "generated/ is up to date (prod, staging)")
    (repo / "generated/staging/rollback.sh").write_text("#!/bin/bash\n", encoding="utf-8")
    stale = run_module("check", "--root", str(repo), "--format", "json", cwd=repo.parent)
    assert stale.returncode == 3
    assert json.loads(stale.stdout)["stale"]["changed"] == ["generated/staging/rollback.sh"]


def test_cli_subprocess_usage_error_exit_2(tmp_path: Path) -> None:
    done = run_module("compile", "--no-such-option", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "unrecognized arguments: --no-such-option" in done.stderr


def test_cli_installed_console_script(repo: Path) -> None:
    beside = Path(sys.executable).parent / "rollplan"
    script = str(beside) if beside.is_file() else shutil.which("rollplan")
    if script is None:
        pytest.skip("the rollplan console script is not installed here (pip install -e .)")
    done = subprocess.run([script, "check", "--root", str(repo)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    first, base = done.stdout.splitlines()
    assert first == "generated/ is up to date (prod, staging)"
    assert base.startswith("base: ")
    (repo / "generated/prod/plan.json").unlink()
    stale = subprocess.run([script, "check", "--root", str(repo)], capture_output=True, text=True, check=False)
    assert stale.returncode == 3
    assert "stale (missing): generated/prod/plan.json" in stale.stderr


def test_cli_json_errors_say_whether_input_was_invalid_or_the_plan_blocked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json as _json

    from support import scenarios

    from compiler.cli import main

    root = scenarios.blocked_redis(tmp_path / "blocked", version="100.0.1000076")
    assert main(["compile", "--root", str(root), "--format", "json"]) == 1
    assert _json.loads(capsys.readouterr().out)["kind"] == "plan-blocked"
    (root / "environments/prod/regions/eastus.yaml").write_text("name: eastus\nreplicaz: 3\n")
    assert main(["validate", "--root", str(root), "--format", "json"]) == 1
    assert _json.loads(capsys.readouterr().out)["kind"] == "invalid-input"
