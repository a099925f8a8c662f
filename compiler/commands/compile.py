"""`rollplan compile`: plan every environment and write generated/<env>/."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from compiler import console
from compiler.commands import summary
from compiler.commands.promote import refuse_unfinished
from compiler.pipeline import Compiled, compile_deployed, orphan_dirs
from compiler.plan.model import Plan
from compiler.repo import gitio, layout
from compiler.repo.deployed import Base
from compiler.repo.layout import output_dir
from compiler.repo.staged import Stage, staged
from compiler.repo.writer import write_folders
from compiler.spec.repoconfig import load_repo_config


def run(
    root: Path,
    envs: Sequence[str],
    base: str | None,
    *,
    as_json: bool,
    commit: bool = False,
    branch: str | None = None,
    verbosity: int = 0,
    force: bool = False,
    jobs: int = 1,
    onto_deployed: bool = False,
) -> int:
    with staged(root / layout.GENERATED, force=force) as stage:  # each environment written as soon as it is made
        compiled, chosen, warnings, request, written = _compile_into(
            root, envs, base, stage, commit=commit, branch=branch, jobs=jobs, onto_deployed=onto_deployed
        )
    commit_id = gitio.commit_generated(request) if request is not None else None
    if as_json:
        console.document({"ok": True, "plans": [plan_summary(p) for p in compiled.plans.values()], "changed": written,
                          "base_commit": compiled_base(compiled), "warnings": warnings,
                          "commit": commit_id, "branch": request.branch if commit_id and request else None,
                          })  # fmt: skip
        return 0
    if verbosity < 0:
        return 0
    lines = [console.style(summary.environment_line(p), "yellow") if p.urgent else summary.environment_line(p)
             for p in compiled.plans.values()]  # fmt: skip
    lines += [console.style(summary.totals_line(compiled.plans.values()), "bold"), f"base: {chosen.described}"]
    lines += [f"wrote {p}" for p in written] if verbosity > 0 and written else [summary.written_line(written)]
    if request is not None:
        lines.append(f"committed {commit_id[:12]} on branch {request.branch} (not pushed)" if commit_id
                     else "nothing new to commit under generated/")  # fmt: skip
    console.result("\n".join(lines))
    return 0


def _compile_into(
    root: Path,
    envs: Sequence[str],
    base: str | None,
    stage: Stage,
    *,
    commit: bool,
    branch: str | None,
    jobs: int,
    onto_deployed: bool,
) -> tuple[Compiled, Base, list[str], gitio.CommitRequest | None, list[str]]:
    """Compile into ``stage`` and swap the environments' folders in, once nothing refuses the run."""
    with console.slow_progress("compiling …"):
        compiled, chosen, warnings = compile_deployed(root, envs, base, jobs=jobs, sink=stage)
    for warning in warnings:
        console.warning(warning)
    if chosen.rev is not None:
        refuse_unfinished(root, chosen.rev, sorted(compiled.plans))
    # Generated output of an environment whose specs are gone is stale by definition, and rebuilt from git if needed.
    orphans = orphan_dirs(root, compiled, envs)
    request = None
    if commit:
        plans = list(compiled.plans.values())
        folders = tuple(layout.env_dir(p.environment) for p in plans)
        folders += tuple(f"{layout.GENERATED}/{orphan.name}" for orphan in orphans)  # their removal is committed
        folders += tuple(f"{layout.GENERATED}/{path}" for path in sorted(compiled.rollout or {}))
        files = tuple(f"{layout.env_dir(env)}/{path}" for env, paths in compiled.files.items() for path in paths)
        files += tuple(f"{layout.GENERATED}/{path}" for path in sorted(compiled.rollout or {}))
        request = gitio.CommitRequest(
            root, folders, branch or default_branch(plans), commit_message(plans), files=files,
            deployed=_deployed_branch(root, chosen), onto_deployed=onto_deployed,
        )  # fmt: skip
        gitio.check_can_commit(request)
    written = commit_stage(root, compiled, stage, orphans)
    written += [f"{layout.GENERATED}/{orphan.name}/ (removed: no such environment)" for orphan in orphans]
    return compiled, chosen, warnings, request, written


def _deployed_branch(root: Path, chosen: Base) -> str | None:
    """The deployed branch's local name, also when --base chose the base."""
    if chosen.deployed is not None:
        found = chosen.deployed.branch
        return found.removeprefix("origin/") if found else None
    return gitio.deployed_branch_name(root, load_repo_config(root).deployed_branch)


def compiled_base(compiled: Compiled) -> str | None:
    """The base commit every environment was compiled against, when they share one."""
    commits = {prints.get("commit") or None for prints in compiled.fingerprints.values()}
    return commits.pop() if len(commits) == 1 else None


def default_branch(plans: list[Plan]) -> str:
    return "rollplan/" + "+".join(f"{p.environment}-{summary.versions(p)[1]}" for p in plans)


def commit_message(plans: list[Plan]) -> str:
    """First line summarises the plan; the body lists regions, change kinds and risks."""
    heads = []
    body: list[str] = []
    for plan in plans:
        frm, to = summary.versions(plan)
        changed = [r for r in plan.regions if r.change != "noop"]
        heads.append(f"{plan.environment} {frm} → {to}, {len(changed)} region{'s' if len(changed) != 1 else ''}")
        body.append(f"{plan.environment}:{' URGENT' if plan.urgent else ''}")
        for region in plan.regions:
            body.append(f"- {region.name}{' (primary)' if region.primary else ''}: {region.change}")
            body.extend(f"  risk: {risk}" for risk in region.risks)
        body.extend(f"- {risk}" for risk in plan.risks)
    return "rollplan: " + "; ".join(heads) + "\n\n" + "\n".join(body) + "\n"


def commit_stage(root: Path, compiled: Compiled, stage: Stage, orphans: Sequence[Path] = ()) -> list[str]:
    """Put what ``stage`` does not hold yet, then swap in every environment's folder and the rollout files, and remove
    the orphans: one transaction under one lock."""
    for env, files in compiled.files.items():
        if env not in stage:
            stage.put(env, files)
    changed = stage.commit(orphans, top=compiled.rollout)
    written = [f"{layout.env_dir(env)}/{p}" for env in compiled.files for p in changed[env]]
    return written + [f"{layout.GENERATED}/{p}" for p in stage.top_changed]


def write_all(root: Path, compiled: Compiled, orphans: Sequence[Path] = (), *, force: bool = False) -> list[str]:
    """Write every environment's folder and the rollout files, and remove the orphans: all or none (see writer.py)."""
    wanted = {output_dir(root, env): files for env, files in compiled.files.items()}
    changed = write_folders(wanted, orphans, force=force, top=compiled.rollout)
    written = [f"{layout.env_dir(env)}/{p}" for env in compiled.files for p in changed.get(output_dir(root, env), [])]
    written += [f"{layout.GENERATED}/{p}" for p in changed.get(root / layout.GENERATED, [])]
    return written


def plan_summary(plan: Plan) -> dict[str, Any]:
    return {
        "environment": plan.environment,
        "urgent": plan.urgent,
        "regions": [{"name": r.name, "change": r.change, "risks": list(r.risks)} for r in plan.regions],
        "steps": len(plan.steps),
        "rollback_steps": len(plan.rollback),
        "uninstall_steps": len(plan.uninstall),
    }
