"""Whether a name (a values key, an env-var name, a command flag) says its value is a secret.

A name names a secret when one of its words (split at camelCase, ``_``, ``-``
and ``.``, compared in lower case after Unicode compatibility folding) ends
with a secret word, unless its last word marks a reference or a setting
(``passwordFile``, ``tokenRefreshSeconds``), or it is a plain Kubernetes key
(``topologyKey``). ``imagePullSecrets`` names no secret: ``secrets`` is a
plural, whose items are names of Secrets.

A value is a reference, not a secret, when it names where a secret comes
from: ``${PASSWORD}``, ``$(cat /run/secrets/x)``, ``$DB_PASSWORD``,
``{{ .Values.password }}``, or when it is boolean text (``"true"``).
"""

from __future__ import annotations

import functools
import re
import unicodedata

DEFAULT_WORDS = ("password", "passwd", "pwd", "token", "secret", "key")
"""The default ``secrets.words``; also the words that spec fields are read with."""
# Last words of a key that names where a secret lives, or configures one, rather than holding it.
REFERENCE_WORDS = frozenset({"name", "names", "file", "files", "path", "paths", "ref", "refs", "mount"})
SETTING_WORDS = frozenset(
    {"ttl", "prefix", "suffix", "enabled", "enable", "length", "timeout", "seconds", "minutes", "interval", "type",
     "stdin"}
)  # fmt: skip
REFERENCE_PREFIXES = ("existing", "use")
# Kubernetes and Helm keys that name a key or a Secret, not a secret (tolerations, affinity, secretKeyRef).
PLAIN_KEYS = frozenset({"key", "topologykey", "secretkey", "existingsecret"})
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_SEPARATORS = re.compile(r"[\s_.\-]+")
# What a value refers to instead of holding: an expansion, a template, boolean text. Anchored, no nested
# repetition: linear on any input.
_REFERENCE_VALUE = re.compile(
    r"\$\{.*\}|\$\(.*\)|\$[A-Za-z_][A-Za-z0-9_]*|\{\{.*\}\}|<[A-Za-z0-9_ .-]*>"
    r"|true|false|yes|no|on|off|null|none|~",
    re.IGNORECASE | re.DOTALL,
)


def fold(text: str) -> str:
    """``text`` as a program would compare it: compatibility-folded (fullwidth letters), format characters gone."""
    if text.isascii():
        return text
    folded = unicodedata.normalize("NFKC", text)
    return "".join(char for char in folded if unicodedata.category(char) != "Cf")


def _words(key: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(key)] or [key.lower()]


def _chunks(key: str) -> list[str]:
    """The key split at separators only, in lower case: ``PaSsWoRd`` is one word, ``password``."""
    return [part for part in _SEPARATORS.split(key.lower()) if part]


@functools.lru_cache(maxsize=1 << 14)
def names_secret(key: str, words: tuple[str, ...]) -> bool:
    """True when the key (or an env-var name, or a flag without its dashes) says that its value is a secret."""
    key = fold(key)
    if is_reference_key(key):
        return False
    parts = [*_words(key), *_chunks(key)]
    return any(part.endswith(word.lower()) for part in parts for word in words if word)


def is_reference_key(key: str) -> bool:
    """A key that names where a secret lives, or configures one: ``secretName``, ``tokenRefreshSeconds``."""
    key = fold(key)
    parts = _words(key)
    return (
        key.lower() in PLAIN_KEYS
        or parts[0] in REFERENCE_PREFIXES
        or parts[-1] in REFERENCE_WORDS
        or parts[-1] in SETTING_WORDS
    )


def is_reference_value(value: str) -> bool:
    """A value that says where a secret comes from (or is boolean text), rather than holding one."""
    text = value.strip().strip("\"'").strip()
    return not text or _REFERENCE_VALUE.fullmatch(text) is not None
