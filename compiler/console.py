"""The only module that prints. Results go to stdout, errors and progress to stderr."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from compiler.errors import GitError, InputError, OutputError, PlanBlocked, RollplanError, StaleOutput, UsageError


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


def result(text: str) -> None:
    """A result the user asked for (stdout)."""
    _write(sys.stdout, text if text.endswith("\n") else text + "\n")


def document(doc: Any) -> None:
    """A machine-readable result: one JSON document on stdout (\\u escapes where stdout cannot encode a character)."""
    text = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if not _encodable(text, sys.stdout):
        text = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=True) + "\n"
    sys.stdout.write(text)


def progress(text: str) -> None:
    """What is happening, for a person watching (stderr, so stdout stays clean)."""
    _write(sys.stderr, text + "\n")
    sys.stderr.flush()


def error(err: RollplanError) -> None:
    """A user-caused error, readable: every problem on its own line."""
    if isinstance(err, InputError):
        for problem in err.problems:
            _write(sys.stderr, f"error: {problem}\n")
        count = len(err.problems)
        _write(sys.stderr, f"{count} problem{'s' if count != 1 else ''} found\n")
        return
    if isinstance(err, StaleOutput):
        for label, paths in (
            ("changed", err.stale.changed),
            ("missing", err.stale.missing),
            ("extra", err.stale.extra),
        ):
            for path in paths:
                _write(sys.stderr, f"stale ({label}): {path}\n")
        if err.note:
            _write(sys.stderr, err.note + "\n")
        _write(sys.stderr, f"{err}: run 'rollplan compile' and commit the result\n")
        return
    _write(sys.stderr, f"error: {err}\n")


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
    _write(sys.stderr, f"internal error: {type(exc).__name__}: {exc} ({hint})\n")
