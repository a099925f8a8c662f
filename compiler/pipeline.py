"""The compile pipeline, top to bottom: load → validate → resolve → plan → render.

Writing (or comparing) the result is the caller's business: see writer.py.
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compiler.plan.model import Plan
from compiler.plan.planner import EnvInputs, plan_environment
from compiler.repo import layout
from compiler.spec.load import LoadedEnvironment, Specs, WorkTree, load_specs


@dataclass(frozen=True)
class Compiled:
    """The plans of a run and every file they produce, keyed by repo-relative path."""

    plans: dict[str, Plan]
    files: dict[str, dict[str, bytes]]  # env → {path relative to generated/<env>/: bytes}
    fingerprints: dict[str, dict[str, str]]


def load_target(root: Path, envs: Sequence[str] = ()) -> Specs:
    """The working tree's specs (the target), strictly validated."""
    return load_specs(WorkTree(root), only=envs)


def load_base(root: Path, rev: str, names: Sequence[str]) -> Specs | None:
    """The specs at ``rev`` for those of ``names`` that exist there (None when none do)."""
    from compiler.repo import gitio  # GitPython loads only when a command reads git: validate does not

    source = gitio.base_source(root, rev)
    present = [n for n in names if source.read(f"environments/{n}/environment.yaml") is not None]
    if not present:
        return None
    return load_specs(source, only=present)


def compile_repo(root: Path, envs: Sequence[str] = (), base: str = "HEAD") -> Compiled:
    """Plan and render every selected environment: base from git at ``base``, target from the work tree."""
    with _kept_out_of_collections() as keep:
        target = load_target(root, envs)
        names = sorted(target.environments)
        base_specs = load_base(root, base, names)
        keep()
        plans: dict[str, Plan] = {}
        files: dict[str, dict[str, bytes]] = {}
        prints: dict[str, dict[str, str]] = {}
        for name in names:
            inputs = env_inputs(name, target, base_specs)
            prints[name] = fingerprints(inputs)
            plans[name] = plan_environment(inputs, prints[name]["combined"])
            files[name] = render_environment(plans[name], prints[name])
            keep()
        return Compiled(plans, files, prints)


@contextmanager
def _kept_out_of_collections() -> Iterator[Callable[[], None]]:
    """``keep()`` spares what exists so far from the cyclic collector's full passes, until the block ends.

    The loaded specs, plans and rendered files all live until the compile
    returns, and every full pass walked all of them again: a fleet's compile
    grew faster than the fleet. Where the caller froze objects itself, the
    collector is left alone.
    """
    if gc.get_freeze_count():
        yield lambda: None
        return
    try:
        yield gc.freeze
    finally:
        gc.unfreeze()


def render_environment(plan: Plan, prints: dict[str, str]) -> dict[str, bytes]:
    """Every output file of one plan; the renderers (and jinja) load on first use, as validate needs none."""
    from compiler.render.outputs import render_environment as render

    return render(plan, prints)


def env_inputs(name: str, target: Specs, base: Specs | None) -> EnvInputs:
    base_env = base.environments.get(name) if base is not None else None
    return EnvInputs(name, target.environments[name], target, base_env, base if base_env else None)


def fingerprints(inputs: EnvInputs) -> dict[str, str]:
    """sha256 over the canonical inputs of each side, and over both."""
    target = _digest(_canonical(inputs.target, inputs.target_specs))
    base = _digest(_canonical(inputs.base, inputs.base_specs)) if inputs.base and inputs.base_specs else ""
    return {"base": base, "target": target, "combined": _digest({"base": base, "target": target})}


def _canonical(loaded: LoadedEnvironment, specs: Specs) -> dict[str, Any]:
    files = {p for r in loaded.regions for p in (*loaded.spec.values, *r.values)}
    notes = specs.release_notes.get(loaded.spec.service, {})
    return {
        "environment": loaded.spec.model_dump(mode="json"),
        "regions": [r.model_dump(mode="json") for r in loaded.regions],
        "values": {p: specs.values[p] for p in sorted(files)},
        "release_notes": {v: n.model_dump(mode="json") for v, n in sorted(notes.items())},
    }


def _digest(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def output_dir(root: Path, env: str) -> Path:
    return root / layout.env_dir(env)


def orphan_dirs(root: Path, compiled: Compiled, envs: Sequence[str]) -> list[Path]:
    """generated/<env>/ folders of environments that no longer exist (only when every environment was compiled)."""
    generated = root / layout.GENERATED
    if envs or not generated.is_dir():
        return []
    folders = (p for p in generated.iterdir() if p.is_dir() and not p.name.startswith("."))
    return sorted(p for p in folders if p.name not in compiled.files)


__all__ = ["Compiled", "compile_repo", "load_base", "load_target", "orphan_dirs", "output_dir"]
