"""What people read: a short compile summary, -v and -q, colour only on a terminal, diff --exit-code."""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

import pytest
from support import scenarios
from support.demorepo import build_demo, copy_repo, rollplan

from compiler import console

Capture = pytest.CaptureFixture[str]


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as a person's shell would."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo(tmp_path_factory.mktemp("template") / "demo")


@pytest.fixture
def repo(demo_template: Path, tmp_path: Path) -> Path:
    return copy_repo(demo_template, tmp_path / "repo")


def test_output_compile_of_the_demo_is_a_short_summary(repo: Path, capsys: Capture) -> None:
    for folder in ("prod", "staging"):
        (repo / "generated" / folder / "plan.md").unlink()
    run = rollplan(capsys, "compile", "--root", str(repo))
    assert run.code == 0
    lines = run.out.splitlines()
    assert len(lines) <= 12
    assert "Plan: 3 to upgrade, 1 image-only, 0 to uninstall" in lines
    assert lines[-1] == "wrote 2 files under generated/ (-v lists them)"
    assert not any(line.startswith("wrote generated/") for line in lines)


def test_output_compile_verbose_lists_files(repo: Path, capsys: Capture) -> None:
    (repo / "generated/prod/plan.md").unlink()
    run = rollplan(capsys, "compile", "--root", str(repo), "-v")
    assert run.code == 0
    assert "wrote generated/prod/plan.md" in run.out.splitlines()


def test_output_compile_quiet_prints_nothing(repo: Path, capsys: Capture) -> None:
    (repo / "generated/prod/plan.md").unlink()
    run = rollplan(capsys, "compile", "--root", str(repo), "-q")
    assert (run.code, run.out, run.err) == (0, "", "")
    assert (repo / "generated/prod/plan.md").is_file()


def test_output_quiet_and_verbose_together_is_a_usage_error(repo: Path, capsys: Capture) -> None:
    run = rollplan(capsys, "compile", "--root", str(repo), "-q", "-v")
    assert run.code == 2
    assert "rollplan compile: error: argument -v/--verbose: not allowed with argument -q/--quiet" in run.err


def test_output_blocked_compile_says_which_problems(tmp_path: Path, capsys: Capture) -> None:
    run = rollplan(capsys, "compile", "--root", str(scenarios.blocked_redis(tmp_path / "repo")))
    assert run.code == 1
    assert run.out == ""
    assert "third-party-prerequisite" in run.err


def test_output_colour_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setattr(sys, "stdout", Terminal())
    assert console.style("Plan:", "bold") == "\033[1mPlan:\033[0m"
    monkeypatch.setenv("NO_COLOR", "1")
    assert console.style("Plan:", "bold") == "Plan:"
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert console.style("Plan:", "bold") == "Plan:"


def test_output_compile_piped_has_no_escape_codes(repo: Path, capsys: Capture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    run = rollplan(capsys, "compile", "--root", str(repo))
    assert "\033[" not in run.out + run.err


def test_output_progress_line_only_for_a_slow_run_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with console.slow_progress("compiling …", after=0.05):
        pass
    assert terminal.getvalue() == ""
    with console.slow_progress("compiling …", after=0.05):
        time.sleep(0.3)
    assert terminal.getvalue() == "compiling …\n"
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    with console.slow_progress("compiling …", after=0.01):
        time.sleep(0.1)
    assert piped.getvalue() == ""


def test_output_diff_exit_code(repo: Path, capsys: Capture, tmp_path: Path) -> None:
    assert rollplan(capsys, "diff", "--root", str(repo)).code == 0
    changed = rollplan(capsys, "diff", "--root", str(repo), "--exit-code")
    assert changed.code == 3
    assert "prod/eastus: upgrade" in changed.out
    unchanged = scenarios.unchanged(tmp_path / "unchanged")
    assert rollplan(capsys, "diff", "--root", str(unchanged), "--exit-code").code == 0


def test_output_summary_counts_downgrades(tmp_path: Path) -> None:
    from support import scenarios

    from compiler.commands.summary import environment_line, totals_line
    from compiler.pipeline import compile_repo

    root = scenarios.GOLDEN["downgrade_same_epoch"](tmp_path / "repo")
    plan = compile_repo(root, ["prod"]).plans["prod"]
    downgraded = sum(1 for r in plan.regions if r.change == "downgrade")
    assert downgraded > 0
    assert f"{downgraded} downgrade" in environment_line(plan)
    assert f"{downgraded} to downgrade" in totals_line([plan])
