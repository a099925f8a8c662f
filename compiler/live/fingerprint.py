"""What a region runs, reduced to what a live release can be compared on: chart version and values hash.

The values hash is sha256 over canonical JSON of the user-supplied values with
every secret path left out, so that the plan (which never holds secrets) and a
live release (whose values may carry them) hash alike. Numbers are compared as
helm reports them: helm reads every YAML number as a 64-bit float, so an
integer beyond 2**53 is the float nearest it (9223372036854775807 comes back
as 9223372036854776000), a whole float is an int, and an integer too large
for any float is the string of its digits.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from compiler.resolve.secrets import redact, strip_redacted
from compiler.resolve.values import leaf_paths
from compiler.spec.models import Secrets

ABSENT = "none"
# The chart version of a chart kept in the repository (chart.path) is whatever its Chart.yaml says: any matches.
ANY_CHART = "*"
_SEP = "@"
_MISSING = object()


@dataclass(frozen=True)
class Fingerprint:
    """A release as the plan expects it live: its chart version and the hash of its values."""

    chart_version: str
    values_sha256: str

    def matches(self, found: Fingerprint) -> bool:
        """``found`` (a live release) is this release: same values, and the same chart version unless any goes."""
        return self.values_sha256 == found.values_sha256 and self.chart_version in (ANY_CHART, found.chart_version)

    def knows_chart(self, chart_version: str) -> bool:
        return self.chart_version in (ANY_CHART, chart_version)

    def token(self) -> str:
        """The one-word form the scripts pass on the command line."""
        return f"{self.chart_version}{_SEP}{self.values_sha256}"

    def short(self) -> str:
        chart = "any chart version" if self.chart_version == ANY_CHART else f"chart {self.chart_version}"
        return f"{chart}, values {self.values_sha256[:12]}"

    def as_dict(self) -> dict[str, str]:
        return {"chart_version": self.chart_version, "values_sha256": self.values_sha256}


def parse_token(text: str) -> Fingerprint | None:
    """A fingerprint from its token (None for ``none``); ValueError when malformed."""
    if text == ABSENT:
        return None
    chart, sep, digest = text.rpartition(_SEP)
    if not sep or not chart or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError(f"expected CHART_VERSION{_SEP}SHA256 or {ABSENT!r}, found {text!r}")
    return Fingerprint(chart, digest)


def token(fingerprint: Fingerprint | None) -> str:
    return fingerprint.token() if fingerprint is not None else ABSENT


def strip_secrets(values: dict[str, Any], rules: Secrets) -> dict[str, Any]:
    """``values`` without any leaf the rules (or the plan's own redaction) call secret.

    The plan's values arrive redacted already; a live release's arrive in
    clear. Redacting both with the same rules, then dropping every redacted
    leaf, leaves the same keys on both sides.
    """
    return _pruned(strip_redacted(redact(values, rules)))


def _pruned(values: dict[str, Any]) -> dict[str, Any]:
    """Without the mappings that stripping emptied: a secrets file may add keys the plan's values never had."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            value = _pruned(value)
            if not value:
                continue
        out[key] = value
    return out


def values_digest(values: dict[str, Any], rules: Secrets) -> str:
    """sha256 of the canonical JSON of ``values`` without their secret leaves."""
    text = json.dumps(_canonical(strip_secrets(values, rules)), sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))  # fmt: skip
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def differing_paths(expected: dict[str, Any], found: dict[str, Any], rules: Secrets) -> list[str]:
    """Dotted values paths (never values) where ``found`` differs from ``expected``, secret paths left out."""
    ours = dict(leaf_paths(_canonical(strip_secrets(expected, rules))))
    theirs = dict(leaf_paths(_canonical(strip_secrets(found, rules))))
    return sorted(p for p in ours.keys() | theirs.keys() if ours.get(p, _MISSING) != theirs.get(p, _MISSING))


def fingerprint(chart_version: str, values: dict[str, Any], rules: Secrets) -> Fingerprint:
    return Fingerprint(chart_version, values_digest(values, rules))


def union_rules(rules: Iterable[Secrets]) -> Secrets:
    """One rule set from several: a path secret under any of them is secret."""
    sides = list(rules)
    return Secrets(
        paths=tuple(sorted({p for s in sides for p in s.paths})),
        words=tuple(sorted({w for s in sides for w in s.words})),
    )


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _as_helm_number(value)
    return value


def _as_helm_number(value: int | float) -> int | float | str:
    """The number as helm's float64 holds it: whole values as ints, beyond any float as the digits."""
    try:
        number = float(value)
    except OverflowError:
        return str(value)
    return int(number) if number.is_integer() else number
