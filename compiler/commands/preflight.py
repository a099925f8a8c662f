"""`rollplan preflight`: the live check the scripts run before a region changes.

It runs the two helm queries given after ``--`` (``helm get metadata`` and
``helm get values``, as the plan wrote them) and the kubectl query of the
workload's replica count after a third ``--``, compares the release with the
plan's base and target fingerprints, and prints its verdict on stdout:
``proceed`` or ``skip``. A workload at 0 replicas stops the check: a stop before a
database restore leaves the helm release as it was. A region the plan cannot safely act on exits 3, with
the region, what the plan expects and what runs on stderr.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError

from compiler import console
from compiler.errors import RollplanError, UsageError
from compiler.live.fingerprint import parse_token
from compiler.live.helm import Queries, read_release, read_replicas
from compiler.live.verdict import Expected, Mode, decide
from compiler.spec.models import Secrets

QUERY_SHAPES = (("get", "metadata"), ("get", "values"))
REPLICAS_QUERY = "jsonpath={.spec.replicas}"


class LiveDrift(RollplanError):
    """The live release is not where the plan can start from (exit 3)."""

    exit_code = 3


def run(
    region: str, mode: Mode, base: str, target: str, secrets: Secrets, query: Sequence[str], resume: str | None = None
) -> int:
    queries = parse_queries(query)
    try:
        expected = Expected(region, queries.metadata[3], parse_token(base), parse_token(target), parse_resume(resume))
    except ValueError as exc:
        raise UsageError(f"--base/--target/--resume: {exc}") from exc
    live = read_release(queries)
    verdict = decide(mode, expected, live, secrets, read_replicas(queries) if live is not None else None)
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


def parse_resume(text: str | None) -> tuple[str, int] | None:
    """``--resume SCRIPT:N``: the script that stops regions for a restore, and its restore step; ValueError if bad."""
    if text is None:
        return None
    script, sep, number = text.rpartition(":")
    if not sep or not script or not number.isdigit() or int(number) < 1:
        raise ValueError(f"expected SCRIPT:STEP-NUMBER, found {text!r}")
    return script, int(number)


def parse_queries(words: Sequence[str]) -> Queries:
    """``-- helm get metadata … -- helm get values … [-- kubectl … get WORKLOAD …]`` as argv lists.

    Anything else is a usage error.
    """
    rest = list(words[1:] if words[:1] == ["--"] else words)
    if "--" not in rest:
        raise UsageError("preflight needs two helm queries: -- helm get metadata ... -- helm get values ...")
    parts: list[list[str]] = [[]]
    for word in rest:
        if word == "--" and len(parts) < 3:
            parts.append([])
        else:
            parts[-1].append(word)
    found = [tuple(part) for part in parts]
    for argv, shape in zip(found, QUERY_SHAPES, strict=False):
        if len(argv) < 4 or not argv[0].endswith("helm") or tuple(argv[1:3]) != shape:
            raise UsageError(f"expected 'helm {' '.join(shape)} RELEASE ...', found {' '.join(argv) or 'nothing'!r}")
    replicas = found[2] if len(found) == 3 else None
    if replicas is not None and not _replicas_query(replicas):
        shown = " ".join(replicas) or "nothing"
        raise UsageError(f"expected 'kubectl --context C -n NS get WORKLOAD -o {REPLICAS_QUERY}', found {shown!r}")
    return Queries(found[0], found[1], replicas)


def _replicas_query(argv: tuple[str, ...]) -> bool:
    """A read-only kubectl get of one workload's replica count, naming its context and namespace."""
    return (
        len(argv) == 9 and argv[0].endswith("kubectl") and (argv[1], argv[3], argv[5]) == ("--context", "-n", "get")
        and argv[7:] == ("-o", REPLICAS_QUERY) and "--" not in argv
    )  # fmt: skip
