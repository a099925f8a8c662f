"""Content-addressed freshness: what each environment's output was compiled from, and what it was.

`compile` writes ``generated/<env>/.rollplan-inputs``: the rollplan version,
the base commit, a sha256 over the raw bytes of every work-tree file the
environment's plan can depend on, and a sha256 of every other file it wrote.
``generated/.rollplan-inputs`` does the same for the top-level rollout files,
over the environments' records. `check` compares those first: when the
inputs, the base commit, the version and every output hash the same as
recorded, the environment is fresh without loading YAML or rendering; any
difference sends it down the full compile-and-compare.

The inputs of an environment, conservatively: every file under
``environments/<env>/``, every ``environments/*/environment.yaml`` and
``environments/*/regions/*`` (other environments' ``needs:`` and ``provides:``,
and the clusters of their regions), every file under ``release-notes/``,
``rollplan.yaml``, and the values files the environment names outside its own
folder. A symbolic link to a folder, or an empty folder, among them makes the
environment never fresh by record (the full compare still runs). The base side is the commit id:
the same commit is the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compiler.repo import layout
from compiler.spec.yamlio import MAX_FILE_BYTES

RECORD = ".rollplan-inputs"
RECORD_FORMAT = 1
ENVIRONMENTS = "environments"
RELEASE_NOTES = "release-notes"
REPO_CONFIG = "rollplan.yaml"
UNCACHEABLE = "uncacheable"


def rollplan_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("rollplan")
    except PackageNotFoundError:
        return "unknown"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_sha = sha256


def file_sha256(path: Path) -> str:
    """An output file's sha256 (not through a symbolic link); '' when there is none or its mode is not rollplan's."""
    from compiler.repo.writer import EXECUTABLE_SUFFIXES

    if path.is_symlink() or not path.is_file():
        return ""
    if bool(path.stat().st_mode & 0o100) != path.name.endswith(EXECUTABLE_SUFFIXES):
        return ""  # the writer gives scripts, and only them, the executable bit: check would call it stale
    return _hash_file(path)


@dataclass
class Snapshot:
    """The sha256 of every input file of the work tree, taken before the compile reads them."""

    root: Path
    hashes: dict[str, str] = field(default_factory=dict)

    @classmethod
    def take(cls, root: Path) -> Snapshot:
        snap = cls(root)
        for part in (ENVIRONMENTS, RELEASE_NOTES):
            for rel in _files(root, part):
                snap.hashes[rel] = _input_hash(root / rel)
        snap.hashes[REPO_CONFIG] = _input_hash(root / REPO_CONFIG)
        return snap

    def env_digest(self, env: str, extra: Iterable[str]) -> str:
        """sha256 over the inputs of ``env`` (see the module doc); ``extra`` are values files outside its folder."""
        own = f"{ENVIRONMENTS}/{env}/"
        picked = {
            rel: digest
            for rel, digest in self.hashes.items()
            if rel.startswith(own) or rel.startswith(f"{RELEASE_NOTES}/") or rel == REPO_CONFIG or _is_env_spec(rel)
        }
        for rel in extra:
            picked[rel] = self.hashes.get(rel) or _input_hash(self.root / rel)
        if any(digest == UNCACHEABLE for digest in picked.values()):
            return UNCACHEABLE
        return _sha(json.dumps(sorted(picked.items()), separators=(",", ":")).encode("utf-8"))


def _is_env_spec(rel: str) -> bool:
    """An environment's spec or anything in its regions folder: what other environments' needs and provides read.

    Loading lists the regions folder, so a folder there named like a region file is an error too.
    """
    parts = rel.split("/")
    spec = len(parts) == 3 and parts[2] == "environment.yaml"
    return parts[0] == ENVIRONMENTS and (spec or (len(parts) >= 4 and parts[2] == "regions"))


def _files(root: Path, part: str) -> Iterator[str]:
    """Every file under ``root/part`` ('/'-separated, root relative); a linked or empty folder shows as uncacheable.

    Loading lists folders, so an empty one where a region file or a release note is read is an error
    that no file's hash would show.
    """
    top = root / part
    if top.is_symlink():
        yield part
        return
    for folder, dirs, names in os.walk(top):
        rel = Path(folder).relative_to(root).as_posix()
        for name in dirs:
            path = os.path.join(folder, name)
            if os.path.islink(path) or _empty(path):
                yield f"{rel}/{name}"
        yield from (f"{rel}/{name}" for name in names)


def _empty(folder: str) -> bool:
    try:
        return not os.listdir(folder)
    except OSError:
        return True  # unreadable: loading reports it


def _input_hash(path: Path) -> str:
    """An input's sha256; a symbolic link counts with where it points (the compile refuses some)."""
    digest = _hash_file(path)
    if digest == UNCACHEABLE or not path.is_symlink():
        return digest
    try:
        return sha256(f"link:{os.readlink(path)}:{digest}".encode())
    except OSError:
        return UNCACHEABLE


def _hash_file(path: Path) -> str:
    """The file's sha256; 'absent' for nothing there; uncacheable for a folder (a linked one) or a read error."""
    try:
        if path.is_dir():
            return UNCACHEABLE
        info = path.stat()
        # Only a regular file of a bounded size is read: a link to /dev/zero or a FIFO must not hang
        # or exhaust memory here, before loading reports it with its place.
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
            return UNCACHEABLE
        return _sha(path.read_bytes())
    except FileNotFoundError:
        return "absent"
    except OSError:
        return UNCACHEABLE


def outside_values(env: str, paths: Iterable[str]) -> list[str]:
    """The values files of ``env`` that its folder does not hold (those are hashed with the folder)."""
    own = f"{ENVIRONMENTS}/{env}/"
    return sorted({p for p in paths if not p.startswith(own)})


def env_record(files: Mapping[str, bytes], inputs: str, commit: str, extra: Sequence[str]) -> bytes:
    """The record of one environment's folder: ``files`` is every file written there but the record itself."""
    doc = {
        "format": RECORD_FORMAT,
        "rollplan": rollplan_version(),
        "base_commit": commit,
        "inputs": inputs,
        "outside_values": list(extra),
        "outputs": {path: _sha(data) for path, data in sorted(files.items()) if path != RECORD},
    }
    return _dump(doc)


def rollout_record(records: Mapping[str, bytes], files: Mapping[str, bytes]) -> bytes:
    """The record of the top-level rollout files: which environment records they were rendered with."""
    doc = {
        "format": RECORD_FORMAT,
        "rollplan": rollplan_version(),
        "environments": {env: _sha(data) for env, data in sorted(records.items())},
        "outputs": {path: _sha(data) for path, data in sorted(files.items()) if path != RECORD},
    }
    return _dump(doc)


def _dump(doc: Mapping[str, Any]) -> bytes:
    return (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode("utf-8")


def read_record(folder: Path) -> dict[str, Any] | None:
    """A folder's record, or None when it is missing, not a regular file, or not one this version wrote."""
    path = folder / RECORD
    try:
        if path.is_symlink() or not path.is_file():
            return None
        doc = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):  # nested too deep for the parser: not one rollplan wrote
        return None
    if not isinstance(doc, dict) or doc.get("format") != RECORD_FORMAT or doc.get("rollplan") != rollplan_version():
        return None
    return doc


def outputs_match(folder: Path, doc: Mapping[str, Any], shown: str) -> bool:
    """Every file of ``folder`` is one the record lists, with the recorded sha256, and none is missing."""
    from compiler.repo.writer import existing_files

    recorded = doc.get("outputs")
    if not isinstance(recorded, dict):
        return False
    on_disk = existing_files(folder, shown)
    if set(on_disk) != {*recorded, RECORD}:
        return False
    return all(file_sha256(on_disk[p]) == digest for p, digest in recorded.items())


def env_dirs(root: Path) -> list[str] | None:
    """The environments of the work tree (folders with an environment.yaml); None when that is unclear."""
    top = root / ENVIRONMENTS
    if top.is_symlink() or not top.is_dir():
        return None
    names = []
    for entry in sorted(os.listdir(top)):
        spec = top / entry / "environment.yaml"
        if entry.startswith(".") or not (top / entry).is_dir():
            continue
        if (top / entry).is_symlink() or spec.is_symlink():
            return None
        if spec.exists():
            names.append(entry)
    return names


def generated_dirs(root: Path) -> list[str]:
    generated = root / layout.GENERATED
    if not generated.is_dir():
        return []
    return sorted(p.name for p in generated.iterdir() if (p.is_symlink() or p.is_dir()) and not p.name.startswith("."))
