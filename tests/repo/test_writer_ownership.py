"""The writer replaces or removes only what rollplan wrote, and never writes or deletes through a symlink."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import scenarios

from compiler import cli
from compiler.commands.compile import write_all
from compiler.pipeline import compile_repo
from compiler.repo.owned import MANIFEST


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


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def compile_cli(repo: Path, *extra: str) -> int:
    return cli.main(["compile", "--root", str(repo), *extra])


def test_owned_manifest_lists_every_file_and_check_compares_it(repo: Path) -> None:
    manifest = (repo / "generated/prod" / MANIFEST).read_text(encoding="utf-8").splitlines()
    listed = [line for line in manifest if not line.startswith("#")]
    assert listed == sorted(tree(repo / "generated/prod"))
    (repo / "generated/prod" / MANIFEST).write_text("# nothing\n", encoding="utf-8")
    assert cli.main(["check", "--root", str(repo)]) == 3


def test_owned_symlinked_generated_to_parent_is_refused_and_deletes_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.rmtree(repo / "generated")
    (repo / "generated").symlink_to("..")
    (repo / "sentinel.txt").write_text("keep\n", encoding="utf-8")
    before = sorted(p.name for p in repo.iterdir())
    assert compile_cli(repo) == 1
    assert "generated/ is a symbolic link" in capsys.readouterr().err
    assert sorted(p.name for p in repo.iterdir()) == before
    assert (repo / ".git/HEAD").is_file() and (repo / "sentinel.txt").read_text(encoding="utf-8") == "keep\n"


def test_owned_symlinked_generated_to_another_folder_is_refused(repo: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "prod").mkdir(parents=True)
    (elsewhere / "prod" / "sentinel").write_text("keep\n", encoding="utf-8")
    (elsewhere / "qa").mkdir()
    (elsewhere / "qa" / "plan.md").write_text("keep\n", encoding="utf-8")
    shutil.rmtree(repo / "generated")
    (repo / "generated").symlink_to(elsewhere)
    assert compile_cli(repo) == 1
    assert compile_cli(repo, "--force") == 1
    assert tree(elsewhere) == {"prod/sentinel": b"keep\n", "qa/plan.md": b"keep\n"}


def test_owned_symlinked_environment_folder_is_refused(repo: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    shutil.move(repo / "generated/prod", elsewhere)
    (repo / "generated/prod").symlink_to(elsewhere)
    before = tree(elsewhere)
    assert compile_cli(repo, "--force") == 1
    assert tree(elsewhere) == before
    assert (repo / "generated/prod").is_symlink()


@pytest.mark.parametrize("link", ["values/eastus.yaml", "argocd", "notes.md"])
def test_owned_symlink_inside_an_environment_folder_is_refused(
    repo: Path, tmp_path: Path, link: str, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "sentinel.yaml").write_text("keep: true\n", encoding="utf-8")
    path = repo / "generated/prod" / link
    if path.is_dir():
        shutil.rmtree(path)
    path.unlink(missing_ok=True)
    path.symlink_to(outside if link == "argocd" else outside / "sentinel.yaml")
    assert compile_cli(repo, "--force") == 1
    assert f"generated/prod/{link} is a symbolic link" in capsys.readouterr().err
    assert tree(outside) == {"sentinel.yaml": b"keep: true\n"}
    assert path.is_symlink()


def test_owned_symlinked_orphan_folder_is_refused(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "plan.md").write_text("keep\n", encoding="utf-8")
    (repo / "generated/qa").symlink_to(outside)
    assert compile_cli(repo, "--force") == 1
    assert (outside / "plan.md").read_text(encoding="utf-8") == "keep\n"


def test_owned_unowned_file_in_an_environment_folder_is_refused_unless_force(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "generated/prod/NOTES.md").write_text("my notes\n", encoding="utf-8")
    before = tree(repo / "generated")
    assert compile_cli(repo) == 1
    assert "generated/prod/NOTES.md" in capsys.readouterr().err
    assert tree(repo / "generated") == before
    assert compile_cli(repo, "--force") == 0
    assert not (repo / "generated/prod/NOTES.md").exists()


def test_owned_foreign_folder_under_generated_is_refused_and_kept(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "generated/docs").mkdir()
    (repo / "generated/docs/runbook.md").write_text("# runbook\n", encoding="utf-8")
    assert compile_cli(repo) == 1
    assert "generated/docs/runbook.md" in capsys.readouterr().err
    assert (repo / "generated/docs/runbook.md").is_file()
    shutil.rmtree(repo / "generated/docs")
    assert compile_cli(repo) == 0


def test_owned_orphan_environment_with_its_manifest_is_removed(repo: Path) -> None:
    shutil.copytree(repo / "generated/staging", repo / "generated/qa")
    assert compile_cli(repo) == 0
    assert not (repo / "generated/qa").exists()


def test_owned_folder_from_before_manifests_is_taken_over(repo: Path) -> None:
    """Migration: without a manifest, the files at paths rollplan writes are its own."""
    expected = tree(repo / "generated")
    for env in ("prod", "staging"):
        (repo / "generated" / env / MANIFEST).unlink()
    (repo / "generated/prod/values/oldregion.yaml").write_text("stale: true\n", encoding="utf-8")
    assert compile_cli(repo) == 0
    assert tree(repo / "generated") == expected


def test_owned_folder_from_before_manifests_still_refuses_a_foreign_file(repo: Path) -> None:
    (repo / "generated/prod" / MANIFEST).unlink()
    (repo / "generated/prod/NOTES.md").write_text("mine\n", encoding="utf-8")
    assert compile_cli(repo) == 1
    assert (repo / "generated/prod/NOTES.md").is_file()


def test_owned_generated_as_a_file_is_refused(repo: Path) -> None:
    shutil.rmtree(repo / "generated")
    (repo / "generated").write_text("not a folder\n", encoding="utf-8")
    assert compile_cli(repo) == 1
    assert (repo / "generated").read_text(encoding="utf-8") == "not a folder\n"


def test_owned_check_refuses_a_symlinked_generated(repo: Path, tmp_path: Path) -> None:
    shutil.move(repo / "generated", tmp_path / "real")
    (repo / "generated").symlink_to(tmp_path / "real")
    assert cli.main(["check", "--root", str(repo)]) == 1


def test_owned_schema_keeps_foreign_files_and_refuses_a_symlinked_folder(repo: Path, tmp_path: Path) -> None:
    schemas = repo / "schemas"
    schemas.mkdir(exist_ok=True)
    (schemas / "mine.schema.json").write_text("{}\n", encoding="utf-8")
    assert cli.main(["schema", "--root", str(repo)]) == 0
    assert (schemas / "mine.schema.json").read_text(encoding="utf-8") == "{}\n"
    assert (schemas / "region.schema.json").is_file()
    assert not list(schemas.glob(".rollplan*"))
    shutil.move(schemas, tmp_path / "schemas")
    schemas.symlink_to(tmp_path / "schemas")
    (tmp_path / "schemas" / "region.schema.json").write_text("old\n", encoding="utf-8")
    assert cli.main(["schema", "--root", str(repo)]) == 1
    assert (tmp_path / "schemas" / "region.schema.json").read_text(encoding="utf-8") == "old\n"


def test_owned_check_and_compile_refuse_a_file_in_the_way_of_generated(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.rmtree(repo / "generated")
    (repo / "generated").write_text("in the way\n", encoding="utf-8")
    assert cli.main(["check", "--root", str(repo)]) == 1
    assert "generated/prod: a file is in the way of this folder" in capsys.readouterr().err
    assert compile_cli(repo) == 1
    assert (repo / "generated").read_text(encoding="utf-8") == "in the way\n"


def test_owned_schema_refuses_a_folder_where_a_schema_file_goes(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    schemas = repo / "schemas"
    shutil.rmtree(schemas, ignore_errors=True)
    (schemas / "region.schema.json").mkdir(parents=True)
    assert cli.main(["schema", "--root", str(repo)]) == 1
    assert "schemas/region.schema.json is not a regular file" in capsys.readouterr().err
    assert sorted(p.name for p in schemas.iterdir()) == ["region.schema.json"]
