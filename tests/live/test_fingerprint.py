"""Fingerprints: the values hash ignores secrets and key order, and matches helm's number forms."""

from __future__ import annotations

import pytest

from compiler.live.fingerprint import (
    ANY_CHART,
    Fingerprint,
    differing_paths,
    parse_token,
    token,
    union_rules,
    values_digest,
)
from compiler.spec.models import Secrets

RULES = Secrets(paths=("tenant.redis.auth",))
VALUES = {"images": {"tenant": {"tag": "1.2"}}, "tenant": {"deployment": {"replicaCount": 3}, "redis": {"port": 6379}}}


def test_fingerprint_values_digest_ignores_key_order() -> None:
    reordered = {"tenant": {"redis": {"port": 6379}, "deployment": {"replicaCount": 3}}, "images": VALUES["images"]}
    assert values_digest(reordered, RULES) == values_digest(VALUES, RULES)


def test_fingerprint_values_digest_ignores_secret_leaves_and_paths() -> None:
    with_secrets = {**VALUES, "tenant": {**VALUES["tenant"], "redis": {"port": 6379, "auth": {"user": "u"},
                                                                       "password": "hunter2"}}}  # fmt: skip
    assert values_digest(with_secrets, RULES) == values_digest(VALUES, RULES)


def test_fingerprint_values_digest_sees_a_changed_value() -> None:
    changed = {**VALUES, "images": {"tenant": {"tag": "1.3"}}}
    assert values_digest(changed, RULES) != values_digest(VALUES, RULES)


def test_fingerprint_values_digest_reads_whole_floats_as_ints() -> None:
    # helm reads YAML numbers as floats; `helm get values -o json` prints 3.0 as 3.
    as_helm = {**VALUES, "tenant": {"deployment": {"replicaCount": 3.0}, "redis": {"port": 6379.0}}}
    assert values_digest(as_helm, RULES) == values_digest(VALUES, RULES)
    assert values_digest({"ratio": 0.5}, RULES) != values_digest({"ratio": 0}, RULES)


def test_fingerprint_values_digest_keeps_types_apart() -> None:
    assert values_digest({"tag": "3"}, RULES) != values_digest({"tag": 3}, RULES)


def test_fingerprint_token_round_trips() -> None:
    fp = Fingerprint("100.0.122+1407", "a" * 64)
    assert parse_token(fp.token()) == fp
    assert parse_token(token(None)) is None


@pytest.mark.parametrize("text", ["1.0", "1.0@abc", "@" + "a" * 64, "1.0@" + "A" * 64, ""])
def test_fingerprint_parse_token_refuses_malformed(text: str) -> None:
    with pytest.raises(ValueError, match="expected CHART_VERSION@SHA256"):
        parse_token(text)


def test_fingerprint_any_chart_matches_values_only() -> None:
    local = Fingerprint(ANY_CHART, "b" * 64)
    assert local.matches(Fingerprint("9.9.9", "b" * 64))
    assert not local.matches(Fingerprint("9.9.9", "c" * 64))
    assert not Fingerprint("1.0", "b" * 64).matches(Fingerprint("9.9.9", "b" * 64))


def test_fingerprint_union_rules_takes_both_sides() -> None:
    rules = union_rules([Secrets(paths=("a.b",), words=("pwd",)), Secrets(paths=("c",), words=("token",))])
    assert (rules.paths, rules.words) == (("a.b", "c"), ("pwd", "token"))


def test_fingerprint_differing_paths_names_paths_not_secrets() -> None:
    live = {"images": {"tenant": {"tag": "1.2"}}, "tenant": {"deployment": {"replicaCount": 3.0}, "redis": {
        "port": 6380, "password": "hunter2"}}, "extra": {"on": True}}  # fmt: skip
    assert differing_paths(VALUES, live, RULES) == ["extra.on", "tenant.redis.port"]
