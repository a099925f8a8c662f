"""Shell words: the one place shell text is made from argv.

Every word that lands in a script goes through :func:`shell_quote`; the
templates reach these through the ``shquote`` and ``shjoin`` filters.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence


def shell_quote(word: str) -> str:
    """One word as a shell word that bash reads back unchanged."""
    if not isinstance(word, str):
        raise TypeError(f"a shell word must be a string, not {type(word).__name__} {word!r}")
    if "\x00" in word:
        # bash cannot hold a NUL byte in a word: it would be cut silently.
        raise ValueError(f"a shell word cannot contain a NUL byte: {word!r}")
    return shlex.quote(word)


def shell_join(argv: Sequence[str]) -> str:
    """The one place shell text is made from argv: every word quoted, joined by spaces."""
    if isinstance(argv, str):
        # A str is a Sequence[str] too; quoting it letter by letter is never meant.
        raise TypeError(f"argv must be a sequence of words, not the string {argv!r}")
    if not argv:
        raise ValueError("argv must name a program")
    return " ".join(shell_quote(word) for word in argv)
