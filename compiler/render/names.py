"""Names and labels of the objects rollplan generates, derived the same way everywhere."""

from __future__ import annotations

import hashlib
import re

MAX_NAME = 63
HASH_LENGTH = 8
_INVALID = re.compile(r"[^a-z0-9-]+")
_DASHES = re.compile(r"-{2,}")

PART_OF = "app.kubernetes.io/part-of"
LABEL_ENVIRONMENT = "rollplan.io/environment"
LABEL_REGION = "rollplan.io/region"
LABEL_PRIMARY = "rollplan.io/primary"
LABEL_WAVE = "rollplan.io/wave"


def object_name(*parts: str) -> str:
    """A DNS-1123 label (lower-case, at most 63 characters) made of ``parts`` joined with '-'.

    Parts that are already valid labels and fit are kept as they are, so names stay
    readable. Anything that had to be cut or cleaned up gets a short sha256 suffix of
    the original text, so that two different inputs cannot end up with one name.
    """
    joined = "-".join(parts)
    clean = _DASHES.sub("-", _INVALID.sub("-", joined.lower())).strip("-")
    if clean and clean == joined and len(clean) <= MAX_NAME:
        return clean
    digest = hashlib.sha256(joined.encode("utf-8")).hexdigest()[:HASH_LENGTH]
    head = clean[: MAX_NAME - HASH_LENGTH - 1].rstrip("-")
    return f"{head}-{digest}" if head else digest


def region_object_name(release: str, environment: str, region: str) -> str:
    """Name of every per-region object (Application, HelmRelease, its chart source)."""
    return object_name(release, environment, region)


def environment_object_name(release: str, environment: str) -> str:
    """Name of the per-environment objects (app-of-apps parent, ApplicationSet)."""
    return object_name(release, environment)


def base_labels(environment: str) -> dict[str, str]:
    """Labels every generated object carries."""
    return {PART_OF: "rollplan", LABEL_ENVIRONMENT: environment}


def region_labels(environment: str, region: str, primary: bool, wave: int) -> dict[str, str]:
    """Labels of a per-region object; ``rollplan.io/wave`` is what RollingSync steps select on."""
    return {
        **base_labels(environment),
        LABEL_REGION: region,
        LABEL_PRIMARY: "true" if primary else "false",
        LABEL_WAVE: str(wave),
    }
