"""validate runs every check compile runs: whatever compile blocks, validate reports, all at once (C-5, C-9)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support import scenarios
from support.demorepo import rollplan

from compiler.repo.example import TextEdit

Capture = pytest.CaptureFixture[str]


def reserved_region(root: Path) -> Path:
    """A prod region named like a file the renderers write beside the regions' files."""
    scenarios.example_repo(root)
    scenarios.apply_edits(root, [scenarios.prod_version(scenarios.SUPPORTED)])
    source = (root / "environments/prod/regions/centralus.yaml").read_text(encoding="utf-8")
    # Its own cluster, so that the reserved name is the only problem.
    text = source.replace("name: centralus", "name: parent").replace("primary: true", "primary: false")
    text = text.replace("aks-prod-centralus", "aks-prod-parent")
    text = text.replace("context: prod-centralus", "context: prod-parent")
    (root / "environments/prod/regions/parent.yaml").write_text(text, encoding="utf-8")
    return root


def everything_blocked(root: Path) -> Path:
    """staging needs Redis 7.2, prod goes outside N-2: two environments, each blocked."""
    scenarios.blocked_redis(root)
    scenarios.apply_edits(root, [scenarios.prod_version("100.0.1000071")])
    return root


def install_outside_n2(root: Path) -> Path:
    """A repository without commits: every region is an install of the example's old releases."""
    for part in scenarios.EXAMPLE_PARTS:
        (root / part).parent.mkdir(parents=True, exist_ok=True)
        scenarios.shutil.copytree(scenarios.REPO_ROOT / part, root / part)
    from compiler.repo import gitio

    gitio.init_repository(root, "main")
    return root


def values_file_missing(root: Path) -> Path:
    scenarios.example_repo(root)
    listed = "  - environments/staging/values/t100.yaml\n"
    edit = TextEdit(scenarios.STAGING_ENV, listed, listed + "  - environments/staging/values/gone.yaml\n")
    scenarios.apply_edits(root, [edit])
    return root


BLOCKED: dict[str, Callable[[Path], Path]] = {
    "prerequisite": scenarios.blocked_redis,
    "n-2": scenarios.blocked_n2,
    "reserved-name": reserved_region,
    "two-environments": everything_blocked,
    "install-outside-n-2": install_outside_n2,
    "values-file-missing": values_file_missing,
}


def errors(capsys: Capture, command: str, root: Path) -> tuple[int, list[dict[str, Any]]]:
    run = rollplan(capsys, command, "--root", str(root), "--format", "json")
    doc = json.loads(run.out)
    return run.code, doc.get("errors", [])


@pytest.mark.parametrize("name", sorted(BLOCKED))
def test_validate_reports_everything_compile_blocks(tmp_path: Path, capsys: Capture, name: str) -> None:
    root = BLOCKED[name](tmp_path / "repo")
    compile_code, compile_errors = errors(capsys, "compile", root)
    assert compile_code == 1 and compile_errors, f"{name}: compile should block"
    validate_code, validate_errors = errors(capsys, "validate", root)
    assert validate_code == 1
    assert validate_errors == compile_errors
    assert not (root / "generated").exists()


def test_validate_reports_the_problems_of_every_environment_at_once(tmp_path: Path, capsys: Capture) -> None:
    _, found = errors(capsys, "validate", everything_blocked(tmp_path / "repo"))
    files = {e["file"] for e in found}
    assert {"environments/prod/environment.yaml", "environments/staging/regions/westus2.yaml"} <= files
    assert any("N-2" in e["message"] for e in found) and any("redis" in e["message"] for e in found)


def test_validate_reserved_name_names_the_region_file(tmp_path: Path, capsys: Capture) -> None:
    _, found = errors(capsys, "validate", reserved_region(tmp_path / "repo"))
    assert [(e["file"], e["path"]) for e in found] == [("environments/prod/regions/parent.yaml", "name")]


def test_validate_passes_what_compile_compiles(tmp_path: Path, capsys: Capture) -> None:
    root = scenarios.demo(tmp_path / "repo")
    assert rollplan(capsys, "validate", "--root", str(root)).code == 0
    assert rollplan(capsys, "compile", "--root", str(root)).code == 0
