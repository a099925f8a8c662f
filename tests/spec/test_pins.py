"""A pin (or the environment) whose chart version or image tag contradicts its release note, and pins out of line."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import scenarios
from support.demorepo import rollplan

from compiler.repo.example import TextEdit

EASTUS = "environments/prod/regions/eastus.yaml"


def pin_with(region: str, replicas: int, version: str, **extra: str) -> TextEdit:
    lines = "".join(f"  {key}: '{value}'\n" for key, value in extra.items())
    return TextEdit(f"environments/prod/regions/{region}.yaml", f"replicas: {replicas}\n",
                    f"replicas: {replicas}\npin:\n  version: '{version}'\n{lines}")  # fmt: skip


def _line_of(repo: Path, file: str, text: str) -> int:
    return next(n for n, line in enumerate((repo / file).read_text().splitlines(), 1) if text in line)


def _run(tmp_path: Path, capsys: pytest.CaptureFixture[str], edits: list[TextEdit], command: str = "validate") -> tuple[
        Path, int, str]:  # fmt: skip
    repo = scenarios.example_repo(tmp_path / "repo", [scenarios.prod_version(scenarios.SUPPORTED)])
    scenarios.apply_edits(repo, edits)
    done = rollplan(capsys, command, "--root", str(repo), "--env", "prod")
    return repo, done.code, done.err


@pytest.mark.parametrize(("key", "listed"), [("chart_version", "100.0.1000076"), ("image_tag", "100.0.1000076")])
def test_pins_contradicting_the_release_note_is_refused_at_the_pin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str, listed: str
) -> None:
    edit = pin_with("eastus", 3, scenarios.SUPPORTED, **{key: "100.0.1000070"})
    repo, code, err = _run(tmp_path, capsys, [edit])
    assert code == 1
    where = f"{EASTUS}:{_line_of(repo, EASTUS, key)}:"
    assert f"error: {where}" in err and f"pin.{key}: region eastus: pin.{key} is '100.0.1000070'" in err
    assert f"release-notes/tenant/100.0.1000076.yaml lists {key.replace('_', ' ')} '{listed}'" in err
    assert "(rule: pin-matches-note)" in err


@pytest.mark.parametrize(("field", "path"), [("chart", "chart.version"), ("image", "image.tag")])
def test_pins_environment_override_contradicting_its_note_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], field: str, path: str
) -> None:
    key = path.split(".")[1]
    edit = TextEdit(scenarios.PROD_ENV, f"{field}:\n", f"{field}:\n  {key}: '100.0.1000070'\n")
    repo, code, err = _run(tmp_path, capsys, [edit], "compile")
    assert code == 1
    assert f"{scenarios.PROD_ENV}:{_line_of(repo, scenarios.PROD_ENV, '100.0.1000070')}:" in err
    assert f"{path}: {path} is '100.0.1000070', but release-notes/tenant/100.0.1000076.yaml lists" in err
    assert not (repo / "generated").exists()


def test_pins_overrides_that_agree_with_the_note_are_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A pin that repeats what its release note lists is redundant, not wrong.
    edit = pin_with("eastus", 3, scenarios.SUPPORTED, chart_version=scenarios.SUPPORTED, image_tag=scenarios.SUPPORTED)
    _, code, err = _run(tmp_path, capsys, [edit])
    assert code == 0, err


def test_pins_a_contradiction_in_the_deployed_base_is_not_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # What was deployed is history: the change that removes the contradiction must compile.
    bad = pin_with("eastus", 3, scenarios.SUPPORTED, chart_version="100.0.1000070")
    repo = scenarios.example_repo(tmp_path / "repo", [scenarios.prod_version(scenarios.SUPPORTED), bad])
    scenarios.apply_edits(repo, [TextEdit(EASTUS, bad.new, bad.old)])
    done = rollplan(capsys, "compile", "--root", str(repo), "--env", "prod")
    assert done.code == 0, done.err


def test_pins_a_pin_ahead_of_the_environment_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo, code, err = _run(tmp_path, capsys, [pin_with("eastus", 3, "100.0.1000079")])
    assert code == 1
    assert f"{EASTUS}:{_line_of(repo, EASTUS, 'version:')}:" in err
    assert "region eastus is pinned to 100.0.1000079, released after the environment's version 100.0.1000076" in err
    assert "(rule: pin-ahead)" in err


def test_pins_a_pin_behind_the_window_of_the_environment_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, code, err = _run(tmp_path, capsys, [pin_with("centralus", 2, "100.0.1000067")])
    assert code == 1
    centralus = "environments/prod/regions/centralus.yaml"
    assert f"{centralus}:{_line_of(repo, centralus, 'version:')}:" in err and "(rule: pin-window)" in err
    # 100.0.1000073 is within two releases of the version, but outside the vendor's window: not offered.
    assert "pin it to 100.0.1000071.2 or 100.0.1000076," in err


def test_pins_allow_unsupported_version_turns_the_window_into_a_loud_risk(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    allow = TextEdit(scenarios.PROD_ENV, "  pause_between_regions: 600\n",
                     "  pause_between_regions: 600\n  allow_unsupported_version: true\n")  # fmt: skip
    repo, code, err = _run(tmp_path, capsys, [pin_with("centralus", 2, "100.0.1000067"), allow], "compile")
    assert code == 0, err
    plan = (repo / "generated/prod/plan.md").read_text()
    assert "UNSUPPORTED: region centralus is pinned to 100.0.1000067" in plan
