"""`rollplan check`: recompile in memory and report generated files that are stale."""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compiler import console
from compiler.commands.quickcheck import fresh_by_record
from compiler.errors import StaleFiles, StaleOutput
from compiler.repo import gitio, layout, owned
from compiler.repo.deployed import Base
from compiler.repo.fresh import RECORD
from compiler.repo.layout import output_dir
from compiler.repo.writer import compare, compare_files, existing_files

if TYPE_CHECKING:
    from compiler.render.staging import Staging


def run(root: Path, envs: Sequence[str], base: str | None, *, as_json: bool, jobs: int = 1) -> int:
    quick = fresh_by_record(root, envs, base)
    if quick is not None:
        return _report(quick[0], quick[1], [], as_json=as_json)
    from compiler.pipeline import compile_deployed, orphan_dirs  # the planner and renderers: only past the records

    with console.slow_progress("checking generated/ …"):
        compiled, chosen, warnings = compile_deployed(root, envs, base, _recorded_stages(root), jobs)
    for warning in warnings:
        console.warning(warning)
    owned.refuse_if_link(root / layout.GENERATED, f"{layout.GENERATED}/")
    stale = StaleFiles()
    notes: list[str] = []
    for env, files in compiled.files.items():
        found = _without_record(compare(output_dir(root, env), files, layout.env_dir(env)))
        _forgive_base_commit(root, env, files, found)
        stale.changed += found.changed
        stale.missing += found.missing
        stale.extra += found.extra
        note = _base_note(root, env, compiled.fingerprints[env], chosen.described)
        if found and note:
            notes.append(note)
    if compiled.rollout is not None:
        found = _without_record(compare_files(root / layout.GENERATED, compiled.rollout, layout.GENERATED))
        stale.changed += found.changed
        stale.missing += found.missing
        strays = [f"{layout.GENERATED}/{name}" for name in owned.top_unowned(root / layout.GENERATED, compiled.rollout)]
        stale.extra += strays
        if strays:
            notes.append(f"{', '.join(strays)}: not written by rollplan: move out of {layout.GENERATED}/ "
                         "('rollplan compile' refuses to remove it unless --force)")  # fmt: skip
    for orphan in orphan_dirs(root, compiled, envs):
        shown = f"{layout.GENERATED}/{orphan.name}"
        stale.extra += [f"{shown}/{p}" for p in existing_files(orphan, shown)]
        foreign = owned.unowned(orphan, shown)
        notes.append(f"{shown}/ belongs to no environment: 'rollplan compile' removes it" if not foreign else
                     f"{shown}/ belongs to no environment and holds files rollplan did not write "
                     f"({', '.join(foreign[:3])}): move it out of {layout.GENERATED}/ "
                     "('rollplan compile' refuses to remove it unless --force)")  # fmt: skip
    if stale:
        raise StaleOutput(stale, note="\n".join(notes))
    return _report(sorted(compiled.files), chosen, warnings, as_json=as_json)


def _report(envs: list[str], chosen: Base, warnings: list[str], *, as_json: bool) -> int:
    if as_json:
        nothing: dict[str, list[str]] = {"changed": [], "missing": [], "extra": []}
        console.document({"ok": True, "environments": envs, "stale": nothing, "warnings": warnings,
                          "base": chosen.described})  # fmt: skip
    else:
        console.result(f"generated/ is up to date ({', '.join(envs)})\nbase: {chosen.described}")
    return 0


def _without_record(found: StaleFiles) -> StaleFiles:
    """The freshness records are a shortcut to this very comparison, not output: never stale themselves.

    A record only differs from a fresh one where the rest is the same when the
    rollplan version or the base commit id moved on; the next compile renews it.
    """
    mine = (f"/{RECORD}",)
    found.changed = [p for p in found.changed if not p.endswith(mine)]
    found.missing = [p for p in found.missing if not p.endswith(mine)]
    return found


def _forgive_base_commit(root: Path, env: str, files: Mapping[str, bytes], found: StaleFiles) -> None:
    """A plan.json that differs only in the base commit id is not stale.

    After a rebase onto a deployed branch that moved on elsewhere, the
    merge-base is another commit with the same content for this environment:
    the plan is the same, and asking for a recompile would only churn the id.
    """
    name = f"{layout.env_dir(env)}/plan.json"
    if name not in found.changed:
        return
    committed = _json(output_dir(root, env) / "plan.json")
    fresh = json.loads(files["plan.json"])
    if not isinstance(committed, dict) or _without_commit(committed) != _without_commit(fresh):
        return
    commit = committed.get("base_commit")
    # A commit of HEAD's history (after the merge, check plans against it again), or one a shallow clone lacks.
    if isinstance(commit, str) and re.fullmatch("[0-9a-f]{40}", commit) and (
        gitio.is_ancestor(root, commit) or not gitio.has_commit(root, commit)
    ):
        found.changed.remove(name)


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None


def _without_commit(doc: Any) -> Any:
    return {k: v for k, v in doc.items() if k != "base_commit"} if isinstance(doc, dict) else doc


def _regular_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _recorded_stages(root: Path) -> dict[str, Staging]:
    """Staged rollouts stand where plan.json says: any stage that 'rollplan promote' wrote is fresh."""
    from compiler.commands import promote
    from compiler.render.staging import Staging

    found: dict[str, Staging] = {}
    folder = root / layout.GENERATED
    for env in sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []:
        if not _regular_file(folder / env / "plan.json"):
            continue  # a link or a FIFO there is refused by the comparison, with its name; never read
        state = promote.recorded(root, env)
        if state is not None:
            found[env] = Staging(state.stage, state.base_commit)
    return found


def _base_note(root: Path, env: str, prints: dict[str, str], base: str) -> str:
    """One line when the committed plan.json was compiled against another base than ``base``.

    In a PR the usual cause is a deployed branch that moved on after the plan was
    compiled: the specs are fine, the plan only needs compiling again.
    """
    committed = _json(output_dir(root, env) / "plan.json")
    inputs = committed.get("inputs", {}) if isinstance(committed, dict) else {}
    if not isinstance(inputs, dict) or inputs.get("base") in (None, prints["base"]):
        return ""
    same = "same target inputs" if inputs.get("target") == prints["target"] else "the target inputs differ too"
    return f"{env}: plan.json was compiled against another base than {base} ({same}): compile again"
