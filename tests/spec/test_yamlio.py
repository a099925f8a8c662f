from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compiler.errors import InputError, Location
from compiler.spec.yamlio import MAX_ALIAS_NODES, MAX_DEPTH, MAX_FILE_BYTES, dump_all_yaml, dump_yaml, load_document

BILLION_LAUGHS = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def refusal(raw: str | bytes) -> str:
    """The one problem load_document reports for ``raw``, as a user reads it."""
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    with pytest.raises(InputError) as caught:
        load_document(data, "f.yaml")
    assert len(caught.value.problems) == 1
    return str(caught.value.problems[0])


def test_yamlio_load_gives_data_and_marks() -> None:
    doc = load_document(b"# header\nchart:\n  name: tenant\nvalues:\n  - a.yaml\n  - b.yaml\n", "f.yaml")
    assert doc.data == {"chart": {"name": "tenant"}, "values": ["a.yaml", "b.yaml"]}
    assert doc.marks[("chart", "name")] == (3, 9)
    assert doc.key_marks[("chart", "name")] == (3, 3)
    assert doc.marks[("values", 1)] == (6, 5)
    assert doc.marks[()] == (1, 1)


def test_yamlio_locate_falls_back_to_nearest_ancestor() -> None:
    doc = load_document(b"a: 1\ncluster:\n  name: x\n", "f.yaml")
    assert doc.locate(("cluster", "context")) == Location("f.yaml", 3, 3)
    assert doc.locate(("cluster", "name", "[key]")) == Location("f.yaml", 3, 9)
    assert doc.locate(("missing", "deeper")) == Location("f.yaml", 1, 1)
    assert doc.locate_key(("cluster", "name")) == Location("f.yaml", 3, 3)


def test_yamlio_scalars_resolve_as_safe_loader_does() -> None:
    doc = load_document(b"d: 2024-05-02\ni: 12\nf: 1.5\nb: true\nn: ~\ns: '1.0'\nv: 100.0.1000076\n", "f.yaml")
    assert doc.data == {
        "d": "2024-05-02",
        "i": 12,
        "f": 1.5,
        "b": True,
        "n": None,
        "s": "1.0",
        "v": "100.0.1000076",
    }


def test_yamlio_keys_are_taken_as_written() -> None:
    doc = load_document(b"on: 1\n1: 2\nnull: 3\n", "f.yaml")
    assert doc.data == {"on": 1, "1": 2, "null": 3}


def test_yamlio_small_anchors_and_merge_keys_work() -> None:
    doc = load_document(b"base: &b {x: 1, y: 2}\ncopy: *b\nm:\n  <<: *b\n  y: 3\n", "f.yaml")
    assert doc.data["copy"] == {"x": 1, "y": 2}
    assert doc.data["m"] == {"x": 1, "y": 3}
    assert doc.data["copy"] is not doc.data["base"]
    assert doc.marks[("copy", "x")] == (1, 14)


def test_yamlio_duplicate_key_names_key_and_first_line() -> None:
    assert refusal("a: 1\nb:\n  c: 1\n  c: 2\n") == "f.yaml:4:3: duplicate key 'c' (first defined on line 3)"


def test_yamlio_duplicate_key_holding_a_url_password_is_named_masked() -> None:
    text = refusal('x:\n  "postgres://u:hunter2@db": 1\n  "postgres://u:hunter2@db": 2\n')
    assert text == "f.yaml:3:3: duplicate key 'postgres://u:REDACTED@db' (first defined on line 2)"


def test_yamlio_syntax_error_is_located() -> None:
    message = refusal("a: 1\nb: [1, 2\nc: 3\n")
    assert message.startswith("f.yaml:3:2: YAML syntax error: ")


def test_yamlio_billion_laughs_is_refused() -> None:
    assert refusal(BILLION_LAUGHS) == f"f.yaml:5:8: aliases expand to more than {MAX_ALIAS_NODES} nodes"


def test_yamlio_recursive_alias_is_refused() -> None:
    assert refusal("a: &a [1, *a]\n") == "f.yaml:1:11: alias *a refers to a node that contains it"


def test_yamlio_undefined_alias_is_refused() -> None:
    assert refusal("a: *nowhere\n") == "f.yaml:1:4: alias *nowhere is not defined before"


def test_yamlio_deep_nesting_is_refused_without_crashing() -> None:
    deep = "a: " + "[" * 200_000 + "]" * 200_000 + "\n"
    message = refusal(deep)
    # PyYAML 6.0.4 and later stop the parser itself at 1000 levels; older ones leave it to our bound.
    assert message.startswith("f.yaml:1:")
    assert f"nested deeper than {MAX_DEPTH} levels" in message or "maximum nesting depth" in message


def test_yamlio_oversized_file_is_refused() -> None:
    assert refusal(b"a: " + b"x" * MAX_FILE_BYTES) == "f.yaml:1:1: file is larger than 5 MiB"


def test_yamlio_binary_file_is_refused() -> None:
    assert refusal(b"a: 1\nb: \x00\x01\x02\n") == "f.yaml:2:4: not UTF-8 text (a NUL byte: binary file?)"


def test_yamlio_non_utf8_file_is_refused() -> None:
    assert refusal("a: 1\nname: caf\u00e9\n".encode("latin-1")) == "f.yaml:2:10: not UTF-8 text"


@pytest.mark.parametrize("raw", ["", "# only a comment\n", "---\n", "~\n"])
def test_yamlio_empty_file_is_refused(raw: str) -> None:
    assert refusal(raw) == "f.yaml:1:1: empty file, expected a mapping"


def test_yamlio_top_level_list_is_refused() -> None:
    assert refusal("- a\n") == "f.yaml:1:1: expected a mapping, found a list"


def test_yamlio_second_document_is_refused() -> None:
    assert refusal("a: 1\n---\nb: 2\n") == "f.yaml:2:1: a second YAML document starts here; expected exactly one"


@pytest.mark.parametrize(
    ("raw", "tag"),
    [("a: !!binary aGk=\n", "!!binary"), ("a: !!python/object:os.system x\n", "!!python/object:os.system")],
)
def test_yamlio_unsafe_tags_are_refused(raw: str, tag: str) -> None:
    assert refusal(raw) == f"f.yaml:1:4: YAML tag {tag} is not allowed here"


def test_yamlio_impossible_date_is_refused() -> None:
    assert refusal("released: 2024-13-45\n").startswith("f.yaml:1:11: not a valid timestamp; expected a real date")


def test_yamlio_complex_key_is_refused() -> None:
    assert refusal("? [a, b]\n: 1\n") == "f.yaml:1:3: a mapping key must be a plain value, not a list or mapping"


def test_yamlio_dump_is_sorted_block_style_and_quotes_lookalikes() -> None:
    data = {"b": ["100.0.1000076", "1.0", "true", "012", "2024-05-02"], "a": {"z": None, "y": 1}}
    assert dump_yaml(data) == (
        "a:\n  'y': 1\n  z: null\nb:\n- 100.0.1000076\n- '1.0'\n- 'true'\n- '012'\n- '2024-05-02'\n"
    )


def test_yamlio_dump_keeps_long_strings_on_one_line_and_text_as_blocks() -> None:
    long_text = " ".join(["word"] * 100)
    assert dump_yaml({"long": long_text}) == f"long: {long_text}\n"
    assert dump_yaml({"text": "line one\nline two\n"}) == "text: |\n  line one\n  line two\n"


def test_yamlio_dump_writes_tuples_as_lists() -> None:
    assert dump_yaml({"order": ("eastus", "centralus")}) == "order:\n- eastus\n- centralus\n"


def test_yamlio_dump_all_starts_each_document() -> None:
    assert dump_all_yaml([{"a": 1}, {"b": 2}]) == "---\na: 1\n---\nb: 2\n"


_KEYS = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates().map(str),  # a date is read as the text written, as helm reads it
    st.text(st.characters(blacklist_categories=("Cs",))),
    st.sampled_from(["100.0.1000076", "1.0", "true", "012", "0x1F", "~", "null", "yes", "on", "1e3", "-", "<<"]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(_KEYS, _VALUES, min_size=1, max_size=5))
def test_yamlio_dump_then_load_round_trips(data: dict[str, Any]) -> None:
    text = dump_yaml(data)
    assert load_document(text.encode("utf-8"), "f.yaml").data == data
    assert dump_yaml(data) == text
