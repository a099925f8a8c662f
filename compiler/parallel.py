"""Environments compiled side by side: a pool of forked processes sharing the loaded specs.

Each worker inherits the parent's loaded inputs through fork (nothing is
pickled on the way in) and sends back its environment's plan and files; the
results come back in the order asked, so the output is the serial run's, byte
for byte. Where fork is not available, or one job is asked for, it is the
serial loop.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

R = TypeVar("R")

_WORK: tuple[Callable[[Any, str], Any], Any] | None = None
"""The function and its shared input while a pool runs (read by the forked workers)."""


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def map_envs(work: Callable[[Any, str], R], shared: Any, names: Sequence[str], jobs: int) -> Iterator[R]:
    """``work(shared, name)`` for each of ``names`` in order, in up to ``jobs`` processes.

    The results come one at a time, serially or from a pool, each as soon as it
    and those before it are done: the caller can write and forget each before
    the next arrives.
    """
    if jobs <= 1 or len(names) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return (work(shared, name) for name in names)
    return _pooled(work, shared, names, jobs)


def _pooled(work: Callable[[Any, str], R], shared: Any, names: Sequence[str], jobs: int) -> Iterator[R]:
    global _WORK
    _WORK = (work, shared)
    del shared
    try:
        with multiprocessing.get_context("fork").Pool(min(jobs, len(names))) as pool:
            # The workers are forked: the parent lets the inputs go (unless its caller keeps
            # them), and the memory they held takes the results coming back.
            _WORK = None
            yield from pool.imap(_run, names, chunksize=1)
    finally:
        _WORK = None


def _run(name: str) -> Any:
    assert _WORK is not None, "a worker runs only inside map_envs"
    work, shared = _WORK
    return work(shared, name)
