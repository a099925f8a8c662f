"""The one place rollplan queries a cluster itself: read-only queries of a live release.

`helm get metadata -o json` gives the chart version and status, `helm get values
-o json` the user-supplied values; both print the same JSON on helm 3 and helm 4.
A release that does not exist is an answer (None), not an error. `kubectl get
<workload> -o jsonpath={.spec.replicas}` gives the replica count the workload runs
at: scaling with kubectl (the stop before a database restore) does not touch the
helm release, so only this query sees a region an interrupted run left stopped.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from compiler.errors import RollplanError

QUERY_TIMEOUT = 120
# What helm 3 and 4 print when the release (or every revision of it) is not in the namespace.
_NOT_FOUND = "release: not found"
# What kubectl prints when the workload does not exist ("Error from server (NotFound): ...").
_NO_WORKLOAD = "(NotFound)"


class LiveQueryError(RollplanError):
    """helm could not tell what runs: unreachable cluster, no helm, unreadable output (exit 1)."""


@dataclass(frozen=True)
class LiveRelease:
    """What `helm get` reports about the newest revision of a release."""

    chart: str
    chart_version: str
    status: str
    revision: int
    values: dict[str, Any]


@dataclass(frozen=True)
class Queries:
    """The helm commands that read one region's release, and the kubectl one that reads its replicas, as argv."""

    metadata: tuple[str, ...]
    values: tuple[str, ...]
    replicas: tuple[str, ...] | None = None


def read_replicas(queries: Queries) -> int | None:
    """The replica count the region's workload runs at; None when not asked, or when there is no workload."""
    if queries.replicas is None:
        return None
    argv = list(queries.replicas)
    out = _query(argv, "the live replica count", _NO_WORKLOAD)
    if out is None:
        return None
    text = out.strip()
    if not text:  # no spec.replicas: Kubernetes defaults it to 1
        return 1
    if not text.isdigit():
        raise LiveQueryError(f"{_show(argv)}: expected a replica count, found {text[:40]!r}")
    return int(text)


def read_release(queries: Queries) -> LiveRelease | None:
    """The live release the queries name, or None when there is none."""
    metadata = _run(queries.metadata)
    if metadata is None:
        return None
    values = _run(queries.values)
    if values is None:  # removed between the two queries
        return None
    if not isinstance(metadata, dict) or not isinstance(values, dict | None):
        raise LiveQueryError(f"{_show(queries.metadata)}: unexpected output, expected a JSON object")
    try:
        return LiveRelease(
            chart=str(metadata["chart"]),
            chart_version=str(metadata["version"]),
            status=str(metadata.get("status", "")),
            revision=int(metadata.get("revision", 0)),
            values=values or {},
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise LiveQueryError(f"{_show(queries.metadata)}: no chart {exc} in its output") from exc


def _run(argv: Sequence[str]) -> Any:
    out = _query(argv, "the live release", _NOT_FOUND)
    if out is None:
        return None
    try:
        return json.loads(out or "null")
    except ValueError as exc:
        raise LiveQueryError(f"{_show(argv)}: output is not JSON ({exc})") from exc


def _query(argv: Sequence[str], what: str, absent: str) -> str | None:
    """The query's standard output; None when it says ``absent`` (no such release or workload).

    Any other failure is a LiveQueryError naming the command: ``what`` cannot be checked.
    """
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=QUERY_TIMEOUT, check=False)
    except FileNotFoundError as exc:
        raise LiveQueryError(f"{argv[0]}: not found on PATH; {what} cannot be checked") from exc
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LiveQueryError(f"{_show(argv)}: {exc}") from exc
    if done.returncode != 0:
        if absent in done.stderr:
            return None
        tail = " | ".join(done.stderr.strip().splitlines()[-2:]) or f"exit status {done.returncode}"
        raise LiveQueryError(f"{_show(argv)} failed: {tail}")
    return done.stdout


def _show(argv: Sequence[str]) -> str:
    return " ".join(argv[:4])
