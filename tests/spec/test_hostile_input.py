"""Hostile or odd input is refused with its place (exit 1), never an internal error (exit 4)."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from support import scenarios

from compiler import cli
from compiler.errors import InputError
from compiler.spec import load
from compiler.spec.yamlio import MAX_ALIAS_BYTES, load_document

REGION = "environments/prod/regions/eastus.yaml"
ENV = "environments/prod/environment.yaml"
VALUES = "environments/prod/values/regions/eastus.yaml"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scenarios.demo(tmp_path_factory.mktemp("demo") / "repo")


@pytest.fixture
def repo(template: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    shutil.copytree(template, copy, symlinks=True)
    return copy


def edit(repo: Path, file: str, old: str, new: str) -> None:
    path = repo / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def append(repo: Path, file: str, text: str) -> None:
    path = repo / file
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def refused(repo: Path, capsys: pytest.CaptureFixture[str], command: str = "validate") -> str:
    capsys.readouterr()
    assert cli.main([command, "--root", str(repo)]) == 1
    return capsys.readouterr().err


def test_yamlio_alias_bomb_of_one_large_string_is_refused_fast() -> None:
    big = "x" * 400_000
    raw = f"a: &a {big}\nb: [{', '.join(['*a'] * 200)}]\n".encode()
    started = time.monotonic()
    with pytest.raises(InputError) as caught:
        load_document(raw, "f.yaml")
    assert time.monotonic() - started < 2
    assert f"aliases expand to more than {MAX_ALIAS_BYTES // 1024} KiB of text" in str(caught.value)
    assert "f.yaml:2:" in str(caught.value)


def test_yamlio_aliases_of_small_text_are_fine() -> None:
    doc = load_document(b"a: &a {k: hello}\nb: [*a, *a, *a]\n", "f.yaml")
    assert doc.data["b"] == [{"k": "hello"}] * 3


def test_load_run_size_limit_is_refused_with_the_file(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(load, "MAX_RUN_BYTES", 2000)
    assert "MiB in total" in refused(repo, capsys)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("replicas: 3", "replicas: true", "replicas: Input should be a valid integer (found a boolean)"),
        ("replicas: 3", "replicas: '3'", "replicas: Input should be a valid integer (found a string)"),
        ("replicas: 3", "replicas: '3_0'", "replicas: Input should be a valid integer (found a string)"),
        ("replicas: 3", "replicas: 3.0", "replicas: Input should be a valid integer"),
        ("name: eastus", "name: eastus\nprimary: 0", "primary: Input should be a valid boolean"),
        ("name: eastus", "name: eastus\nprimary: 'yes'", "primary: Input should be a valid boolean"),
        ("context: prod-eastus", 'context: "prod\\0eastus"', "cluster.context: control character"),
        ("context: prod-eastus", 'context: "prod\\x1beastus"', "cluster.context: control character"),
    ],
    ids=[
        "replicas-bool",
        "replicas-str",
        "replicas-underscore",
        "replicas-float",
        "primary-int",
        "primary-yes",
        "context-nul",
        "context-escape",
    ],
)
def test_types_strict_region_fields_are_refused_at_validate(
    repo: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, expected: str
) -> None:
    edit(repo, REGION, old, new)
    err = refused(repo, capsys)
    assert f"{REGION}:" in err and expected in err


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("    - kubectl", '    - "kube\\0ctl"', "backup.command.0: control character"),
        ("    - kubectl", '    - "kube\\nctl"', "backup.command.0: control character"),
        ("verify_timeout: 900", "verify_timeout: true", "rollout.verify_timeout: Input should be a valid integer"),
    ],
    ids=["argv-nul", "argv-newline", "timeout-bool"],
)
def test_types_strict_environment_fields_are_refused_at_validate(
    repo: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, expected: str
) -> None:
    edit(repo, ENV, old, new)
    err = refused(repo, capsys)
    assert f"{ENV}:" in err and expected in err
    assert "internal error" not in refused(repo, capsys, "compile")


@pytest.mark.parametrize("value", [".nan", ".inf", "-.Inf", "1.0e+999"])
def test_yamlio_nan_and_infinity_in_values_are_refused_with_their_place(
    repo: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    append(repo, VALUES, f"ratio: {value}\n")
    err = refused(repo, capsys)
    assert f"{VALUES}:" in err and "is not a finite number" in err


def test_yamlio_dates_in_values_are_kept_as_written(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    append(repo, VALUES, "maintenance:\n  day: 2024-01-01\n  at: 2024-01-01T10:00:00Z\n")
    assert cli.main(["compile", "--root", str(repo)]) == 0
    written = (repo / "generated/prod/values/eastus.yaml").read_text(encoding="utf-8")
    assert "at: '2024-01-01T10:00:00Z'" in written and "day: '2024-01-01'" in written
    json.loads((repo / "generated/prod/plan.json").read_text(encoding="utf-8"))
