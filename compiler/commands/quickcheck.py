"""`check`'s first step: environments proven fresh by their records (repo/fresh.py), without compiling.

Returns None whenever anything is not exactly as recorded, or the run would
have something to say that only the full compile knows (a warning, an orphan,
an interrupted writer): `check` then compiles and compares as always.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from compiler.errors import RollplanError
from compiler.repo import fresh, gitio, journal, layout, owned
from compiler.repo.deployed import Base, choose_base, history_bases, last_change_described
from compiler.repo.layout import output_dir


def fresh_by_record(root: Path, envs: Sequence[str], explicit: str | None) -> tuple[list[str], Base] | None:
    """The environments checked and the base described as a full check would, when all are fresh by record.

    Any error on the way is left for the full check to report, in the order it finds them.
    """
    try:
        return _fresh_by_record(root, envs, explicit)
    except (RollplanError, OSError):
        return None


def _fresh_by_record(root: Path, envs: Sequence[str], explicit: str | None) -> tuple[list[str], Base] | None:
    names = fresh.env_dirs(root)
    if not names or any(env not in names for env in envs):
        return None
    selected = sorted(set(envs)) if envs else names
    generated = root / layout.GENERATED
    if generated.is_symlink() or not generated.is_dir() or journal.leftovers(generated):
        return None
    if not envs and fresh.generated_dirs(root) != names:  # an orphan, or an environment never compiled
        return None
    if not envs and owned.top_unowned(generated, ()):  # the full check reports it
        return None
    base = choose_base(root, explicit)
    deployed = base.deployed
    if deployed is not None and deployed.tip is not None and deployed.tip != deployed.merge_base:
        return None  # the full compile warns when the deployed branch moved on
    if base.rev is None:
        return None
    commit = _commit(root, base.rev)
    # A record only vouches for output once the deployed branch holds it: a pull request
    # could rewrite an output and its record together, so it gets the full compare.
    reviewed = gitio.base_source(root, base.rev)
    snapshot = fresh.Snapshot.take(root)
    records: dict[str, bytes] = {}
    per_env = history_bases(root, base, selected)
    for env in selected:
        doc = fresh.read_record(output_dir(root, env))
        if doc is None or not _inputs_match(snapshot, env, doc):
            return None
        wanted = _commit(root, per_env[env]) if env in per_env else commit
        if doc.get("base_commit") != wanted:
            return None
        if not fresh.outputs_match(output_dir(root, env), doc, layout.env_dir(env)):
            return None
        records[env] = (output_dir(root, env) / fresh.RECORD).read_bytes()
        if reviewed.read(f"{layout.env_dir(env)}/{fresh.RECORD}") != records[env]:
            return None
    if not envs and not _rollout_fresh(generated, records):
        return None
    if not envs and reviewed.read(f"{layout.GENERATED}/{fresh.RECORD}") != (generated / fresh.RECORD).read_bytes():
        return None
    if per_env:
        base = replace(base, described=f"{last_change_described(per_env)}; else {base.described}")
    return selected, base


def _commit(root: Path, rev: str | None) -> str:
    if rev is None:
        return ""
    return str(gitio.resolve_revision(gitio.open_repo(root), rev).hexsha)


def _inputs_match(snapshot: fresh.Snapshot, env: str, doc: Mapping[str, Any]) -> bool:
    extra = doc.get("outside_values")
    if not isinstance(extra, list) or not all(isinstance(p, str) and _safe(p) for p in extra):
        return False
    recorded = doc.get("inputs")
    return isinstance(recorded, str) and recorded != fresh.UNCACHEABLE and snapshot.env_digest(env, extra) == recorded


def _safe(path: str) -> bool:
    parts = path.split("/")
    return bool(path) and not path.startswith("/") and ".." not in parts and "" not in parts


def _rollout_fresh(generated: Path, records: Mapping[str, bytes]) -> bool:
    doc = fresh.read_record(generated)
    if doc is None or doc.get("environments") != {env: fresh.sha256(data) for env, data in records.items()}:
        return False
    outputs = doc.get("outputs")
    if not isinstance(outputs, dict) or not outputs:
        return False
    return all(fresh.file_sha256(generated / name) == digest for name, digest in outputs.items())
