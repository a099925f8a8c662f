"""Which values are secret (C-15): the one policy that loading, planning and every renderer follow.

The rule, for each leaf of a values document (README, "Secrets", shows examples):

1. booleans, numbers, null and empty text are never secret;
2. a path under ``secrets.allow`` is not secret, nor a path the spec itself writes
   (the image tag paths, the replica count: :func:`without_owned`);
3. a path under ``secrets.paths`` is secret;
4. text holding a secret form (a URL password, ``password=…``, ``--token …``, a private
   key …: :mod:`compiler.resolve.secretforms`) is secret, and so is an argv item that
   follows a secret flag (``args: [--password, …]``);
5. a leaf whose own key is a reference (``…Name``, ``…File``, ``…Path``, ``…Ref``,
   ``existing…``, ``secretKey``, ``key``) or a setting (``…Seconds``, ``…Timeout``, …) is not;
6. a leaf is secret when any key on its path names a secret (``password: {value: …}``),
   unless its value is a reference (``${PASSWORD}``) or boolean text;
7. the ``value`` beside a ``name`` that names a secret is secret (``env: [{name: DB_PASSWORD, value: …}]``);
8. text equal to a secret found by 3 to 7 is secret wherever else it appears (a YAML anchor
   copies a password to an innocent key).

Which names name a secret: :mod:`compiler.resolve.secretnames`.

Values are redacted once, when a region's effective values are resolved: every
secret leaf becomes a :class:`Redacted`, which compares equal to the same secret
and to nothing else, prints as ``Redacted()`` and cannot be dumped to YAML or
JSON. Nothing downstream can leak what it never holds.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from compiler.resolve.secretforms import flag_values, mask, secret_form
from compiler.resolve.secretnames import is_reference_key, is_reference_value, names_secret
from compiler.resolve.values import path_key
from compiler.spec.models import Secrets

COPIED_SECRET_CHARS = 8
"""Text at least this long that equals a secret is the same secret, pasted again."""
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


def _may_hold_secret(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def is_secret_leaf(path: tuple[str | int, ...], value: Any, rules: Secrets, named: bool = False) -> bool:
    """Whether the leaf ``value`` at ``path`` is secret; ``named`` when a sibling ``name`` names a secret."""
    if not _may_hold_secret(value):
        return False
    keyed = any(names_secret(part, rules.words) for part in path if isinstance(part, str))
    return _leaf_secret(path, _dotted(path), value, rules, named, keyed)


def _leaf_secret(
    path: tuple[str | int, ...], dotted: str, value: Any, rules: Secrets, named: bool, keyed: bool
) -> bool:
    """is_secret_leaf, told the leaf's dotted path and whether a key on its path names a secret (``keyed``)."""
    if not _may_hold_secret(value) or _under(dotted, rules.allow):
        return False
    if _under(dotted, rules.paths) or secret_form(value, rules.words) is not None:
        return True
    if is_reference_value(value):
        return False
    if named:
        return True
    last = path[-1] if path else None
    if isinstance(last, str) and is_reference_key(last):
        return False
    return keyed


def is_secret_path(path: str, rules: Secrets) -> bool:
    """Whether a text value at the dotted ``path`` is secret (a secret form in the text aside)."""
    parts = tuple(int(p) if p.isdigit() else p for p in path.split("."))
    return is_secret_leaf(parts, "x", rules)


def without_owned(rules: Secrets, owned: Iterable[str]) -> Secrets:
    """``rules`` under which the paths the spec itself writes (image tag, replica count) are never secret.

    Loading refuses such a path under the target's ``secrets.paths``; this keeps the base's
    declarations, and a secret word on the way (``images.apiKey.tag``), from removing them.
    """
    owned = tuple(owned)
    return Secrets(
        paths=tuple(p for p in rules.paths if p not in owned),
        words=rules.words,
        allow=tuple(sorted({*rules.allow, *owned})),
    )


def _named_secret(node: Mapping[Any, Any], rules: Secrets) -> bool:
    """A ``{name: DB_PASSWORD, value: …}`` item: its ``value`` holds what the name says."""
    name = node.get("name")
    return "value" in node and isinstance(name, str) and names_secret(name, rules.words)


Leaf = tuple[tuple[str | int, ...], Any, bool]
"""A leaf's path, its value, and whether it is secret by itself."""


def _leaves(
    data: Any, rules: Secrets, path: tuple[str | int, ...] = (), dotted: str = "", keyed: bool = False
) -> Iterator[Leaf]:
    """Every leaf of a values document in document order, and every key that holds a secret (value None).

    ``dotted`` is ``path`` joined by dots, ``keyed`` whether a key on it names a secret: both
    carried down, so that a leaf does not walk its path again.
    """
    if isinstance(data, Mapping):
        named = _named_secret(data, rules)
        for key, value in data.items():
            child = (*path, key)
            shown = f"{dotted}.{key}" if path else str(key)
            if isinstance(key, str) and _secret_key_at(dotted, key, rules):
                yield child, None, True  # a key holding a secret: refused whatever its value
                continue
            below = keyed or (isinstance(key, str) and names_secret(key, rules.words))
            if isinstance(value, Mapping | list):
                yield from _leaves(value, rules, child, shown, below)
            else:
                yield child, value, _leaf_secret(child, shown, value, rules, named and key == "value", below)
    elif isinstance(data, list):
        after_flag = set(flag_values(data, rules.words))
        for index, item in enumerate(data):
            child = (*path, index)
            shown = f"{dotted}.{index}" if path else str(index)
            if isinstance(item, Mapping | list):
                yield from _leaves(item, rules, child, shown, keyed)
            else:
                flagged = index in after_flag and not _under(shown, rules.allow)
                yield child, item, flagged or _leaf_secret(child, shown, item, rules, False, keyed)


def _secret_key(path: tuple[str | int, ...], key: str, rules: Secrets) -> bool:
    return _secret_key_at(_dotted(path[:-1]), key, rules)


def _secret_key_at(parent: str, key: str, rules: Secrets) -> bool:
    """Whether ``key`` (under the dotted ``parent``) holds a secret form itself (``https://u:pw@host: …``)."""
    return secret_form(key, rules.words) is not None and not _under(parent, rules.allow)


def _dotted(path: tuple[str | int, ...]) -> str:
    return ".".join(str(part) for part in path)


def secret_leaves(data: Any, rules: Secrets) -> list[Leaf]:
    """Every leaf of a values document, walked once: what :func:`secret_texts` and :func:`redact` can share."""
    return list(_leaves(data, rules))


def secret_texts(data: Any, rules: Secrets, leaves: list[Leaf] | None = None) -> set[str]:
    """The secret texts of a values document long enough to be recognised where they are pasted again.

    ``leaves``: the document's :func:`secret_leaves` under ``rules``, when already walked.
    """
    found = _leaves(data, rules) if leaves is None else leaves
    return {v for _, v, secret in found if secret and isinstance(v, str) and len(v) >= COPIED_SECRET_CHARS}


def secret_locations(
    data: Any, rules: Secrets, known: Iterable[str] = (), leaves: list[Leaf] | None = None
) -> Iterator[tuple[str | int, ...]]:
    """Paths of the secret leaves of a values document, in document order.

    A secret copied elsewhere is secret there too: a YAML anchor copies a password to an
    innocent key as easily as to a secret one (the parser hands both the same text object),
    and a long secret pasted again is the same secret, also one ``known`` from another
    document (another region's values, the other side of the plan). ``leaves``: the
    document's :func:`secret_leaves` under ``rules``, when already walked.
    """
    leaves = list(_leaves(data, rules)) if leaves is None else leaves
    found = [value for _, value, secret in leaves if secret and isinstance(value, str)]
    same = {id(value) for value in found if len(value) > 1}  # one-character texts are shared by every parser
    equal = {value for value in [*found, *known] if len(value) >= COPIED_SECRET_CHARS}
    for path, value, secret in leaves:
        if secret or (
            isinstance(value, str)
            and (id(value) in same or value in equal)
            and not is_reference_value(value)
            and not _under(_dotted(path), rules.allow)
        ):
            yield path


def redact(
    values: dict[str, Any], rules: Secrets, known: Iterable[str] = (), leaves: list[Leaf] | None = None
) -> dict[str, Any]:
    """A copy of ``values`` whose secret leaves (and copies of ``known`` secrets) are :class:`Redacted`.

    ``leaves``: the document's :func:`secret_leaves` under ``rules``, when already walked.
    """
    out: dict[str, Any] = _copy(values)
    for location in secret_locations(values, rules, known, leaves):
        node: Any = out
        for part in location[:-1]:
            node = node[part]
        last = location[-1]
        if isinstance(last, str) and _secret_key(location, last, rules):
            node[mask(last, rules.words)] = redacted(node.pop(last))
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
        # A secret item leaves a null behind: the items after it keep their index (Flux's targetPath `a[1]`).
        return [None if isinstance(item, Redacted) else _stripped(item) for item in value]
    return value


def redacted_paths(values: Mapping[str, Any] | list[Any], prefix: str = "") -> list[str]:
    """Dotted paths (list items by index, a dot in a key escaped) of every redacted leaf, sorted."""
    found: list[str] = []
    items = values.items() if isinstance(values, Mapping) else enumerate(values)
    for key, value in items:
        path = f"{prefix}{path_key(key) if isinstance(key, str) else key}"
        if isinstance(value, Redacted):
            found.append(path)
        elif isinstance(value, Mapping | list):
            found.extend(redacted_paths(value, path + "."))
    return sorted(found)


def supplied_paths(values: Mapping[str, Any], rules: Secrets) -> tuple[str, ...]:
    """What a secret store must supply for one region: the declared paths, and every value redacted outside them."""
    found = [p for p in redacted_paths(values) if not _under(p, rules.paths)]
    return tuple(sorted({*rules.paths, *found}))
