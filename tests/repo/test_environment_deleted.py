"""Deleting an environment's folder while its regions run is refused, not dropped with its generated/ output."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from support import scenarios

from compiler import cli


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = cli.main(list(argv))
    return code, capsys.readouterr().err


def test_environment_deleted_while_deployed_is_refused_and_output_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = scenarios.GOLDEN["demo"](tmp_path / "repo")
    assert run(capsys, "compile", "--root", str(root))[0] == 0
    shutil.rmtree(root / "environments/staging")
    code, err = run(capsys, "compile", "--root", str(root))
    assert code == 1
    assert "environments/staging/environment.yaml" in err and "(rule: environment-deleted)" in err
    assert (root / "generated/staging/plan.json").is_file(), "nothing is removed"
    assert run(capsys, "validate", "--root", str(root))[0] == 1


def test_environment_deleted_after_every_region_was_removed_is_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = scenarios.GOLDEN["demo"](tmp_path / "repo")
    assert run(capsys, "compile", "--root", str(root))[0] == 0
    assert (root / "generated/staging").is_dir()
    for region in (root / "environments/staging/regions").glob("*.yaml"):
        region.write_text(region.read_text(encoding="utf-8") + "state: absent\n", encoding="utf-8")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "commit", "-qam", "staging uninstalled"], cwd=root, check=True)
    shutil.rmtree(root / "environments/staging")
    code, err = run(capsys, "compile", "--root", str(root))
    assert code == 0, err
    assert not (root / "generated/staging").exists()
