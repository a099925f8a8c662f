"""Committed schemas and the README's spec reference stay in step with the models."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import yaml

from compiler.commands.schema import SCHEMA_DIR, schema_files
from compiler.spec.reference import END, START, spec_reference

ROOT = Path(__file__).resolve().parents[2]


def test_schema_files_are_current() -> None:
    for name, data in schema_files().items():
        path = ROOT / SCHEMA_DIR / name
        assert path.is_file(), f"{path} missing: run 'rollplan schema'"
        assert path.read_bytes() == data, f"{SCHEMA_DIR}/{name} is stale: run 'rollplan schema'"


def test_schema_validates_the_example_and_rejects_an_unknown_key() -> None:
    schema = json.loads((ROOT / SCHEMA_DIR / "region.schema.json").read_text())
    region = yaml.safe_load((ROOT / "environments/prod/regions/westus2.yaml").read_text())
    jsonschema.validate(region, schema)
    region["replicaz"] = 3
    try:
        jsonschema.validate(region, schema)
    except jsonschema.ValidationError as err:
        assert "replicaz" in err.message
    else:
        raise AssertionError("an unknown key passed the exported schema")


def test_readme_spec_reference_matches_the_models() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start, end = readme.index(START) + len(START), readme.index(END)
    expected = "\n" + spec_reference()
    if os.environ.get("ROLLPLAN_UPDATE_README") == "1":
        (ROOT / "README.md").write_text(readme[:start] + expected + readme[end:], encoding="utf-8")
        return
    assert readme[start:end] == expected, "README spec reference is stale: ROLLPLAN_UPDATE_README=1 pytest this test"


def test_readme_quick_start_has_exactly_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line for line in section.strip().splitlines() if line.strip()]
    assert len(commands) == 2
    assert "rollplan demo" in commands[0] and "pytest" in commands[1]
