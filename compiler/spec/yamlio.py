"""The one YAML module: strict, bounded loading with marks, and one dump style.

Loading reads parser events (libyaml when available) and composes them here,
not with the C composer, because that composer recurses on nesting depth and
has no bound on alias expansion: both are checked below before any data is
built. Every key and value gets a 1-based (line, column) mark by path, so
that later stages can point at the exact place a problem comes from.
"""

from __future__ import annotations

import contextlib
import functools
import math
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

import yaml
from yaml.representer import SafeRepresenter

from compiler.errors import InputError, Location
from compiler.resolve.secretforms import mask
from compiler.resolve.secretnames import DEFAULT_WORDS

try:
    from yaml import CSafeDumper as _BaseDumper
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - libyaml missing: same behaviour, slower
    from yaml import SafeDumper as _BaseDumper  # type: ignore[assignment]
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

MAX_FILE_BYTES = 5 * 1024 * 1024
"""Files larger than this are refused before parsing."""

MAX_RUN_BYTES = 256 * 1024 * 1024
"""Bytes read to load one side of a run in all (every spec, values file and release note there)."""

MAX_ALIAS_NODES = 10_000
"""Nodes that alias references may add to one document (a 'billion laughs' guard)."""

MAX_ALIAS_BYTES = 1024 * 1024
"""Text (scalars and keys) that alias references may add to one document: one large string
repeated through aliases blows up memory and output with few nodes."""

MAX_DEPTH = 100
"""Deepest nesting of mappings and sequences accepted; no spec or values file comes close."""

YAML_TAG = "tag:yaml.org,2002:"
SCALAR_TAGS = frozenset(YAML_TAG + name for name in ("null", "bool", "int", "float", "str", "timestamp"))
COLLECTION_TAGS = frozenset((None, "!", YAML_TAG + "map", YAML_TAG + "seq"))
MERGE_TAG = YAML_TAG + "merge"
STR_TAG, INT_TAG, BOOL_TAG, NULL_TAG = (YAML_TAG + name for name in ("str", "int", "bool", "null"))
TIMESTAMP_TAG = YAML_TAG + "timestamp"
MAP_TAG, SEQ_TAG = YAML_TAG + "map", YAML_TAG + "seq"
DUMP_WIDTH = 1 << 30  # long strings are never folded onto several lines
GO_NON_STRING = re.compile(
    r"[yYnN]|[-+]?(?:0[xXoObB][0-9a-fA-F]+|[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9]+(?:[eE][-+]?[0-9]+)?)"
)
"""Plain text that Go's YAML (helm, Flux, Argo CD) reads as a boolean or number where YAML 1.1 reads a
string: y/n, 1e3, 0o17, .5e3 (after dropping '_', as it does). Such strings are written quoted."""

_EXPECTED = {
    "bool": "true or false",
    "int": "a whole number of at most 4300 digits",
    "float": "a number",
    "timestamp": "a real date such as 2024-05-02 (or quote the text)",
}
"""What a scalar of each type looks like, for the error when one is not (the value is never echoed)."""

Path = tuple[str | int, ...]
Mark = tuple[int, int]


@dataclass(frozen=True)
class Document:
    """One parsed YAML file: its display name, its data, and where each key and value sits."""

    file: str
    data: Any
    marks: Mapping[Path, Mark]
    """(line, column) of each value by path; the root is (1, 1)."""
    key_marks: Mapping[Path, Mark] = field(default_factory=dict)
    """(line, column) of each mapping key by the path of its value."""

    def locate(self, path: Sequence[str | int]) -> Location:
        """Where the value at ``path`` is, or its nearest existing ancestor."""
        return self._nearest(self.marks, tuple(path))

    def locate_key(self, path: Sequence[str | int]) -> Location:
        """Where the key of ``path`` is written (for unknown keys), else as :meth:`locate`."""
        return self._nearest(self.key_marks, tuple(path))

    def _nearest(self, marks: Mapping[Path, Mark], path: Path) -> Location:
        for end in range(len(path), -1, -1):
            mark = marks.get(path[:end]) or self.marks.get(path[:end])
            if mark:
                return Location(self.file, *mark)
        return Location(self.file, 1, 1)


@dataclass(slots=True)
class _Node:
    """A composed node: a scalar ``value``, or ``items`` (sequence), or ``pairs`` (mapping)."""

    mark: Mark
    value: Any = None
    items: list[_Node] | None = None
    pairs: list[tuple[str, Mark, _Node]] | None = None
    size: int = 1  # nodes in the subtree once every alias is expanded
    weight: int = 0  # characters of text (scalars and keys) in the subtree once every alias is expanded


@dataclass(slots=True)
class _Open:
    """A mapping or sequence whose end event has not been seen yet."""

    node: _Node
    anchor: str | None
    key: tuple[str, Mark] | None = None
    merging: bool = False
    merges: list[_Node] = field(default_factory=list)
    first_line: dict[str, int] = field(default_factory=dict)


def load_document(raw: bytes, file: str) -> Document:
    """Parse one YAML mapping strictly; any problem raises :class:`InputError` at its place."""
    text = _decode(raw, file)
    root = _Composer(text, file).compose()
    if root is None or (root.pairs is None and root.items is None and root.value is None):
        raise InputError.single(file=file, line=1, column=1, message="empty file, expected a mapping")
    if root.pairs is None:
        raise InputError.single(
            file=file, line=root.mark[0], column=root.mark[1], message=f"expected a mapping, found {_kind(root)}"
        )
    marks: dict[Path, Mark] = {}
    key_marks: dict[Path, Mark] = {}
    data = _build(root, (), marks, key_marks)
    marks[()] = (1, 1)
    return Document(file, data, marks, key_marks)


def _decode(raw: bytes, file: str) -> str:
    if len(raw) > MAX_FILE_BYTES:
        raise InputError.single(
            file=file, line=1, column=1, message=f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB"
        )
    nul = raw.find(b"\0")
    if nul >= 0:
        raise _at_offset(raw, nul, file, "not UTF-8 text (a NUL byte: binary file?)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _at_offset(raw, err.start, file, "not UTF-8 text") from None


def _at_offset(raw: bytes, offset: int, file: str, message: str) -> InputError:
    line_start = raw.rfind(b"\n", 0, offset) + 1
    column = len(raw[line_start:offset].decode("utf-8", errors="replace")) + 1
    return InputError.single(file=file, line=raw.count(b"\n", 0, offset) + 1, column=column, message=message)


def _kind(node: _Node) -> str:
    if node.pairs is not None:
        return "a mapping"
    if node.items is not None:
        return "a list"
    return {str: "a string", bool: "a boolean", int: "a number", float: "a number"}.get(type(node.value), "a scalar")


class _Composer:
    """Composes parser events into a node graph, checking depth, aliases, keys and tags."""

    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.file = file
        self.stack: list[_Open] = []
        self.anchors: dict[str, _Node] = {}
        self.alias_nodes = 0
        self.alias_bytes = 0
        self.root: _Node | None = None
        self.loader = _BaseLoader(text)

    def compose(self) -> _Node | None:
        try:
            for event in self._events():
                self._on(event)
        except yaml.MarkedYAMLError as err:
            mark = err.problem_mark or err.context_mark
            detail = f" ({err.context})" if err.context else ""
            line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            message = f"YAML syntax error: {err.problem}{detail}"
            raise InputError.single(file=self.file, line=line, column=column, message=message) from None
        except yaml.reader.ReaderError as err:
            raw = self.text.encode("utf-8")
            raise _at_offset(raw, err.position, self.file, f"YAML syntax error: {err.reason}") from None
        finally:
            self.loader.dispose()
        return self.root

    def _events(self) -> Iterator[yaml.Event]:
        documents = 0
        while self.loader.check_event():
            event = self.loader.get_event()
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    self._fail(_mark(event), "a second YAML document starts here; expected exactly one")
            if event is not None:
                yield event

    def _fail(self, mark: Mark, message: str) -> NoReturn:
        raise InputError.single(file=self.file, line=mark[0], column=mark[1], message=message)

    def _on(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.ScalarEvent):
            self._on_scalar(event)
        elif isinstance(event, yaml.AliasEvent):
            self._on_alias(event)
        elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            self._on_start(event)
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            self._on_end()

    def _awaiting_key(self) -> bool:
        top = self.stack[-1] if self.stack else None
        return top is not None and top.node.pairs is not None and top.key is None and not top.merging

    def _on_scalar(self, event: yaml.ScalarEvent) -> None:
        mark = _mark(event)
        tag = event.tag
        if self._awaiting_key():
            # A key is taken as written: only `<<` (a merge) needs its tag resolved.
            merge = tag == MERGE_TAG or (tag is None and event.value == "<<" and event.implicit[0])
            self._on_key(event, MERGE_TAG if merge else STR_TAG, mark)
            return
        if tag is None or tag == "!":
            tag = implicit_tag(event.value) if event.implicit[0] else STR_TAG
        if tag not in SCALAR_TAGS:
            self._fail(mark, f"YAML tag {_short(tag)} is not allowed here")
        node = yaml.ScalarNode(tag, event.value, style=event.style)
        try:
            value = _BaseLoader.yaml_constructors[tag](self.loader, node)
        except (ValueError, KeyError, AttributeError):  # 2024-13-45, or an explicit !!bool maybe or !!timestamp x
            kind = tag.removeprefix(YAML_TAG)
            self._fail(mark, f"not a valid {kind}; expected {_EXPECTED.get(kind, 'a plain value')}")
        if tag == TIMESTAMP_TAG:
            # helm reads an unquoted date as the string written: so does rollplan, and writes it back as one.
            value = event.value
        elif isinstance(value, float) and not math.isfinite(value):
            self._fail(mark, f"{event.value!r} is not a finite number: helm cannot pass NaN or infinity to a chart")
        self._attach(_Node(mark, value=value, weight=len(event.value)), event.anchor)

    def _on_key(self, event: yaml.ScalarEvent, tag: str, mark: Mark) -> None:
        # Keys are taken as written: YAML 1.1 would read `on:` as True and `1:` as an
        # int, which no spec or values file means.
        top = self.stack[-1]
        if tag == MERGE_TAG:
            top.merging = True
            return
        first = top.first_line.get(event.value)
        if first is not None:
            # A key may itself hold a secret form (a URL with its password): never echoed.
            self._fail(mark, f"duplicate key {mask(event.value, DEFAULT_WORDS)!r} (first defined on line {first})")
        top.first_line[event.value] = mark[0]
        # One string per distinct key: a fleet's values files repeat the same keys
        # thousands of times, and every copy of the values shares them.
        top.key = (sys.intern(event.value), mark)

    def _on_alias(self, event: yaml.AliasEvent) -> None:
        if self._awaiting_key():
            self._fail(_mark(event), "an alias cannot be a mapping key")
        target = self.anchors.get(event.anchor or "")
        if target is None:
            open_anchors = {frame.anchor for frame in self.stack}
            why = "refers to a node that contains it" if event.anchor in open_anchors else "is not defined before"
            self._fail(_mark(event), f"alias *{event.anchor} {why}")
        self.alias_nodes += target.size
        self.alias_bytes += target.weight
        if self.alias_nodes > MAX_ALIAS_NODES:
            self._fail(_mark(event), f"aliases expand to more than {MAX_ALIAS_NODES} nodes")
        if self.alias_bytes > MAX_ALIAS_BYTES:
            self._fail(_mark(event), f"aliases expand to more than {MAX_ALIAS_BYTES // 1024} KiB of text")
        self._attach(target, None)

    def _on_start(self, event: yaml.SequenceStartEvent | yaml.MappingStartEvent) -> None:
        mark = _mark(event)
        if self._awaiting_key():
            self._fail(mark, "a mapping key must be a plain value, not a list or mapping")
        if event.tag not in COLLECTION_TAGS:
            self._fail(mark, f"YAML tag {_short(event.tag)} is not allowed here")
        if len(self.stack) >= MAX_DEPTH:
            self._fail(mark, f"nested deeper than {MAX_DEPTH} levels")
        node = _Node(mark, pairs=[]) if isinstance(event, yaml.MappingStartEvent) else _Node(mark, items=[])
        self.stack.append(_Open(node, event.anchor))

    def _on_end(self) -> None:
        frame = self.stack.pop()
        node = frame.node
        if node.pairs is not None:
            _merge(node.pairs, frame.merges)
            node.size = 1 + sum(1 + value.size for _, _, value in node.pairs)
            node.weight = sum(len(key) + value.weight for key, _, value in node.pairs)
        else:
            node.size = 1 + sum(item.size for item in node.items or ())
            node.weight = sum(item.weight for item in node.items or ())
        self._attach(node, frame.anchor)

    def _attach(self, node: _Node, anchor: str | None) -> None:
        if anchor is not None:
            self.anchors[anchor] = node
        if not self.stack:
            self.root = node
            return
        top = self.stack[-1]
        if top.node.items is not None:
            top.node.items.append(node)
        elif top.merging:
            self._add_merge(top, node)
        elif top.node.pairs is not None and top.key is not None:
            top.node.pairs.append((top.key[0], top.key[1], node))
            top.key = None

    def _add_merge(self, top: _Open, node: _Node) -> None:
        sources = node.items if node.items is not None else [node]
        if any(source.pairs is None for source in sources):
            self._fail(node.mark, "a merge key (<<) takes a mapping or a list of mappings")
        top.merges.extend(sources)
        top.merging = False


_RESOLVER = yaml.resolver.Resolver()


@functools.lru_cache(maxsize=8192)
def implicit_tag(value: str) -> str:
    """The tag YAML 1.1 gives the plain scalar ``value``: PyYAML's resolver, remembered for the values that recur.

    libyaml asks it twice for every scalar it emits, and loading once for every
    scalar it reads; keys, booleans and small numbers repeat across a fleet.
    """
    return str(_RESOLVER.resolve(yaml.ScalarNode, value, (True, False)))  # type: ignore[no-untyped-call]


def _short(tag: str | None) -> str:
    return "!!" + tag.removeprefix(YAML_TAG) if tag and tag.startswith(YAML_TAG) else str(tag)


def _mark(event: yaml.Event) -> Mark:
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1) if mark else (1, 1)


def _merge(pairs: list[tuple[str, Mark, _Node]], sources: list[_Node]) -> None:
    """Add the keys of merge sources that the mapping does not set itself; earlier sources win."""
    present = {key for key, _, _ in pairs}
    for source in sources:
        for key, mark, value in source.pairs or ():
            if key not in present:
                pairs.append((key, mark, value))
                present.add(key)


def _build(node: _Node, path: Path, marks: dict[Path, Mark], key_marks: dict[Path, Mark]) -> Any:
    """Plain Python data from the node graph; each alias becomes its own copy."""
    marks[path] = node.mark
    if node.items is not None:
        return [_build(item, (*path, index), marks, key_marks) for index, item in enumerate(node.items)]
    if node.pairs is None:
        return node.value
    data: dict[str, Any] = {}
    for key, key_mark, value in node.pairs:
        key_marks[(*path, key)] = key_mark
        data[key] = _build(value, (*path, key), marks, key_marks)
    return data


class _Dumper(_BaseDumper):
    """The one output style of rollplan's YAML."""

    def ignore_aliases(self, data: Any) -> bool:
        # Anchors would make a reviewer chase &id001 across a manifest: write every object out.
        return True

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: tuple[bool, bool]) -> Any:
        # The emitter asks for every scalar whether it would read back as written, plain and quoted.
        if kind is yaml.ScalarNode:
            return implicit_tag(value) if implicit[0] else STR_TAG
        return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]

    def represent(self, data: Any) -> None:
        # The generic representer dispatches on every object's type through several
        # calls, which took as long as libyaml's emitting; plain data gets the very
        # same nodes from _node in one pass.
        node = self._node(data) if self.default_flow_style is not None else self.represent_data(data)
        self.serialize(node)
        self.represented_objects = {}
        self.object_keeper = []
        self.alias_key = None

    def _node(self, data: Any) -> yaml.Node:
        kind = type(data)
        if kind is str:
            return yaml.ScalarNode(STR_TAG, data, style=_str_style(data, self.default_style))
        if kind is dict:
            pairs = list(data.items())
            if self.sort_keys:
                with contextlib.suppress(TypeError):  # keys of mixed types stay in their order, as PyYAML does
                    pairs = sorted(pairs)
            value = [(self._node(key), self._node(item)) for key, item in pairs]
            return yaml.MappingNode(MAP_TAG, value, flow_style=self.default_flow_style)
        if kind is list or kind is tuple:
            items = [self._node(item) for item in data]
            return yaml.SequenceNode(SEQ_TAG, items, flow_style=self.default_flow_style)
        if kind is bool:
            return yaml.ScalarNode(BOOL_TAG, "true" if data else "false", style=self.default_style)
        if kind is int:
            return yaml.ScalarNode(INT_TAG, str(data), style=self.default_style)
        if data is None:
            return yaml.ScalarNode(NULL_TAG, "null", style=self.default_style)
        return self.represent_data(data)  # floats, dates and anything else, as PyYAML represents them


def _str_style(data: str, default: str | None) -> str | None:
    # Multi-line text reads best as a literal block; the emitter falls back to
    # quoting when a block cannot hold the string exactly. PyYAML quotes what
    # YAML 1.1 would read as another type; helm reads values with Go's YAML,
    # which also takes y, n, 1e3 and 0o17 for booleans and numbers: quote those too.
    if "\n" in data:
        return "|"
    if GO_NON_STRING.fullmatch(data.replace("_", "")):
        return "'"
    return default


def _represent_str(dumper: SafeRepresenter, data: str) -> yaml.ScalarNode:
    return dumper.represent_scalar(STR_TAG, data, style=_str_style(data, None))


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(tuple, SafeRepresenter.represent_list)

_DUMP_OPTIONS: dict[str, Any] = {
    "Dumper": _Dumper,
    "default_flow_style": False,
    "sort_keys": True,
    "allow_unicode": True,
    "width": DUMP_WIDTH,
}


def dump_yaml(data: Any) -> str:
    """``data`` as one YAML document in rollplan's style: block style, sorted keys, no ``---``."""
    return str(yaml.dump(data, **_DUMP_OPTIONS))


def dump_all_yaml(docs: Sequence[Any]) -> str:
    """Several YAML documents in one stream, each starting with ``---``."""
    return str(yaml.dump_all(list(docs), explicit_start=True, **_DUMP_OPTIONS))
