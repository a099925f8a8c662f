"""The only module that prints. Results go to stdout, errors and progress to stderr."""

from __future__ import annotations

import contextlib
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
    OutputError,
    PlanBlocked,
    RollplanError,
    StaleOutput,
    UsageError,
)

JSON_FORMAT_VERSION = 1
"""Every JSON document a command prints carries it (docs/cli-json.md); bumped on an incompatible change."""
SLOW_SECONDS = 2.0
COLOURS = {"bold": "1", "red": "31", "green": "32", "yellow": "33", "dim": "2"}


def _write(stream: TextIO, text: str) -> None:
    """Write ``text``; characters the stream's encoding lacks (PYTHONIOENCODING=ascii) are escaped, not fatal."""
    try:
        stream.write(text)
    except UnicodeEncodeError:
        encoding = stream.encoding or "ascii"
        stream.write(text.encode(encoding, errors="backslashreplace").decode(encoding))


def _encodable(text: str, stream: TextIO) -> bool:
    try:
        text.encode(stream.encoding or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _out(text: str) -> None:
    """Write a result to stdout; a closed, full or broken stdout is the user's to fix (exit 1), not a bug."""
    stream = sys.stdout
    if stream is None:
        raise OutputError("standard output is closed: there is nowhere to write the result")
    try:
        _write(stream, text)
        stream.flush()
    except OSError as err:
        _silence(stream)
        sys.stdout = None  # what follows goes to stderr, or nowhere
        raise OutputError(f"cannot write the result to standard output: {err.strerror or err}") from None


def _silence(stream: TextIO) -> None:
    """Point a failed stream at /dev/null, so that the flush at exit does not fail once more."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


def _err(text: str) -> None:
    """Write to stderr; if even that fails there is no one left to tell."""
    if sys.stderr is None:
        return
    try:
        _write(sys.stderr, text)
        sys.stderr.flush()
    except OSError:
        _silence(sys.stderr)


def result(text: str) -> None:
    """A result the user asked for (stdout)."""
    _out(text if text.endswith("\n") else text + "\n")


def document(doc: Any) -> None:
    """One JSON document on stdout with its format version (\\u escapes where stdout cannot encode a character)."""
    if isinstance(doc, dict):
        doc = {"format_version": JSON_FORMAT_VERSION, **doc}
    text = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if sys.stdout is not None and not _encodable(text, sys.stdout):
        text = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=True) + "\n"
    _out(text)


def progress(text: str) -> None:
    """What is happening, for a person watching (stderr, so stdout stays clean)."""
    _err(text + "\n")


def warning(text: str) -> None:
    """Something a person should act on that does not fail the run (stderr)."""
    _err(style("warning:", "yellow", sys.stderr) + f" {text}\n")


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
        _err(f"{err.usage.rstrip()}\n{err}\n")
        return
    if isinstance(err, InputError):
        for problem in err.problems:
            _err(f"error: {problem}\n")
        count = len(err.problems)
        _err(f"{count} problem{'s' if count != 1 else ''} found\n")
        return
    if isinstance(err, StaleOutput):
        for label, paths in (
            ("changed", err.stale.changed),
            ("missing", err.stale.missing),
            ("extra", err.stale.extra),
        ):
            for path in paths:
                _err(f"stale ({label}): {path}\n")
        if err.note:
            _err(err.note + "\n")
        _err(f"{err}: run 'rollplan compile' and commit the result\n")
        return
    _err(f"error: {err}\n")


def error_kind(err: RollplanError) -> str:
    """What kind of failure, for machines: both invalid input and a blocked plan exit 1."""
    kinds = ((PlanBlocked, "plan-blocked"), (InputError, "invalid-input"), (GitError, "git"),
             (UsageError, "usage"), (StaleOutput, "stale"), (OutputError, "output"))  # fmt: skip
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
    _err(f"internal error: {type(exc).__name__}: {exc} ({hint})\n")


def ask(question: str) -> bool:
    """A yes/no question on the terminal; only an explicit yes counts."""
    _err(f"{question} [y/N] ")
    return sys.stdin.readline().strip().lower() in ("y", "yes")
