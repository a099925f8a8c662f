"""Swapping several folders (and top-level files) at once, all or nothing, even across a kill -9.

The new folders are built inside one transaction folder beside them
(``generated/.rollplan-txn-<pid>-<random>/new/<name>``). Before the first
rename, a journal names every move; each old folder is then renamed into the
transaction (``old/<name>``) and each new one into its place. Removing the
journal is the moment the run counts as done. A run that finds a journal
(its writer died mid-swap) undoes the moves it names, so generated/ holds
every old folder again; transaction folders without a journal are debris.

Only ever called under the folder's lock (see lock.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from compiler.errors import OutputError

JOURNAL = ".rollplan-journal"
TXN_PREFIX = ".rollplan-txn-"
_TXN_NAME = re.compile(r"^\.rollplan-txn-[0-9]+-[0-9a-f]+$")
_FOLDER_NAME = re.compile(r"^\.?[A-Za-z0-9_][A-Za-z0-9_.-]*$")
"""What a move may name: an environment's folder, or a top-level file of generated/ (its record is a dot file)."""
LEGACY_SUFFIXES = (".rollplan-new", ".rollplan-old")
_LEGACY_TEMPORARY = re.compile(r"^\..+\.rollplan-[0-9]+\.tmp$")
"""A top-level file half written by a killed run of a version that wrote them outside the journal."""


def machinery(name: str) -> bool:
    """Whether a name in generated/ is one of the journal's own (or a leftover of an earlier run's)."""
    return name == JOURNAL or name.startswith(TXN_PREFIX) or name.endswith(LEGACY_SUFFIXES) or bool(
        _LEGACY_TEMPORARY.match(name)
    )


def _nothing(path: Path) -> None:
    return None


# Fault-injection seams for the tests: called after every rename and before every file write.
after_rename: Callable[[Path], None] = _nothing
before_write: Callable[[Path], None] = _nothing


@dataclass(frozen=True)
class Move:
    """Folder ``name`` of the parent: whether an old one leaves, whether a new one comes."""

    name: str
    old: bool
    new: bool


def rename(src: Path, dst: Path) -> None:
    os.rename(src, dst)
    after_rename(dst)


class Transaction:
    """New folders being built under one uniquely named folder, then swapped in together."""

    def __init__(self, parent: Path) -> None:
        self.parent = parent
        self.folder = parent / f"{TXN_PREFIX}{os.getpid()}-{secrets.token_hex(6)}"
        (self.folder / "new").mkdir(parents=True)
        (self.folder / "old").mkdir()

    def staging(self, name: str) -> Path:
        return self.folder / "new" / name

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def commit(self, moves: Sequence[Move]) -> None:
        """Swap every move in; on any failure, undo them all before raising."""
        _write_journal(self.parent, self.folder.name, moves)
        try:
            for move in moves:
                if move.old:
                    rename(self.parent / move.name, self.folder / "old" / move.name)
                if move.new:
                    rename(self.staging(move.name), self.parent / move.name)
            os.unlink(self.parent / JOURNAL)
        except BaseException:
            recover(self.parent)
            raise
        self.discard()


def _write_journal(parent: Path, txn: str, moves: Sequence[Move]) -> None:
    doc = {"transaction": txn, "moves": [{"name": m.name, "old": m.old, "new": m.new} for m in moves]}
    temporary = parent / f"{txn}.journal"
    with open(temporary, "x", encoding="utf-8") as handle:
        handle.write(json.dumps(doc, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    rename(temporary, parent / JOURNAL)


def leftovers(parent: Path) -> bool:
    """Whether an earlier run left a journal, a transaction folder or a legacy staging folder behind."""
    return any(machinery(entry.name) for entry in parent.iterdir() if entry.name.startswith("."))


def recover(parent: Path) -> None:
    """Undo the swap an interrupted run left half done, and remove every leftover of earlier runs."""
    journal = parent / JOURNAL
    if journal.is_symlink() or journal.exists():
        txn, moves = _read_journal(journal)
        folder = parent / txn
        for move in reversed(moves):
            _undo(parent, folder, move)
        os.unlink(journal)
    _recover_legacy(parent)
    for entry in sorted(parent.iterdir()):
        if entry.name.startswith(TXN_PREFIX) or _LEGACY_TEMPORARY.match(entry.name):
            _remove(entry)


def _undo(parent: Path, folder: Path, move: Move) -> None:
    placed, staged, retired = parent / move.name, folder / "new" / move.name, folder / "old" / move.name
    if move.new and exists(placed) and not exists(staged):
        rename(placed, staged)
    if move.old and exists(retired) and not exists(placed):
        rename(retired, placed)


def _read_journal(journal: Path) -> tuple[str, list[Move]]:
    shown = f"{journal.parent.name}/{JOURNAL}"
    try:
        if journal.is_symlink():
            raise ValueError("a symbolic link")
        doc = json.loads(journal.read_text(encoding="utf-8"))
        txn = doc["transaction"]
        moves = [Move(str(m["name"]), bool(m["old"]), bool(m["new"])) for m in doc["moves"]]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise OutputError(f"{shown} is not a journal rollplan wrote ({err}): remove it") from None
    if not isinstance(txn, str) or not _TXN_NAME.match(txn):
        raise OutputError(f"{shown} names an unexpected transaction {txn!r}: remove it")
    folder = journal.parent / txn
    for path in (folder, folder / "new", folder / "old"):
        # Never committed, so never hostile, unless someone crafted it: then no link may lead the undo elsewhere.
        if path.is_symlink() or not path.is_dir():
            raise OutputError(f"{shown}: {journal.parent.name}/{path.relative_to(journal.parent)} is not a folder "
                              "rollplan made: remove the journal")  # fmt: skip
    bad = [m.name for m in moves if not _FOLDER_NAME.match(m.name) or machinery(m.name)]
    if bad:
        raise OutputError(f"{shown} names unexpected folders {bad!r}: remove it")
    return txn, moves


def _recover_legacy(parent: Path) -> None:
    """Leftovers of the single-folder swap of earlier versions: .<name>.rollplan-new / -old."""
    for entry in sorted(parent.iterdir()):
        if not entry.name.startswith(".") or not entry.name.endswith(LEGACY_SUFFIXES):
            continue
        name = entry.name[1 : -len(LEGACY_SUFFIXES[1])]
        if entry.name.endswith(LEGACY_SUFFIXES[1]) and not entry.is_symlink() and not exists(parent / name):
            rename(entry, parent / name)  # crashed between its two renames: the old folder goes back
        else:
            _remove(entry)


def _remove(entry: Path) -> None:
    """Remove a leftover of rollplan's own; a symlink is removed itself, never followed."""
    if entry.is_symlink() or not entry.is_dir():
        with contextlib.suppress(FileNotFoundError):
            entry.unlink()
        return
    shutil.rmtree(entry)


def exists(path: Path) -> bool:
    """Whether anything is at ``path``, a dangling link included."""
    return path.is_symlink() or path.exists()

