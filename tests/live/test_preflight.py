"""`rollplan preflight` on the command line: what it accepts, and how it fails without a cluster."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler import cli
from compiler.commands.preflight import parse_queries
from compiler.errors import UsageError

META = ["helm", "get", "metadata", "t100", "--kube-context", "c", "-n", "voice", "-o", "json"]
VALUES = ["helm", "get", "values", "t100", "--kube-context", "c", "-n", "voice", "-o", "json"]
TOKEN = "1.0@" + "a" * 64


def test_preflight_parse_queries_splits_on_double_dash() -> None:
    queries = parse_queries(["--", *META, "--", *VALUES])
    assert (list(queries.metadata), list(queries.values)) == (META, VALUES)


@pytest.mark.parametrize("words", [
    [*META], [*VALUES, "--", *META], ["kubectl", "get", "metadata", "t100", "--", *VALUES], [*META, "--"],
])  # fmt: skip
def test_preflight_parse_queries_refuses_other_commands(words: list[str]) -> None:
    with pytest.raises(UsageError):
        parse_queries(words)


def test_preflight_malformed_fingerprint_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["preflight", "--region", "r", "--base", "1.0", "--target", TOKEN, "--", *META, "--", *VALUES])
    assert code == 2
    assert "expected CHART_VERSION@SHA256" in capsys.readouterr().err


def test_preflight_without_helm_fails_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    code = cli.main(["preflight", "--region", "r", "--base", TOKEN, "--target", TOKEN, "--", *META, "--", *VALUES])
    captured = capsys.readouterr()
    assert (code, captured.out) == (1, "")
    assert "helm: not found on PATH" in captured.err


def test_preflight_bad_secret_path_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["preflight", "--region", "r", "--base", TOKEN, "--target", TOKEN, "--secret-path", "a..b",
            "--", *META, "--", *VALUES]  # fmt: skip
    assert cli.main(argv) == 2
    assert "--secret-path" in capsys.readouterr().err


REPLICAS = ["kubectl", "--context", "c", "-n", "voice", "get", "statefulset/t100", "-o", "jsonpath={.spec.replicas}"]


def test_preflight_parse_queries_takes_the_replica_query_third() -> None:
    queries = parse_queries(["--", *META, "--", *VALUES, "--", *REPLICAS])
    assert (list(queries.metadata), list(queries.values), queries.replicas) == (META, VALUES, tuple(REPLICAS))
    assert parse_queries(["--", *META, "--", *VALUES]).replicas is None


@pytest.mark.parametrize("replicas", [
    ["kubectl", "scale", "statefulset/t100", "--replicas=0", "--context", "c", "-n", "voice"],
    ["kubectl", "get", "statefulset/t100", "-o", "jsonpath={.spec.replicas}"],  # no context
    [*REPLICAS, "--", *REPLICAS],
])  # fmt: skip
def test_preflight_parse_queries_refuses_another_kubectl_command(replicas: list[str]) -> None:
    with pytest.raises(UsageError):
        parse_queries(["--", *META, "--", *VALUES, "--", *replicas])


@pytest.mark.parametrize("resume", ["upgrade.sh", "upgrade.sh:0", ":3", "upgrade.sh:x"])
def test_preflight_malformed_resume_is_a_usage_error(capsys: pytest.CaptureFixture[str], resume: str) -> None:
    argv = ["preflight", "--region", "r", "--base", TOKEN, "--target", TOKEN, "--resume", resume,
            "--", *META, "--", *VALUES]  # fmt: skip
    assert cli.main(argv) == 2
    assert "SCRIPT:STEP-NUMBER" in capsys.readouterr().err
