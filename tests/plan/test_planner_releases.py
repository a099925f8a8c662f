"""Plan.releases: the release notes of every release an upgrade passes through, for the reviewer."""

from __future__ import annotations

from pathlib import Path

from support import scenarios

from compiler.pipeline import compile_repo


def test_planner_releases_are_every_release_passed_through_by_date(tmp_path: Path) -> None:
    plans = compile_repo(scenarios.demo(tmp_path / "repo")).plans
    # prod 67 → 76 passes 71, 73 and the 71.2 hotfix (released after 73 although it sorts before it).
    prod = [note.version for note in plans["prod"].releases]
    assert prod == ["100.0.1000071", "100.0.1000073", "100.0.1000071.2", "100.0.1000076"]
    assert [note.version for note in plans["staging"].releases] == ["100.0.1000073", "100.0.1000071.2"]


def test_planner_releases_empty_when_nothing_changes(tmp_path: Path) -> None:
    plans = compile_repo(scenarios.unchanged(tmp_path / "repo")).plans
    assert all(plan.releases == () for plan in plans.values())


def test_planner_releases_notes_reach_plan_md(tmp_path: Path) -> None:
    compiled = compile_repo(scenarios.demo(tmp_path / "repo"))
    text = compiled.files["prod"]["plan.md"].decode("utf-8")
    notes = text[text.index("## Release notes") : text.index("## Regions")]
    assert notes.index("### 100.0.1000076 (target") < notes.index("### 100.0.1000071.2")
    assert "the column is dropped again when the release is rolled back" in notes
