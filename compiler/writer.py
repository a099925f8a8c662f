"""The only module that writes generated files.

Each environment's folder is built beside the old one and swapped in, so a
failing run leaves generated/ as it was; a file whose bytes do not change is
hard-linked into the new folder, never rewritten.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from compiler.errors import StaleFiles

EXECUTABLE_SUFFIXES = (".sh",)


def existing_files(folder: Path) -> dict[str, Path]:
    """Every file under ``folder`` by its '/'-separated relative path."""
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file() or p.is_symlink()}


def compare(folder: Path, files: Mapping[str, bytes], prefix: str) -> StaleFiles:
    """What differs between ``folder`` on disk and ``files``; paths reported as ``prefix/<path>``."""
    on_disk = existing_files(folder)
    stale = StaleFiles()
    for path, data in sorted(files.items()):
        current = on_disk.get(path)
        if current is None:
            stale.missing.append(f"{prefix}/{path}")
        elif current.is_symlink() or current.read_bytes() != data:
            stale.changed.append(f"{prefix}/{path}")
    stale.extra.extend(f"{prefix}/{p}" for p in sorted(set(on_disk) - set(files)))
    return stale


def write_folder(folder: Path, files: Mapping[str, bytes]) -> list[str]:
    """Make ``folder`` hold exactly ``files``; returns the paths whose bytes changed (or were removed)."""
    stale = compare(folder, files, "")
    changed = sorted(p.lstrip("/") for p in (*stale.changed, *stale.missing, *stale.extra))
    if not changed:
        return []
    parent = folder.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = parent / f".{folder.name}.rollplan-new"
    retired = parent / f".{folder.name}.rollplan-old"
    for leftover in (staging, retired):
        shutil.rmtree(leftover, ignore_errors=True)
    try:
        _fill(staging, folder, files)
        if folder.exists():
            os.replace(folder, retired)
        os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if retired.exists() and not folder.exists():
            os.replace(retired, folder)
        raise
    shutil.rmtree(retired, ignore_errors=True)
    return changed


def _fill(staging: Path, folder: Path, files: Mapping[str, bytes]) -> None:
    for path, data in sorted(files.items()):
        target = staging / path
        target.parent.mkdir(parents=True, exist_ok=True)
        old = folder / path
        if old.is_file() and not old.is_symlink() and old.read_bytes() == data:
            os.link(old, target)
            continue
        target.write_bytes(data)
        target.chmod(0o755 if path.endswith(EXECUTABLE_SUFFIXES) else 0o644)
