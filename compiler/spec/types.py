"""Constrained types shared by every spec model, defined once."""

from __future__ import annotations

import posixpath
import re
from typing import Annotated

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from pydantic import AfterValidator, BeforeValidator, Field

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
VALUES_PATH = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")
VENDOR_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+_-]*$")


def _dns_label(value: str) -> str:
    if len(value) > 63 or not DNS1123_LABEL.match(value):
        raise ValueError(
            f"{value!r} is not a DNS-1123 label (lower-case letters, digits and '-', "
            "starting and ending with a letter or digit, at most 63 characters)"
        )
    return value


def _repo_path(value: str) -> str:
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


DnsLabel = Annotated[str, AfterValidator(_dns_label)]
"""A Kubernetes DNS-1123 label: release, namespace, region and environment names."""

RepoPath = Annotated[str, AfterValidator(_repo_path)]
"""A '/'-separated path relative to the repository root that cannot leave it."""

VendorVersion = Annotated[str, BeforeValidator(_vendor_version), AfterValidator(_version_text)]
"""An opaque vendor version string. Never ordered by SemVer: ordered by release date."""

ValuesPath = Annotated[str, AfterValidator(_values_path)]
"""A dotted path into a values document, e.g. ``image.tag``."""

VersionSpec = Annotated[str, AfterValidator(_specifier)]
"""A PEP 440 style version specifier for a third-party component, e.g. ``>=7.0``."""

Seconds = Annotated[int, Field(gt=0, le=86400)]
"""A positive duration in seconds, at most a day."""
