"""The compile pipeline, top to bottom: load → validate → resolve → plan → render.

Writing (or comparing) the result is the caller's business: see writer.py.
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from compiler.errors import InputError, PlanBlocked, Problem
from compiler.parallel import map_envs
from compiler.plan.model import Plan
from compiler.plan.planner import EnvInputs, plan_environment
from compiler.repo import layout
from compiler.spec.load import LoadedEnvironment, Specs, WorkTree, load_specs

if TYPE_CHECKING:
    from compiler.render.staging import Staging
    from compiler.repo.deployed import Base
    from compiler.repo.fresh import Snapshot


@dataclass(frozen=True)
class Compiled:
    """The plans of a run and every file they produce, keyed by repo-relative path."""

    plans: dict[str, Plan]
    files: dict[str, Mapping[str, bytes]]  # env → {path relative to generated/<env>/: bytes}
    fingerprints: dict[str, dict[str, str]]
    rollout: dict[str, bytes] | None = None
    """generated/rollout.json and the top-level scripts; None when only some environments were compiled."""


def load_target(root: Path, envs: Sequence[str] = ()) -> Specs:
    """The working tree's specs (the target), strictly validated."""
    return load_specs(WorkTree(root), only=envs)


def load_base(root: Path, rev: str | None, names: Sequence[str]) -> tuple[Specs | None, str | None]:
    """The specs at ``rev`` for those of ``names`` that exist there (None when none do), and the commit id.

    ``rev`` None is a repository with nothing deployed yet: no base at all.
    """
    if rev is None:
        return None, None
    from compiler.repo import gitio  # GitPython loads only when a command reads git

    source = gitio.base_source(root, rev)
    commit = str(source.commit.hexsha)
    present = [n for n in names if source.read(f"environments/{n}/environment.yaml") is not None]
    if not present:
        return None, commit
    return load_specs(source, only=present, refuse_secrets=False, output_checks=False), commit


class Sink(Protocol):
    """Where each environment's files go as soon as they are rendered (repo/staged.py's Stage)."""

    def put(self, name: str, files: Mapping[str, bytes]) -> Mapping[str, bytes]: ...


def compile_repo(
    root: Path,
    envs: Sequence[str] = (),
    base: str | None = "HEAD",
    per_env: Mapping[str, str | None] | None = None,
    stages: Mapping[str, Staging] | None = None,
    jobs: int = 1,
    sink: Sink | None = None,
) -> Compiled:
    """Plan and render every selected environment: base from git, target from the work tree.

    The base is ``base`` (None: nothing deployed), or ``per_env[name]`` for the
    environments it names. Every environment is planned before any problem is
    raised, so that one run reports the problems of all of them. A staged
    environment is written at its first stage, or as ``stages[env]`` says (the
    stage and the base commit recorded in its plan.json).
    ``jobs`` > 1 plans and renders environments in that many processes, with the same result.
    With a ``sink``, each environment's files are handed to it as soon as they
    are made (while no problem is found) and only what it returns is kept: a
    fleet's output is never in memory all at once.
    """
    from compiler.repo import fresh

    snapshot = fresh.Snapshot.take(root)  # before reading: a file changed meanwhile is then a mismatch, not a pass
    with _kept_out_of_collections() as keep:
        target = load_target(root, envs)
        names = sorted(target.environments)
        revs = {name: (per_env[name] if per_env and name in per_env else base) for name in names}
        wanted = dict.fromkeys(revs.values())
        bases = {rev: load_base(root, rev, [n for n in names if revs[n] == rev]) for rev in wanted}
        keep()
        plans: dict[str, Plan] = {}
        files: dict[str, Mapping[str, bytes]] = {}
        prints: dict[str, dict[str, str]] = {}
        problems: list[Problem] = []
        kinds: set[type[InputError]] = set()
        shared = _Shared(snapshot, target, {name: bases[revs[name]] for name in names}, dict(stages or {}))
        del target, bases  # only ``shared`` holds the inputs: with a pool, the workers' copies (parallel.py)
        results = map_envs(_compile_env, shared, names, jobs)
        del shared
        for name in names:
            result = next(results)  # not zip(): its reused tuple would keep each result alive through the next
            prints[name] = result.prints
            problems += result.problems
            if result.plan is not None and result.files is not None:
                plans[name] = result.plan
                files[name] = sink.put(name, result.files) if sink is not None and not problems else result.files
            kinds.update(result.kinds)
            del result  # else the previous environment's files live on while the next one renders
            keep()
        if problems:
            raise (PlanBlocked if kinds == {PlanBlocked} else InputError)(problems)
        return Compiled(plans, files, prints, None if envs else _rollout_with_record(plans, files))


@dataclass(frozen=True)
class _Shared:
    """What every environment's compile reads: loaded once, shared with the workers (parallel.py)."""

    snapshot: Snapshot
    target: Specs
    bases: dict[str, tuple[Specs | None, str | None]]
    stages: dict[str, Staging]


@dataclass(frozen=True)
class _EnvResult:
    prints: dict[str, str]
    plan: Plan | None = None
    files: dict[str, bytes] | None = None
    problems: list[Problem] = field(default_factory=list)
    kinds: tuple[type[InputError], ...] = ()


def _compile_env(shared: _Shared, name: str) -> _EnvResult:
    """Plan and render one environment; its problems are returned, so that every environment gets its say."""
    base_specs, commit = shared.bases[name]
    inputs = env_inputs(name, shared.target, base_specs)
    prints = {**fingerprints(inputs), "commit": commit or ""}
    try:
        plan = plan_environment(inputs, prints["combined"])
        recorded = shared.stages.get(name)
        staged = _staging(plan, commit or "", recorded) if _staged(shared.target, name) else None
        rendered = render_environment(plan, prints, staged)
        return _EnvResult(prints, plan, _with_record(shared.snapshot, name, shared.target, rendered, commit))
    except InputError as err:
        return _EnvResult(prints, problems=list(err.problems), kinds=(type(err),))


def _with_record(
    snapshot: Snapshot, name: str, target: Specs, files: dict[str, bytes], commit: str | None
) -> dict[str, bytes]:
    """``files`` with the environment's freshness record (repo/fresh.py) filled in."""
    from compiler.repo import fresh

    loaded = target.environments[name]
    extra = fresh.outside_values(name, [p for r in loaded.regions for p in (*loaded.spec.values, *r.values)])
    record = fresh.env_record(files, snapshot.env_digest(name, extra), commit or "", extra)
    return {**files, fresh.RECORD: record}


def _rollout_with_record(plans: dict[str, Plan], files: Mapping[str, Mapping[str, bytes]]) -> dict[str, bytes]:
    from compiler.repo import fresh

    rollout = render_rollout(plans)
    records = {env: env_files[fresh.RECORD] for env, env_files in files.items()}
    return {**rollout, fresh.RECORD: fresh.rollout_record(records, rollout)}


def compile_deployed(
    root: Path,
    envs: Sequence[str],
    explicit: str | None,
    stages: Mapping[str, Staging] | None = None,
    jobs: int = 1,
    sink: Sink | None = None,
) -> tuple[Compiled, Base, list[str]]:
    """compile_repo against the deployed base (C-6), with the warnings a person should read.

    An environment the pending change leaves alone keeps the base of its last
    change on the deployed branch (repo/deployed.py): `check` stays green after
    the merge, `compile` reproduces the merged plan instead of turning it into
    nothing to do, and a revert is planned from the state it reverts.
    """
    from compiler.repo.deployed import choose_base, history_bases, last_change_described

    base = choose_base(root, explicit)
    names = sorted(envs) if envs else sorted(_environment_folders(root))
    if not envs:
        _refuse_deleted_environments(root, base.rev, set(names))
    per_env = history_bases(root, base, names)
    compiled = compile_repo(root, envs, base.rev, per_env, stages, jobs, sink)
    if per_env:
        base = replace(base, described=f"{last_change_described(per_env)}; else {base.described}")
    return compiled, base, _moved_on_warnings(root, base, compiled, per_env)


def _environment_folders(root: Path) -> set[str]:
    """The environments the work tree has (a folder with an environment spec), without loading any of them."""
    return {p.parent.name for p in (root / "environments").glob("*/environment.yaml")}


def _refuse_deleted_environments(root: Path, rev: str | None, names: set[str]) -> None:
    """An environment deleted while its regions run is refused, not dropped.

    Its generated/ folder would go, and a GitOps controller that prunes would
    uninstall every region without the plan's backup and data-loss gates.
    """
    if rev is None:
        return
    from compiler.repo import gitio

    source = gitio.base_source(root, rev)
    listed = source.list_dir("environments") or []
    gone = [n for n in listed if n not in names and source.read(f"environments/{n}/environment.yaml") is not None]
    if not gone:
        return
    specs = load_specs(source, only=gone, refuse_secrets=False, output_checks=False)
    problems: list[Problem] = []
    for name, loaded in sorted(specs.environments.items()):
        running = [r.name for r in loaded.regions if r.state == "present"]
        if running:
            message = (
                f"environment {name} is deleted while {', '.join(running)} run it: restore its folder, set "
                "'state: absent' in each region, compile and roll out the uninstall, then delete the folder "
                "(rule: environment-deleted)"
            )
            problems.append(Problem(loaded.locate(loaded.spec_file, ()), "", message))
    if problems:
        raise PlanBlocked(problems)


def _moved_on_warnings(root: Path, base: Base, compiled: Compiled, per_env: Mapping[str, str | None]) -> list[str]:
    """One line per environment whose deployed state changed on the deployed branch after this branch's base."""
    from compiler.repo.deployed import moved_on

    deployed = base.deployed
    if deployed is None or deployed.tip is None or deployed.tip == deployed.merge_base:
        return []
    base_prints = {env: p["base"] for env, p in compiled.fingerprints.items() if env not in per_env}
    moved = moved_on(base, base_prints, _digests_at(root, deployed.tip, sorted(base_prints)))
    branch, short = deployed.branch, (base.rev or "")[:12]
    return [f"{env}: {branch} has moved past this branch's base ({short}) with other changes to {env}: "
            f"rebase onto {branch} and compile again" for env in moved]  # fmt: skip


def _digests_at(root: Path, rev: str, names: Sequence[str]) -> dict[str, str]:
    """The base input digest of each environment at ``rev`` (none when its specs do not load there)."""
    try:
        specs, _ = load_base(root, rev, names)
    except InputError:
        return {}
    if specs is None:
        return {}
    return {name: _digest(_canonical(loaded, specs)) for name, loaded in specs.environments.items()}


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


def render_environment(plan: Plan, prints: dict[str, str], staged: Staging | None = None) -> dict[str, bytes]:
    """Every output file of one plan; the renderers (and jinja) load on first use, as validate needs none."""
    from compiler.render.outputs import render_environment as render
    from compiler.repo.fresh import RECORD
    from compiler.repo.owned import with_manifest

    # The record is filled in once all else is known.
    return with_manifest({**render(plan, prints, staged), RECORD: b""})


def render_rollout(plans: dict[str, Plan]) -> dict[str, bytes]:
    """The top-level files of every environment (the order they roll out in, and the scripts that keep it)."""
    from compiler.render.rollout import render_rollout as render

    return render(plans)


def _staged(specs: Specs, name: str) -> bool:
    return specs.environments[name].spec.gitops.promotion == "staged"


def _staging(plan: Plan, commit: str, recorded: Staging | None) -> Staging:
    from compiler.render import staging

    if recorded is None:
        return staging.Staging(staging.first_stage(plan), commit)
    return staging.Staging(max(0, min(recorded.stage, len(staging.stages(plan)))), recorded.base_commit)


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


def orphan_dirs(root: Path, compiled: Compiled, envs: Sequence[str]) -> list[Path]:
    """generated/<env>/ folders of environments that no longer exist (only when every environment was compiled).

    A symlink there counts as a folder, so that the writer refuses it rather than overlooking it.
    """
    generated = root / layout.GENERATED
    if envs or generated.is_symlink() or not generated.is_dir():
        return []
    folders = (p for p in generated.iterdir() if (p.is_symlink() or p.is_dir()) and not p.name.startswith("."))
    return sorted(p for p in folders if p.name not in compiled.files)


__all__ = ["Compiled", "compile_repo", "load_base", "load_target", "orphan_dirs"]
