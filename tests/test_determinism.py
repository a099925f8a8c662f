"""Same inputs, same bytes (C-11): whatever the hash seed, time zone, locale, working directory or location.

The demo repository is copied to several absolute paths of different depth and
compiled there by `python -m compiler compile` in a subprocess, each under
another environment and working directory. Every generated tree must be
identical, to each other and to an in-process compile, and hold no machine
path or time stamp.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import scenarios

from compiler.pipeline import compile_repo


@dataclass(frozen=True)
class Variant:
    """One way of running the compiler. ``cwd`` is relative to the copy; ``root`` is how --root names it."""

    name: str
    env: dict[str, str]
    cwd: str  # "repo", "outside" (the copy's parent's parent), "subdir" (environments/ inside the copy), "/"
    root: str  # "none" (no --root: the cwd is the root), "relative", "absolute"


VARIANTS = (
    Variant("seed0-utc-c.utf8-in-repo", {"PYTHONHASHSEED": "0", "TZ": "UTC", "LC_ALL": "C.UTF-8"}, "repo", "none"),
    Variant(
        "seed-random-kolkata-c",
        {"PYTHONHASHSEED": "random", "TZ": "Asia/Kolkata", "LC_ALL": "C", "LANG": "C"},
        "outside",
        "relative",
    ),
    Variant(
        "seed4242-chatham-posix",
        {"PYTHONHASHSEED": "4242", "TZ": "Pacific/Chatham", "LC_ALL": "POSIX"},
        "/",
        "absolute",
    ),
    Variant(
        "seed99-stjohns-turkish",
        {"PYTHONHASHSEED": "99", "TZ": "America/St_Johns", "LANG": "tr_TR.UTF-8"},
        "subdir",
        "relative",
    ),
)

TIMESTAMP = re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}|\b\d{2}:\d{2}:\d{2}\b")


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def start_compile(repo: Path, variant: Variant) -> subprocess.Popen[str]:
    """`python -m compiler compile` of ``repo`` as ``variant`` says, started (not waited for)."""
    cwd = {"repo": repo, "outside": repo.parent.parent, "subdir": repo / "environments", "/": Path("/")}[variant.cwd]
    args = [sys.executable, "-m", "compiler", "compile"]
    if variant.root != "none":
        args += ["--root", os.path.relpath(repo, cwd) if variant.root == "relative" else str(repo)]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(scenarios.REPO_ROOT), **variant.env}
    return subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scenarios.demo(tmp_path_factory.mktemp("demo") / "repo")


@pytest.fixture(scope="module")
def trees(source: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bytes]]:
    """The generated tree of each variant, each compiled in its own copy at its own absolute path."""
    copies: dict[str, tuple[Path, subprocess.Popen[str]]] = {}
    for depth, variant in enumerate(VARIANTS):
        copy = tmp_path_factory.mktemp(f"copy{depth}").joinpath(*(["deeper"] * depth), "place", "repo")
        shutil.copytree(source, copy, symlinks=True)
        copies[variant.name] = (copy, start_compile(copy, variant))
    found: dict[str, dict[str, bytes]] = {}
    for name, (copy, process) in copies.items():
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, f"{name}: {err}"
        found[name] = tree(copy / "generated")
    return found


def in_process(source: Path) -> dict[str, bytes]:
    compiled = compile_repo(source)
    found = {f"{env}/{path}": data for env, files in compiled.files.items() for path, data in files.items()}
    return {**found, **(compiled.rollout or {})}


def test_determinism_every_variant_writes_identical_bytes(source: Path, trees: dict[str, dict[str, bytes]]) -> None:
    reference = in_process(source)
    assert len(reference) > 40
    for name, found in trees.items():
        assert sorted(found) == sorted(reference), name
        assert [p for p in sorted(found) if found[p] != reference[p]] == [], name


def test_determinism_compiling_twice_in_process_gives_same_bytes(source: Path) -> None:
    assert in_process(source) == in_process(source)


def test_determinism_no_machine_path_in_any_output(
    source: Path, trees: dict[str, dict[str, bytes]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    machine = {
        str(source),
        str(scenarios.REPO_ROOT),
        str(tmp_path_factory.getbasetemp()),
        str(Path.home()),
        os.environ.get("TMPDIR", "/tmp") + "/",
        "/home/",
        "/Users/",
        "pytest-of-",
        "C:\\",
    }
    for name, found in trees.items():
        for path, data in found.items():
            text = data.decode("utf-8")
            leaked = [m for m in machine if m in text]
            assert not leaked, f"{name}: {path} holds {leaked}"


def test_determinism_no_timestamp_in_any_output(trees: dict[str, dict[str, bytes]]) -> None:
    today = datetime.date.today()
    dates = {today.isoformat(), (today - datetime.timedelta(days=1)).isoformat()}
    for path, data in next(iter(trees.values())).items():
        text = data.decode("utf-8")
        assert not TIMESTAMP.search(text), f"{path}: {TIMESTAMP.search(text)}"
        assert not [d for d in dates if d in text], path
