"""One writer at a time: an exclusive advisory lock on a file in the folder being written.

The lock file is removed when released, so that it never shows in ``git
status``; whoever acquires it checks that the path still names the file it
locked, since a file removed under a waiting process is no lock at all.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from compiler import console
from compiler.errors import OutputError

LOCK_NAME = ".rollplan.lock"
WAIT_SECONDS = 120.0
"""How long a second rollplan waits for the first to finish writing before it gives up."""
POLL_SECONDS = 0.05


@contextlib.contextmanager
def exclusive(folder: Path, shown: str) -> Iterator[None]:
    """Hold the lock of ``folder`` (which must exist) for the block; waits at most WAIT_SECONDS."""
    path = folder / LOCK_NAME
    deadline = time.monotonic() + WAIT_SECONDS
    told = False
    while True:
        fd = _open(path, shown)
        if _try_lock(fd) and _still_named(fd, path):
            break
        os.close(fd)
        if time.monotonic() > deadline:
            raise OutputError(
                f"another rollplan is writing {shown}/ (lock {shown}/{LOCK_NAME}, waited {WAIT_SECONDS:.0f}s): "
                "try again when it has finished"
            )
        if not told:
            console.progress(f"another rollplan is writing {shown}/: waiting for it to finish …")
            told = True
        time.sleep(POLL_SECONDS)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
        os.close(fd)


def _open(path: Path, shown: str) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except OSError as err:
        raise OutputError(f"cannot create the lock {shown}/{LOCK_NAME}: {err.strerror}") from None


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _still_named(fd: int, path: Path) -> bool:
    try:
        named = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)
