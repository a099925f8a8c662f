"""Writing generated/ (C-11): all or nothing, and a file whose bytes do not change is never rewritten.

Each test starts from the demo repository with generated/ already written,
then changes something and looks at every file's bytes, inode and mtime.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

import pytest
from support import scenarios

from compiler import cli
from compiler.commands.compile import write_all
from compiler.errors import OutputError
from compiler.pipeline import compile_repo
from compiler.plan.model import Plan
from compiler.render.outputs import render_environment
from compiler.render.staging import Staging
from compiler.repo import journal, writer
from compiler.repo.example import TextEdit

Snapshot = dict[str, tuple[bytes, int, int]]

PROD_MEMORY = TextEdit(
    "environments/prod/values/regions/eastus.yaml", "        memory: 8Gi\n", "        memory: 10Gi\n"
)
STAGING_LOG_LEVEL = TextEdit("environments/staging/values/t100.yaml", "logLevel: DEBUG", "logLevel: INFO")
# The demo moved staging to 100.0.1000071.2; 100.0.1000073 needs a Redis staging does not have.
STAGING_BLOCKED = TextEdit(scenarios.STAGING_ENV, "version: '100.0.1000071.2'\n", "version: '100.0.1000073'\n")


def snapshot(folder: Path) -> Snapshot:
    """Every file and folder under ``folder``: bytes (empty for folders), inode, mtime in ns."""
    found: Snapshot = {}
    for path in sorted(folder.rglob("*")):
        stat = path.stat()
        found[path.relative_to(folder).as_posix()] = (
            b"" if path.is_dir() else path.read_bytes(), stat.st_ino, stat.st_mtime_ns
        )  # fmt: skip
    return found


def files_only(snap: Snapshot, folder: Path) -> Snapshot:
    return {p: v for p, v in snap.items() if (folder / p).is_file()}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo repository, compiled and written once; each test works on its own copy."""
    root = scenarios.demo(tmp_path_factory.mktemp("demo") / "repo")
    write_all(root, compile_repo(root))
    return root


@pytest.fixture
def repo(template: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    shutil.copytree(template, copy, symlinks=True)
    return copy


def compile_and_write(root: Path) -> list[str]:
    return write_all(root, compile_repo(root))


def test_writer_blocked_plan_leaves_generated_exactly_as_before(repo: Path) -> None:
    before = snapshot(repo / "generated")
    scenarios.apply_edits(repo, [PROD_MEMORY, STAGING_BLOCKED])
    assert cli.main(["compile", "--root", str(repo)]) == 1
    assert snapshot(repo / "generated") == before


def test_writer_renderer_failing_midway_leaves_generated_exactly_as_before(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered: list[str] = []

    def fail_on_second(plan: Plan, prints: dict[str, str], staged: Staging | None = None) -> dict[str, bytes]:
        rendered.append(plan.environment)
        if len(rendered) == 2:
            raise RuntimeError("renderer broke")
        return render_environment(plan, prints, staged)

    monkeypatch.setattr("compiler.pipeline.render_environment", fail_on_second)
    before = snapshot(repo / "generated")
    scenarios.apply_edits(repo, [PROD_MEMORY, STAGING_LOG_LEVEL])
    # One process: the counter above lives in this one.
    assert cli.main(["compile", "--root", str(repo), "--jobs", "1"]) == cli.EXIT_INTERNAL
    assert rendered == ["prod", "staging"]
    assert snapshot(repo / "generated") == before


def test_writer_failure_writing_second_environment_leaves_first_untouched(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = writer._fill

    def fail_for_staging(staging: Path, folder: Path, files: Mapping[str, bytes]) -> None:
        real(staging, folder, files)
        if folder.name == "staging":
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer, "_fill", fail_for_staging)
    before = snapshot(repo / "generated")
    scenarios.apply_edits(repo, [PROD_MEMORY, STAGING_LOG_LEVEL])
    with pytest.raises(OutputError, match="No space left"):
        compile_and_write(repo)
    assert snapshot(repo / "generated") == before
    assert sorted(p.name for p in (repo / "generated").iterdir() if p.is_dir()) == ["prod", "staging"]


def test_writer_failed_swap_puts_every_swapped_folder_back(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    failed: list[Path] = []

    def fail_for_staging(dst: Path) -> None:
        if dst.name == "staging" and not failed:
            failed.append(dst)
            raise OSError(5, "Input/output error", str(dst))

    monkeypatch.setattr(journal, "after_rename", fail_for_staging)
    before = snapshot(repo / "generated")
    scenarios.apply_edits(repo, [PROD_MEMORY, STAGING_LOG_LEVEL])
    with pytest.raises(OutputError, match="cannot write generated/staging: Input/output"):
        compile_and_write(repo)
    assert snapshot(repo / "generated") == before
    assert sorted(p.name for p in (repo / "generated").iterdir() if p.is_dir()) == ["prod", "staging"]


def test_writer_second_compile_rewrites_nothing(repo: Path) -> None:
    before = snapshot(repo / "generated")
    assert compile_and_write(repo) == []
    assert snapshot(repo / "generated") == before


def test_writer_changed_spec_replaces_only_changed_files(repo: Path) -> None:
    folder = repo / "generated"
    before = files_only(snapshot(folder), folder)
    scenarios.apply_edits(repo, [PROD_MEMORY])
    written = compile_and_write(repo)
    after = files_only(snapshot(folder), folder)
    changed = {p for p in after if after[p][0] != before[p][0]}
    assert {f"generated/{p}" for p in changed} == set(written)
    assert "prod/values/eastus.yaml" in changed and "prod/plan.md" in changed
    assert not [p for p in changed if p.startswith("staging/")]
    for path in changed:
        assert after[path][1] != before[path][1], f"{path} changed in place"
    for path in set(after) - changed:
        assert after[path][1:] == before[path][1:], f"{path} was rewritten though its bytes did not change"


def test_writer_restores_a_hand_edited_file_and_with_force_removes_an_extra_one(repo: Path) -> None:
    folder = repo / "generated"
    expected = (folder / "prod/plan.md").read_bytes()
    (folder / "prod/plan.md").write_bytes(b"edited by hand\n")
    (folder / "prod/values/oldregion.yaml").write_bytes(b"stale: true\n")
    (folder / "prod/stray").mkdir()
    (folder / "prod/stray/notes.txt").write_bytes(b"x\n")
    before = files_only(snapshot(folder), folder)
    with pytest.raises(OutputError, match=r"generated/prod/stray/notes\.txt, generated/prod/values/oldregion\.yaml"):
        compile_and_write(repo)
    assert files_only(snapshot(folder), folder) == before
    written = write_all(repo, compile_repo(repo), force=True)
    assert written == [
        "generated/prod/plan.md",
        "generated/prod/stray/notes.txt",
        "generated/prod/values/oldregion.yaml",
    ]
    assert (folder / "prod/plan.md").read_bytes() == expected
    assert not (folder / "prod/values/oldregion.yaml").exists() and not (folder / "prod/stray").exists()
    after = files_only(snapshot(folder), folder)
    assert set(after) == set(before) - {"prod/values/oldregion.yaml", "prod/stray/notes.txt"}
    for path in set(after) - {"prod/plan.md"}:
        assert after[path][1:] == before[path][1:], path


def test_writer_scripts_are_executable_and_the_rest_is_not(repo: Path) -> None:
    scenarios.apply_edits(repo, [PROD_MEMORY])
    compile_and_write(repo)
    for path in (repo / "generated").rglob("*"):
        if path.is_file():
            mode = path.stat().st_mode & 0o777
            assert mode == (0o755 if path.suffix == ".sh" else 0o644), f"{path.name}: {oct(mode)}"


TOP_LEVEL = [".rollplan-inputs", "prod", "rollback.sh", "rollout.json", "staging", "upgrade.sh"]
LEFTOVERS = (".prod.rollplan-new", ".prod.rollplan-old", ".staging.rollplan-new")


def plant_leftovers(generated: Path) -> None:
    for name in LEFTOVERS:
        (generated / name / "values").mkdir(parents=True)
        (generated / name / "values" / "half-written.yaml").write_bytes(b"a: 1\n")


@pytest.mark.parametrize("with_change", [True, False], ids=["with-change", "without-change"])
def test_writer_cleans_leftovers_of_a_crashed_run(repo: Path, with_change: bool) -> None:
    generated = repo / "generated"
    plant_leftovers(generated)
    if with_change:
        scenarios.apply_edits(repo, [PROD_MEMORY, STAGING_LOG_LEVEL])
    compile_and_write(repo)
    assert sorted(p.name for p in generated.iterdir()) == TOP_LEVEL


def test_writer_recovers_from_a_crash_between_the_two_renames(repo: Path) -> None:
    # The crash left the old folder retired and no new folder in its place.
    generated = repo / "generated"
    expected = files_only(snapshot(generated), generated)
    (generated / "prod").rename(generated / ".prod.rollplan-old")
    assert compile_and_write(repo) == []
    assert sorted(p.name for p in generated.iterdir()) == TOP_LEVEL
    after = files_only(snapshot(generated), generated)
    assert {p: v[0] for p, v in after.items()} == {p: v[0] for p, v in expected.items()}


def test_writer_script_without_its_executable_bit_is_stale_and_rewritten(tmp_path: Path) -> None:
    from compiler.repo.writer import compare, write_folder

    folder = tmp_path / "generated" / "prod"
    files = {"upgrade.sh": b"#!/usr/bin/env bash\n", "plan.md": b"# plan\n"}
    write_folder(folder, files)
    assert not compare(folder, files, "generated/prod")
    (folder / "upgrade.sh").chmod(0o644)
    assert compare(folder, files, "generated/prod").changed == ["generated/prod/upgrade.sh"]
    assert write_folder(folder, files) == ["upgrade.sh"]
    assert (folder / "upgrade.sh").stat().st_mode & 0o111 == 0o111
    assert not compare(folder, files, "generated/prod")
