"""`rollplan init`: a scaffold that validates, compiles and checks as it is, in a new or existing repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.demorepo import IDENTITY, commit_all, git, rollplan

from compiler.commands.init import SERVICES
from compiler.commands.schema import schema_files

Capture = pytest.CaptureFixture[str]


@pytest.fixture(autouse=True)
def git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in IDENTITY.items():
        monkeypatch.setenv(name, value)


def test_init_then_validate_compile_check_pass(tmp_path: Path, capsys: Capture) -> None:
    repo = tmp_path / "gitops"
    run = rollplan(capsys, "init", str(repo), "--env", "staging", "--regions", "westeu,northeu")
    assert run.code == 0, run.err
    assert (repo / ".git").is_dir()
    assert git(repo, "symbolic-ref", "--short", "HEAD").strip() == "main"
    assert rollplan(capsys, "validate", "--root", str(repo)).code == 0
    compiled = rollplan(capsys, "compile", "--root", str(repo))
    assert compiled.code == 0, compiled.err
    assert "staging: none → 1.0.0: 2 install" in compiled.out
    assert (repo / "generated/staging/upgrade.sh").is_file()
    commit_all(repo, "Scaffold")
    assert rollplan(capsys, "check", "--root", str(repo)).code == 0


def test_init_scaffold_has_every_part(tmp_path: Path, capsys: Capture) -> None:
    repo = tmp_path / "gitops"
    argv = ["--regions", "eastus", "--version", "9.0.1", "--deployed-branch", "production"]
    assert rollplan(capsys, "init", str(repo), *argv).code == 0
    assert "branches: [production]" in (repo / ".github/workflows/rollplan.yaml").read_text(encoding="utf-8")
    assert "deployed_branch: production" in (repo / "rollplan.yaml").read_text(encoding="utf-8")
    expected = [
        ".github/workflows/rollplan.yaml",
        ".pre-commit-config.yaml",
        "environments/prod/environment.yaml",
        "environments/prod/regions/eastus.yaml",
        "environments/prod/values/common.yaml",
        "release-notes/tenant/9.0.1.yaml",
        "rollplan.yaml",
        *(f"schemas/{name}" for name in schema_files()),
    ]
    found = (p.relative_to(repo).as_posix() for p in repo.rglob("*") if p.is_file())
    assert sorted(p for p in found if not p.startswith(".git/")) == sorted(expected)
    for name, data in schema_files().items():
        assert (repo / "schemas" / name).read_bytes() == data


def test_init_modelines_point_at_the_schemas(tmp_path: Path, capsys: Capture) -> None:
    repo = tmp_path / "gitops"
    assert rollplan(capsys, "init", str(repo)).code == 0
    yamls = [p for p in repo.rglob("*.yaml") if "schema" in p.read_text(encoding="utf-8").splitlines()[0]]
    assert len(yamls) == 5  # rollplan.yaml, environment, two regions, the release note
    for path in yamls:
        target = re.search(r"\$schema=(\S+)", path.read_text(encoding="utf-8"))
        assert target is not None
        assert (path.parent / target.group(1)).resolve().is_file(), path


def test_init_refuses_a_non_empty_directory_without_force(tmp_path: Path, capsys: Capture) -> None:
    repo = tmp_path / "gitops"
    repo.mkdir()
    (repo / "README.md").write_text("mine\n", encoding="utf-8")
    run = rollplan(capsys, "init", str(repo))
    assert run.code == 2
    assert "is not empty: pass --force" in run.err
    assert sorted(p.name for p in repo.iterdir()) == ["README.md"]
    assert rollplan(capsys, "init", str(repo), "--force").code == 0
    assert (repo / "README.md").read_text(encoding="utf-8") == "mine\n"
    assert (repo / "rollplan.yaml").is_file()


def test_init_inside_an_existing_repository_does_not_git_init(tmp_path: Path, capsys: Capture) -> None:
    git(tmp_path, "init", "--quiet", str(tmp_path / "outer"))
    inner = tmp_path / "outer" / "gitops"
    run = rollplan(capsys, "init", str(inner))
    assert run.code == 0
    assert not (inner / ".git").exists()
    assert "(git init)" not in run.out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--env", "Prod"], "not a DNS-1123 label: 'Prod'"),
        (["--regions", "a,a"], "distinct region names"),
        (["--service", "nope"], "invalid choice: 'nope'"),
        (["--version", "1.0'\nx: y"], "expected a vendor version"),
        (["--deployed-branch", "main\nx: y"], "expected a branch name"),
    ],
)
def test_init_bad_flags_exit_2(tmp_path: Path, capsys: Capture, argv: list[str], message: str) -> None:
    run = rollplan(capsys, "init", str(tmp_path / "gitops"), *argv)
    assert run.code == 2
    assert message in run.err
    assert not (tmp_path / "gitops").exists()


def test_init_service_choices_are_the_models_profiles() -> None:
    assert "tenant" in SERVICES


def test_init_refuses_to_write_through_a_symlink(tmp_path: Path, capsys: Capture) -> None:
    repo, outside = tmp_path / "gitops", tmp_path / "outside"
    repo.mkdir()
    outside.mkdir()
    (repo / "environments").symlink_to(outside)
    run = rollplan(capsys, "init", str(repo), "--force")
    assert run.code == 2
    assert "is a symlink" in run.err
    assert list(outside.iterdir()) == []
    assert sorted(p.name for p in repo.iterdir()) == ["environments"], "nothing is written when one path is refused"
