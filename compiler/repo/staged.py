"""Writing generated/ one environment at a time, swapped in all at once: the streaming form of write_folders.

A compile hands each environment's files over as soon as they are rendered
(:meth:`Stage.put`), and can forget them: they go straight into the
transaction's staging folder (journal.py), or are found unchanged on disk.
Only :meth:`Stage.commit` swaps anything in, all of it or none, as
write_folders does; leaving the block without committing (a problem found in
a later environment, an error, a kill) leaves generated/ as it was.

The lock is held for the whole block, so no other rollplan writes in between
what was compared and what is swapped. A folder that cannot be written to (a
read-only checkout) is compared without a lock: a compile whose output is
already there succeeds, any change fails as write_folders fails.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from compiler.errors import OutputError
from compiler.repo import journal, lock, owned
from compiler.repo.writer import _changed, _disk_error, _fill, _label, _real_folder, _top_changed, stage_top


class StagedFiles(Mapping[str, bytes]):
    """One folder's files once put: their paths, and their bytes read back from disk when asked for."""

    def __init__(self, stage: Stage, name: str, paths: Sequence[str], changed: list[str]) -> None:
        self._stage, self._name, self._paths = stage, name, tuple(paths)
        self.changed = changed

    def __getitem__(self, path: str) -> bytes:
        if path not in self._paths:
            raise KeyError(path)
        return (self._stage.holding(self._name) / path).read_bytes()

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


class Stage:
    """Folders of ``parent`` put one at a time, then swapped in together by :meth:`commit`.

    Puts happen in the process that commits: a worker killed mid-write must
    not leave a compile waiting for it (parallel.py's workers only render).
    """

    def __init__(self, parent: Path, txn: journal.Transaction | None, *, force: bool) -> None:
        self.parent, self.txn, self.force = parent, txn, force  # no transaction: a read-only checkout
        self.moves: list[journal.Move] = []
        self.strays: list[str] = []
        self.put_files: dict[str, StagedFiles] = {}
        self.committed = False
        self.top_changed: list[str] = []

    def __contains__(self, name: object) -> bool:
        return name in self.put_files

    def put(self, name: str, files: Mapping[str, bytes]) -> StagedFiles:
        """Stage folder ``name`` to hold exactly ``files`` (unless it already does); nothing is swapped in yet."""
        folder = self.parent / name
        try:
            self.strays += owned.unowned(folder, _label(folder), files)
            changed = _changed(folder, files)
            if changed:
                _fill(self._writable().staging(name), folder, files)
                self.moves.append(journal.Move(name, folder.exists(), True))
        except OSError as err:
            raise _disk_error(self.parent, err) from None
        staged = StagedFiles(self, name, sorted(files), changed)
        self.put_files[name] = staged
        return staged

    def holding(self, name: str) -> Path:
        """Where folder ``name``'s new files are now: in the staging folder until the swap, then in place."""
        staged = any(move.name == name for move in self.moves)
        return self.txn.staging(name) if staged and self.txn is not None and not self.committed else self.parent / name

    def commit(self, remove: Sequence[Path] = (), top: Mapping[str, bytes] | None = None) -> dict[str, list[str]]:
        """Swap in every folder put, remove the ``remove`` folders, write ``top``: all of it or none.

        ``top`` are generated/'s own files (flat names), as write_folders takes
        them: a file directly in generated/ that rollplan did not write is
        refused like one inside a folder. Returns each put folder's changed
        paths; :attr:`top_changed` then holds the top-level ones.
        Refuses (OutputError, nothing swapped) files rollplan does not own, unless ``force``.
        """
        try:
            for folder in remove:
                self.strays += owned.unowned(folder, _label(folder))
            top_strays = owned.top_unowned(self.parent, top) if top is not None else []
            if not self.force:
                owned.refuse_unowned(self.strays + [f"{self.parent.name}/{name}" for name in top_strays])
            moves = self.moves + [journal.Move(f.name, True, False) for f in remove if f.exists()]
            changed_top = _top_changed(self.parent, top) if top is not None else []
            if changed_top or top_strays:
                moves += stage_top(self._writable(), top or {}, changed_top, top_strays)
            if moves:
                self._writable().commit(moves)
        except OSError as err:
            raise _disk_error(self.parent, err) from None
        self.committed = True
        self.top_changed = changed_top + top_strays
        return {name: staged.changed for name, staged in self.put_files.items()}

    def discard(self) -> None:
        if self.txn is not None and not (self.committed and self.moves):
            self.txn.discard()

    def _writable(self) -> journal.Transaction:
        """The transaction; in a read-only checkout, the error write_folders gives there (the lock cannot be made)."""
        if self.txn is None:
            _real_folder(self.parent)
            with lock.exclusive(self.parent, self.parent.name):
                pass
            raise OutputError(f"cannot write {self.parent.name}/: it is read-only")
        return self.txn


@contextlib.contextmanager
def staged(parent: Path, *, force: bool = False) -> Iterator[Stage]:
    """A :class:`Stage` of ``parent`` (generated/) for the block, under its lock; uncommitted work is discarded."""
    locked = not _read_only(parent)
    made = locked and not os.path.lexists(parent)
    try:
        with contextlib.ExitStack() as stack:
            stage = Stage(parent, _open(parent, stack) if locked else None, force=force)
            try:
                yield stage
            finally:
                stage.discard()
    finally:
        if made:
            with contextlib.suppress(OSError):
                parent.rmdir()  # a compile that wrote nothing leaves no empty generated/ behind


def _open(parent: Path, stack: contextlib.ExitStack) -> journal.Transaction:
    """A transaction in ``parent`` (made if missing; a symlink or file there refused), locked, recovered first."""
    try:
        _real_folder(parent)
        stack.enter_context(lock.exclusive(parent, parent.name))
        journal.recover(parent)
        return journal.Transaction(parent)
    except OSError as err:
        raise _disk_error(parent, err) from None


def _read_only(parent: Path) -> bool:
    """Whether ``parent`` cannot be written to (a read-only checkout); a symlink or file there is refused later."""
    if parent.is_symlink() or (os.path.lexists(parent) and not parent.is_dir()):
        return False
    if parent.is_dir():
        return not os.access(parent, os.W_OK)
    return not os.access(parent.parent, os.W_OK)
