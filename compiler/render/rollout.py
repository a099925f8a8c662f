"""The top-level plan of every environment: generated/rollout.json, upgrade.sh and rollback.sh.

Environments roll out one at a time, each after every environment it `needs` and
every environment that provides a component it requires on its clusters (a
topological order, ties by name); the rollback runs them in reverse.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from compiler.plan.model import Plan
from compiler.plan.rollout import rollout_order
from compiler.render.templating import render

FORMAT_VERSION = 1
TEMPLATE = "rollout.sh.j2"
ROLLOUT_JSON = "rollout.json"


def render_rollout(plans: Mapping[str, Plan]) -> dict[str, bytes]:
    """The top-level files, by path relative to generated/."""
    order = rollout_order({name: [wait.env for wait in plan.waits] for name, plan in plans.items()})
    texts = {
        ROLLOUT_JSON: json.dumps(rollout_document(plans, order), indent=2, ensure_ascii=False) + "\n",
        "upgrade.sh": _script("upgrade.sh", "upgrade", order, [e for e in order if plans[e].steps]),
        "rollback.sh": _script(
            "rollback.sh", "rollback", order[::-1], [e for e in order[::-1] if plans[e].rollback]
        ),
    }
    return {path: text.encode("utf-8") for path, text in texts.items()}


def rollout_document(plans: Mapping[str, Plan], order: list[str]) -> dict[str, Any]:
    """rollout.json (docs/rollout.md): the order, and each environment's needs and whether it acts."""
    return {
        "format_version": FORMAT_VERSION,
        "order": order,
        "environments": {
            name: {
                "needs": sorted(wait.env for wait in plans[name].waits),
                "implicit_needs": {wait.env: wait.reason for wait in plans[name].waits if wait.reason},
                "provides": sorted(plans[name].env.provides),
                "service": plans[name].service,
                "has_steps": bool(plans[name].steps),
                "has_rollback_steps": bool(plans[name].rollback),
            }
            for name in order
        },
    }


def _script(script: str, kind: str, envs: list[str], active: list[str]) -> str:
    title = f"{kind} of every environment, one at a time" + (" (reverse rollout order)" if kind == "rollback" else "")
    return render(TEMPLATE, script=script, title=title, envs=envs, active=active, help=_help(script, kind, envs))


def _help(script: str, kind: str, envs: list[str]) -> list[str]:
    return [
        f"Usage: {script} [--yes] [--dry-run] [--from ENV[:STEP]] [--confirm ENV:STEP-ID]... [--secrets DIR]",
        "",
        f"Runs generated/<env>/{script} of each environment in this order: {', '.join(envs) or 'none'}.",
        "An environment starts only once the one before it finished, its verify steps included;",
        "one whose script has no steps is skipped. The first failure stops everything and",
        "says where to resume.",
        "",
        "Options:",
        "  -y, --yes            do not stop for confirmations (passed to each script)",
        "  -n, --dry-run        run each script with --dry-run: print, run nothing",
        "  --from ENV[:STEP]    skip the environments before ENV; start ENV at STEP",
        "  --confirm ENV:ID     confirm ENV's step ID that guards data (repeatable; --yes never does)",
        "  --secrets DIR        the secrets folder, passed to every environment's script",
        "  -- OPTION…           pass the remaining options to every environment's script",
        "  -h, --help           show this help",
    ]
