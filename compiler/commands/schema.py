"""`rollplan schema`: write (or check) the JSON Schemas of the spec models (C-4)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from compiler import console
from compiler.errors import StaleFiles, StaleOutput
from compiler.repo.writer import compare, write_files
from compiler.spec.models import EnvironmentSpec, RegionSpec, ReleaseNote
from compiler.spec.repoconfig import RepoConfig

SCHEMA_DIR = "schemas"
MODELS: dict[str, type[BaseModel]] = {
    "environment.schema.json": EnvironmentSpec,
    "region.schema.json": RegionSpec,
    "release-note.schema.json": ReleaseNote,
    "rollplan.schema.json": RepoConfig,
}


def schema_files() -> dict[str, bytes]:
    """Every schema file, by name, as the bytes written to disk."""
    files: dict[str, bytes] = {}
    for name, model in MODELS.items():
        schema = model.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = name
        files[name] = (json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
    return files


def run(root: Path, *, check: bool, as_json: bool) -> int:
    folder = root / SCHEMA_DIR
    files = schema_files()
    if check:
        stale = compare(folder, files, SCHEMA_DIR)
        stale = StaleFiles(stale.changed, stale.missing, [])  # other files may live in schemas/
        if stale:
            raise StaleOutput(stale, note="run 'rollplan schema' to regenerate the schemas")
        _report(as_json, [], checked=True)
        return 0
    # Only the schema files are written: anything else in schemas/ is not rollplan's, and stays as it is.
    changed = write_files(folder, files)
    _report(as_json, [f"{SCHEMA_DIR}/{p}" for p in changed], checked=False)
    return 0


def _report(as_json: bool, changed: list[str], *, checked: bool) -> None:
    if as_json:
        console.document({"ok": True, "changed": changed})
    elif checked:
        console.result("schemas are up to date")
    else:
        console.result("\n".join(f"wrote {p}" for p in changed) if changed else "schemas are up to date")
