"""`rollplan drift` without a reachable cluster: every region is reported, and the run fails (exit 1)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support import scenarios

from compiler import cli


def test_drift_command_unreadable_regions_are_reported_not_hidden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = scenarios.demo(tmp_path / "repo")
    git = shutil.which("git")
    assert git is not None
    only_git = tmp_path / "bin"
    only_git.mkdir()
    (only_git / "git").symlink_to(git)  # the base is read from git; helm is nowhere
    monkeypatch.setenv("PATH", str(only_git))
    code = cli.main(["drift", "--root", str(root), "--env", "prod", "--format", "json"])
    captured = capsys.readouterr()
    assert code == 1
    doc = json.loads(captured.out)
    rows = doc["environments"]["prod"]
    assert doc["ok"] is False and doc["drifted"] is False
    assert {r["region"]: r["state"] for r in rows} == dict.fromkeys(("westus2", "eastus", "centralus"), "not readable")
    assert "error: westus2: helm: not found on PATH" in captured.err
