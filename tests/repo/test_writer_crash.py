"""Interrupted, failing and concurrent writers leave generated/ consistent: all old or all new."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import scenarios

from compiler import cli
from compiler.commands.compile import write_all
from compiler.pipeline import compile_repo
from compiler.repo import journal, lock, writer
from compiler.repo.example import TextEdit

PROD_MEMORY = TextEdit(
    "environments/prod/values/regions/eastus.yaml", "        memory: 8Gi\n", "        memory: 10Gi\n"
)
STAGING_LOG_LEVEL = TextEdit("environments/staging/values/t100.yaml", "logLevel: DEBUG", "logLevel: INFO")
TOP_LEVEL = [".rollplan-inputs", "prod", "rollback.sh", "rollout.json", "staging", "upgrade.sh"]

KILL_AFTER_RENAMES = """
import os, sys
from compiler import cli
from compiler.repo import journal

limit, seen = int(sys.argv[1]), []

def die(dst):
    seen.append(dst)
    if len(seen) == limit:
        os._exit(137)  # as a kill -9 would: no cleanup, no finally

setattr(journal, sys.argv[3] if len(sys.argv) > 3 else "after_rename", die)
if len(sys.argv) > 4:  # only finish what an earlier run left
    from pathlib import Path
    from compiler.repo import writer
    writer.recover(Path(sys.argv[2]) / "generated")
    sys.exit(0)
sys.exit(cli.main(["compile", "--root", sys.argv[2]]))
"""


def back(edit: TextEdit) -> TextEdit:
    return TextEdit(edit.file, edit.new, edit.old)


def tree(folder: Path) -> dict[str, bytes]:
    """Every file of generated/, the top-level rollout files and their record included.

    A lock file a killed writer left behind is no content.
    """
    skipped = {folder / lock.LOCK_NAME}
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p not in skipped)
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo, compiled, with a pending change in both environments."""
    root = scenarios.demo(tmp_path_factory.mktemp("demo") / "repo")
    write_all(root, compile_repo(root))
    scenarios.apply_edits(root, [PROD_MEMORY, STAGING_LOG_LEVEL])
    return root


@pytest.fixture(scope="module")
def expected_new(template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    copy = tmp_path_factory.mktemp("new") / "repo"
    shutil.copytree(template, copy, symlinks=True)
    write_all(copy, compile_repo(copy))
    return tree(copy / "generated")


@pytest.fixture
def repo(template: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    shutil.copytree(template, copy, symlinks=True)
    return copy


def test_writer_kill_after_every_rename_leaves_all_old_or_all_new(
    template: Path, expected_new: dict[str, bytes], tmp_path: Path
) -> None:
    old = tree(template / "generated")
    outcomes: list[str] = []
    for limit in range(1, 20):
        copy = tmp_path / f"run{limit}"
        shutil.copytree(template, copy, symlinks=True)
        done = subprocess.run([sys.executable, "-c", KILL_AFTER_RENAMES, str(limit), str(copy)], capture_output=True)
        if done.returncode == 0:
            break
        assert done.returncode == 137, done.stderr.decode()
        writer.recover(copy / "generated")
        after = tree(copy / "generated")
        assert after in (old, expected_new), f"killed after rename {limit}: a mix of old and new"
        outcomes.append("old" if after == old else "new")
        assert cli.main(["compile", "--root", str(copy)]) == 0
        assert tree(copy / "generated") == expected_new
        names = sorted(p.name for p in (copy / "generated").iterdir() if p.name != lock.LOCK_NAME)
        assert names == TOP_LEVEL
    else:
        pytest.fail("the compile never finished")
    # The journal's own rename, then two per environment and two for the top-level record, which the
    # change rewrites: every one of them was a kill point, and the journal undid each.
    assert outcomes == ["old"] * 7, outcomes


def kill_at(root: Path, limit: int, seam: str = "after_rename", *, recover_only: bool = False) -> int:
    argv = [sys.executable, "-c", KILL_AFTER_RENAMES, str(limit), str(root), seam, *(["x"] if recover_only else [])]
    return subprocess.run(argv, capture_output=True, check=False).returncode


def test_writer_kill_while_building_leaves_all_old_and_no_debris(template: Path, tmp_path: Path) -> None:
    old = tree(template / "generated")
    copy = tmp_path / "repo"
    shutil.copytree(template, copy, symlinks=True)
    assert kill_at(copy, 3, "before_write") == 137
    after = tree(copy / "generated")
    assert {p: v for p, v in after.items() if not p.startswith(".rollplan-txn-")} == old
    assert any(p.startswith(".rollplan-txn-") for p in after)  # the half-built folder, debris until the next run
    assert cli.main(["compile", "--root", str(copy)]) == 0
    assert sorted(p.name for p in (copy / "generated").iterdir()) == TOP_LEVEL


def test_writer_kill_while_undoing_a_kill_is_undone_by_the_next_run(template: Path, tmp_path: Path) -> None:
    old = tree(template / "generated")
    copy = tmp_path / "repo"
    shutil.copytree(template, copy, symlinks=True)
    assert kill_at(copy, 5) == 137  # both old folders retired, one new one in place
    assert kill_at(copy, 1, recover_only=True) == 137  # the undo dies after its first rename
    writer.recover(copy / "generated")
    assert tree(copy / "generated") == old


def test_writer_run_after_a_kill_recovers_before_writing(template: Path, tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    shutil.copytree(template, copy, symlinks=True)
    done = subprocess.run([sys.executable, "-c", KILL_AFTER_RENAMES, "3", str(copy)], capture_output=True)
    assert done.returncode == 137
    assert (copy / "generated" / journal.JOURNAL).exists()
    assert cli.main(["check", "--root", str(copy)]) == 1  # half written: check says so rather than guessing
    assert cli.main(["compile", "--root", str(copy)]) == 0
    assert cli.main(["check", "--root", str(copy)]) == 0


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES], ids=["ENOSPC", "EROFS", "EACCES"])
def test_writer_disk_error_is_exit_1_with_the_path_and_changes_nothing(
    repo: Path, code: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail(path: Path) -> None:
        if path.name == "plan.md":
            raise OSError(code, os.strerror(code), str(path))

    monkeypatch.setattr(journal, "before_write", fail)
    before = {p.relative_to(repo).as_posix(): p.stat().st_ino for p in (repo / "generated").rglob("*")}
    assert cli.main(["compile", "--root", str(repo)]) == 1
    err = capsys.readouterr().err
    assert f"cannot write generated/prod/plan.md: {os.strerror(code)}" in err
    assert {p.relative_to(repo).as_posix(): p.stat().st_ino for p in (repo / "generated").rglob("*")} == before


def test_writer_disk_error_writing_schemas_changes_nothing(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail(path: Path) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(journal, "before_write", fail)
    assert cli.main(["schema", "--root", str(repo)]) == 1
    assert "cannot write schemas/" in capsys.readouterr().err
    assert not (repo / "schemas").exists() or not list((repo / "schemas").iterdir())


def test_writer_waits_for_another_writer_then_says_so(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(lock, "WAIT_SECONDS", 0.3)
    held = os.open(repo / "generated" / lock.LOCK_NAME, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
        before = tree(repo / "generated")
        assert cli.main(["compile", "--root", str(repo)]) == 1
        assert "another rollplan is writing generated/" in capsys.readouterr().err
        assert tree(repo / "generated") == before
    finally:
        os.close(held)
    assert cli.main(["compile", "--root", str(repo)]) == 0
    assert not (repo / "generated" / lock.LOCK_NAME).exists()


def test_writer_two_compiles_at_once_never_corrupt_generated(repo: Path) -> None:
    command = [sys.executable, "-m", "compiler", "compile", "--root", str(repo)]
    edits = [back(PROD_MEMORY), PROD_MEMORY, back(STAGING_LOG_LEVEL)]
    for edit in edits:
        scenarios.apply_edits(repo, [edit])
        runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
        for run in runs:
            _, err = run.communicate(timeout=120)
            assert run.returncode == 0, err.decode()
        assert cli.main(["check", "--root", str(repo)]) == 0
        assert sorted(p.name for p in (repo / "generated").iterdir()) == TOP_LEVEL


def test_writer_crafted_journal_cannot_lead_the_undo_outside(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "prod").mkdir(parents=True)
    (outside / "prod" / "sentinel").write_text("keep\n", encoding="utf-8")
    generated = repo / "generated"
    txn = generated / ".rollplan-txn-1-abcdef"
    txn.mkdir()
    (txn / "new").symlink_to(outside)
    (txn / "old").symlink_to(outside)
    doc = {"transaction": txn.name, "moves": [{"name": "prod", "old": True, "new": True}]}
    (generated / journal.JOURNAL).write_text(json.dumps(doc), encoding="utf-8")
    before = tree(generated)
    assert cli.main(["compile", "--root", str(repo)]) == 1
    assert tree(outside) == {"prod/sentinel": b"keep\n"}
    assert tree(generated) == before


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """``folder`` bind-mounted read-only over itself for the block; skips where the machine does not allow it."""
    if shutil.which("mount") is None or not _mount("--bind", str(folder), str(folder)):
        pytest.skip("cannot bind-mount here (needs root and mount permission); the fault hook tests cover EROFS")
    try:
        if not _mount("-o", "remount,bind,ro", str(folder)):
            pytest.skip("cannot remount read-only here")
        yield
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True, check=False).returncode == 0


def test_writer_read_only_file_system_is_exit_1_and_changes_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generated = repo / "generated"
    before = tree(generated)
    with read_only(generated):
        assert cli.main(["compile", "--root", str(repo)]) == 1
        assert "generated/.rollplan.lock: Read-only file system" in capsys.readouterr().err
        assert tree(generated) == before


def test_writer_read_only_checkout_with_nothing_to_change_compiles(repo: Path) -> None:
    assert cli.main(["compile", "--root", str(repo)]) == 0
    with read_only(repo / "generated"):
        assert cli.main(["compile", "--root", str(repo)]) == 0


PROD_NEEDS_STAGING = TextEdit(
    "environments/prod/environment.yaml", "service: tenant\n", "service: tenant\nneeds: [staging]\n"
)


def test_writer_kill_after_every_rename_keeps_the_top_level_files_with_their_environments(
    template: Path, tmp_path: Path
) -> None:
    """A change of the rollout order rewrites rollout.json and the top-level scripts: they swap in with the rest."""
    old_copy = tmp_path / "old"
    shutil.copytree(template, old_copy, symlinks=True)
    scenarios.apply_edits(old_copy, [PROD_NEEDS_STAGING])
    old = tree(old_copy / "generated")
    new_copy = tmp_path / "new"
    shutil.copytree(old_copy, new_copy, symlinks=True)
    write_all(new_copy, compile_repo(new_copy))
    new = tree(new_copy / "generated")
    assert old["rollout.json"] != new["rollout.json"] and old["upgrade.sh"] != new["upgrade.sh"]
    for limit in range(1, 30):
        copy = tmp_path / f"run{limit}"
        shutil.copytree(old_copy, copy, symlinks=True)
        if kill_at(copy, limit) == 0:
            break
        writer.recover(copy / "generated")
        assert tree(copy / "generated") == old, f"killed after rename {limit}: a mix of old and new"
    else:
        pytest.fail("the compile never finished")
    assert limit > 9  # the journal, two environments and four top-level files: every rename was a kill point
    assert tree(copy / "generated") == new
