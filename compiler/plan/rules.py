"""The planning rules every service shares (C-8, C-9) as small pure functions.

Each rule reads resolved, frozen inputs and returns data: an order, a list
of problems that block the plan, or the risks a reviewer must see.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from compiler.errors import Location, Problem
from compiler.plan.diff import Signals
from compiler.plan.model import ChangeKind
from compiler.plan.riskrefs import UNDO
from compiler.spec.models import EnvironmentSpec, RegionSpec, ReleaseNote

SUPPORTED_BEHIND_NEWEST = 2
"""The vendor supports the newest release and the two before it (N-2)."""

# Clusters report their version with the distribution's build after it (v1.29.4-eks-a1b2c3,
# v1.29.4-gke.1043002, 1.29.4+k3s1); that build says nothing about the Kubernetes release. A
# Kubernetes pre-release (v1.30.0-rc.1, -alpha.2, -beta.0) is not yet the release it leads to.
_KUBERNETES_VERSION = re.compile(
    r"v?(\d+)\.(\d+)(?:\.(\d+))?(?:-(alpha|beta|rc)\.(\d+))?(?:[-+][0-9A-Za-z.+-]*)?"
)
_PRE_RELEASE = {"alpha": "a", "beta": "b", "rc": "rc"}


def rollout_order(env: EnvironmentSpec, regions: Sequence[RegionSpec]) -> list[str]:
    """Primary first, then ``rollout.order``, then the remaining regions by name."""
    names = sorted(r.name for r in regions)
    primary = [r.name for r in regions if r.primary]
    listed = [n for n in env.rollout.order if n in names and n not in primary]
    rest = [n for n in names if n not in primary and n not in listed]
    return [*primary, *listed, *rest]


def releases_by_date(notes: Mapping[str, ReleaseNote]) -> list[ReleaseNote]:
    """Release notes oldest first, by release date (never by version string)."""
    return sorted(notes.values(), key=lambda note: (note.released, note.version))


def support_window(notes: Mapping[str, ReleaseNote]) -> tuple[str, ...]:
    """The versions the vendor supports: the newest release and the two before it."""
    ordered = releases_by_date(notes)
    return tuple(note.version for note in ordered[-(SUPPORTED_BEHIND_NEWEST + 1) :])


def check_support(
    version: str, notes: Mapping[str, ReleaseNote], env: EnvironmentSpec, where: Location, field: str
) -> tuple[list[Problem], list[str]]:
    """Block (or, when the environment allows it, warn loudly) a target outside N-2."""
    window = support_window(notes)
    if version in window:
        return [], []
    message = (
        f"version {version} is outside the vendor's N-2 support window (supported: {', '.join(window)}; "
        "rule: support-window)"
    )
    if env.rollout.allow_unsupported_version:
        return [], [f"UNSUPPORTED: {message}; allowed by rollout.allow_unsupported_version"]
    return [Problem(where, field, message + "; set rollout.allow_unsupported_version: true to proceed anyway")], []


def check_prerequisites(region: RegionSpec, note: ReleaseNote, where: Location) -> list[Problem]:
    """Every third-party requirement of the release must be met by the region's installed version."""
    problems: list[Problem] = []
    for component, spec in sorted(note.requires.items()):
        installed = region.third_party.get(component)
        field = f"third_party.{component}"
        if installed is None:
            message = f"region {region.name}: {component} version unknown, release {note.version} requires {spec}"
            problems.append(Problem(where, field, message + " (rule: third-party-prerequisite)"))
            continue
        try:
            ok = SpecifierSet(spec).contains(installed_version(component, installed), prereleases=True)
        except InvalidVersion:
            problems.append(Problem(where, field, _malformed(region.name, component, installed)))
            continue
        if not ok:
            message = (
                f"region {region.name}: {component} {installed} is installed, release {note.version} requires "
                f"{spec}; upgrade {component} first (rule: third-party-prerequisite)"
            )
            problems.append(Problem(where, field, message))
    return problems


def installed_version(component: str, text: str) -> Version:
    """The version a region reports for ``component``; Kubernetes compared on major.minor.patch alone."""
    if component.lower() == "kubernetes":
        found = _KUBERNETES_VERSION.fullmatch(text)
        if found is None:
            raise InvalidVersion(text)
        major, minor, patch, pre, number = found.groups()
        return Version(f"{major}.{minor}.{patch or 0}" + (f"{_PRE_RELEASE[pre]}{number}" if pre else ""))
    return Version(text)


def _malformed(region: str, component: str, installed: str) -> str:
    example = "1.29.4 or v1.29.4-eks-a1b2c3" if component.lower() == "kubernetes" else "7.2.4 or v7.2.4"
    return (
        f"region {region}: installed {component} version {installed!r} is not a version number; "
        f"expected a version such as {example}"
    )


def classify(*, release_changed: bool, chart_changed: bool, tags_only: bool, other_changed: bool) -> ChangeKind:
    """The change kind of a region deployed on both sides.

    ``tags_only``: the values diff touches the image tag paths and nothing else;
    ``other_changed``: any values or chart-source change besides that.
    """
    if release_changed:
        return "image-only" if not chart_changed and tags_only and not other_changed else "upgrade"
    return "config" if other_changed or tags_only else "noop"


def note_risks(note: ReleaseNote, values_paths: set[str], *, target: bool = True) -> list[str]:
    """Risks a release note carries for a region whose values hold ``values_paths``.

    ``target`` is False for a release the upgrade passes through: its migration
    and key changes still apply, its urgency does not.
    """
    risks: list[str] = []
    if note.critical_security_fix and target:
        risks.append(f"URGENT: release {note.version} is a critical security fix")
    if note.database_migration == "irreversible":
        risks.append(f"irreversible database migration in {note.version}: {UNDO}")
    elif note.database_migration == "reversible":
        risks.append(f"database migration in {note.version} (reversible)")
    if note.provisioning_changes:
        risks.append(f"release {note.version} requires provisioning changes: read its release note")
    stale = sorted(p for p in note.values_keys.removed if _set_at(p, values_paths))
    stale += sorted(r.old for r in note.values_keys.renamed if _set_at(r.old, values_paths))
    if stale:
        risks.append(f"values keys removed or renamed in {note.version} are still set: {', '.join(stale)}")
    return risks


def _set_at(key: str, values_paths: set[str]) -> bool:
    """Whether the leaves ``values_paths`` set ``key``, itself or anything under it."""
    return key in values_paths or any(p.startswith(key + ".") for p in values_paths)


def secret_value_risks(sig: Signals) -> list[str]:
    """A secret value that changes: whatever supplies it must hold the new value first (any service)."""
    if not sig.secret_values:
        return []
    return [
        "secret values change (redacted here): the region's secrets file, and Flux's values Secret, "
        "must hold them before this step"
    ]
