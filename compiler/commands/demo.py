"""`rollplan demo DIR`: the worked example as a git repository with a pending change (C-7)."""

from __future__ import annotations

import shutil
from pathlib import Path

from compiler import console
from compiler.commands.compile import write_all
from compiler.commands.summary import environment_line, totals_line
from compiler.errors import OutputError, UsageError
from compiler.pipeline import compile_repo
from compiler.repo import gitio
from compiler.repo.example import apply_demo_change

EXAMPLE_PARTS = ("environments", "release-notes", "schemas")


def example_root() -> Path:
    """Where the example lives: packaged beside the code in a wheel, at the checkout root otherwise."""
    packaged = Path(__file__).resolve().parent.parent / "_example"
    if (packaged / "environments").is_dir():
        return packaged
    return Path(__file__).resolve().parents[2]


def run(target: Path) -> int:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(f"{target} exists and is not an empty directory: give a new or empty directory")
    source = example_root()
    try:
        target.mkdir(parents=True, exist_ok=True)
        for part in EXAMPLE_PARTS:
            if (source / part).is_dir():
                shutil.copytree(source / part, target / part)
    except OSError as err:
        raise OutputError(f"cannot create the demo in {target}: {err.strerror or err}") from None
    console.progress(f"copied the example into {target}")
    gitio.init_with_commit(target, "Deployed state: prod at 100.0.1000067, staging at 100.0.1000071")
    console.progress("committed the deployed state as HEAD")
    changed = apply_demo_change(target)
    console.progress("applied the pending change: " + ", ".join(changed))
    compiled = compile_repo(target, (), "HEAD")
    write_all(target, compiled)
    console.result("\n".join([*map(environment_line, compiled.plans.values()), totals_line(compiled.plans.values())]))
    console.result(_where_to_look(target, sorted(compiled.plans)))
    return 0


def _where_to_look(target: Path, envs: list[str]) -> str:
    rows = [(f"git -C {target} diff", "the pending change (what the PR holds)")]
    rows += [(f"{target}/generated/{env}/plan.md", f"the reviewer's plan for {env}") for env in envs]
    rows += [
        (f"{target}/generated/prod/upgrade.sh --dry-run", "the helm/kubectl steps, printed"),
        (f"{target}/generated/prod/rollback.sh --dry-run", "the matching rollback"),
        (f"rollplan check --root {target}", "confirms generated/ matches the specs"),
    ]
    width = max(len(command) for command, _ in rows)
    return "\n".join(["", f"Demo repository: {target}", *(f"  {c.ljust(width)}  {d}" for c, d in rows)])
