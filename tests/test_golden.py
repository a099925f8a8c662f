"""Golden output trees: the whole generated/ folder of each scenario, byte for byte.

Each scenario of ``scenarios.GOLDEN`` is built as a git repository, compiled
and written exactly as `rollplan compile` does; its generated/ tree must equal
tests/golden/<scenario>/ file for file. Each scenario of ``scenarios.BLOCKED``
must be refused with exactly the problems of tests/golden/blocked/<scenario>.txt.

To refresh the goldens after an intended change of the output:

    ROLLPLAN_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py

then read ``git diff tests/golden`` as a reviewer would (plan.md, upgrade.sh,
rollback.sh, plan.json) before committing it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from support import scenarios

from compiler.commands.compile import write_all
from compiler.errors import PlanBlocked
from compiler.pipeline import compile_repo

GOLDEN = Path(__file__).parent / "golden"
BLOCKED = GOLDEN / "blocked"
UPDATE = os.environ.get("ROLLPLAN_UPDATE_GOLDEN") == "1"


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by its '/'-separated relative path."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module", params=sorted(scenarios.GOLDEN))
def generated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    name: str = request.param
    root = scenarios.GOLDEN[name](tmp_path_factory.mktemp(name) / "repo")
    write_all(root, compile_repo(root))
    return name, root / "generated"


def test_golden_generated_tree_matches_byte_for_byte(generated: tuple[str, Path]) -> None:
    name, folder = generated
    expected_dir = GOLDEN / name
    if UPDATE:
        shutil.rmtree(expected_dir, ignore_errors=True)
        shutil.copytree(folder, expected_dir)
    actual, expected = tree(folder), tree(expected_dir)
    assert sorted(actual) == sorted(expected), f"{name}: file list differs from tests/golden/{name}"
    differing = [path for path in sorted(actual) if actual[path] != expected[path]]
    assert not differing, f"{name}: these files differ from tests/golden/{name}: {differing}"


def test_golden_trees_exist_for_every_scenario_and_no_other() -> None:
    assert sorted(p.name for p in GOLDEN.iterdir() if p.is_dir() and p != BLOCKED) == sorted(scenarios.GOLDEN)
    assert sorted(p.stem for p in BLOCKED.iterdir()) == sorted(scenarios.BLOCKED)


@pytest.mark.parametrize("name", sorted(scenarios.BLOCKED))
def test_golden_blocked_scenario_is_refused_with_these_problems(tmp_path: Path, name: str) -> None:
    root = scenarios.BLOCKED[name](tmp_path / "repo")
    with pytest.raises(PlanBlocked) as caught:
        compile_repo(root)
    text = "".join(f"{problem}\n" for problem in caught.value.problems)
    expected = BLOCKED / f"{name}.txt"
    if UPDATE:
        BLOCKED.mkdir(exist_ok=True)
        expected.write_text(text, encoding="utf-8")
    assert text == expected.read_text(encoding="utf-8")
    assert not (root / "generated").exists()
