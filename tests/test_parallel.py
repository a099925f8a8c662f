"""Environments compiled in a process pool give the serial run's output, byte for byte, and its problems."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import scenarios

from compiler import cli
from compiler.errors import InputError, PlanBlocked
from compiler.pipeline import compile_repo


@pytest.mark.parametrize("builder", [scenarios.demo, scenarios.environment_added, scenarios.database_move])
def test_parallel_compile_is_the_serial_compile(builder: scenarios.Builder, tmp_path: Path) -> None:
    root = builder(tmp_path / "repo")
    serial = compile_repo(root, (), "HEAD", jobs=1)
    pooled = compile_repo(root, (), "HEAD", jobs=2)
    assert list(pooled.files) == list(serial.files) == ["prod", "staging"]
    assert pooled.files == serial.files
    assert pooled.rollout == serial.rollout
    assert pooled.fingerprints == serial.fingerprints
    assert pooled.plans == serial.plans


def test_parallel_compile_reports_the_serial_problems(tmp_path: Path) -> None:
    root = scenarios.blocked_n2(tmp_path / "repo")
    raised: list[InputError] = []
    for jobs in (1, 2):
        with pytest.raises(PlanBlocked) as caught:
            compile_repo(root, (), "HEAD", jobs=jobs)
        raised.append(caught.value)
    assert [str(p) for p in raised[0].problems] == [str(p) for p in raised[1].problems]
    assert raised[0].problems


def test_parallel_cli_jobs_writes_the_same_tree(tmp_path: Path) -> None:
    trees = []
    for jobs in ("1", "2"):
        root = scenarios.demo(tmp_path / f"repo{jobs}")
        assert cli.main(["compile", "--root", str(root), "--quiet", "--jobs", jobs]) == 0
        assert cli.main(["check", "--root", str(root), "--jobs", jobs]) == 0
        generated = root / "generated"
        trees.append({p.relative_to(generated).as_posix(): p.read_bytes() for p in generated.rglob("*") if p.is_file()})
    assert trees[0] == trees[1]
    assert "prod/plan.md" in trees[0]


@pytest.mark.parametrize("jobs", ["0", "-1", "two"])
def test_parallel_cli_jobs_must_be_a_positive_count(jobs: str, tmp_path: Path) -> None:
    assert cli.main(["compile", "--root", str(tmp_path), "--jobs", jobs]) == 2
