"""plan.md read back with a CommonMark parser (markdown-it-py), as a reviewer's browser would."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

ALLOWED_HTML = ("<details><summary>", "</details>", "<!-- rollplan:summary-end -->")


def parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


def tokens(text: str) -> list[Token]:
    return parser().parse(text)


@dataclass(frozen=True)
class Fence:
    info: str
    content: str
    in_list_item: bool
    line: int


def fences(text: str) -> list[Fence]:
    """Every fenced code block, and whether it sits inside a list item."""
    found: list[Fence] = []
    depth = 0
    for token in tokens(text):
        if token.type == "list_item_open":
            depth += 1
        elif token.type == "list_item_close":
            depth -= 1
        elif token.type == "fence":
            line = token.map[0] + 1 if token.map else 0
            found.append(Fence(token.info.strip(), token.content, depth > 0, line))
    return found


def unfold(content: str) -> str:
    """A rendered command block back to one shell line: the ` \\` continuations removed."""
    return " ".join(line.strip().removesuffix(" \\").strip() for line in content.splitlines())


def problems(text: str) -> Iterator[str]:
    """What is structurally wrong: stray HTML, ragged tables, ordered lists that skip, manual text run-ons."""
    stream = tokens(text)
    yield from _html(stream)
    yield from _tables(stream)
    yield from _ordered_lists(stream)
    yield from _manual_lines(stream)
    for fence in fences(text):
        if fence.info == "sh" and not fence.in_list_item:
            yield f"line {fence.line}: a step's code block fell out of its list item"
        if fence.info == "mermaid" and fence.in_list_item:
            yield f"line {fence.line}: the diagram is inside a list"


def _html(stream: list[Token]) -> Iterator[str]:
    for token in stream:
        if token.type == "html_block" and not token.content.strip().startswith(ALLOWED_HTML):
            yield f"unexpected HTML block: {token.content.strip()[:80]!r}"
        for child in token.children or ():
            if child.type == "html_inline":
                yield f"unexpected inline HTML: {child.content!r}"


def _tables(stream: list[Token]) -> Iterator[str]:
    width = 0
    cells = 0
    for token in stream:
        if token.type == "table_open":
            width = 0
        elif token.type == "tr_open":
            cells = 0
        elif token.type in ("th_open", "td_open"):
            cells += 1
        elif token.type == "tr_close":
            if token.level == 2 and width and cells != width:
                yield f"a table row has {cells} cells, its header {width}"
        elif token.type == "thead_close":
            width = cells


def _ordered_lists(stream: list[Token]) -> Iterator[str]:
    expected: list[int] = []
    for token in stream:
        if token.type == "ordered_list_open":
            expected.append(int(token.attrGet("start") or 1))
        elif token.type == "ordered_list_close":
            expected.pop()
        elif token.type == "list_item_open" and expected and token.markup in (".", ")"):
            if token.info != str(expected[-1]):
                yield f"list item {token.info} where {expected[-1]} was due"
            expected[-1] += 1


def _manual_lines(stream: list[Token]) -> Iterator[str]:
    for token in stream:
        children = token.children or []
        for index, child in enumerate(children):
            if child.type == "text" and child.content.startswith("manual step") and index > 1:
                before = children[index - 2]  # the <em> opener sits between
                if before.type != "hardbreak":
                    yield f"'manual step' runs into the line before it: {token.content[:80]!r}"
