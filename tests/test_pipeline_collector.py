"""compile_repo keeps its long-lived data out of the collector's full passes, and only while it runs."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import scenarios

from compiler.errors import PlanBlocked
from compiler.pipeline import compile_repo


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_pipeline_compile_leaves_nothing_frozen(tmp_path: Path, unfrozen: None) -> None:
    compiled = compile_repo(scenarios.demo(tmp_path))
    assert compiled.files["prod"]
    assert gc.get_freeze_count() == 0


def test_pipeline_compile_that_fails_leaves_nothing_frozen(tmp_path: Path, unfrozen: None) -> None:
    with pytest.raises(PlanBlocked):
        compile_repo(scenarios.blocked_redis(tmp_path))
    assert gc.get_freeze_count() == 0


def test_pipeline_compile_leaves_the_callers_frozen_objects_alone(tmp_path: Path, unfrozen: None) -> None:
    repo = scenarios.demo(tmp_path)
    marker: list[object] = [[]]
    gc.freeze()
    assert not any(obj is marker for obj in gc.get_objects()), "frozen objects are not listed"
    compile_repo(repo)
    assert not any(obj is marker for obj in gc.get_objects()), "the caller's frozen objects were unfrozen"
