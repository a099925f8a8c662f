"""The only module that prints. Results go to stdout, errors and progress to stderr."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from compiler.errors import (
    CommandLineError,
    GitError,
    InputError,
    PlanBlocked,
    RollplanError,
    StaleOutput,
    UsageError,
)

JSON_FORMAT_VERSION = 1
"""Every JSON document a command prints carries it (docs/cli-json.md); bumped on an incompatible change."""
SLOW_SECONDS = 2.0
COLOURS = {"bold": "1", "red": "31", "green": "32", "yellow": "33", "dim": "2"}


def result(text: str) -> None:
    """A result the user asked for (stdout)."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def document(doc: Any) -> None:
    """A machine-readable result: one JSON document on stdout, with its format version."""
    if isinstance(doc, dict):
        doc = {"format_version": JSON_FORMAT_VERSION, **doc}
    sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def progress(text: str) -> None:
    """What is happening, for a person watching (stderr, so stdout stays clean)."""
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def warning(text: str) -> None:
    """Something a person should act on that does not fail the run (stderr)."""
    sys.stderr.write(style("warning:", "yellow", sys.stderr) + f" {text}\n")


def style(text: str, colour: str, stream: TextIO | None = None) -> str:
    """``text`` in ``colour`` on a terminal; plain when piped or when NO_COLOR is set."""
    out = sys.stdout if stream is None else stream
    if os.environ.get("NO_COLOR") or not _isatty(out) or os.environ.get("TERM") == "dumb":
        return text
    return f"\033[{COLOURS[colour]}m{text}\033[0m"


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@contextmanager
def slow_progress(text: str, after: float = SLOW_SECONDS) -> Iterator[None]:
    """Say ``text`` on stderr if the block is still running after ``after`` seconds (on a terminal only)."""
    if not _isatty(sys.stderr):
        yield
        return
    timer = threading.Timer(after, progress, (text,))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def error(err: RollplanError) -> None:
    """A user-caused error, readable: every problem on its own line."""
    if isinstance(err, CommandLineError):
        sys.stderr.write(f"{err.usage.rstrip()}\n{err}\n")
        return
    if isinstance(err, InputError):
        for problem in err.problems:
            sys.stderr.write(f"error: {problem}\n")
        count = len(err.problems)
        sys.stderr.write(f"{count} problem{'s' if count != 1 else ''} found\n")
        return
    if isinstance(err, StaleOutput):
        for label, paths in (
            ("changed", err.stale.changed),
            ("missing", err.stale.missing),
            ("extra", err.stale.extra),
        ):
            for path in paths:
                sys.stderr.write(f"stale ({label}): {path}\n")
        if err.note:
            sys.stderr.write(err.note + "\n")
        sys.stderr.write(f"{err}: run 'rollplan compile' and commit the result\n")
        return
    sys.stderr.write(f"error: {err}\n")


def error_kind(err: RollplanError) -> str:
    """What kind of failure, for machines: both invalid input and a blocked plan exit 1."""
    kinds = ((PlanBlocked, "plan-blocked"), (InputError, "invalid-input"), (GitError, "git"),
             (UsageError, "usage"), (StaleOutput, "stale"))  # fmt: skip
    return next((name for cls, name in kinds if isinstance(err, cls)), "error")


def error_document(err: RollplanError) -> dict[str, Any]:
    """The JSON form of a user-caused error."""
    doc: dict[str, Any] = {
        "ok": False,
        "exit_code": err.exit_code,
        "kind": error_kind(err),
        "message": str(err).splitlines()[0] if str(err) else "",
    }
    if isinstance(err, InputError):
        doc["errors"] = [p.as_dict() for p in err.problems]
    if isinstance(err, StaleOutput):
        doc["stale"] = {"changed": err.stale.changed, "missing": err.stale.missing, "extra": err.stale.extra}
        doc["note"] = err.note
    return doc


def internal_error(exc: BaseException, debug: bool) -> None:
    """A bug: one line, and the traceback only when asked for."""
    if debug:
        import traceback

        traceback.print_exception(exc)
    hint = "this is a bug in rollplan; rerun with --debug for the traceback"
    sys.stderr.write(f"internal error: {type(exc).__name__}: {exc} ({hint})\n")
