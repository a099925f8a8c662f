"""Every flag the README documents exists on every command it names, and the JSON of each command is documented."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest

from compiler.cli import _subparser, build_parser

ROOT = Path(__file__).resolve().parents[1]


def documented_flags() -> list[tuple[str, str]]:
    """(flag, command) for each row of the README's flag table."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("<!-- cli-flags:start") : readme.index("<!-- cli-flags:end")]
    pairs: list[tuple[str, str]] = []
    for row in table.splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        if len(cells) != 2 or not cells[0].startswith("`"):
            continue
        flags = re.findall(r"`(-[-\w]+)", cells[0])
        pairs += [(flag, command.strip()) for flag in flags for command in cells[1].split(",")]
    return pairs


def options(command: str) -> set[str]:
    sub = _subparser(build_parser(), command)
    return {opt for action in sub._actions for opt in action.option_strings if action.help != argparse.SUPPRESS}


def test_readme_cli_table_is_not_empty() -> None:
    pairs = documented_flags()
    assert len(pairs) > 30
    assert {command for _, command in pairs} >= {"validate", "compile", "check", "diff", "schema", "demo", "init"}


@pytest.mark.parametrize(("flag", "command"), documented_flags())
def test_readme_cli_flag_exists(flag: str, command: str) -> None:
    assert flag in options(command), f"README says `rollplan {command}` takes {flag}"


@pytest.mark.parametrize("command", ["validate", "compile", "check", "diff", "schema"])
def test_readme_cli_json_of_every_command_is_documented(command: str) -> None:
    doc = (ROOT / "docs/cli-json.md").read_text(encoding="utf-8")
    assert f"## rollplan {command}" in doc
    assert "--format" in options(command)


@pytest.fixture(scope="module")
def demo_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from support.demorepo import build_demo

    return build_demo(tmp_path_factory.mktemp("json") / "demo")


@pytest.mark.parametrize("argv", [["validate"], ["compile"], ["check"], ["diff"], ["schema", "--check"],
                                  ["check", "--base", "nope"], ["compile", "--bogus"]])  # fmt: skip
def test_readme_cli_every_json_document_has_a_format_version(
    demo_repo: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    from support.demorepo import rollplan

    run = rollplan(capsys, *argv, "--root", str(demo_repo), "--format", "json")
    doc = json.loads(run.out)
    assert doc["format_version"] == 1
    documented = (ROOT / "docs/cli-json.md").read_text(encoding="utf-8")
    for key in doc:
        assert f"`{key}`" in documented, f"rollplan {argv[0]}: key {key!r} is not in docs/cli-json.md"
