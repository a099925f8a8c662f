"""The secret policy: which values are secret, and what redaction leaves."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from compiler.resolve.secrets import (
    Redacted,
    is_secret_path,
    merged_rules,
    redact,
    redacted_paths,
    secret_locations,
    strip_redacted,
    supplied_paths,
)
from compiler.spec.models import Secrets
from compiler.spec.yamlio import dump_yaml

RULES = Secrets(paths=("tenant.redis.auth",))


def wide(text: str) -> str:
    """``text`` in fullwidth letters, which Unicode compatibility folding reads as ASCII."""
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


@pytest.mark.parametrize(
    "path",
    [
        "tenant.redis.password",
        "a.pgdb.pwd",
        "a.pgdb.dbpwd",
        "x.apiToken",
        "x.clientSecret",
        "x.privateKey",
        "x.apikey",
        "x.userPassword",
        "x.DB_PASSWORD",
        "x.db-password",
        "tenant.redis.auth.user",
        "tenant.redis.password.value",
        "x.token.0",
    ],
)
def test_is_secret_path_secret_words_anywhere_on_the_path_and_marked_paths(path: str) -> None:
    assert is_secret_path(path, RULES)


@pytest.mark.parametrize(
    "path",
    [
        "tenant.secrets.pgdb.pwd.secretName",
        "tenant.pgdb.passwordFile",
        "tenant.secrets.redis.mountPath",
        "x.existingSecret",
        "x.existingSecretPasswordKey",
        "x.secretKey",
        "x.tokenTTL",
        "x.tokenRefreshSeconds",
        "x.keyPrefix",
        "x.topologyKey",
        "x.keyspaceEvents",
        "x.useToken",
        "tenant.redis.host",
        "tenant.redis.authz",
        "tenant.tolerations.0.key",
        "x.valueFrom.secretKeyRef.key",
        "x.valueFrom.secretKeyRef.name",
        "images.imagePullSecrets",
        "images.imagePullSecrets.0",
        "images.imagePullSecrets.0.name",
        "password.secretName",
    ],
)
def test_is_secret_path_references_and_settings_are_not_secret(path: str) -> None:
    assert not is_secret_path(path, RULES)


def test_secret_locations_structural_positions() -> None:
    values: dict[str, Any] = {
        "password": {"value": "c1"},
        "extraEnv": [{"name": "DB_PASSWORD", "value": "c2"}, {"name": "LOG_LEVEL", "value": "info"}],
        "pgdb": {"url": "postgres://tenant:c3@db.example.internal:5432/t100"},
        "redis": {"urls": ["redis://:c4@redis:6379/0", "redis://redis:6379/1"]},
        "tenant": {"redis": {"auth": {"user": "c5", "port": 6380}}},
        "plain": {"dsn": "postgres://tenant@db/t100", "site": "https://example.com/a:b@c"},
    }
    found = [".".join(map(str, p)) for p in secret_locations(values, RULES)]
    assert found == ["password.value", "extraEnv.0.value", "pgdb.url", "redis.urls.0", "tenant.redis.auth.user"]


def test_secret_locations_booleans_numbers_null_and_empty_text_are_never_secret() -> None:
    values = {
        "automountServiceAccountToken": False,
        "redis": {"keyspaceEvents": True, "password": None, "token": "", "tokenRefreshSeconds": 30},
        "apiKey": 12345,
        "tenant": {"redis": {"auth": {"enabled": True}}},
    }
    assert list(secret_locations(values, RULES)) == []


def test_secret_locations_the_vendor_sample_layout_holds_none() -> None:
    values = yaml.safe_load(
        """
images:
  imagePullSecrets: pullsecret
  registry: pureengageuse1-docker-multicloud.jfrog.io
tenant:
  secrets:
    pgdb:
      mountPath: /opt/genesys/tenant/etc/secrets/pgdb
      secretKey: dbpassword
      pwd:
        secretName: t100-pgdb
    redis:
      existingSecret: t100-redis
  affinity:
    podAntiAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
        - weight: 100
          podAffinityTerm:
            topologyKey: kubernetes.io/hostname
  tolerations: [{key: dedicated, operator: Equal, value: tenant}]
  env:
    - name: DB_PASSWORD_FILE
      value: /opt/genesys/tenant/etc/secrets/pgdb/db-password
    - name: DB_PASSWORD
      valueFrom: {secretKeyRef: {name: t100-pgdb, key: db-password}}
"""
    )
    assert list(secret_locations(values, Secrets())) == []


def test_secret_locations_allow_is_the_escape_for_a_false_positive() -> None:
    values = {"monitoring": {"turnkey": "yes-please"}, "x": {"password": "c"}}
    assert [p for p in secret_locations(values, Secrets())] == [("monitoring", "turnkey"), ("x", "password")]
    allowed = Secrets(allow=("monitoring.turnkey",))
    assert list(secret_locations(values, allowed)) == [("x", "password")]


def test_redact_replaces_each_secret_and_strip_leaves_what_a_file_may_hold() -> None:
    values: dict[str, Any] = {
        "env": [{"name": "API_TOKEN", "value": "c1"}],
        "tenant": {"redis": {"host": "r", "password": "hunter2", "auth": {"user": "u"}}, "n": 1},
    }
    redacted = redact(values, RULES)
    assert values["tenant"]["redis"]["password"] == "hunter2", "the input is left alone"
    assert isinstance(redacted["tenant"]["redis"]["password"], Redacted)
    assert redacted_paths(redacted) == ["env.0.value", "tenant.redis.auth.user", "tenant.redis.password"]
    stripped = strip_redacted(redacted)
    assert stripped == {"env": [{"name": "API_TOKEN"}], "tenant": {"redis": {"host": "r", "auth": {}}, "n": 1}}
    assert supplied_paths(redacted, RULES) == ("env.0.value", "tenant.redis.auth", "tenant.redis.password")
    assert "hunter2" not in repr(redacted)


def test_redacted_equals_the_same_secret_only_and_cannot_be_dumped() -> None:
    one, same, other = (redact({"password": v}, RULES)["password"] for v in ("a", "a", "b"))
    assert one == same and one != other
    assert repr(one) == "Redacted()"
    with pytest.raises(yaml.representer.RepresenterError):
        dump_yaml({"password": one})


def test_merged_rules_secret_on_either_side_is_secret() -> None:
    base = Secrets(paths=("a.b",), words=("pin",), allow=("x.y", "z"))
    target = Secrets(paths=("c",), allow=("z",))
    rules = merged_rules(target, base)
    assert rules.paths == ("a.b", "c")
    assert "pin" in rules.words and "password" in rules.words
    assert rules.allow == ("z",)
    assert merged_rules(target, None) == merged_rules(target)


def test_redact_a_key_holding_a_url_password_is_masked_with_its_value() -> None:
    values = {"backends": {"postgres://u:c1@db/t": {"weight": 1}, "plain": {"weight": 2}}}
    assert list(secret_locations(values, RULES)) == [("backends", "postgres://u:c1@db/t")]
    redacted = redact(values, RULES)
    assert "c1" not in repr(redacted)
    assert list(redacted["backends"]) == ["plain", "postgres://u:REDACTED@db/t"]
    assert strip_redacted(redacted) == {"backends": {"plain": {"weight": 2}}}


def _doc(text: str) -> Any:
    from compiler.spec.yamlio import load_document

    return load_document(text.encode("utf-8"), "values.yaml").data


def test_secret_locations_an_anchor_copies_the_secret_to_every_alias() -> None:
    values = _doc("db:\n  password: &pw hunter2\nmirror:\n  host: *pw\nlabels: [*pw, plain]\nshort: &s ab\npwd: *s\n")
    found = {".".join(map(str, p)) for p in secret_locations(values, Secrets())}
    assert found == {"db.password", "mirror.host", "labels.0", "short", "pwd"}


def test_secret_locations_an_anchor_on_an_innocent_key_is_caught_at_both_places() -> None:
    values = _doc("note: &n some-long-secret\nauth:\n  token: *n\n")
    assert [".".join(map(str, p)) for p in secret_locations(values, Secrets())] == ["note", "auth.token"]


def test_secret_locations_a_long_secret_pasted_again_is_secret_there_too() -> None:
    values = {"password": "correct-horse-battery", "comment": "correct-horse-battery", "replica": "1", "b": "x"}
    assert [p[0] for p in secret_locations(values, Secrets())] == ["password", "comment"]
    short = {"password": "x", "enabled": "x"}
    assert [p[0] for p in secret_locations(short, Secrets())] == ["password"]


def test_secret_locations_keys_in_any_case() -> None:
    values = {"PASSWORD": "a", "Db_PassWord": "b", wide("PASSWORD"): "c", "dbPASSWORD": "d", "host": "h"}
    assert sorted(p[0] for p in secret_locations(values, Secrets())) == sorted(k for k in values if k != "host")


def test_secret_locations_references_and_boolean_text_under_secret_keys_are_not_secret() -> None:
    values = {
        "password": "${DB_PASSWORD}",
        "token": "$(cat /run/secrets/token)",
        "apiKey": "{{ .Values.global.apiKey }}",
        "useToken": "true",
        "secret": "false",
        "env": [{"name": "DB_PASSWORD", "value": "$(DB_PASSWORD)"}],
        "passwordSecretName": "tenant-db",
    }
    assert list(secret_locations(values, Secrets())) == []


def test_secret_locations_forms_in_text_and_argv_lists() -> None:
    values = {
        "jdbc": "jdbc:postgresql://db/t?user=u&password=p1",
        "ado": "Server=db;User Id=u;Pwd=p2;",
        "args": ["--user", "u", "--password", "p3", "--token=p4", "--password-file", "/x"],
        "script": "#!/bin/sh\nexport DB_PASSWORD=p5\n",
        "key": "-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----\n",
        "git": "https://x-access-token:p6@github.com/o/r",
        "remote": "https://ghp_abcdefghijklmnopqrstuvwx12@github.com/o/r",
        "plain": ["--user", "u"],
    }
    found = [".".join(map(str, p)) for p in secret_locations(values, Secrets())]
    assert found == ["jdbc", "ado", "args.3", "args.4", "script", "key", "git", "remote"]
    allowed = Secrets(allow=("args", "jdbc"))
    assert "args.3" not in {".".join(map(str, p)) for p in secret_locations(values, allowed)}


def test_redact_a_key_holding_a_secret_form_is_masked() -> None:
    out = redact({"conns": {"Server=db;Password=p7;": "primary"}}, Secrets())
    assert list(out["conns"]) == ["Server=db;Password=REDACTED;"]
    assert isinstance(out["conns"]["Server=db;Password=REDACTED;"], Redacted)


def test_without_owned_keeps_the_spec_paths_out_of_any_secret_rule() -> None:
    from compiler.resolve.secrets import without_owned

    owned = ("images.apiKey.tag", "replicaCount")
    rules = without_owned(Secrets(paths=("replicaCount", "images", "db.password")), owned)
    values = {"images": {"apiKey": {"tag": "1.2"}, "pull": "x"}, "replicaCount": "3", "db": {"password": "p"}}
    out = strip_redacted(redact(values, rules))
    assert out == {"images": {"apiKey": {"tag": "1.2"}}, "replicaCount": "3", "db": {}}
    assert "replicaCount" not in rules.paths and "db.password" in rules.paths


def test_secret_locations_allow_covers_a_key_holding_a_form_under_an_allowed_prefix() -> None:
    values = {"conns": {"Server=db;Password=p8;": "primary"}}
    assert list(secret_locations(values, Secrets(allow=("conns",)))) == []
    assert list(secret_locations(values, Secrets())) == [("conns", "Server=db;Password=p8;")]
