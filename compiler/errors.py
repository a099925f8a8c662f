"""The one error root of rollplan, and the errors users are meant to see.

Everything a user can cause derives from :class:`RollplanError`; the CLI maps
those to exit codes in one place. Anything else escaping to the CLI is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class RollplanError(Exception):
    """Root of every error a user can cause. ``exit_code`` is what the CLI returns."""

    exit_code = 1


@dataclass(frozen=True, order=True)
class Location:
    """Where in a file something is: 1-based line and column (0 when unknown)."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column}"
        return self.file


@dataclass(frozen=True, order=True)
class Problem:
    """One finding about the input: located, with the field path and what was expected."""

    location: Location
    path: str = ""
    message: str = ""

    def __str__(self) -> str:
        where = f"{self.location}: "
        field_part = f"{self.path}: " if self.path else ""
        return f"{where}{field_part}{self.message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
            "path": self.path,
            "message": self.message,
        }


class InputError(RollplanError):
    """Invalid input: one or more located problems, reported together (exit 1)."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems = tuple(sorted(problems))
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def single(cls, *, file: str, message: str, line: int = 0, column: int = 0, path: str = "") -> InputError:
        return cls([Problem(Location(file, line, column), path, message)])


class PlanBlocked(InputError):
    """A plan that policy or prerequisites forbid (exit 1). Same shape as InputError."""


class GitError(RollplanError):
    """The repository cannot give what was asked: no commits, bad revision, not a repo (exit 1)."""


class UsageError(RollplanError):
    """The command line itself is wrong (exit 2)."""

    exit_code = 2


@dataclass
class StaleFiles:
    """What `check` found: files that differ, are missing, or should not be there."""

    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.changed or self.missing or self.extra)


class StaleOutput(RollplanError):
    """`check` found generated files that do not match a fresh compile (exit 3)."""

    exit_code = 3

    def __init__(self, stale: StaleFiles, note: str = "") -> None:
        self.stale = stale
        self.note = note
        super().__init__(f"{len(stale.changed) + len(stale.missing) + len(stale.extra)} generated file(s) are stale")


class CommandLineError(UsageError):
    """argparse refused the command line: ``prog`` is the (sub)command, ``usage`` its usage line (exit 2)."""

    def __init__(self, prog: str, message: str, usage: str) -> None:
        self.prog = prog
        self.usage = usage
        super().__init__(f"{prog}: error: {message}")


class OutputError(RollplanError):
    """Output cannot be written safely: a symlink, a file rollplan does not own, a full disk, a lock (exit 1)."""
