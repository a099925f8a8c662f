"""Secrets inside text: the forms a credential takes when it is written into a string or an argv.

Each form is found by its structure, wherever the text sits (a values leaf, a
key, a spec field such as ``backup.command``):

- ``url``: a URL or DSN with a password, ``scheme://user:password@host``;
- ``url-token``: a URL whose user is a token, ``https://ghp_…@github.com``;
- ``parameter``: a ``name=value`` pair whose name names a secret: JDBC/ODBC query
  parameters (``?user=u&password=p``, ``;password=p;``), .NET connection strings
  (``Server=x;User Id=u;Pwd=p;``), env-file lines (``DB_PASSWORD=p``), ``--password=p``,
  Java properties (``-Dssl.keyStorePassword=p``);
- ``flag``: a ``--password p`` / ``--token p`` / ``--client-secret p`` argument, in a command
  string or as two items of an argv list (``-p p`` is left alone: too many tools read it otherwise);
- ``line``: a ``password: p`` line of a multi-line string, or a JSON ``"password": "p"`` pair;
- ``private-key``: a ``-----BEGIN … PRIVATE KEY-----`` block.

A value that is a reference (``${PASSWORD}``, ``$(cat /run/secrets/x)``), boolean text or
empty is no secret; nor is a name that is a reference or a setting (``--password-file``,
``passwordSecretName``). Text that holds ``%``-escapes or non-ASCII letters is also read
decoded and folded, so ``password%3Dp`` and fullwidth letters are caught too.

Every pattern is linear in the length of the text: each repetition is bounded by a
character that ends it, and every unbounded run starts only where the previous
character could not have continued it (a look-behind), so no input backtracks.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from urllib.parse import unquote

from compiler.resolve.secretnames import fold, is_reference_value, names_secret

MASK = "REDACTED"
_SCHEME = r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://"
URL_PASSWORD = re.compile(rf"({_SCHEME}[^/\s@:]*:)([^/\s@]+)@")
URL_USER = re.compile(rf"({_SCHEME})([^/\s@:]+)@")
_VALUE = r"(\"[^\"\n]*\"|'[^'\n]*'|[^\s;&\"']+)"
PARAMETER = re.compile(rf"(?<![A-Za-z0-9_./\-])(-{{0,2}}[A-Za-z_][A-Za-z0-9_.\-]*)[ \t]*=(?!=)[ \t]*{_VALUE}")
FLAG = re.compile(rf"(?<!\S)(--[A-Za-z][A-Za-z0-9_.\-]*)[ \t]+{_VALUE}")
LINE = re.compile(r"^[ \t]*(?:-[ \t]+)?([\"']?)([A-Za-z_][A-Za-z0-9_.\-]*)\1[ \t]*:[ \t]+([^\n]*)$", re.MULTILINE)
JSON_PAIR = re.compile(r"(\"([A-Za-z_][A-Za-z0-9_.\-]*)\"[ \t]*:[ \t]*)\"([^\"\\\n]*)\"")
PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY")
FLAG_WORD = re.compile(r"-{1,2}([A-Za-z][A-Za-z0-9_.\-]+)")
# Tokens that services issue with a recognisable prefix (GitHub, GitLab, Slack, OpenAI-style, AWS).
_TOKEN_PREFIXES = ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "xoxb-", "xoxp-", "sk-", "AKIA")
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_.~+=\-]{20,}")

FORM_TEXT = {
    "url": "a password in a URL (scheme://user:password@...)",
    "url-token": "a token as the user of a URL (https://TOKEN@host)",
    "parameter": "a secret parameter (password=..., Pwd=..., --token=...)",
    "flag": "a secret argument (--password ..., --token ..., --client-secret ...)",
    "line": "a secret line (password: ... in a block of text)",
    "private-key": "a private key (-----BEGIN ... PRIVATE KEY-----)",
}
"""What each form is, in words: an error names the form, never the value."""

Span = tuple[int, int, str]
"""Start and end of the secret part of a text, and its form."""


def _token_like(user: str) -> bool:
    if user.startswith(_TOKEN_PREFIXES):
        return True
    return (
        _TOKEN_CHARS.fullmatch(user) is not None and any(c.isdigit() for c in user) and any(c.isalpha() for c in user)
    )


def _value_secret(value: str) -> bool:
    """A value that holds a secret: not a reference, a file (``/run/…``, ``@file``), a flag, or a masked one."""
    text = value.strip().strip("\"'")
    return not is_reference_value(text) and text != MASK and not text.startswith(("$", "/", "./", "~/", "@", "-"))


def _spans(text: str, words: tuple[str, ...]) -> Iterator[Span]:
    for match in URL_PASSWORD.finditer(text):
        if _value_secret(match.group(2)):
            yield match.start(2), match.end(2), "url"
    for match in URL_USER.finditer(text):
        if _token_like(match.group(2)):
            yield match.start(2), match.end(2), "url-token"
    for pattern, form in ((PARAMETER, "parameter"), (FLAG, "flag")):
        for match in pattern.finditer(text):
            if names_secret(match.group(1).lstrip("-"), words) and _value_secret(match.group(2)):
                yield match.start(2), match.end(2), form
    for match in JSON_PAIR.finditer(text):
        if names_secret(match.group(2), words) and _value_secret(match.group(3)):
            yield match.start(3), match.end(3), "line"
    if "\n" in text:
        for match in LINE.finditer(text):
            if names_secret(match.group(2), words) and _value_secret(match.group(3).split(" #", 1)[0]):
                yield match.start(3), match.end(3), "line"
    found = PRIVATE_KEY.search(text)
    if found:
        yield found.start(), len(text), "private-key"


def _readings(text: str) -> Iterator[str]:
    """The text, then as a program may read it: %-decoded, and compatibility-folded."""
    yield text
    folded = fold(text)
    if folded != text:
        yield folded
    if "%" in folded:
        decoded = unquote(folded)
        if decoded != folded:
            yield decoded


def secret_form(text: str, words: tuple[str, ...]) -> str | None:
    """The first form of secret found in ``text`` (a key of :data:`FORM_TEXT`), or None."""
    if text.isascii() and not _MARKS.search(text):
        return None  # no form is written without one of these: most values end here
    # Each region, each side and each check asks again about the same shared values: remember the answers.
    return (_short_form if len(text) <= _SHORT_CHARS else _long_form)(text, words)


# Every form holds one of these characters (a "%" or non-ASCII text may decode to one).
_MARKS = re.compile(r"[=:\-\"%\n]")
_SHORT_CHARS = 512


@functools.lru_cache(maxsize=1 << 14)
def _short_form(text: str, words: tuple[str, ...]) -> str | None:
    return _form(text, words)


@functools.lru_cache(maxsize=64)
def _long_form(text: str, words: tuple[str, ...]) -> str | None:
    return _form(text, words)


def _form(text: str, words: tuple[str, ...]) -> str | None:
    for reading in _readings(text):
        for _, _, form in _spans(reading, words):
            return form
    return None


def mask(text: str, words: tuple[str, ...]) -> str:
    """``text`` with each secret part replaced by REDACTED; wholly REDACTED when only a decoded reading holds one."""
    spans = sorted(_spans(text, words))
    if not spans:
        return MASK if secret_form(text, words) else text
    out: list[str] = []
    at = 0
    for start, end, _ in spans:
        if start >= at:
            out += [text[at:start], MASK]
            at = end
        elif end > at:
            at = end
    return "".join([*out, text[at:]])


def flag_values(items: Sequence[object], words: tuple[str, ...]) -> Iterator[int]:
    """Indexes of the argv items that are the value of the secret flag before them: ``["--token", "t"]``."""
    for index in range(1, len(items)):
        flag, value = items[index - 1], items[index]
        if not isinstance(flag, str) or not isinstance(value, str):
            continue
        matched = FLAG_WORD.fullmatch(fold(flag))
        if matched and names_secret(matched.group(1), words) and _value_secret(value):
            yield index
