"""Secret forms inside text: found by structure, masked without the value, linear on any input."""

from __future__ import annotations

import pytest

from compiler.resolve.secretforms import FORM_TEXT, flag_values, mask, secret_form
from compiler.resolve.secretnames import DEFAULT_WORDS, fold, is_reference_value, names_secret

W = DEFAULT_WORDS

# (text, form, masked): the secret part of each is "S3CR3T".
FOUND = [
    ("postgres://tenant:S3CR3T@db:5432/t100", "url", "postgres://tenant:REDACTED@db:5432/t100"),
    (
        "jdbc:postgresql://db/t100?user=u&password=S3CR3T",
        "parameter",
        "jdbc:postgresql://db/t100?user=u&password=REDACTED",
    ),
    (
        "jdbc:postgresql://db/t100?password=S3CR3T&ssl=true",
        "parameter",
        "jdbc:postgresql://db/t100?password=REDACTED&ssl=true",
    ),
    (
        "jdbc:sqlserver://db;databaseName=t;password=S3CR3T;",
        "parameter",
        "jdbc:sqlserver://db;databaseName=t;password=REDACTED;",
    ),
    ("Server=db;User Id=u;Password=S3CR3T;", "parameter", "Server=db;User Id=u;Password=REDACTED;"),
    ("Driver={x};Server=db;UID=u;PWD=S3CR3T", "parameter", "Driver={x};Server=db;UID=u;PWD=REDACTED"),
    ("server=db;pwd='S3CR3T';", "parameter", "server=db;pwd=REDACTED;"),
    ("mysqldump --password=S3CR3T t100", "parameter", "mysqldump --password=REDACTED t100"),
    ("mysqldump --password S3CR3T t100", "flag", "mysqldump --password REDACTED t100"),
    ("vault login --token S3CR3T", "flag", "vault login --token REDACTED"),
    ("az login --client-secret S3CR3T", "flag", "az login --client-secret REDACTED"),
    ("cli --api-key S3CR3T --verbose", "flag", "cli --api-key REDACTED --verbose"),
    ("cli --API-KEY 'S3CR3T'", "flag", "cli --API-KEY REDACTED"),
    (
        "java -Djavax.net.ssl.keyStorePassword=S3CR3T -jar x",
        "parameter",
        "java -Djavax.net.ssl.keyStorePassword=REDACTED -jar x",
    ),
    ("HOST=db\nDB_PASSWORD=S3CR3T\n", "parameter", "HOST=db\nDB_PASSWORD=REDACTED\n"),
    ("db:\n  host: x\n  password: S3CR3T\n", "line", "db:\n  host: x\n  password: REDACTED\n"),
    ("- name: a\n  Token: S3CR3T # rotate\n", "line", "- name: a\n  Token: REDACTED\n"),
    ('{"auth": {"user": "u", "password": "S3CR3T"}}', "line", '{"auth": {"user": "u", "password": "REDACTED"}}'),
    ("https://x-access-token:S3CR3T@github.com/o/r.git", "url", "https://x-access-token:REDACTED@github.com/o/r.git"),
    ("https://ghp_S3CR3Tabcdefghijklmnop@github.com/o/r", "url-token", "https://REDACTED@github.com/o/r"),
    ("https://S3CR3T0123456789abcdefgh@git.example.com/r", "url-token", "https://REDACTED@git.example.com/r"),
]


def wide(text: str) -> str:
    """``text`` in fullwidth letters, which Unicode compatibility folding reads as ASCII."""
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


@pytest.mark.parametrize(("text", "form", "masked"), FOUND, ids=[f"{f}-{i}" for i, (_, f, _) in enumerate(FOUND)])
def test_secret_form_found_and_masked_without_the_value(text: str, form: str, masked: str) -> None:
    assert secret_form(text, W) == form
    assert mask(text, W) == masked
    assert "S3CR3T" not in mask(text, W)
    assert secret_form(mask(text, W), W) is None, "a masked text is not found again"
    assert form in FORM_TEXT


def test_secret_form_private_key_masks_the_whole_block() -> None:
    text = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n-----END OPENSSH PRIVATE KEY-----\n"
    assert secret_form(text, W) == "private-key"
    assert mask(text, W) == "REDACTED"
    assert secret_form("-----BEGIN PGP PRIVATE KEY BLOCK-----\nx", W) == "private-key"
    assert secret_form("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", W) is None


@pytest.mark.parametrize(
    "text",
    [
        "postgres://u:S3CR3T%40x@db/t",  # an escaped "@" inside the password
        "postgres%3A%2F%2Fu%3AS3CR3T%40db%2Ft",  # the whole URL escaped, as in a query parameter
        "cli --password%3DS3CR3T",
        wide("password") + "=S3CR3T",  # fullwidth letters fold to "password"
        "pass\u200bword=S3CR3T",  # a zero-width space inside the name
        "PaSsWoRd=S3CR3T",
    ],
)
def test_secret_form_odd_encodings_are_read_as_a_program_would(text: str) -> None:
    assert secret_form(text, W) is not None
    assert "S3CR3T" not in mask(text, W)


@pytest.mark.parametrize(
    "text",
    [
        "password=${DB_PASSWORD}",
        "--password $DB_PASSWORD",
        "--password $(cat /run/secrets/db)",
        '--password "$(cat /run/secrets/db)"',
        "--password-file /run/secrets/db",
        "passwordSecretName=tenant-db",
        "docker login --password-stdin registry.example.com",
        "password: ''\nuser: x\n",
        "password:\nuser: x\n",
        "password: true\n",
        "password: <your password>\n",
        "use_token=true",
        "--token-ttl 5m",
        "tls.key=/etc/tls/tls.key",
        "ssh://git@github.com/o/r.git",
        "https://deploy@bitbucket.org/o/r.git",
        "postgres://app@db/t100",
        "postgres://app:${DB_PASSWORD}@db/t100",
        "https://registry.example.com:443/@scope/pkg",
        "mysql -p x",
        "key=value",
        "a == b",
        "password=REDACTED",
        "secretKeyRef",
        "",
        "Set the password: it is read from the Secret.",
        "checksum/secret=0f3a9c",  # an annotation-like word: a path segment, not a parameter
        "kubernetes.io/os=linux",
    ],
)
def test_secret_form_references_and_ordinary_text_are_not_secret(text: str) -> None:
    assert secret_form(text, W) is None
    assert mask(text, W) == text


def test_flag_values_the_item_after_a_secret_flag_unless_a_reference() -> None:
    argv = ["pg_dump", "--password", "S3CR3T", "--token", "$TOKEN", "-p", "5432", "--api-key", "k", "--user", "u"]
    assert list(flag_values(argv, W)) == [2, 8]
    assert list(flag_values(["--password", "--verbose"], W)) == []
    assert list(flag_values(["--password-file", "/run/secrets/x"], W)) == []
    assert list(flag_values(["-password", "S3CR3T"], W)) == [1]


def test_secret_names_in_any_case_and_references_stay_references() -> None:
    for key in ("PASSWORD", "Password", "dbPassword", "DB_PASSWORD", "PaSsWoRd", wide("PASSWORD"), "client-secret"):
        assert names_secret(key, W), key
    for key in ("passwordFile", "PASSWORD_FILE", "tokenRefreshSeconds", "existingSecret", "passwordStdin"):
        assert not names_secret(key, W), key
    assert fold(wide("pass") + "\u200bword") == "password"
    for value in ("${X}", "$(cat /x)", "$X", "{{ .Values.x }}", "true", "False", "", "  "):
        assert is_reference_value(value), value
    assert not is_reference_value("hunter2")


@pytest.mark.parametrize(
    "text",
    [
        "a" * 1_000_000,
        "a://" + ":" * 1_000_000,
        "a://x:" * 200_000,
        "x=" * 500_000,
        "--password " * 100_000,
        '"password":' * 100_000,
        "-" * 1_000_000,
        "%41" * 300_000,
        wide("p") * 300_000,
        "password: " * 100_000 + "\n",
        "a;" * 500_000,
        "-----BEGIN " + " " * 1_000_000,
        "https://" + "a" * 1_000_000 + "@",
    ],
    ids=lambda text: f"{text[:12]!r}x{len(text)}",
)
def test_secret_form_a_megabyte_of_hostile_text_completes(text: str) -> None:
    # No timing assert: each pattern is linear (see the module), and a backtracking one would hang here.
    secret_form(text, W)
    mask(text, W)
