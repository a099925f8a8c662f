"""A generic environment may not name backend prefixes its profile would silently ignore."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import scenarios

from compiler.errors import InputError
from compiler.pipeline import compile_repo

ENV = "environments/web/environment.yaml"


@pytest.mark.parametrize("setting", ["paths:\n  redis: [cache]\n", "paths:\n  database: [db]\n"])
def test_generic_paths_backend_prefixes_are_refused(tmp_path: Path, setting: str) -> None:
    root = scenarios.generic(tmp_path / "repo")
    path = root / ENV
    path.write_text(path.read_text(encoding="utf-8") + setting, encoding="utf-8")
    with pytest.raises(InputError, match="no database or Redis steps") as caught:
        compile_repo(root)
    assert all(p.location.file.endswith(ENV) for p in caught.value.problems)


def test_generic_paths_empty_backend_prefixes_are_allowed(tmp_path: Path) -> None:
    root = scenarios.generic(tmp_path / "repo")
    path = root / ENV
    path.write_text(path.read_text(encoding="utf-8") + "paths:\n  redis: []\n", encoding="utf-8")
    assert compile_repo(root).plans["web"].steps
