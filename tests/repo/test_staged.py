"""Streaming each environment's files into the transaction as it is made: same bytes, same all-or-nothing swap."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import scenarios

from compiler import cli
from compiler.commands.compile import commit_stage, write_all
from compiler.errors import OutputError, PlanBlocked
from compiler.pipeline import compile_repo
from compiler.repo import journal
from compiler.repo.example import TextEdit
from compiler.repo.staged import StagedFiles, staged

PROD_MEMORY = TextEdit(
    "environments/prod/values/regions/eastus.yaml", "        memory: 8Gi\n", "        memory: 10Gi\n"
)
STAGING_BLOCKED = TextEdit(scenarios.STAGING_ENV, "version: '100.0.1000071.2'\n", "version: '100.0.1000073'\n")


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = scenarios.demo(tmp_path_factory.mktemp("demo") / "repo")
    write_all(root, compile_repo(root))
    return root


@pytest.fixture
def repo(template: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    shutil.copytree(template, copy, symlinks=True)
    return copy


@pytest.mark.parametrize("jobs", [1, 2])
def test_staged_compile_writes_the_bytes_of_the_compile_in_memory(repo: Path, jobs: int) -> None:
    scenarios.apply_edits(repo, [PROD_MEMORY])
    in_memory = compile_repo(repo)
    with staged(repo / "generated") as stage:
        streamed = compile_repo(repo, jobs=jobs, sink=stage)
        assert all(isinstance(files, StagedFiles) for files in streamed.files.values())
        assert {env: dict(files) for env, files in streamed.files.items()} == in_memory.files  # read from staging
        assert (repo / "generated" / "prod" / "plan.md").read_bytes() != in_memory.files["prod"]["plan.md"]  # not yet
        written = commit_stage(repo, streamed, stage)
    assert streamed.rollout == in_memory.rollout
    assert "generated/prod/plan.md" in written and not any(p.startswith("generated/staging/") for p in written)
    for env, files in in_memory.files.items():
        assert tree(repo / "generated" / env) == files
        assert dict(streamed.files[env]) == files  # read back from the swapped-in folder


def test_staged_leaving_without_commit_changes_nothing_and_leaves_no_debris(repo: Path) -> None:
    before = tree(repo / "generated")
    scenarios.apply_edits(repo, [PROD_MEMORY])
    with staged(repo / "generated") as stage:
        compile_repo(repo, sink=stage)
        assert any(p.name.startswith(journal.TXN_PREFIX) for p in (repo / "generated").iterdir())
    assert tree(repo / "generated") == before
    assert not any(p.name.startswith(".rollplan") for p in (repo / "generated").iterdir() if p.is_dir())


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_staged_problem_after_a_written_environment_leaves_generated_as_before(repo: Path, jobs: str) -> None:
    before = tree(repo / "generated")
    scenarios.apply_edits(repo, [PROD_MEMORY, STAGING_BLOCKED])  # prod is staged before staging is refused
    assert cli.main(["compile", "--root", str(repo), "--jobs", jobs]) == 1
    assert tree(repo / "generated") == before
    assert sorted(p.name for p in (repo / "generated").iterdir()) == sorted(before_names(before))


def before_names(before: dict[str, bytes]) -> set[str]:
    return {path.split("/")[0] for path in before}


def test_staged_first_compile_that_fails_leaves_no_generated_folder(tmp_path: Path) -> None:
    root = scenarios.demo(tmp_path / "repo")
    assert not (root / "generated").exists()
    scenarios.apply_edits(root, [STAGING_BLOCKED])
    with pytest.raises(PlanBlocked), staged(root / "generated") as stage:
        compile_repo(root, sink=stage)
    assert not (root / "generated").exists()


def test_staged_unowned_file_is_refused_at_the_swap_and_nothing_changes(repo: Path) -> None:
    (repo / "generated" / "prod" / "NOTES.md").write_text("mine\n", encoding="utf-8")
    before = tree(repo / "generated")
    scenarios.apply_edits(repo, [PROD_MEMORY])
    with pytest.raises(OutputError, match=r"generated/prod/NOTES\.md"), staged(repo / "generated") as stage:
        commit_stage(repo, compile_repo(repo, sink=stage), stage)
    assert tree(repo / "generated") == before
    with staged(repo / "generated", force=True) as stage:
        commit_stage(repo, compile_repo(repo, sink=stage), stage)
    assert not (repo / "generated" / "prod" / "NOTES.md").exists()
