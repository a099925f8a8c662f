"""`rollplan compile`: plan every environment and write generated/<env>/."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from compiler import console
from compiler.commands.promote import refuse_unfinished
from compiler.pipeline import Compiled, compile_repo, orphan_dirs, output_dir
from compiler.plan.model import Plan
from compiler.repo import gitio, layout
from compiler.repo.writer import write_folders


def run(
    root: Path, envs: Sequence[str], base: str, *, as_json: bool, commit: bool = False, branch: str | None = None
) -> int:
    console.progress(f"compiling against base {base} …")
    compiled = compile_repo(root, envs, base)
    refuse_unfinished(root, base, sorted(compiled.plans))
    request = None
    if commit:
        plans = list(compiled.plans.values())
        folders = tuple(layout.env_dir(p.environment) for p in plans)
        request = gitio.CommitRequest(root, folders, branch or default_branch(plans), commit_message(plans))
        gitio.check_can_commit(request)
    written = write_all(root, compiled)
    for orphan in orphan_dirs(root, compiled, envs):
        # Generated output of an environment whose specs are gone: stale by definition, and rebuilt from git if needed.
        shutil.rmtree(orphan)
        written.append(f"{layout.GENERATED}/{orphan.name}/ (removed: no such environment)")
    commit_id = gitio.commit_generated(request) if request is not None else None
    if as_json:
        console.document({"ok": True, "plans": [plan_summary(p) for p in compiled.plans.values()], "changed": written,
                         "commit": commit_id, "branch": request.branch if commit_id and request else None})  # fmt: skip
        return 0
    for plan in compiled.plans.values():
        console.result(summary_line(plan))
    console.result("\n".join(f"wrote {p}" for p in written) if written else "generated/ is up to date")
    if request is not None:
        console.result(f"committed {commit_id[:12]} on branch {request.branch} (not pushed)" if commit_id
                      else "nothing new to commit under generated/")  # fmt: skip
    return 0


def _versions(plan: Plan) -> tuple[str, str]:
    """The base and target versions of an environment, as its primary region sees them."""
    regions = sorted(plan.regions, key=lambda r: (not r.primary, r.wave))
    frm = next((r.base.release.version for r in regions if r.base), "none")
    to = next((r.target.release.version for r in regions if r.target), "none")
    return frm, to


def default_branch(plans: list[Plan]) -> str:
    return "rollplan/" + "+".join(f"{p.environment}-{_versions(p)[1]}" for p in plans)


def commit_message(plans: list[Plan]) -> str:
    """First line summarises the plan; the body lists regions, change kinds and risks."""
    heads = []
    body: list[str] = []
    for plan in plans:
        frm, to = _versions(plan)
        changed = [r for r in plan.regions if r.change != "noop"]
        heads.append(f"{plan.environment} {frm} → {to}, {len(changed)} region{'s' if len(changed) != 1 else ''}")
        body.append(f"{plan.environment}:{' URGENT' if plan.urgent else ''}")
        for region in plan.regions:
            body.append(f"- {region.name}{' (primary)' if region.primary else ''}: {region.change}")
            body.extend(f"  risk: {risk}" for risk in region.risks)
        body.extend(f"- {risk}" for risk in plan.risks)
    return "rollplan: " + "; ".join(heads) + "\n\n" + "\n".join(body) + "\n"


def write_all(root: Path, compiled: Compiled) -> list[str]:
    """Write every environment's folder, all or none: each is rendered and built before the first is swapped in."""
    changed = write_folders({output_dir(root, env): files for env, files in compiled.files.items()})
    return [f"{layout.env_dir(env)}/{p}" for env in compiled.files for p in changed[output_dir(root, env)]]


def plan_summary(plan: Plan) -> dict[str, Any]:
    return {
        "environment": plan.environment,
        "urgent": plan.urgent,
        "regions": [{"name": r.name, "change": r.change, "risks": list(r.risks)} for r in plan.regions],
        "steps": len(plan.steps),
        "rollback_steps": len(plan.rollback),
        "uninstall_steps": len(plan.uninstall),
    }


def summary_line(plan: Plan) -> str:
    changes = ", ".join(f"{r.name} {r.change}" for r in plan.regions) or "no regions"
    urgent = " URGENT" if plan.urgent else ""
    return f"{plan.environment}:{urgent} {changes}; {len(plan.steps)} steps, rollback {len(plan.rollback)} steps"
