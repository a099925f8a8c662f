"""Which values are secret (C-15): the one policy that loading, planning and every renderer follow.

The rule, for each leaf of a values document (README, "Secrets", shows examples):

1. booleans, numbers, null and empty text are never secret;
2. a path under ``secrets.allow`` is not secret;
3. a path under ``secrets.paths`` is secret;
4. text holding a URL or DSN with a password (``scheme://user:password@host``) is secret;
5. a leaf whose own key is a reference (``…Name``, ``…File``, ``…Path``, ``…Ref``,
   ``existing…``, ``secretKey``, ``key``) or a setting (``…Seconds``, ``…Timeout``, …) is not;
6. a leaf is secret when any key on its path names a secret (``password: {value: …}``);
7. the ``value`` beside a ``name`` that names a secret is secret (``env: [{name: DB_PASSWORD, value: …}]``).

A key names a secret when one of its words (split at camelCase, ``_`` and ``-``)
ends with a secret word, unless its last word marks a reference or a setting, or
it is a plain Kubernetes key (``topologyKey``). ``imagePullSecrets`` names no
secret: ``secrets`` is a plural, whose items are names of Secrets.

Values are redacted once, when a region's effective values are resolved: every
secret leaf becomes a :class:`Redacted`, which compares equal to the same secret
and to nothing else, prints as ``Redacted()`` and cannot be dumped to YAML or
JSON. Nothing downstream can leak what it never holds.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from compiler.spec.models import Secrets
from compiler.spec.types import has_url_credential, mask_url_credentials

# Last words of a key that names where a secret lives, or configures one, rather than holding it.
REFERENCE_WORDS = frozenset({"name", "names", "file", "files", "path", "paths", "ref", "refs", "mount"})
SETTING_WORDS = frozenset(
    {"ttl", "prefix", "suffix", "enabled", "enable", "length", "timeout", "seconds", "minutes", "interval", "type"}
)
REFERENCE_PREFIXES = ("existing", "use")
# Kubernetes and Helm keys that name a key or a Secret, not a secret (tolerations, affinity, secretKeyRef).
PLAIN_KEYS = frozenset({"key", "topologykey", "secretkey", "existingsecret"})
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
# Compares redacted values within one run only: a digest that leaked would be worthless.
_DIGEST_KEY = os.urandom(16)


@dataclass(frozen=True)
class Redacted:
    """A secret value, gone: equal only to the same secret within one run."""

    digest: bytes = field(repr=False)


def redacted(value: Any) -> Redacted:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return Redacted(hashlib.blake2b(text.encode("utf-8"), key=_DIGEST_KEY, digest_size=16).digest())


def contains_redacted(value: Any) -> bool:
    if isinstance(value, Redacted):
        return True
    if isinstance(value, Mapping):
        return any(contains_redacted(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(contains_redacted(item) for item in value)
    return False


def merged_rules(*sides: Secrets | None) -> Secrets:
    """The rules of several sides at once: a value secret on either side is secret."""
    present = [s for s in sides if s is not None]
    return Secrets(
        paths=tuple(sorted({p for s in present for p in s.paths})),
        words=tuple(sorted({w for s in present for w in s.words})),
        # A path allowed by one side but secret on the other stays secret.
        allow=tuple(sorted(set.intersection(*(set(s.allow) for s in present)))) if present else (),
    )


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == p or path.startswith(p + ".") for p in prefixes)


def _words(key: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(key)] or [key.lower()]


@functools.lru_cache(maxsize=1 << 14)
def names_secret(key: str, words: tuple[str, ...]) -> bool:
    """True when the key (or an env-var name) ``key`` says that its value is a secret."""
    if _is_reference_key(key):
        return False
    return any(part.endswith(word.lower()) for part in _words(key) for word in words if word)


def _is_reference_key(key: str) -> bool:
    """A key that names where a secret lives, or configures one: ``secretName``, ``tokenRefreshSeconds``."""
    parts = _words(key)
    return (
        key.lower() in PLAIN_KEYS
        or parts[0] in REFERENCE_PREFIXES
        or parts[-1] in REFERENCE_WORDS
        or parts[-1] in SETTING_WORDS
    )


def _may_hold_secret(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def is_secret_leaf(path: tuple[str | int, ...], value: Any, rules: Secrets, named: bool = False) -> bool:
    """Whether the leaf ``value`` at ``path`` is secret; ``named`` when a sibling ``name`` names a secret."""
    if not _may_hold_secret(value):
        return False
    dotted = ".".join(str(part) for part in path)
    if _under(dotted, rules.allow):
        return False
    if _under(dotted, rules.paths) or has_url_credential(value) or named:
        return True
    keys = [part for part in path if isinstance(part, str)]
    if keys and path[-1] == keys[-1] and _is_reference_key(keys[-1]):
        return False
    return any(names_secret(key, rules.words) for key in keys)


def is_secret_path(path: str, rules: Secrets) -> bool:
    """Whether a text value at the dotted ``path`` is secret (a URL credential aside)."""
    parts = tuple(int(p) if p.isdigit() else p for p in path.split("."))
    return is_secret_leaf(parts, "x", rules)


def _named_secret(node: Mapping[Any, Any], rules: Secrets) -> bool:
    """A ``{name: DB_PASSWORD, value: …}`` item: its ``value`` holds what the name says."""
    name = node.get("name")
    return "value" in node and isinstance(name, str) and names_secret(name, rules.words)


def secret_locations(data: Any, rules: Secrets, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Paths of the secret leaves of a values document, in document order."""
    if isinstance(data, Mapping):
        named = _named_secret(data, rules)
        for key, value in data.items():
            child = (*path, key)
            if isinstance(key, str) and has_url_credential(key):
                yield child  # a key holding a URL password: refused whatever its value
            elif isinstance(value, Mapping | list):
                yield from secret_locations(value, rules, child)
            elif is_secret_leaf(child, value, rules, named=named and key == "value"):
                yield child
    elif isinstance(data, list):
        for index, item in enumerate(data):
            child = (*path, index)
            if isinstance(item, Mapping | list):
                yield from secret_locations(item, rules, child)
            elif is_secret_leaf(child, item, rules):
                yield child


def redact(values: dict[str, Any], rules: Secrets) -> dict[str, Any]:
    """A copy of ``values`` whose secret leaves are :class:`Redacted` (shares nothing with ``values``)."""
    out: dict[str, Any] = _copy(values)
    for location in secret_locations(values, rules):
        node: Any = out
        for part in location[:-1]:
            node = node[part]
        last = location[-1]
        if isinstance(last, str) and has_url_credential(last):
            node[mask_url_credentials(last)] = redacted(node.pop(last))
        else:
            node[last] = redacted(node[last])
    return out


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def strip_redacted(values: dict[str, Any]) -> dict[str, Any]:
    """A copy of redacted ``values`` without any secret leaf: what a file in the repository may hold."""
    return {key: _stripped(item) for key, item in values.items() if not isinstance(item, Redacted)}


def _stripped(value: Any) -> Any:
    if isinstance(value, dict):
        return strip_redacted(value)
    if isinstance(value, list):
        return [_stripped(item) for item in value if not isinstance(item, Redacted)]
    return value


def redacted_paths(values: Mapping[str, Any] | list[Any], prefix: str = "") -> list[str]:
    """Dotted paths (list items by index) of every redacted leaf, sorted."""
    found: list[str] = []
    items = values.items() if isinstance(values, Mapping) else enumerate(values)
    for key, value in items:
        path = f"{prefix}{key}"
        if isinstance(value, Redacted):
            found.append(path)
        elif isinstance(value, Mapping | list):
            found.extend(redacted_paths(value, path + "."))
    return sorted(found)


def supplied_paths(values: Mapping[str, Any], rules: Secrets) -> tuple[str, ...]:
    """What a secret store must supply for one region: the declared paths, and every value redacted outside them."""
    found = [p for p in redacted_paths(values) if not _under(p, rules.paths)]
    return tuple(sorted({*rules.paths, *found}))
