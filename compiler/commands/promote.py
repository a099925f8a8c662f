"""`rollplan promote`: move a staged rollout one region forward (or back) in generated/<env>/.

A staged rollout records its stage, its stages and the commit it was planned
from in plan.json (``gitops``). Promoting plans again from that commit, writes
the manifests of the next stage and says which commit message to use; the
controllers then only ever see one region change at a time.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compiler import console
from compiler.errors import GitError, RollplanError, UsageError
from compiler.pipeline import compile_repo
from compiler.render.staging import Staging
from compiler.repo import gitio, layout
from compiler.repo.layout import output_dir
from compiler.repo.writer import write_folder


class PromotionRefused(RollplanError):
    """The rollout cannot move that way: it is complete, not staged, or its inputs changed (exit 1)."""


@dataclass(frozen=True)
class Recorded:
    """What plan.json says about a staged rollout."""

    stage: int
    stages: tuple[str, ...]
    base_commit: str
    fingerprint: str
    migrated: tuple[str, ...] = ()
    """Irreversible database migrations the plan runs: promoting back across them restores nothing."""

    @property
    def complete(self) -> bool:
        return self.stage == len(self.stages)


def parse(text: str | bytes | None) -> Recorded | None:
    """The staged rollout a plan.json records; None for a plan that is not staged (or no plan)."""
    try:
        doc: Any = json.loads(text) if text is not None else None
        section = doc.get("gitops") if isinstance(doc, dict) else None
        if not isinstance(section, dict) or section.get("promotion") != "staged":
            return None
        stages = tuple(str(s["region"]) for s in section["stages"])
        migrated = tuple(str(v) for v in doc.get("irreversible_migrations") or ())
        found = Recorded(int(section["stage"]), stages, str(section["base_commit"]), str(doc["fingerprint"]), migrated)
    except (ValueError, TypeError, KeyError, RecursionError):  # RecursionError: nested too deep for the parser
        return None
    return found if 0 <= found.stage <= len(found.stages) else None


def recorded(root: Path, env: str) -> Recorded | None:
    """The staged rollout in the work tree's generated/<env>/plan.json."""
    try:
        return parse((output_dir(root, env) / "plan.json").read_bytes())
    except OSError:
        return None


def unfinished_at(root: Path, rev: str, env: str) -> Recorded | None:
    """A staged rollout that ``rev`` holds half-way: compiling against it would move the remaining regions at once."""
    found = parse(gitio.base_source(root, rev).read(f"{layout.env_dir(env)}/plan.json"))
    return found if found is not None and not found.complete else None


def refuse_unfinished(root: Path, rev: str, envs: list[str]) -> None:
    for env in envs:
        found = unfinished_at(root, rev, env)
        if found is not None:
            raise PromotionRefused(
                f"{env}: the staged rollout at {rev} stands at stage {found.stage} of {len(found.stages)}: "
                f"finish it with 'rollplan promote --env {env}', or roll it back with 'rollplan promote --env {env} "
                f"--rollback' and compile against --base {found.base_commit[:12]} (the state it started from)"
            )


def run(root: Path, env: str, *, rollback: bool, confirm: bool, commit: bool, as_json: bool) -> int:
    state = recorded(root, env)
    if state is None:
        raise PromotionRefused(
            f"{layout.env_dir(env)}/plan.json records no staged rollout: set gitops.promotion: staged, "
            "compile, and merge the plan first"
        )
    stage = _next_stage(env, state, rollback)
    if rollback:
        _refuse_back_across_migration(env, state)
    _refuse_uncommitted(root, env)
    region = state.stages[stage - 1] if not rollback else state.stages[state.stage - 1]
    message = _message(env, state, stage, region, rollback)
    request = _commit_request(root, env, message) if commit else None
    compiled = compile_repo(root, [env], state.base_commit, stages={env: Staging(stage, state.base_commit)})
    if compiled.plans[env].fingerprint != state.fingerprint:
        raise PromotionRefused(
            f"{env}: the specs differ from those the staged plan was compiled from: compile again "
            f"(against --base {state.base_commit[:12]}) and review the plan before promoting"
        )
    if not confirm:
        _confirm(_question(state, region, rollback))
    changed = write_folder(output_dir(root, env), compiled.files[env])
    commit_id = gitio.commit_generated(request) if request is not None else None
    _report(env, stage, state, changed, message, commit_id, as_json)
    return 0


def _refuse_back_across_migration(env: str, state: Recorded) -> None:
    """Promoting back cannot restore a database: across an irreversible migration only rollback.sh can."""
    if not state.migrated:
        return
    versions = ", ".join(state.migrated)
    raise PromotionRefused(
        f"{env}: the staged rollout runs the irreversible database migration of {versions}: promoting "
        f"{state.stages[state.stage - 1]} back would start a release that cannot read the migrated database. "
        f"Roll back with {layout.env_dir(env)}/rollback.sh instead, with the controllers' sync of {env} suspended: "
        f"it stops every region, restores the backup taken before {versions} and re-installs the base releases; "
        f"then commit {layout.env_dir(env)}/rollback/ over the forward manifests (docs/gitops.md, Rolling back)"
    )


def _refuse_uncommitted(root: Path, env: str) -> None:
    """An uncommitted stage reached no cluster, so its gate cannot have passed."""
    pending = gitio.uncommitted(root, layout.env_dir(env))
    if pending:
        raise PromotionRefused(
            f"{layout.env_dir(env)}/ has uncommitted changes ({pending[0]}{' …' if len(pending) > 1 else ''}): "
            "commit the previous stage and let it pass its gate before promoting again"
        )


def _next_stage(env: str, state: Recorded, rollback: bool) -> int:
    total = len(state.stages)
    if rollback and state.stage == 0:
        raise PromotionRefused(f"{env}: nothing to roll back: no stage of the staged rollout is promoted")
    if not rollback and state.complete:
        raise PromotionRefused(f"{env}: the staged rollout is complete ({total} of {total} stages promoted)")
    return state.stage - 1 if rollback else state.stage + 1


def _question(state: Recorded, region: str, rollback: bool) -> str:
    if rollback:
        return f"Roll {region} back to its base state?"
    if state.stage == 0:
        return f"Promote {region} (stage 1)?"
    previous = state.stages[state.stage - 1]
    return f"Has {previous} passed its gate (released and verified), so that {region} may follow?"


def _confirm(question: str) -> None:
    if not sys.stdin.isatty():
        raise UsageError(f"{question} Pass --confirm to answer yes without a terminal")
    if not console.ask(question):
        raise PromotionRefused("not confirmed: nothing written")


def _message(env: str, state: Recorded, stage: int, region: str, rollback: bool) -> str:
    total = len(state.stages)
    if rollback:
        return f"rollplan: roll back {env} stage {stage + 1}/{total}: {region} to its base state\n"
    return f"rollplan: promote {env} stage {stage}/{total}: {region}\n"


def _commit_request(root: Path, env: str, message: str) -> gitio.CommitRequest:
    branch = gitio.current_branch(root)
    if branch is None:
        raise GitError("HEAD is detached: check out the deployed branch before 'rollplan promote --commit'")
    request = gitio.CommitRequest(root, (layout.env_dir(env),), branch, message)
    gitio.check_can_commit(request)
    return request


def _report(
    env: str, stage: int, state: Recorded, changed: list[str], message: str, commit_id: str | None, as_json: bool
) -> None:
    written = [f"{layout.env_dir(env)}/{p}" for p in changed]
    if as_json:
        doc: dict[str, Any] = {"ok": True, "environment": env, "stage": stage, "stages": list(state.stages),
                               "changed": written, "message": message.strip(), "commit": commit_id}  # fmt: skip
        console.document(doc)
        return
    console.result("\n".join(f"wrote {p}" for p in written) if written else f"{layout.env_dir(env)}/ already there")
    if commit_id is not None:
        console.result(f"committed {commit_id[:12]} (not pushed): {message.strip()}")
    else:
        console.result(f"commit generated/ with the message:\n  {message.strip()}")
