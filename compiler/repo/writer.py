"""The only module that writes generated files.

Every environment's new folder, and every changed top-level file of
generated/ (rollout.json, the top-level scripts, their record), is built
beside the old ones, then all are swapped in at once through one journal
(journal.py), so a failing or killed run leaves generated/ as it was; a file
whose bytes do not change is hard-linked into the new folder, never
rewritten. Writing holds an exclusive lock (lock.py), taken once per run,
replaces or removes only files rollplan wrote (owned.py), and never follows a
symbolic link.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from compiler.errors import OutputError, StaleFiles
from compiler.repo import journal, lock, owned

EXECUTABLE_SUFFIXES = (".sh",)


def existing_files(folder: Path, shown: str = "") -> dict[str, Path]:
    """Every file under ``folder`` by its '/'-separated relative path (refuses symlinks inside)."""
    return {p: folder / p for p in owned.scan(folder, shown or folder.name)}


def compare(folder: Path, files: Mapping[str, bytes], prefix: str) -> StaleFiles:
    """What differs between ``folder`` on disk and ``files``; paths reported as ``prefix/<path>``."""
    if (folder.parent / journal.JOURNAL).exists():
        raise OutputError(
            f"another rollplan is writing {folder.parent.name}/, or one was interrupted: "
            "try again when it has finished, or run 'rollplan compile' to complete the interrupted one"
        )
    on_disk = existing_files(folder, prefix)
    stale = StaleFiles()
    for path, data in sorted(files.items()):
        current = on_disk.get(path)
        if current is None:
            stale.missing.append(f"{prefix}/{path}")
            continue
        try:
            same = _same(current, path, data)
        except OSError as err:
            raise OutputError(f"cannot read {prefix}/{path}: {err.strerror}") from None
        if not same:
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


def write_folder(folder: Path, files: Mapping[str, bytes], *, force: bool = False) -> list[str]:
    """Make ``folder`` hold exactly ``files``; returns the paths whose bytes changed (or were removed)."""
    return write_folders({folder: files}, force=force)[folder]


def write_folders(
    wanted: Mapping[Path, Mapping[str, bytes]],
    remove: Sequence[Path] = (),
    *,
    force: bool = False,
    top: Mapping[str, bytes] | None = None,
) -> dict[Path, list[str]]:
    """Make each folder hold exactly its files, remove the ``remove`` folders, write ``top``: all of it or none.

    Every folder shares one parent (generated/). ``top`` are the parent's own
    files (flat names); with it, a file directly in the parent that rollplan
    did not write is refused like one inside a folder. Refuses (OutputError,
    nothing written) a symlink on the way, a file rollplan does not own unless
    ``force``, and turns a failing disk into an OutputError naming the path.
    Returns each wanted folder's changed paths, and with ``top`` the parent's.
    """
    folders = [*wanted, *remove]
    if not folders:
        return {}
    parent = folders[0].parent
    if any(folder.parent != parent for folder in folders):
        raise ValueError("every folder written at once must share one parent")
    try:
        unchanged = _unchanged(parent, wanted, remove, top)
        if unchanged is not None:
            return unchanged
        _real_folder(parent)
        with lock.exclusive(parent, parent.name):
            journal.recover(parent)
            return _write_locked(parent, wanted, remove, force, top)
    except OSError as err:
        raise _disk_error(parent, err) from None


def _unchanged(
    parent: Path, wanted: Mapping[Path, Mapping[str, bytes]], remove: Sequence[Path], top: Mapping[str, bytes] | None
) -> dict[Path, list[str]] | None:
    """Everything as wanted already: nothing to lock or write (a read-only checkout compiles too); else None."""
    if remove or parent.is_symlink() or not parent.is_dir() or journal.leftovers(parent):
        return None
    changes = {folder: _changed(folder, files) for folder, files in wanted.items()}
    if top is not None:
        changes[parent] = _top_changed(parent, top) + owned.top_unowned(parent, top)
    return None if any(changes.values()) else changes


def recover(parent: Path) -> None:
    """Complete what an interrupted run left: generated/ ends as it was before that run."""
    if (parent / journal.JOURNAL).exists():
        with lock.exclusive(parent, parent.name):
            journal.recover(parent)


def _write_locked(
    parent: Path,
    wanted: Mapping[Path, Mapping[str, bytes]],
    remove: Sequence[Path],
    force: bool,
    top: Mapping[str, bytes] | None,
) -> dict[Path, list[str]]:
    strays = [p for folder, files in wanted.items() for p in owned.unowned(folder, _label(folder), files)]
    strays += [p for folder in remove for p in owned.unowned(folder, _label(folder))]
    top_strays = owned.top_unowned(parent, top) if top is not None else []
    if not force:
        owned.refuse_unowned(strays + [f"{parent.name}/{name}" for name in top_strays])
    changes = {folder: _changed(folder, files) for folder, files in wanted.items()}
    moves = [journal.Move(f.name, f.exists(), True) for f in wanted if changes[f]]
    moves += [journal.Move(f.name, True, False) for f in remove if f.exists()]
    top_changed = _top_changed(parent, top) if top is not None else []
    if top is not None:
        changes[parent] = top_changed + top_strays
    if not moves and not changes.get(parent):
        return changes
    txn = journal.Transaction(parent)
    try:
        for folder in wanted:
            if changes[folder]:
                _fill(txn.staging(folder.name), folder, wanted[folder])
        moves += stage_top(txn, top or {}, top_changed, top_strays)
    except BaseException:
        txn.discard()
        raise
    txn.commit(moves)
    return changes


def stage_top(
    txn: journal.Transaction, top: Mapping[str, bytes], changed: Sequence[str], strays: Sequence[str]
) -> list[journal.Move]:
    """Write the ``changed`` top-level files into ``txn``'s staging.

    Returns the journal moves that swap them in and remove the ``strays``.
    """
    for name in changed:
        _write_new(txn.staging(name), name, top[name])
    parent = txn.parent
    return [journal.Move(n, journal.exists(parent / n), True) for n in changed] + [
        journal.Move(n, True, False) for n in strays
    ]


def _top_changed(parent: Path, top: Mapping[str, bytes]) -> list[str]:
    """The top-level files whose bytes or mode differ from ``top`` (refuses a link or folder in their place)."""
    for name in top:
        path = parent / name
        owned.refuse_if_link(path, f"{parent.name}/{name}")
        if path.exists() and not path.is_file():
            raise OutputError(f"{parent.name}/{name} is not a regular file: move it away first")
    return sorted(name for name, data in top.items() if not _same(parent / name, name, data))


def _real_folder(parent: Path) -> None:
    """``parent`` exists as a real folder (made when missing); a symlink or file there is refused."""
    try:
        mode = os.lstat(parent).st_mode
    except FileNotFoundError:
        parent.mkdir()
        return
    owned.refuse_link(mode, f"{parent.name}/")
    if not parent.is_dir():
        raise OutputError(f"{parent.name} is not a folder: rollplan writes its output there; move it away first")


def _label(folder: Path) -> str:
    return f"{folder.parent.name}/{folder.name}"


def _disk_error(parent: Path, err: OSError) -> OutputError:
    where = _shown(parent, err.filename2 or err.filename)  # a failed rename names its destination second
    return OutputError(f"cannot write {where}: {err.strerror}; {parent.name}/ is unchanged")


def _shown(parent: Path, filename: object) -> str:
    """A path of an OS error as the user knows it: repo-relative, the transaction folder left out."""
    if not isinstance(filename, str | bytes | os.PathLike):
        return f"{parent.name}/"
    path = Path(os.fsdecode(filename))
    try:
        parts = path.relative_to(parent).parts
    except ValueError:
        return str(path)
    if parts and parts[0].startswith(journal.TXN_PREFIX):
        parts = parts[2:]
    return "/".join((parent.name, *parts))


def _changed(folder: Path, files: Mapping[str, bytes]) -> list[str]:
    label = _label(folder)
    stale = compare(folder, files, label)
    return sorted(p.removeprefix(f"{label}/") for p in (*stale.changed, *stale.missing, *stale.extra))


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
            try:
                os.link(old, target)
                continue
            except OSError:  # a file system without hard links: write it
                pass
        _write_new(target, path, data)


def _write_new(target: Path, path: str, data: bytes) -> None:
    journal.before_write(target)
    target.write_bytes(data)
    target.chmod(_mode(path))


def write_files(folder: Path, files: Mapping[str, bytes]) -> list[str]:
    """Write these files of ``folder`` (flat names), leaving every other file there alone.

    Each file is written beside its place and renamed over it, all before the
    first rename, so a full disk changes nothing. Returns the changed names.
    """
    if folder.is_dir() and not folder.is_symlink() and all(_same(folder / n, n, d) for n, d in files.items()):
        return []  # nothing to lock or write: a read-only checkout compiles too
    try:
        if _all_same(folder, files):  # nothing to lock or write: a read-only checkout compiles too
            return []
        _real_folder(folder)
        with lock.exclusive(folder, folder.name):
            return _write_files_locked(folder, files)
    except OSError as err:
        raise _disk_error(folder, err) from None


def _all_same(folder: Path, files: Mapping[str, bytes]) -> bool:
    if folder.is_symlink() or not folder.is_dir():
        return False
    return all(not (folder / name).is_symlink() and _same(folder / name, name, data) for name, data in files.items())


def _write_files_locked(folder: Path, files: Mapping[str, bytes]) -> list[str]:
    for name in files:
        if (folder / name).is_symlink() or ((folder / name).exists() and not (folder / name).is_file()):
            owned.refuse_link(os.lstat(folder / name).st_mode, f"{folder.name}/{name}")
            raise OutputError(f"{folder.name}/{name} is not a regular file: move it away first")
    for leftover in folder.glob(".*.rollplan-*.tmp"):  # of a run killed while writing
        leftover.unlink()
    changed = sorted(name for name, data in files.items() if not _same(folder / name, name, data))
    temporary = {name: folder / f".{name}.rollplan-{os.getpid()}.tmp" for name in changed}
    try:
        for name, path in temporary.items():
            journal.before_write(path)
            path.write_bytes(files[name])
            path.chmod(_mode(name))
        for name, path in temporary.items():
            journal.rename(path, folder / name)
    finally:
        for path in temporary.values():
            path.unlink(missing_ok=True)
    return changed
