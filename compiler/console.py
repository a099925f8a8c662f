"""The only module that prints. Results go to stdout, errors and progress to stderr."""

from __future__ import annotations

import json
import sys
from typing import Any

from compiler.errors import GitError, InputError, PlanBlocked, RollplanError, StaleOutput, UsageError


def result(text: str) -> None:
    """A result the user asked for (stdout)."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def document(doc: Any) -> None:
    """A machine-readable result: one JSON document on stdout."""
    sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def progress(text: str) -> None:
    """What is happening, for a person watching (stderr, so stdout stays clean)."""
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def error(err: RollplanError) -> None:
    """A user-caused error, readable: every problem on its own line."""
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


def ask(question: str) -> bool:
    """A yes/no question on the terminal; only an explicit yes counts."""
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")
