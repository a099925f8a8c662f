"""What the spec stage needs to know of each service, before any profile is loaded.

Import-light on purpose: the spec models and the loader read these facts, and
``rollplan validate`` must not pull in the planner to do so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from compiler.profiles import tenant_spec


@dataclass(frozen=True)
class SpecFacts:
    """Per-service defaults of environment.yaml, and the rules the loader applies."""

    tag_paths: tuple[str, ...]
    replicas: str
    database: tuple[str, ...] = ()
    redis: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    release_notes_required: bool = False
    """Every version needs a release note; otherwise notes are optional and the environment
    gives chart.version and image.tag itself when there are none."""
    workload_settable: bool = True
    """``rollout.workload`` may name the workload to verify."""
    backends: bool = False
    """The profile acts on database and Redis connection changes (``paths.database``, ``paths.redis``)."""


FACTS: dict[str, SpecFacts] = {
    "tenant": SpecFacts(
        tag_paths=tenant_spec.TAG_PATHS,
        replicas=tenant_spec.REPLICAS_PATH,
        database=tenant_spec.DATABASE_PREFIXES,
        redis=tenant_spec.REDIS_PREFIXES,
        labels=tenant_spec.MONITORING_LABELS,
        release_notes_required=True,
        workload_settable=False,
        backends=True,
    ),
    "generic": SpecFacts(tag_paths=("image.tag",), replicas="replicaCount"),
}


def defaults_text(pick: str) -> str:
    """The per-service default of one setting, for the spec reference."""
    parts = []
    for service, facts in FACTS.items():
        value = getattr(facts, pick)
        if isinstance(value, tuple):
            shown = ", ".join(value) or "none"
        elif isinstance(value, dict):
            shown = ", ".join(f"{k}={v}" for k, v in value.items()) or "none"
        else:
            shown = str(value)
        parts.append(f"{service}: {shown}")
    return "Default by service (" + "; ".join(parts) + ")."
