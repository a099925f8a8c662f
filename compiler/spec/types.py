"""Constrained types shared by every spec model, defined once."""

from __future__ import annotations

import posixpath
import re
from typing import Annotated

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from pydantic import AfterValidator, BeforeValidator, Field, Strict, StringConstraints, ValidationInfo, WithJsonSchema

from compiler.resolve.secretforms import FORM_TEXT, mask, secret_form
from compiler.resolve.secretnames import DEFAULT_WORDS

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
VALUES_PATH = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")
VENDOR_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+_-]*$")
REPO_PATH_SCHEMA = r"^(?![/\\])(?![A-Za-z]:)(?!\.\.(/|$))[^\\]+$"
"""What the schemas say of a repo-relative path (the loader also normalises it and refuses what leaves)."""
REDACT_CREDENTIALS = "redact_credentials"
"""Validation context key: mask a password in a URL instead of refusing it (history, which cannot be fixed)."""


def has_url_credential(text: str) -> bool:
    """True when ``text`` holds a secret form: a URL or DSN password, ``password=…``, ``--token …``, a key …"""
    return secret_form(text, DEFAULT_WORDS) is not None


def mask_url_credentials(text: str) -> str:
    """``text`` with the secret part of every form in it replaced by REDACTED."""
    return mask(text, DEFAULT_WORDS)


def _no_url_credential(value: str, info: ValidationInfo) -> str:
    # Never echo the value: it holds a secret.
    form = secret_form(value, DEFAULT_WORDS)
    if form is None:
        return value
    if isinstance(info.context, dict) and info.context.get(REDACT_CREDENTIALS):
        return mask(value, DEFAULT_WORDS)
    raise ValueError(f"holds {FORM_TEXT[form]}; take the credential from a Secret, a file or the environment instead")


def _dns_label(value: str) -> str:
    if len(value) > 63 or not DNS1123_LABEL.match(value):
        raise ValueError(
            f"{value!r} is not a DNS-1123 label (lower-case letters, digits and '-', "
            "starting and ending with a letter or digit, at most 63 characters)"
        )
    return value


MAX_RELEASE_NAME = 53
"""helm refuses longer release names (it appends suffixes to them for its own objects)."""


def _release_name(value: str) -> str:
    if len(value) > MAX_RELEASE_NAME:
        raise ValueError(
            f"{value!r} has {len(value)} characters; helm takes release names of at most {MAX_RELEASE_NAME}"
        )
    return value


def _single_line(value: str) -> str:
    """Refuses control characters (NUL, newline, escape …): they end argv words and shell lines early."""
    bad = next((c for c in value if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0), None)
    if bad is not None:
        raise ValueError(f"control character {bad!r} in {value!r}; expected printable text on one line")
    return value


def _text(value: str) -> str:
    """Refuses control characters other than newline and tab."""
    _single_line(value.replace("\n", " ").replace("\t", " "))
    return value


def _repo_path(value: str) -> str:
    _single_line(value)
    if not value or value.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", value):
        raise ValueError(f"{value!r} must be a path relative to the repository root")
    if "\\" in value:
        raise ValueError(f"{value!r} must use '/' as separator")
    normal = posixpath.normpath(value)
    if normal == ".." or normal.startswith("../"):
        raise ValueError(f"{value!r} leaves the repository")
    return normal


def _vendor_version(value: object) -> object:
    # YAML reads 9.0 as a float and 100 as an int: versions must be quoted strings
    # only when they would not survive a round trip, so refuse non-strings clearly.
    if not isinstance(value, str):
        raise ValueError(f"version must be a quoted string, found {type(value).__name__} {value!r}")
    return value


def _version_text(value: str) -> str:
    if not VENDOR_VERSION.match(value):
        raise ValueError(f"{value!r} is not a version string (letters, digits, '.', '+', '_', '-')")
    return value


def _values_path(value: str) -> str:
    if not VALUES_PATH.match(value):
        raise ValueError(f"{value!r} is not a dotted values path such as image.tag")
    return value


def _specifier(value: str) -> str:
    try:
        SpecifierSet(value)
    except InvalidSpecifier:
        raise ValueError(f"{value!r} is not a version specifier such as '>=7.0' or '>=1.25,<1.31'") from None
    return value


# The schemas carry the patterns the validators check, so that an editor refuses what rollplan refuses.
DnsLabel = Annotated[
    str, AfterValidator(_dns_label), Field(json_schema_extra={"pattern": DNS1123_LABEL.pattern, "maxLength": 63})
]
"""A Kubernetes DNS-1123 label: release, namespace, region and environment names."""

ReleaseName = Annotated[
    str,
    AfterValidator(_dns_label),
    AfterValidator(_release_name),
    Field(json_schema_extra={"pattern": DNS1123_LABEL.pattern, "maxLength": MAX_RELEASE_NAME}),
]
"""A helm release name: a DNS-1123 label of at most 53 characters."""

RepoPath = Annotated[str, AfterValidator(_repo_path), Field(json_schema_extra={"pattern": REPO_PATH_SCHEMA})]
"""A '/'-separated path relative to the repository root that cannot leave it."""

VendorVersion = Annotated[
    str,
    BeforeValidator(_vendor_version),
    AfterValidator(_version_text),
    Field(json_schema_extra={"pattern": VENDOR_VERSION.pattern}),
]
"""An opaque vendor version string. Never ordered by SemVer: ordered by release date."""

ValuesPath = Annotated[
    str, AfterValidator(_values_path), WithJsonSchema({"type": "string", "pattern": VALUES_PATH.pattern})
]
"""A dotted path into a values document, e.g. ``image.tag``."""

VersionSpec = Annotated[str, AfterValidator(_specifier)]
"""A PEP 440 style version specifier for a third-party component, e.g. ``>=7.0``."""

CREDENTIAL_FREE = AfterValidator(_no_url_credential)
CredentialFree = Annotated[str, CREDENTIAL_FREE]
"""Text that holds no password inside a URL: committed spec fields that reach commands and manifests."""

Word = Annotated[str, AfterValidator(_single_line)]
"""Printable text on one line: contexts, URLs, argv words, labels."""

CredentialFreeWord = Annotated[str, AfterValidator(_single_line), CREDENTIAL_FREE]
"""A Word that holds no password inside a URL: argv words and URLs that reach commands and manifests."""

ChartUrl = Annotated[
    str, StringConstraints(pattern=r"^(oci|https?)://[^\s]+$"), AfterValidator(_single_line), CREDENTIAL_FREE
]
"""A chart repository: oci://registry/path or https://charts.example.com."""

HttpsUrl = Annotated[str, StringConstraints(pattern=r"^https://[^\s]+$"), AfterValidator(_single_line), CREDENTIAL_FREE]
"""An https:// URL, such as a Kubernetes API server."""

Text = Annotated[str, AfterValidator(_text)]
"""Free text: printable, lines and tabs allowed."""

Count = Annotated[int, Strict()]
"""An integer written as one: not true, not '3', not 3.0."""

Flag = Annotated[bool, Strict()]
"""A boolean written as one: true or false, not 'yes' or 1."""

Seconds = Annotated[int, Strict(), Field(gt=0, le=86400)]
"""A positive duration in seconds, at most a day."""
