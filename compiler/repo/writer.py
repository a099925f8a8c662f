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
        elif not _same(current, path, data):
            stale.changed.append(f"{prefix}/{path}")
    stale.extra.extend(f"{prefix}/{p}" for p in sorted(set(on_disk) - set(files)))
    return stale


def compare_files(folder: Path, files: Mapping[str, bytes], prefix: str) -> StaleFiles:
    """Like :func:`compare`, for the named files of ``folder`` only (the rest of it is not theirs)."""
    stale = StaleFiles()
    for path, data in sorted(files.items()):
        current = folder / path
        if not (current.exists() or current.is_symlink()):
            stale.missing.append(f"{prefix}/{path}")
        elif not _same(current, path, data):
            stale.changed.append(f"{prefix}/{path}")
    return stale


def write_files(folder: Path, files: Mapping[str, bytes]) -> list[str]:
    """Write the named files of ``folder`` whose bytes or mode differ, each replaced whole; returns their paths."""
    changed = [path for path, data in sorted(files.items()) if not _same(folder / path, path, data)]
    for path in changed:
        target = folder / path
        staging = target.parent / f".{target.name}.rollplan-new"
        try:
            staging.write_bytes(files[path])
            staging.chmod(_mode(path))
            os.replace(staging, target)
        finally:
            staging.unlink(missing_ok=True)
    return changed


def write_folder(folder: Path, files: Mapping[str, bytes]) -> list[str]:
    """Make ``folder`` hold exactly ``files``; returns the paths whose bytes changed (or were removed)."""
    return write_folders({folder: files})[folder]


def write_folders(wanted: Mapping[Path, Mapping[str, bytes]]) -> dict[Path, list[str]]:
    """Make each folder hold exactly its files, all folders or none.

    Every new folder is built before the first one is swapped in, and a failed
    swap puts the swapped ones back, so a failure in the second environment
    does not leave the first one rewritten. Returns each folder's changed paths.
    """
    changes = {folder: _changed(folder, files) for folder, files in wanted.items()}
    for folder in wanted:
        # A crashed run may have left these behind, even where nothing changes now.
        for leftover in (_staging(folder), _retired(folder)):
            shutil.rmtree(leftover, ignore_errors=True)
    todo = [folder for folder in wanted if changes[folder]]
    try:
        for folder in todo:
            _fill(_staging(folder), folder, wanted[folder])
        _swap_all(todo)
    except BaseException:
        for folder in todo:
            shutil.rmtree(_staging(folder), ignore_errors=True)
        raise
    for folder in todo:
        shutil.rmtree(_retired(folder), ignore_errors=True)
    return changes


def _changed(folder: Path, files: Mapping[str, bytes]) -> list[str]:
    stale = compare(folder, files, "")
    return sorted(p.lstrip("/") for p in (*stale.changed, *stale.missing, *stale.extra))


def _staging(folder: Path) -> Path:
    return folder.parent / f".{folder.name}.rollplan-new"


def _retired(folder: Path) -> Path:
    return folder.parent / f".{folder.name}.rollplan-old"


def _swap_all(folders: list[Path]) -> None:
    """Swap each built folder in; on a failure, undo every swap made so far."""
    started: list[Path] = []
    try:
        for folder in folders:
            started.append(folder)
            if folder.exists():
                os.replace(folder, _retired(folder))
            os.replace(_staging(folder), folder)
    except BaseException:
        for folder in reversed(started):
            _unswap(folder)
        raise


def _unswap(folder: Path) -> None:
    """Put the retired folder back; a new folder goes back to staging, which the caller removes."""
    staging, retired = _staging(folder), _retired(folder)
    if retired.exists():
        if folder.exists():
            os.replace(folder, staging)
        os.replace(retired, folder)
    elif folder.exists() and not staging.exists():
        os.replace(folder, staging)


def _mode(path: str) -> int:
    return 0o755 if path.endswith(EXECUTABLE_SUFFIXES) else 0o644


def _same(current: Path, path: str, data: bytes) -> bool:
    """``current`` is a regular file with these bytes and the mode rollplan gives ``path``."""
    if current.is_symlink() or not current.is_file():
        return False
    executable = bool(current.stat().st_mode & 0o100)
    return executable == bool(_mode(path) & 0o100) and current.read_bytes() == data


def _fill(staging: Path, folder: Path, files: Mapping[str, bytes]) -> None:
    for path, data in sorted(files.items()):
        target = staging / path
        target.parent.mkdir(parents=True, exist_ok=True)
        old = folder / path
        if _same(old, path, data):
            os.link(old, target)
            continue
        target.write_bytes(data)
        target.chmod(_mode(path))
