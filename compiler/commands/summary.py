"""The few lines a person reads after a compile: per environment what changes, and the totals."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from compiler.plan.model import Plan

KINDS = ("upgrade", "downgrade", "image-only", "config", "install", "uninstall", "noop")
TOTALS = (("upgrade", "to upgrade"), ("downgrade", "to downgrade"), ("image-only", "image-only"),
          ("config", "config only"), ("install", "to install"), ("uninstall", "to uninstall"))  # fmt: skip


def versions(plan: Plan) -> tuple[str, str]:
    """The base and target versions of an environment, as its primary region sees them."""
    regions = sorted(plan.regions, key=lambda r: (not r.primary, r.wave))
    frm = next((r.base.release.version for r in regions if r.base), "none")
    to = next((r.target.release.version for r in regions if r.target), "none")
    return frm, to


def environment_line(plan: Plan) -> str:
    """``prod: 100.0.1 → 100.0.2: 3 upgrade; 24 steps, rollback 20``, with URGENT when it is."""
    counts: Counter[str] = Counter(r.change for r in plan.regions)
    kinds = ", ".join(f"{counts[k]} {k}" for k in KINDS if counts[k]) or "no regions"
    frm, to = versions(plan)
    moves = f"{frm} → {to}" if frm != to else to
    urgent = " URGENT" if plan.urgent else ""
    steps = f"{len(plan.steps)} steps, rollback {len(plan.rollback)}"
    if plan.uninstall:
        steps += f", uninstall {len(plan.uninstall)}"
    return f"{plan.environment}:{urgent} {moves}: {kinds}; {steps}"


def totals_line(plans: Iterable[Plan]) -> str:
    """``Plan: 3 to upgrade, 1 image-only, 0 to uninstall``: every region of the run, by change kind."""
    counts: Counter[str] = Counter(r.change for plan in plans for r in plan.regions)
    shown = [(kind, label) for kind, label in TOTALS if counts[kind] or kind in ("upgrade", "uninstall")]
    return "Plan: " + ", ".join(f"{counts[kind]} {label}" for kind, label in shown)


def written_line(written: Sequence[str]) -> str:
    """One line for the files a compile wrote (the list itself only with -v)."""
    if not written:
        return "generated/ is up to date"
    return f"wrote {len(written)} file{'s' if len(written) != 1 else ''} under generated/ (-v lists them)"
