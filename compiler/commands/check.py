"""`rollplan check`: recompile in memory and report generated files that are stale."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from compiler import console
from compiler.commands import promote
from compiler.errors import StaleFiles, StaleOutput
from compiler.pipeline import compile_repo, orphan_dirs, output_dir
from compiler.render.staging import Staging
from compiler.repo import layout
from compiler.repo.writer import compare


def run(root: Path, envs: Sequence[str], base: str, *, as_json: bool) -> int:
    compiled = compile_repo(root, envs, base, _recorded_stages(root))
    stale = StaleFiles()
    notes: list[str] = []
    for env, files in compiled.files.items():
        found = compare(output_dir(root, env), files, layout.env_dir(env))
        stale.changed += found.changed
        stale.missing += found.missing
        stale.extra += found.extra
        note = _base_note(root, env, compiled.fingerprints[env], base)
        if found and note:
            notes.append(note)
    for orphan in orphan_dirs(root, compiled, envs):
        stale.extra += sorted(f"{layout.GENERATED}/{p.relative_to(root / layout.GENERATED).as_posix()}"
                              for p in orphan.rglob("*") if p.is_file())  # fmt: skip
        notes.append(f"{layout.GENERATED}/{orphan.name}/ belongs to no environment: 'rollplan compile' removes it")
    if stale:
        raise StaleOutput(stale, note="\n".join(notes))
    if as_json:
        nothing: dict[str, list[str]] = {"changed": [], "missing": [], "extra": []}
        console.document({"ok": True, "environments": sorted(compiled.files), "stale": nothing})
    else:
        console.result(f"generated/ is up to date ({', '.join(sorted(compiled.files))})")
    return 0


def _recorded_stages(root: Path) -> dict[str, Staging]:
    """Staged rollouts stand where plan.json says: any stage that 'rollplan promote' wrote is fresh."""
    found: dict[str, Staging] = {}
    folder = root / layout.GENERATED
    for env in sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []:
        state = promote.recorded(root, env)
        if state is not None:
            found[env] = Staging(state.stage, state.base_commit)
    return found


def _base_note(root: Path, env: str, prints: dict[str, str], base: str) -> str:
    """One line when the committed plan.json was compiled against another base than ``base``.

    In a PR the usual cause is a target branch that moved on after the plan was
    compiled: the specs are fine, the plan only needs compiling again.
    """
    path = output_dir(root, env) / "plan.json"
    try:
        committed = json.loads(path.read_text(encoding="utf-8")).get("inputs", {})
    except (OSError, ValueError, AttributeError):
        return ""
    if not isinstance(committed, dict) or committed.get("base") in (None, prints["base"]):
        return ""
    same = "same target inputs" if committed.get("target") == prints["target"] else "the target inputs differ too"
    return f"{env}: plan.json was compiled against another base than {base} ({same}): compile again with --base {base}"
