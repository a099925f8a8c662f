"""Fingerprints: the values hash ignores secrets and key order, and matches helm's number forms."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

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


# Numbers a float64 cannot hold exactly, and one no float64 can hold at all.
BIG_NUMBERS = (
    "exact: 9007199254740993\nmax_int64: 9223372036854775807\nover_int64: 9223372036854775808\n"
    "between: 12345678901234567891\nover_uint64: 18446744073709551616\nnegative: -9223372036854775809\n"
    "huge: 1" + "0" * 400 + "\nsmall: 3\nratio: 0.5\nflag: true\n"
)
PROBE_TEMPLATE = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\ndata:\n  values: {{ .Values | toJson | quote }}\n"
)


def test_fingerprint_values_digest_reads_big_integers_as_helm_floats() -> None:
    # helm prints 9223372036854775807 back as 9223372036854776000: one float64, one fingerprint.
    assert values_digest({"n": 2**63 - 1}, RULES) == values_digest({"n": 9223372036854776000}, RULES)
    assert values_digest({"n": 2**53 + 1}, RULES) == values_digest({"n": 2**53}, RULES)
    assert values_digest({"n": 10**400}, RULES) == values_digest({"n": "1" + "0" * 400}, RULES)
    assert values_digest({"n": 2**63}, RULES) != values_digest({"n": 2**62}, RULES)
    assert differing_paths({"n": 2**63 - 1}, {"n": 9223372036854776000.0}, RULES) == []


@pytest.mark.helm
def test_fingerprint_values_digest_matches_helms_values_with_big_integers(helm: Path, tmp_path: Path) -> None:
    chart = tmp_path / "probe"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: probe\nversion: 0.1.0\n", encoding="utf-8")
    (chart / "templates" / "cm.yaml").write_text(PROBE_TEMPLATE, encoding="utf-8")
    (tmp_path / "values.yaml").write_text(BIG_NUMBERS, encoding="utf-8")
    argv = [str(helm), "template", "probe", str(chart), "-f", str(tmp_path / "values.yaml")]
    rendered = yaml.safe_load(subprocess.run(argv, capture_output=True, text=True, check=True).stdout)
    as_helm = json.loads(rendered["data"]["values"])
    ours = yaml.safe_load(BIG_NUMBERS)
    assert as_helm != ours  # helm really does change them
    assert values_digest(as_helm, RULES) == values_digest(ours, RULES)
    assert differing_paths(ours, as_helm, RULES) == []


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


def test_fingerprint_differing_paths_keeps_a_dotted_key_apart_from_a_nested_path() -> None:
    expected = {"podAnnotations": {"prometheus.io/scrape": "true"}, "a.b": 1, "a": {"b": 1}}
    found = {"podAnnotations": {"prometheus.io/scrape": "false"}, "a.b": 1, "a": {"b": 2}}
    assert differing_paths(expected, found, RULES) == ["a.b", "podAnnotations.prometheus\\.io/scrape"]
