"""Strict loading of every spec in a repository (C-5): parse, validate, cross-check.

All problems of a run are collected and raised together as one InputError.
"""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from compiler.errors import InputError, Location, Problem
from compiler.profiles.spec_facts import FACTS
from compiler.resolve.secrets import secret_locations, without_owned
from compiler.spec.clashes import clash_problems
from compiler.spec.commands import command_problems
from compiler.spec.modelerrors import dotted_path, model_problem
from compiler.spec.models import EnvironmentSpec, RegionSpec, ReleaseNote, Secrets
from compiler.spec.needs import needs_problems
from compiler.spec.outputs_check import gitops_problems
from compiler.spec.owned_paths import owned_path_overrides, owned_path_problems
from compiler.spec.pins import note_contradictions
from compiler.spec.provides import Links, provides_links
from compiler.spec.secretcheck import found_secrets, masked, owned_paths, owned_secret_problems, spec_secret_message
from compiler.spec.types import DNS1123_LABEL, REDACT_CREDENTIALS
from compiler.spec.yamlio import MAX_FILE_BYTES, MAX_RUN_BYTES, Document, load_document

ENVIRONMENTS = "environments"
RELEASE_NOTES = "release-notes"
SPEC_FILE = "environment.yaml"

M = TypeVar("M", bound=BaseModel)
FieldPath = tuple[str | int, ...]


class Source(Protocol):
    """Where spec files are read from: the working tree, or a git revision.

    Paths are repository-relative and '/'-separated. ``read`` and ``list_dir``
    return None for what does not exist and may raise InputError for an entry
    they refuse to read.
    """

    def read(self, path: str) -> bytes | None: ...

    def list_dir(self, path: str) -> list[str] | None: ...

    def display(self, path: str) -> str: ...


class WorkTree:
    """The files under ``root``. Nothing outside ``root`` is ever read, through symlinks neither."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def read(self, path: str) -> bytes | None:
        real = self._resolve(path)
        if real is None:
            return None
        try:
            if not stat.S_ISREG(real.stat().st_mode):
                raise InputError.single(file=path, line=1, column=1, message="not a regular file")
            with real.open("rb") as handle:
                return handle.read(MAX_FILE_BYTES + 1)  # one byte more is enough to refuse it
        except OSError as err:
            raise InputError.single(file=path, line=1, column=1, message=f"cannot read: {err.strerror}") from None

    def list_dir(self, path: str) -> list[str] | None:
        real = self._resolve(path)
        if real is None or not real.is_dir():
            return None
        return sorted(os.listdir(real))

    def display(self, path: str) -> str:
        return path

    def _resolve(self, path: str) -> Path | None:
        normal = posixpath.normpath(path)
        if posixpath.isabs(normal) or normal == ".." or normal.startswith("../"):
            raise InputError.single(file=path, line=1, column=1, message="path leaves the repository")
        candidate = self.root / normal
        try:
            real = candidate.resolve()
        except (OSError, RuntimeError):  # a symlink loop
            raise InputError.single(file=path, line=1, column=1, message="cannot resolve (symlink loop?)") from None
        if not real.is_relative_to(self.root):
            raise InputError.single(file=path, line=1, column=1, message="symlink to a place outside the repository")
        return real if real.exists() else None


@dataclass(frozen=True)
class LoadedEnvironment:
    """One environment as written: its spec, its regions (sorted by name) and their files."""

    name: str
    spec: EnvironmentSpec
    regions: tuple[RegionSpec, ...]
    spec_file: str
    region_files: Mapping[str, str]
    documents: Mapping[str, Document] = field(default_factory=dict, repr=False, compare=False)
    # Notes on values files that set a path rollplan owns (see owned_paths.owned_path_overrides).
    overridden: tuple[str, ...] = ()

    def locate(self, file: str, path: Sequence[str | int]) -> Location:
        """Where ``path`` is written in one of this environment's spec files (line 0 when unknown)."""
        doc = self.documents.get(file)
        return doc.locate(path) if doc is not None else Location(file)


@dataclass(frozen=True)
class Specs:
    """Everything one run loaded, validated and cross-checked."""

    environments: Mapping[str, LoadedEnvironment]
    release_notes: Mapping[str, Mapping[str, ReleaseNote]]
    values: Mapping[str, dict[str, Any]]
    links: Links = field(default_factory=Links)
    """What `provides` implies across environments (spec/provides.py)."""
    context: Mapping[str, LoadedEnvironment] = field(default_factory=dict)
    """Environments a run with --env loads only because the selected ones are linked to them."""

    def every_environment(self) -> Mapping[str, LoadedEnvironment]:
        return {**self.context, **self.environments}


@dataclass
class _Run:
    """The source being read and the problems found so far."""

    source: Source
    refuse_secrets: bool = True
    problems: list[Problem] = field(default_factory=list)
    absent: set[str] = field(default_factory=set)
    environments: list[str] = field(default_factory=list)
    """Every environment of the source, also those a run with ``only`` does not load."""
    bytes_read: int = 0
    broken_notes: set[str] = field(default_factory=set)
    """Release notes that exist but were refused (their own problems say why)."""

    def add(self, doc: Document, path: Sequence[str | int], message: str) -> None:
        self.problems.append(Problem(doc.locate(path), dotted_path(path), message))

    def list_dir(self, path: str) -> list[str]:
        try:
            return self.source.list_dir(path) or []
        except InputError as err:
            self.problems.extend(err.problems)
            return []

    def document(self, path: str) -> Document | None:
        """The parsed file, or None when it is absent (noted in ``absent``) or broken (noted as a problem)."""
        try:
            raw = self.source.read(path)
            if raw is None:
                self.absent.add(path)
                return None
            self.bytes_read += len(raw)
            if self.bytes_read > MAX_RUN_BYTES:
                limit = f"{MAX_RUN_BYTES // (1024 * 1024)} MiB"
                raise InputError.single(file=path, message=f"the files of this run exceed {limit} in total")
            return load_document(raw, self.source.display(path))
        except InputError as err:
            self.problems.extend(err.problems)
            return None

    def model(self, doc: Document, model: type[M]) -> M | None:
        data = doc.data
        found = list(found_secrets(data))
        if found:
            data = masked(data)  # a secret is refused below, or masked in history, and never echoed
        # The vendor's notes are prose about settings, not the operator's settings: masked, never refused.
        for path, form in found if self.refuse_secrets and model is not ReleaseNote else ():
            self.add(doc, path, spec_secret_message(form))
        try:
            return model.model_validate(data, context={REDACT_CREDENTIALS: not self.refuse_secrets})
        except ValidationError as err:
            self.problems.extend(model_problem(doc, model, detail) for detail in err.errors(include_url=False))
            return None


def load_specs(
    source: Source, only: Sequence[str] = (), *, refuse_secrets: bool = True, output_checks: bool = True
) -> Specs:
    """Load, validate and cross-check the specs of ``source`` (all environments, or ``only`` these).

    ``refuse_secrets=False`` reads history (the base): a plaintext secret committed there
    cannot be taken back, so it is redacted when resolved instead of refused.
    ``output_checks`` adds the checks of what the manifests are written from: the
    target's settings. The base (deployed) side is read for its state only.
    """
    run = _Run(source, refuse_secrets)
    notes = _load_release_notes(run)
    environments: dict[str, LoadedEnvironment] = {}
    values: dict[str, dict[str, Any]] = {}
    for name in _environment_names(run, only):
        loaded = _load_environment(run, name, notes)
        if loaded is not None and output_checks:
            run.problems.extend(gitops_problems(loaded[0]))
            service = loaded[0].spec.service
            folder = f"{RELEASE_NOTES}/{service}"
            run.problems.extend(note_contradictions(loaded[0], notes.get(service, {}), folder))
        if loaded is not None:
            documents: dict[str, Document] = {}
            rules = without_owned(loaded[0].spec.secrets, owned_paths(loaded[0].spec))
            values.update(_load_values(run, rules, loaded[1], documents))
            environments[name] = replace(loaded[0], overridden=tuple(owned_path_overrides(loaded[0], documents)))
            if output_checks:
                run.problems.extend(owned_path_problems(loaded[0], documents))
    # The base is what is deployed: only the target's links are checked, and only they order the rollout.
    context = _linked_context(run, only, notes, environments) if output_checks else {}
    linked = {**context, **environments}
    found, links = provides_links(linked, notes) if output_checks else ([], Links())
    run.problems += found
    run.problems.extend(needs_problems(linked, run.environments, links.implicit))
    if output_checks:
        run.problems.extend(clash_problems(linked))
    if run.problems:
        raise InputError(sorted(set(run.problems)))  # a file shared by environments is checked once per environment
    return Specs(environments, notes, values, links, context)


def _linked_context(
    run: _Run,
    only: Sequence[str],
    notes: Mapping[str, Mapping[str, ReleaseNote]],
    loaded: Mapping[str, LoadedEnvironment],
) -> dict[str, LoadedEnvironment]:
    """With --env, the other environments the selected ones are linked to, so that their plans are a full run's.

    Those are the environments a selected one needs, every environment that
    provides a component (it may supply a selected one), and, when a selected
    environment provides one, every environment (any may consume it). Others are
    not read: a broken environment elsewhere does not stop this run.
    """
    if not only:
        return {}
    needed = {wanted for env in loaded.values() for wanted in env.spec.needs}
    providing = any(env.spec.provides for env in loaded.values())
    linked = [
        name
        for name in run.environments
        if name not in loaded
        and (providing or name in needed or b"provides" in _raw(run, f"{ENVIRONMENTS}/{name}/{SPEC_FILE}"))
    ]
    context: dict[str, LoadedEnvironment] = {}
    for name in linked:
        found = _load_environment(run, name, notes)
        if found is not None:
            context[name] = found[0]
    return context


def _raw(run: _Run, path: str) -> bytes:
    try:
        return run.source.read(path) or b""
    except InputError:
        return b""  # loading reports it


def _environment_names(run: _Run, only: Sequence[str]) -> list[str]:
    names = [
        name
        for name in run.list_dir(ENVIRONMENTS)
        if not name.startswith(".") and SPEC_FILE in run.list_dir(f"{ENVIRONMENTS}/{name}")
    ]
    run.environments = names
    where = Location(run.source.display(ENVIRONMENTS))
    if not names:
        run.problems.append(Problem(where, "", f"no {ENVIRONMENTS}/<env>/{SPEC_FILE} found"))
    unknown = [name for name in only if name not in names]
    for name in unknown:
        known = ", ".join(names) or "none"
        run.problems.append(Problem(where, "", f"unknown environment {name!r} (known: {known})"))
    return [name for name in names if name in only] if only else names


_Reference = tuple[str, Document, FieldPath]
"""A values file path, and the document and field path that name it."""


def _load_environment(
    run: _Run, name: str, notes: Mapping[str, Mapping[str, ReleaseNote]]
) -> tuple[LoadedEnvironment, list[_Reference]] | None:
    spec_file = f"{ENVIRONMENTS}/{name}/{SPEC_FILE}"
    doc = run.document(spec_file)
    regions, complete = _load_regions(run, name, spec_file)
    if doc is None:
        return None
    if len(name) > 63 or not DNS1123_LABEL.match(name):
        run.add(doc, (), f"environment name {name!r} (its folder name) is not a DNS-1123 label")
    spec = run.model(doc, EnvironmentSpec)
    if spec is None:
        return None
    _check_versions(run, doc, spec, regions, notes.get(spec.service))
    run.problems += command_problems(doc, spec)
    if run.refuse_secrets:
        run.problems += owned_secret_problems(doc, spec)
    if spec.rollout.workload is not None and not FACTS[spec.service].workload_settable:
        message = f"rollout.workload cannot be set for service {spec.service}: its workload is fixed"
        run.add(doc, ("rollout", "workload"), message)
    references: list[_Reference] = [(path, doc, ("values", index)) for index, path in enumerate(spec.values)]
    for region, region_doc, _ in regions.values():
        references += [(path, region_doc, ("values", index)) for index, path in enumerate(region.values)]
    if complete and _check_primary(run, doc, regions):
        _check_order(run, doc, spec, regions)
    loaded = LoadedEnvironment(
        name=name,
        spec=spec,
        regions=tuple(region for region, _, _ in sorted(regions.values(), key=lambda r: r[0].name)),
        spec_file=spec_file,
        region_files={region.name: path for region, _, path in regions.values()},
        documents={spec_file: doc, **{path: region_doc for _, region_doc, path in regions.values()}},
    )
    return loaded, references


_Regions = dict[str, tuple[RegionSpec, Document, str]]


def _load_regions(run: _Run, env: str, spec_file: str) -> tuple[_Regions, bool]:
    """The regions that loaded cleanly, and whether every region file did."""
    folder = f"{ENVIRONMENTS}/{env}/regions"
    regions: _Regions = {}
    complete = True
    for entry in run.list_dir(folder):
        path = f"{folder}/{entry}"
        if entry.endswith(".yml"):
            run.problems.append(Problem(Location(run.source.display(path), 1, 1), "", "region files end in .yaml"))
        if not entry.endswith(".yaml"):
            continue
        doc = run.document(path)
        region = run.model(doc, RegionSpec) if doc else None
        if doc is None or region is None:
            complete = False
            continue
        stem = entry.removesuffix(".yaml")
        if region.name != stem:
            run.add(doc, ("name",), f"region name {region.name!r} must equal the file name {stem!r}")
            complete = False
            continue
        regions[region.name] = (region, doc, path)
    if not regions and complete:
        where = Location(run.source.display(spec_file), 1, 1)
        run.problems.append(Problem(where, "", f"no regions: expected {folder}/<region>.yaml"))
    return regions, complete


def _check_primary(run: _Run, env_doc: Document, regions: _Regions) -> bool:
    """Whether exactly one region is primary; a problem otherwise (unless there are no regions)."""
    primaries = [(doc, path) for region, doc, path in regions.values() if region.primary]
    if len(primaries) == 1 or not regions:
        return len(primaries) == 1
    if not primaries:
        files = ", ".join(sorted(run.source.display(path) for _, _, path in regions.values()))
        run.add(env_doc, (), f"no primary region: set 'primary: true' in exactly one of {files}")
        return False
    files = ", ".join(sorted(run.source.display(path) for _, path in primaries))
    for doc, _ in primaries:
        run.add(doc, ("primary",), f"{len(primaries)} primary regions ({files}); exactly one is allowed")
    return False


def _check_order(run: _Run, doc: Document, spec: EnvironmentSpec, regions: _Regions) -> None:
    primary = next((name for name, (region, _, _) in regions.items() if region.primary), None)
    seen: set[str] = set()
    for index, name in enumerate(spec.rollout.order):
        where = ("rollout", "order", index)
        if name not in regions:
            run.add(doc, where, f"unknown region {name!r} (regions: {', '.join(sorted(regions))})")
        elif name == primary:
            run.add(doc, where, f"{name!r} is the primary region, which always goes first: do not list it")
        elif name in seen:
            run.add(doc, where, f"region {name!r} is listed twice")
        seen.add(name)


def _check_versions(
    run: _Run, doc: Document, spec: EnvironmentSpec, regions: _Regions, notes: Mapping[str, ReleaseNote] | None
) -> None:
    """Every version the environment or a region pin names has a release note.

    A service whose notes are optional and that has none gives chart and image itself instead.
    """
    if notes is None and not FACTS[spec.service].release_notes_required:
        _check_without_notes(run, doc, spec, regions)
        return
    notes = notes or {}
    pins = [(region_doc, region.pin.version) for region, region_doc, _ in regions.values() if region.pin]
    for where, path, version in [(doc, "version", spec.version), *((d, "pin.version", v) for d, v in pins)]:
        note = f"{RELEASE_NOTES}/{spec.service}/{version}.yaml"
        if version not in notes and note not in run.broken_notes:  # a refused note is named once, at its own line
            run.add(where, path.split("."), f"no release note {note} for version {version!r}")


def _check_without_notes(run: _Run, doc: Document, spec: EnvironmentSpec, regions: _Regions) -> None:
    why = f"there is no {RELEASE_NOTES}/{spec.service}/ folder to take it from"
    if spec.chart.version is None:
        run.add(doc, ("chart", "version"), f"chart.version is required: {why}")
    if spec.image.tag is None:
        run.add(doc, ("image", "tag"), f"image.tag is required: {why}")
    for region, region_doc, _ in regions.values():
        if region.pin is not None and region.pin.chart_version is None:
            run.add(region_doc, ("pin", "chart_version"), f"pin.chart_version is required: {why}")
        if region.pin is not None and region.pin.image_tag is None:
            run.add(region_doc, ("pin", "image_tag"), f"pin.image_tag is required: {why}")


def _load_release_notes(run: _Run) -> dict[str, dict[str, ReleaseNote]]:
    notes: dict[str, dict[str, ReleaseNote]] = {}
    for service in run.list_dir(RELEASE_NOTES):
        for entry in run.list_dir(f"{RELEASE_NOTES}/{service}"):
            if not entry.endswith(".yaml"):
                continue
            path = f"{RELEASE_NOTES}/{service}/{entry}"
            doc = run.document(path)
            note = run.model(doc, ReleaseNote) if doc else None
            if doc is None or note is None:
                if path not in run.absent:
                    run.broken_notes.add(path)
                continue
            stem = entry.removesuffix(".yaml")
            if note.version != stem:
                run.add(doc, ("version",), f"version {note.version!r} must equal the file name {stem!r}")
            if note.service != service:
                run.add(doc, ("service",), f"service {note.service!r} must equal the folder name {service!r}")
            notes.setdefault(note.service, {})[note.version] = note
    return notes


def _load_values(
    run: _Run, secrets: Secrets, references: list[_Reference], documents: dict[str, Document]
) -> dict[str, dict[str, Any]]:
    """The values files one environment references, checked against its secret rules; ``documents`` gets each."""
    values: dict[str, dict[str, Any]] = {}
    for path, owner, where in references:
        if path in values:
            continue
        doc = run.document(path)
        if doc is None:
            if path in run.absent:
                run.add(owner, where, f"values file {path} not found")
            continue
        values[path] = doc.data
        documents[path] = doc
        if run.refuse_secrets:
            for secret_path in secret_locations(doc.data, secrets):
                run.add(doc, secret_path, PLAINTEXT_SECRET)
    return values


PLAINTEXT_SECRET = (
    "plaintext secret: reference a Kubernetes Secret (…Name, existingSecret), or list the path under "
    "secrets.paths and supply it from the secrets file; secrets.allow lists a false positive"
)
