"""Every plan.md (and steps.md) the project ships, parsed as CommonMark: the structure a reviewer relies on.

The goldens under tests/golden and the example under generated/ are read
back with markdown-it-py: each step's command block must sit inside its
numbered item and hold exactly the step's argv (folded with ` \\`), tables
must be rectangular, and no HTML may appear but the folds rollplan writes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import mdcheck

from compiler.render.shellwords import shell_join

REPO = Path(__file__).resolve().parents[2]
FOLDERS = sorted(p.parent for root in (REPO / "tests" / "golden", REPO / "generated") for p in root.rglob("plan.json"))


def _id(folder: Path) -> str:
    return folder.relative_to(REPO).as_posix()


def _markdown(folder: Path) -> str:
    names = [name for name in ("plan.md", "steps.md") if (folder / name).exists()]
    texts = [(folder / name).read_text(encoding="utf-8") for name in names]
    return "\n".join(texts)


def test_plan_md_structure_covers_every_golden_and_the_example() -> None:
    assert len(FOLDERS) >= 8
    assert {f.parts[-2] for f in FOLDERS} >= {"demo", "irreversible", "region_removed", "generated"}


@pytest.mark.parametrize("folder", FOLDERS, ids=_id)
def test_plan_md_structure_is_valid_commonmark(folder: Path) -> None:
    for name in ("plan.md", "steps.md"):
        if (folder / name).exists():
            found = list(mdcheck.problems((folder / name).read_text(encoding="utf-8")))
            assert not found, f"{_id(folder)}/{name}: {found}"


@pytest.mark.parametrize("folder", FOLDERS, ids=_id)
def test_plan_md_structure_every_command_sits_in_its_step(folder: Path) -> None:
    plan = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
    commands = [
        shell_join(step["argv"])
        for section in ("steps", "uninstall", "rollback")
        for step in plan.get(section, [])
        if step["argv"] is not None
    ]
    blocks = [f for f in mdcheck.fences(_markdown(folder)) if f.info == "sh"]
    assert all(block.in_list_item for block in blocks)
    assert [mdcheck.unfold(block.content) for block in blocks] == commands


@pytest.mark.parametrize("folder", FOLDERS, ids=_id)
def test_plan_md_structure_first_screen_holds_the_decision(folder: Path) -> None:
    text = (folder / "plan.md").read_text(encoding="utf-8")
    first = text[: text.index("<!-- rollplan:summary-end -->")]
    for part in ("**Change:**", "**Plan:**", "**Urgency:**", "**Rollback:**", "### Risks", "### Manual steps"):
        assert part in first, part
    plan = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
    for region in plan["regions"]:
        for risk in region["risks"]:
            assert risk in first, risk
    assert "more)" not in text
    assert len(first.splitlines()) < 40


@pytest.mark.parametrize("builder", ["region_added", "environment_added", "all_removed", "unchanged"])
def test_plan_md_structure_other_scenarios(builder: str, tmp_path: Path) -> None:
    from support import scenarios

    from compiler.pipeline import compile_repo

    compiled = compile_repo(getattr(scenarios, builder)(tmp_path / "repo"))
    for env, files in compiled.files.items():
        plan = json.loads(files["plan.json"])
        text = files["plan.md"].decode("utf-8")
        assert not list(mdcheck.problems(text)), env
        commands = [
            shell_join(s["argv"]) for part in ("steps", "uninstall", "rollback") for s in plan[part] if s["argv"]
        ]
        assert [mdcheck.unfold(f.content) for f in mdcheck.fences(text) if f.info == "sh"] == commands
