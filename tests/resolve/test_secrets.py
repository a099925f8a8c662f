"""Which values paths are secret."""

from __future__ import annotations

import pytest

from compiler.resolve.secrets import is_secret_path, secret_leaves, strip_secrets
from compiler.spec.models import Secrets
from compiler.spec.yamlio import dump_yaml

RULES = Secrets(paths=("tenant.redis.auth",))


@pytest.mark.parametrize(
    "path",
    ["tenant.redis.password", "a.pgdb.pwd", "x.apiToken", "x.clientSecret", "x.privateKey", "tenant.redis.auth.user"],
)
def test_is_secret_path_secret_words_and_marked_paths(path: str) -> None:
    assert is_secret_path(path, RULES)


@pytest.mark.parametrize(
    "path",
    [
        "tenant.secrets.pgdb.pwd.secretName",
        "tenant.pgdb.passwordFile",
        "x.existingSecret",
        "x.tokenTTL",
        "x.keyPrefix",
        "x.useToken",
        "tenant.redis.host",
        "tenant.redis.authz",
        "tenant.tolerations.0.key",
        "x.valueFrom.secretKeyRef.key",
    ],
)
def test_is_secret_path_references_and_settings_are_not_secret(path: str) -> None:
    assert not is_secret_path(path, RULES)


def test_strip_secrets_removes_every_secret_leaf_and_nothing_else() -> None:
    values = {"tenant": {"redis": {"host": "r", "password": "hunter2", "auth": {"user": "u"}}, "n": 1}}
    assert secret_leaves(values, RULES) == ["tenant.redis.auth.user", "tenant.redis.password"]
    stripped = strip_secrets(values, RULES)
    assert stripped == {"tenant": {"redis": {"host": "r"}, "n": 1}}
    assert "hunter2" not in dump_yaml(stripped)


def test_dump_yaml_writes_no_anchors_for_shared_objects() -> None:
    shared = {"a": 1}
    assert "&" not in dump_yaml({"x": shared, "y": shared})
