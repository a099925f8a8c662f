"""Commands the user writes (backup.command, backup.restore_command) must name their cluster.

The plan never depends on the operator's current kube context (C-9a); a
command that calls kubectl or helm without naming one would.
"""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Sequence

from compiler.errors import Problem
from compiler.spec.models import EnvironmentSpec
from compiler.spec.yamlio import Document

TARGET_FLAGS = {"kubectl": "--context", "helm": "--kube-context"}


def command_problems(doc: Document, spec: EnvironmentSpec) -> list[Problem]:
    """Rule command-context: a backup or restore command that calls kubectl or helm names its cluster."""
    problems: list[Problem] = []
    for field_name in ("command", "restore_command"):
        for index, program in untargeted(getattr(spec.backup, field_name) or ()):
            flag = TARGET_FLAGS[program]
            message = f"calls {program} without {flag}: name the cluster ({flag} <context>), or it acts on "
            message += "whatever context is current (rule: command-context)"
            problems.append(Problem(doc.locate(("backup", field_name, index)), f"backup.{field_name}.{index}", message))
    return problems


def untargeted(argv: Sequence[str]) -> list[tuple[int, str]]:
    """(index of the word, program) for each kubectl/helm call in ``argv`` that names no context.

    A word holding a whole shell command (``sh -c 'kubectl …'``) is read as shell words too.
    """
    found: list[tuple[int, str]] = []
    for index, word in enumerate(argv):
        for program in _programs(word):
            flag = TARGET_FLAGS[program]
            if not any(w == flag or w.startswith(flag + "=") for w in _words(argv)):
                found.append((index, program))
    return found


def _programs(word: str) -> list[str]:
    words = _split(word) if any(c.isspace() for c in word) else [word]
    return [posixpath.basename(w) for w in words if posixpath.basename(w) in TARGET_FLAGS]


def _words(argv: Sequence[str]) -> list[str]:
    return [w for word in argv for w in (_split(word) if any(c.isspace() for c in word) else [word])]


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()
