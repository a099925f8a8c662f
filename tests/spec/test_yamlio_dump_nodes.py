"""rollplan's dumper builds nodes for plain data itself: the bytes must be PyYAML's own."""

from __future__ import annotations

import datetime
import io
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from yaml.representer import BaseRepresenter

from compiler.spec import yamlio
from compiler.spec.yamlio import dump_all_yaml, dump_yaml


class _GenericDumper(yamlio._Dumper):
    """The same style through PyYAML's generic representer."""

    def represent(self, data: Any) -> None:
        BaseRepresenter.represent(self, data)


def _generic(data: Any, **options: Any) -> str:
    return str(yaml.dump_all([data], **{**yamlio._DUMP_OPTIONS, "Dumper": _GenericDumper, **options}))


TEXT = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["", "yes", "null", "~", "1e3", "0x1F", "2024-01-02", "a: b", "- x", "#c", " lead", "trail ", "x\ny", "x\n", "é€"]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    TEXT,
    st.dates(),
    st.datetimes(),
)
TREES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.tuples(inner, inner), st.dictionaries(TEXT, inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(TREES)
def test_yamlio_dump_matches_the_generic_representer(data: Any) -> None:
    assert dump_yaml(data) == _generic(data)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.dictionaries(TEXT, TREES, max_size=3), min_size=1, max_size=3))
def test_yamlio_dump_all_matches_the_generic_representer(docs: list[Any]) -> None:
    expected = str(yaml.dump_all(docs, explicit_start=True, **{**yamlio._DUMP_OPTIONS, "Dumper": _GenericDumper}))
    assert dump_all_yaml(docs) == expected


def test_yamlio_dump_keys_of_mixed_types_keep_their_order() -> None:
    data = {"b": 1, 2: "x", "a": datetime.date(2024, 1, 2)}
    assert dump_yaml(data) == _generic(data) == "b: 1\n2: x\na: 2024-01-02\n"


@settings(max_examples=300, deadline=None)
@given(TEXT | st.from_regex(r"[-+.0-9a-zA-Z:_<~ ]{0,12}", fullmatch=True))
def test_yamlio_remembered_resolver_is_pyyamls(value: str) -> None:
    stock = yaml.resolver.Resolver()
    dumper = yamlio._Dumper(io.StringIO())
    for implicit in ((True, False), (False, True)):
        expected = stock.resolve(yaml.ScalarNode, value, implicit)  # type: ignore[no-untyped-call]
        assert dumper.resolve(yaml.ScalarNode, value, implicit) == expected
    assert yamlio.implicit_tag(value) == stock.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
