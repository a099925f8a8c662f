"""Which values are secret (C-15), and how to keep them out of every output."""

from __future__ import annotations

import functools
from typing import Any

from compiler.spec.models import Secrets

# A key like `secretName`, `pwdFile`, `tokenRef` or `existingSecret` names where a secret lives, not the
# secret; `tokenTTL` or `keyPrefix` configure one. Neither holds a secret value.
REFERENCE_SUFFIXES = ("name", "file", "path", "ref", "mount", "ttl", "prefix", "enabled", "length", "timeout")
REFERENCE_PREFIXES = ("existing", "use")
# Kubernetes fields named just `key` (tolerations, selectors, secretKeyRef) name a key, they hold no secret.
PLAIN_KEYS = frozenset({"key"})


def is_secret_path(path: str, secrets: Secrets) -> bool:
    """True when the dotted values ``path`` holds a secret value under ``secrets``' rules."""
    return _is_secret(path, secrets.paths, secrets.words)


# Every leaf of every region's values is asked about, on both sides and by several
# renderers, while the paths themselves repeat from region to region.
@functools.lru_cache(maxsize=1 << 16)
def _is_secret(path: str, paths: tuple[str, ...], words: tuple[str, ...]) -> bool:
    for marked in paths:
        if path == marked or path.startswith(marked + "."):
            return True
    last = path.rsplit(".", 1)[-1].lower()
    if last in PLAIN_KEYS or last.endswith(REFERENCE_SUFFIXES) or last.startswith(REFERENCE_PREFIXES):
        return False
    return any(word in last for word in words)


def strip_secrets(values: dict[str, Any], secrets: Secrets, prefix: str = "") -> dict[str, Any]:
    """A copy of ``values`` without any secret leaf (maps that become empty are kept empty)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            if path in secrets.paths:
                continue
            out[key] = strip_secrets(value, secrets, path + ".")
        elif not is_secret_path(path, secrets):
            out[key] = value
    return out


def secret_leaves(values: dict[str, Any], secrets: Secrets, prefix: str = "") -> list[str]:
    """Dotted paths of every secret leaf in ``values``, sorted."""
    found: list[str] = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            found.extend(secret_leaves(value, secrets, path + "."))
        elif is_secret_path(path, secrets):
            found.append(path)
    return sorted(found)
