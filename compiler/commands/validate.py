"""`rollplan validate`: load every spec strictly and report all problems at once."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from compiler import console
from compiler.pipeline import load_target


def run(root: Path, envs: Sequence[str], *, as_json: bool) -> int:
    specs = load_target(root, envs)
    summary = {
        name: {"regions": [r.name for r in loaded.regions], "version": loaded.spec.version}
        for name, loaded in sorted(specs.environments.items())
    }
    notes = sum(len(v) for v in specs.release_notes.values())
    if as_json:
        console.document({"ok": True, "environments": summary, "release_notes": notes})
        return 0
    for name, info in summary.items():
        console.result(f"{name}: {len(info['regions'])} region(s), version {info['version']}: ok")
    console.result(f"{len(summary)} environment(s), {notes} release note(s): valid")
    return 0
