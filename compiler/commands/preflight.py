"""`rollplan preflight`: the live check the scripts run before a region changes.

It runs the two helm queries given after ``--`` (``helm get metadata`` and
``helm get values``, as the plan wrote them), compares the release with the
plan's base and target fingerprints, and prints its verdict on stdout:
``proceed`` or ``skip``. A region the plan cannot safely act on exits 3, with
the region, what the plan expects and what runs on stderr.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError

from compiler import console
from compiler.errors import RollplanError, UsageError
from compiler.live.fingerprint import parse_token
from compiler.live.helm import Queries, read_release
from compiler.live.verdict import Expected, Mode, decide
from compiler.spec.models import Secrets

QUERY_SHAPES = (("get", "metadata"), ("get", "values"))


class LiveDrift(RollplanError):
    """The live release is not where the plan can start from (exit 3)."""

    exit_code = 3


def run(region: str, mode: Mode, base: str, target: str, secrets: Secrets, query: Sequence[str]) -> int:
    queries = parse_queries(query)
    try:
        expected = Expected(region, queries.metadata[3], parse_token(base), parse_token(target))
    except ValueError as exc:
        raise UsageError(f"--base/--target: {exc}") from exc
    verdict = decide(mode, expected, read_release(queries), secrets)
    if verdict.action == "stop":
        raise LiveDrift(verdict.message)
    console.progress(f"    {verdict.message}")
    console.result(verdict.action)
    return 0


def secret_rules(paths: Sequence[str], words: str) -> Secrets:
    """The plan's secret rules from ``--secret-path`` (repeated) and ``--secret-words`` (comma-separated)."""
    try:
        return Secrets(paths=tuple(paths), words=tuple(w for w in words.split(",") if w))
    except ValidationError as exc:
        raise UsageError(f"--secret-path: {exc.errors()[0]['msg']}") from exc


def parse_queries(words: Sequence[str]) -> Queries:
    """``-- helm get metadata … -- helm get values …`` as two argv lists; anything else is a usage error."""
    rest = list(words[1:] if words[:1] == ["--"] else words)
    if "--" not in rest:
        raise UsageError("preflight needs two helm queries: -- helm get metadata ... -- helm get values ...")
    cut = rest.index("--")
    found = (tuple(rest[:cut]), tuple(rest[cut + 1 :]))
    for argv, shape in zip(found, QUERY_SHAPES, strict=True):
        if len(argv) < 4 or not argv[0].endswith("helm") or tuple(argv[1:3]) != shape:
            raise UsageError(f"expected 'helm {' '.join(shape)} RELEASE ...', found {' '.join(argv) or 'nothing'!r}")
    return Queries(*found)
