"""The bash scripts: run for real against recording stand-ins for helm and kubectl."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.planfactory import TRICKY_NOTE, TRICKY_UNICODE, TRICKY_WORDS, make_plan

from compiler.plan.model import Plan, Step
from compiler.render.shell import render_scripts
from compiler.render.shellwords import shell_join

STEP_LISTS = {"upgrade.sh": "steps", "rollback.sh": "rollback", "uninstall.sh": "uninstall"}

# Records its full argv (program name included) as one JSON line. Fails with
# status 7 when one of its words equals $STUB_FAIL_ON, to test a failing step.
STUB = """\
import json, os, sys
with open(os.environ["STUB_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps([os.path.basename(sys.argv[0]), *sys.argv[1:]]) + "\\n")
if os.environ.get("STUB_FAIL_ON") in sys.argv[1:]:
    sys.exit(7)
"""


@dataclasses.dataclass
class Scripts:
    """A plan's scripts written to disk, with stand-ins for every program they run."""

    plan: Plan
    root: Path

    @property
    def log(self) -> Path:
        return self.root / "calls.jsonl"

    def run(
        self, script: str, *args: str, answers: str | None = None, fail_on: str = ""
    ) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": f"{self.root / 'bin'}:/usr/bin:/bin",
            "STUB_LOG": str(self.log),
            "STUB_FAIL_ON": fail_on or "\x01never",
            "LANG": "C.UTF-8",
        }
        # A working directory with files in it, so that an unquoted glob would expand.
        return subprocess.run(
            ["bash", str(self.root / script), *args], cwd=self.root / "work", env=env, text=True,
            input=answers, stdin=subprocess.DEVNULL if answers is None else None,
            capture_output=True, timeout=60, check=False,
        )  # fmt: skip

    def recorded(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines()]


def steps_of(plan: Plan, script: str) -> tuple[Step, ...]:
    steps: tuple[Step, ...] = getattr(plan, STEP_LISTS[script])
    return steps


def argvs(steps: Sequence[Step]) -> list[list[str]]:
    return [list(step.argv) for step in steps if step.argv is not None]


def write_scripts(plan: Plan, root: Path) -> Scripts:
    (root / "work").mkdir(parents=True)
    for name in ("a", "b", "globbed"):
        (root / "work" / name).write_text("", encoding="utf-8")
    for script, text in render_scripts(plan).items():
        (root / script).write_text(text, encoding="utf-8")
    programs = {step.argv[0] for step in (*plan.steps, *plan.rollback, *plan.uninstall) if step.argv}
    (root / "bin").mkdir()
    for program in programs:
        stub = root / "bin" / program
        stub.write_text(f"#!{sys.executable}\n{STUB}", encoding="utf-8")
        stub.chmod(0o755)
    return Scripts(plan, root)


@pytest.fixture
def scripts(tmp_path: Path) -> Scripts:
    return write_scripts(make_plan(absent=("centralus",)), tmp_path)


def first_pause(steps: Sequence[Step]) -> int:
    return next(i for i, step in enumerate(steps) if step.pause and step.argv is not None)


# --- running for real -------------------------------------------------------


@pytest.mark.parametrize("script", sorted(STEP_LISTS))
def test_render_shell_with_yes_runs_exactly_the_plan_argv(scripts: Scripts, script: str) -> None:
    # --yes never confirms a data loss: the release name is still typed.
    result = scripts.run(script, "--yes", answers="t100\n" if script == "uninstall.sh" else None)

    assert result.returncode == 0, result.stderr
    steps = steps_of(scripts.plan, script)
    assert scripts.recorded() == argvs(steps)
    assert f"==> [{len(steps)}/{len(steps)}]" in result.stdout


def test_render_shell_tricky_words_reach_the_program_unchanged(scripts: Scripts) -> None:
    scripts.run("upgrade.sh", "--yes")

    words = [word for argv in scripts.recorded() for word in argv]
    assert f"rollplan.example.com/note={TRICKY_NOTE}" in words
    assert TRICKY_UNICODE in words
    for word in TRICKY_WORDS:
        assert word in words
    assert "a" not in words and "globbed" not in words  # no glob expanded in the working directory


def test_render_shell_step_header_names_phase_region_and_risk(scripts: Scripts) -> None:
    result = scripts.run("upgrade.sh", "--yes")

    total = len(scripts.plan.steps)
    number, step = next((n, s) for n, s in enumerate(scripts.plan.steps, start=1) if s.risk)
    assert f"==> [{number}/{total}] {step.phase} {step.region}: {step.description}\n    risk: {step.risk}\n" in (
        result.stdout
    )


def test_render_shell_dry_run_prints_every_command_and_runs_nothing(scripts: Scripts) -> None:
    for script in sorted(STEP_LISTS):
        result = scripts.run(script, "--dry-run")

        assert result.returncode == 0, result.stderr
        for argv in argvs(steps_of(scripts.plan, script)):
            assert f"    $ {shell_join(argv)}\n" in result.stdout
    assert not scripts.log.exists()


def test_render_shell_answer_no_at_pause_aborts_before_the_step(scripts: Scripts) -> None:
    steps = scripts.plan.steps
    pause = first_pause(steps)
    answers = "".join("y\n" for step in steps[:pause] if step.argv is None) + "n\n"

    result = scripts.run("upgrade.sh", answers=answers)

    assert result.returncode == 1
    assert scripts.recorded() == argvs(steps[:pause])
    assert f"--from {pause + 1}" in result.stderr


def test_render_shell_end_of_input_at_pause_aborts(scripts: Scripts) -> None:
    steps = scripts.plan.steps
    pause = first_pause(steps)

    result = scripts.run("upgrade.sh", answers="y\n" * sum(1 for s in steps[:pause] if s.argv is None))

    assert result.returncode == 1
    assert scripts.recorded() == argvs(steps[:pause])


def test_render_shell_answer_yes_at_every_pause_runs_everything(scripts: Scripts) -> None:
    asked = sum(1 for step in scripts.plan.steps if step.pause or step.argv is None)

    result = scripts.run("upgrade.sh", answers="YES\n" * asked)

    assert result.returncode == 0, result.stderr
    assert scripts.recorded() == argvs(scripts.plan.steps)
    assert result.stdout.count("Continue? [y/N]") + result.stdout.count("Done? [y/N]") == asked


def test_render_shell_manual_step_waits_for_confirmation(tmp_path: Path) -> None:
    scripts = write_scripts(make_plan(manual_backup=True, pause=False), tmp_path)
    steps = scripts.plan.steps
    manual = next(i for i, step in enumerate(steps) if step.argv is None)

    result = scripts.run("upgrade.sh", answers="n\n")

    assert result.returncode == 1
    assert f"MANUAL: {steps[manual].description}" in result.stdout
    assert scripts.recorded() == argvs(steps[:manual])


def test_render_shell_manual_step_with_yes_is_printed_not_skipped(tmp_path: Path) -> None:
    scripts = write_scripts(make_plan(manual_backup=True), tmp_path)

    result = scripts.run("upgrade.sh", "--yes")

    assert result.returncode == 0, result.stderr
    for step in scripts.plan.steps:
        if step.argv is None:
            assert f"MANUAL (confirmed by --yes): {step.description}\n" in result.stdout


def test_render_shell_from_starts_at_that_step(scripts: Scripts) -> None:
    result = scripts.run("upgrade.sh", "--yes", "--from", "5")

    assert result.returncode == 0, result.stderr
    assert scripts.recorded() == argvs(scripts.plan.steps[4:])
    assert "[4/" not in result.stdout and f"==> [5/{len(scripts.plan.steps)}]" in result.stdout


def test_render_shell_failed_step_stops_and_says_where_to_resume(scripts: Scripts) -> None:
    steps = scripts.plan.steps
    failing = next(i for i, step in enumerate(steps) if step.argv and "rollout" in step.argv)

    result = scripts.run("upgrade.sh", "--yes", fail_on="rollout")

    assert result.returncode == 7
    assert scripts.recorded() == argvs(steps[: failing + 1])
    assert f"--from {failing + 1}" in result.stderr


@pytest.mark.parametrize(
    "args", [("--bogus",), ("extra",), ("--from",), ("--from", "0"), ("--from", "99"), ("--from", "x"),
             ("--from", "007"), ("--from", ""), ("--from=1x",)],
)  # fmt: skip
def test_render_shell_bad_option_is_usage_error(scripts: Scripts, args: tuple[str, ...]) -> None:
    result = scripts.run("upgrade.sh", "--yes", *args)

    assert result.returncode == 2
    assert "Usage: upgrade.sh" in result.stderr
    assert result.stdout == ""
    assert not scripts.log.exists()


def test_render_shell_help_prints_usage(scripts: Scripts) -> None:
    result = scripts.run("rollback.sh", "--help")

    assert result.returncode == 0
    assert result.stdout.startswith("Usage: rollback.sh [--yes] [--dry-run] [--from N] [--confirm STEP-ID]...\n")
    assert not scripts.log.exists()


def test_render_shell_uninstall_aborts_unless_release_name_is_typed(scripts: Scripts) -> None:
    steps = scripts.plan.uninstall
    first = next(i for i, step in enumerate(steps) if step.phase == "uninstall")
    pauses = "y\n" if steps[first].pause else ""

    result = scripts.run("uninstall.sh", answers=pauses + "yes\n")

    assert result.returncode == 1
    assert "WARNING" in result.stdout and "Type the release name (t100)" in result.stdout
    assert result.stdout.index("WARNING") < result.stdout.index("Type the release name")
    assert scripts.recorded() == argvs(steps[:first])


def test_render_shell_uninstall_runs_once_release_name_is_typed(scripts: Scripts) -> None:
    steps = scripts.plan.uninstall
    answers = "".join("y\n" for step in steps if step.pause) + "t100\n"

    result = scripts.run("uninstall.sh", answers=answers)

    assert result.returncode == 0, result.stderr
    assert scripts.recorded() == argvs(steps)
    assert result.stdout.count("Type the release name") == 1


def test_render_shell_uninstall_resumed_with_from_still_asks(scripts: Scripts) -> None:
    steps = scripts.plan.uninstall
    last = len(steps)
    assert steps[-1].phase == "uninstall" and not steps[-1].pause

    result = scripts.run("uninstall.sh", "--from", str(last), answers="wrong\n")

    assert result.returncode == 1
    assert not scripts.log.exists()


def test_render_shell_no_uninstall_script_without_absent_regions() -> None:
    assert sorted(render_scripts(make_plan())) == ["rollback.sh", "upgrade.sh"]


def test_render_shell_plan_without_steps_does_nothing(tmp_path: Path) -> None:
    plan = dataclasses.replace(make_plan(), steps=())
    scripts = write_scripts(plan, tmp_path)

    result = scripts.run("upgrade.sh")

    assert result.returncode == 0, result.stderr
    assert "nothing to do" in result.stdout


# --- the text itself ----------------------------------------------------------


@pytest.mark.parametrize("script", sorted(STEP_LISTS))
def test_render_shell_shellcheck_clean(tmp_path: Path, script: str) -> None:
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not on PATH (CI installs it, so this runs there)")
    path = tmp_path / script
    path.write_text(render_scripts(make_plan(absent=("centralus",), manual_backup=True))[script], encoding="utf-8")

    result = subprocess.run(["shellcheck", "-s", "bash", str(path)], capture_output=True, text=True, check=False)

    assert result.returncode == 0, result.stdout


def test_render_shell_shellcheck_clean_without_steps(tmp_path: Path) -> None:
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not on PATH (CI installs it, so this runs there)")
    path = tmp_path / "upgrade.sh"
    path.write_text(render_scripts(dataclasses.replace(make_plan(), steps=()))["upgrade.sh"], encoding="utf-8")

    result = subprocess.run(["shellcheck", "-s", "bash", str(path)], capture_output=True, text=True, check=False)

    assert result.returncode == 0, result.stdout


def test_render_shell_header_names_environment_and_fingerprint() -> None:
    plan = make_plan(absent=("centralus",))

    for script, text in render_scripts(plan).items():
        lines = text.splitlines()
        assert lines[0] == "#!/usr/bin/env bash"
        header = "\n".join(lines[:6])
        assert script in header and "environment prod" in header
        assert f"Plan fingerprint: {plan.fingerprint[:12]}" in header
        assert "generated by rollplan — do not edit" in header
        assert "set -euo pipefail" in lines


def test_render_shell_same_plan_gives_same_bytes() -> None:
    assert render_scripts(make_plan(absent=("centralus",))) == render_scripts(make_plan(absent=("centralus",)))


def test_render_shell_output_has_no_absolute_path() -> None:
    # The backup command names a path inside its container; a manual backup keeps
    # every absolute path out of the plan, so any one found came from the renderer.
    texts = render_scripts(make_plan(absent=("centralus",), manual_backup=True))

    for text in texts.values():
        body = text.split("\n", 1)[1]
        assert re.findall(r"(?<![\w.:/-])/(?!/)\w", body) == []
        assert str(Path.cwd()) not in text and str(Path.home()) not in text


def test_render_shell_nul_in_a_word_is_refused() -> None:
    plan = make_plan()
    bad = dataclasses.replace(plan.steps[0], argv=("kubectl", "a\x00b"))

    with pytest.raises(Exception, match="NUL"):
        render_scripts(dataclasses.replace(plan, steps=(bad,)))


# --- shell_join ----------------------------------------------------------------


@given(st.lists(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")), min_size=1))
def test_shell_join_round_trips_through_shlex(argv: list[str]) -> None:
    assert shlex.split(shell_join(argv)) == argv


def test_shell_join_leaves_plain_words_bare() -> None:
    assert shell_join(["helm", "upgrade", "--set", "a.b=1", ""]) == "helm upgrade --set a.b=1 ''"


@pytest.mark.parametrize("argv", ["helm upgrade", [], ["a\x00"]])
def test_shell_join_refuses_what_cannot_be_a_command(argv: Sequence[str]) -> None:
    with pytest.raises((TypeError, ValueError)):
        shell_join(argv)


# --- steps that guard data ---------------------------------------------------


def guarded_plan(tmp_path: Path) -> Scripts:
    """The plan with a manual backup that guards data, as the planner marks it."""
    plan = make_plan(manual_backup=True, pause=False)
    steps = tuple(dataclasses.replace(s, guards_data=s.phase == "backup") for s in plan.steps)
    return write_scripts(dataclasses.replace(plan, steps=steps), tmp_path)


def test_render_shell_guarded_step_is_not_confirmed_by_yes(tmp_path: Path) -> None:
    scripts = guarded_plan(tmp_path)
    steps = scripts.plan.steps
    guarded = next(i for i, step in enumerate(steps) if step.guards_data)

    result = scripts.run("upgrade.sh", "--yes")

    assert result.returncode == 1
    assert scripts.recorded() == argvs(steps[:guarded])
    step_id = steps[guarded].id
    assert f"stopped at step {guarded + 1} of {len(steps)} ({step_id}): it guards data" in result.stderr
    assert f"--from {guarded + 1} --confirm {step_id}" in result.stderr


def test_render_shell_guarded_step_passes_with_confirm_and_yes(tmp_path: Path) -> None:
    scripts = guarded_plan(tmp_path)
    step_id = next(step.id for step in scripts.plan.steps if step.guards_data)

    result = scripts.run("upgrade.sh", "--yes", "--confirm", step_id)

    assert result.returncode == 0, result.stderr
    assert scripts.recorded() == argvs(scripts.plan.steps)
    assert f"(confirmed by --confirm {step_id})" in result.stdout


def run_on_terminal(scripts: Scripts, script: str, *args: str, answers: str) -> subprocess.CompletedProcess[str]:
    """Run ``script`` with a terminal as its stdin, ``answers`` already typed into it."""
    main, terminal = os.openpty()
    try:
        os.write(main, answers.encode())
        env = {"PATH": f"{scripts.root / 'bin'}:/usr/bin:/bin", "STUB_LOG": str(scripts.log), "LANG": "C.UTF-8"}
        return subprocess.run(
            ["bash", str(scripts.root / script), *args], cwd=scripts.root / "work", env=env, text=True,
            stdin=terminal, capture_output=True, timeout=60, check=False,
        )  # fmt: skip
    finally:
        os.close(terminal)
        os.close(main)


def test_render_shell_guarded_step_passes_with_an_answer_at_a_terminal(tmp_path: Path) -> None:
    scripts = guarded_plan(tmp_path)

    result = run_on_terminal(scripts, "upgrade.sh", "--yes", answers="y\n")

    assert result.returncode == 0, result.stderr
    assert scripts.recorded() == argvs(scripts.plan.steps)


def test_render_shell_guarded_step_refuses_a_piped_yes(tmp_path: Path) -> None:
    scripts = guarded_plan(tmp_path)
    guarded = next(i for i, step in enumerate(scripts.plan.steps) if step.guards_data)

    result = scripts.run("upgrade.sh", answers="y\n" * 50)

    assert result.returncode == 1
    assert scripts.recorded() == argvs(scripts.plan.steps[:guarded])
    assert "it guards data" in result.stderr


def test_render_shell_confirm_of_an_unknown_or_unguarded_step_is_usage_error(tmp_path: Path) -> None:
    scripts = guarded_plan(tmp_path)
    unguarded = next(step.id for step in scripts.plan.steps if not step.guards_data)

    for bad in ("no-such-step", unguarded, ""):
        result = scripts.run("upgrade.sh", "--yes", f"--confirm={bad}")

        assert result.returncode == 2, bad
        assert "is not a step of this script that guards data" in result.stderr
    assert not scripts.log.exists()


def test_render_shell_help_lists_the_steps_that_guard_data(tmp_path: Path) -> None:
    scripts = guarded_plan(tmp_path)
    step_id = next(step.id for step in scripts.plan.steps if step.guards_data)

    result = scripts.run("upgrade.sh", "--help")

    assert result.returncode == 0
    assert f"Steps that guard data here (--confirm takes these ids):\n  {step_id}\n" in result.stdout
