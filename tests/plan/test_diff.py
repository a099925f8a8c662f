"""Values diff: leaf changes, list handling, secret redaction and signals."""

from __future__ import annotations

from compiler.plan.diff import signals, values_diff
from compiler.profiles.tenant import TenantProfile
from compiler.resolve.secrets import redact
from compiler.spec.models import EnvironmentSpec

ENV = EnvironmentSpec.model_validate(
    {
        "service": "tenant",
        "version": "1",
        "release": "t100",
        "namespace": "voice",
        "chart": {"name": "tenant", "repository": "oci://r.example.com/c"},
        "secrets": {"paths": ["tenant.redis.password"]},
    }
)
TAGS = {"images": {"tenant": {"tag": "1"}, "pgdbInit": {"tag": "1"}, "pulseInit": {"tag": "1"}}}


def _tags(tag: str) -> dict[str, object]:
    return {"images": {k: {"tag": tag} for k in ("tenant", "pgdbInit", "pulseInit")}}


def test_values_diff_equal_documents_is_empty() -> None:
    assert values_diff(TAGS, TAGS) == ()


def test_values_diff_reports_leaves_sorted_with_old_and_new() -> None:
    base = {"a": {"b": 1, "gone": "x"}, "l": [1, 2]}
    target = {"a": {"b": 2, "new": {"x": 1, "y": 2}}, "l": [1, 3]}
    found = [(d.path, d.op, d.old, d.new) for d in values_diff(base, target)]
    assert found == [
        ("a.b", "changed", 1, 2),
        ("a.gone", "removed", "x", None),
        ("a.new.x", "added", None, 1),
        ("a.new.y", "added", None, 2),
        ("l", "changed", [1, 2], [1, 3]),
    ]


def test_values_diff_secret_paths_carry_no_values() -> None:
    base = {"tenant": {"redis": {"password": "hunter2-old", "apiToken": "tok-old"}}}
    target = {"tenant": {"redis": {"password": "hunter2-new", "apiToken": "tok-new"}}}
    diff = values_diff(redact(base, ENV.secrets), redact(target, ENV.secrets))
    assert [(d.path, d.secret) for d in diff] == [("tenant.redis.apiToken", True), ("tenant.redis.password", True)]
    assert all(d.old is None and d.new is None for d in diff)
    assert "hunter2" not in repr(diff) and "tok-" not in repr(diff)


def test_signals_tags_only_when_only_tag_paths_change() -> None:
    sig = signals(values_diff(_tags("1"), _tags("2")), ENV)
    assert sig.tags_only and not (sig.database or sig.redis)


def test_signals_database_redis_replicas_and_secret_references() -> None:
    base = {"tenant": {"pgdb": {"host": "a"}, "redis": {"host": "r1"}, "deployment": {"replicaCount": 3},
                       "secrets": {"pgdb": {"pwd": {"secretName": "s1"}}}}}  # fmt: skip
    target = {"tenant": {"pgdb": {"host": "b"}, "redis": {"host": "r2"}, "deployment": {"replicaCount": 1},
                         "secrets": {"pgdb": {"pwd": {"secretName": "s2"}}}}}  # fmt: skip
    sig = TenantProfile().signals(values_diff(base, target), ENV)
    assert (sig.tags_only, sig.database, sig.redis, sig.secret_refs) == (False, True, True, True)


def test_signals_without_prefixes_never_signal_a_connection_change() -> None:
    base = {"tenant": {"pgdb": {"host": "a"}, "redis": {"host": "r1"}}}
    target = {"tenant": {"pgdb": {"host": "b"}, "redis": {"host": "r2"}}}
    sig = signals(values_diff(base, target), ENV)
    assert (sig.tags_only, sig.database, sig.redis, sig.secret_refs) == (False, False, False, False)
