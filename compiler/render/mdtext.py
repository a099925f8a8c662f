"""Markdown building blocks that keep user strings inert.

A region name is a DNS label, but a values path, a value, a release note or a
backup command is whatever the user wrote: in plan.md each must read as the
text it is, never as a table border, a link, raw HTML or the end of a code
block. Every user string reaches plan.md through one of these functions.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

from compiler.render.shellwords import shell_quote

# Control characters, and the bidirectional overrides that make text display in another order than it reads.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
# Always escaped: they open code, emphasis, links, strike-through, or split a table cell.
INLINE_SPECIAL = re.compile(r"([\\`*\[\]|~])")
# '_' only opens or closes emphasis next to a non-alphanumeric: snake_case stays as written.
LOOSE_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
ENTITY_OR_TAG = re.compile(r"&(?=[#0-9A-Za-z])|<")
# At the start of a line these make a heading, a quote, a list item or a setext underline.
BLOCK_START = re.compile(r"^(\s*)(#|>|[-+=]|\d{1,9}[.)])(?=\s|$)")
BACKTICKS = re.compile(r"`+")
SHELL_WIDTH = 80
CONTINUATION = "    "


def _clean(text: str) -> str:
    return CONTROL.sub("\ufffd", text.replace("\r\n", "\n").replace("\r", "\n"))


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (line breaks included) as one space."""
    return " ".join(_clean(text).split())


def _escape_inline(text: str) -> str:
    text = INLINE_SPECIAL.sub(r"\\\1", text)
    text = LOOSE_UNDERSCORE.sub(r"\\_", text)
    return ENTITY_OR_TAG.sub(lambda m: "&amp;" if m.group() == "&" else "&lt;", text)


def text(value: str) -> str:
    """A user string as literal inline Markdown text on one line."""
    return _escape_line(one_line(value))


def _escape_line(line: str) -> str:
    escaped = _escape_inline(line)
    return BLOCK_START.sub(lambda m: f"{m.group(1)}{m.group(2)[:-1]}\\{m.group(2)[-1]}", escaped, count=1)


def paragraphs(value: str) -> list[str]:
    """Free text (a release note) as escaped paragraphs: blank lines separate them, line breaks do not."""
    blocks = re.split(r"\n\s*\n", _clean(value).strip())
    return [text(block) for block in blocks if block.strip()]


def code(value: str) -> str:
    """A user string as an inline code span, whatever backticks it holds."""
    content = one_line(value) if value.strip() else value.replace("\n", " ")
    if not content:
        return "*(empty)*"
    longest = max((len(run) for run in BACKTICKS.findall(content)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if content[0] in "` " or content[-1] in "` " else ""
    return f"{fence}{pad}{content}{pad}{fence}"


def cell(markdown: str) -> str:
    """Already-built inline Markdown as a table cell: a '|' splits cells even inside a code span.

    Every pipe is escaped, an already escaped one too: the table reads each `\\|` back
    as `|` before the cell's own Markdown is parsed.
    """
    return markdown.replace("|", "\\|")


def fence(lines: Sequence[str], info: str = "", indent: str = "") -> list[str]:
    """A fenced code block longer than any backtick run in its content, each line indented by ``indent``."""
    longest = max((len(run) for line in lines for run in BACKTICKS.findall(line)), default=0)
    marker = "`" * max(3, longest + 1)
    body = [f"{indent}{CONTROL.sub(chr(0xFFFD), line)}" if line else "" for line in lines]
    return [f"{indent}{marker}{info}", *body, f"{indent}{marker}"]


def shell_lines(argv: Sequence[str], width: int = SHELL_WIDTH) -> list[str]:
    """argv as shell text folded with ` \\` continuations, an option kept beside its value.

    Display only: the scripts and plan.json keep the argv as it is.
    """
    words = _shell_words(argv)
    lines: list[str] = []
    current = ""
    for word in words:
        if current and len(current) + 1 + len(word) + 2 > width:
            lines.append(current + " \\")
            current = CONTINUATION + word
        else:
            current = f"{current} {word}" if current else word
    lines.append(current)
    return [line for chunk in lines for line in chunk.split("\n")]


def _shell_words(argv: Sequence[str]) -> list[str]:
    """Quoted words, each option joined with the value after it: `-f values.yaml` never splits."""
    quoted = [shell_quote(word) for word in argv]
    words: list[str] = []
    for word in quoted:
        takes_value = words and words[-1].startswith("-") and " " not in words[-1] and "=" not in words[-1]
        if takes_value and not word.startswith("-"):
            words[-1] = f"{words[-1]} {word}"
        else:
            words.append(word)
    return words


def details(summary: str, body: Iterable[str]) -> list[str]:
    """A folded block: ``summary`` is plain text (HTML-escaped here), ``body`` Markdown lines."""
    return [f"<details><summary>{html.escape(one_line(summary))}</summary>", "", *body, "", "</details>"]


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading made of plain words."""
    lowered = heading.strip().lower()
    return re.sub(r"[^\w\- ]", "", lowered).replace(" ", "-")


def names(items: Iterable[str]) -> str:
    """Region names (DNS labels: nothing to escape) as a comma-separated list."""
    return ", ".join(items)
