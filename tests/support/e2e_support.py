"""GitOps repositories that use the fixture chart as a local chart, compiled by the real CLI.

A builder writes the specs of environment `prod` (three regions, each with its
own kube context), commits them, compiles and commits `generated/` (the
deployed state, as a GitOps repository holds it), then applies one pending
change to the working tree and compiles again. Tests run the resulting plans'
helm command lines from the repository root, as an operator would.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ENV = "prod"
RELEASE = "t100"
NAMESPACE = "voice"
CHART_PATH = "charts/tenant"
TAG_PATHS = ("images.tenant.tag", "images.pgdbInit.tag", "images.pulseInit.tag")

OLD = "100.0.1000067"
NEW = "100.0.1000076"
# A hotfix: the same chart as NEW, only a new image.
HOTFIX = "100.0.1000076.1"
HOTFIX_TAG = "100.0.1000076-hf1"


@dataclass(frozen=True)
class Note:
    version: str
    released: str
    chart_version: str
    image_tag: str


NOTES = (
    Note(OLD, "2024-03-04", OLD, OLD),
    Note(NEW, "2024-05-02", NEW, NEW),
    Note(HOTFIX, "2024-05-20", NEW, HOTFIX_TAG),
)
TAGS = {note.version: note.image_tag for note in NOTES}


@dataclass(frozen=True)
class Region:
    name: str
    replicas: int
    primary: bool = False
    state: str = "present"

    @property
    def context(self) -> str:
        return f"{ENV}-{self.name}"


REGIONS = (Region("usw1", 3, primary=True), Region("use1", 2), Region("euw1", 2))
CONTEXTS = [r.context for r in REGIONS]


@dataclass(frozen=True)
class Spec:
    """One side of the environment: the version it runs and its regions."""

    version: str
    regions: tuple[Region, ...] = REGIONS

    def region(self, name: str) -> Region:
        return next(r for r in self.regions if r.name == name)


def spec_files(spec: Spec) -> dict[str, str]:
    """Every spec file of `spec` (repo-relative path → text)."""
    files = {
        f"{ENV_DIR}/environment.yaml": _dump(_environment_doc(spec.version)),
        f"{ENV_DIR}/values/{RELEASE}.yaml": _dump(SHARED_VALUES),
    }
    for region in spec.regions:
        files[f"{ENV_DIR}/regions/{region.name}.yaml"] = _dump(_region_doc(region))
        files[f"{ENV_DIR}/values/regions/{region.name}.yaml"] = _dump(_region_values(region))
    for note in NOTES:
        files[f"release-notes/tenant/{note.version}.yaml"] = _dump(_note_doc(note))
    return files


ENV_DIR = f"environments/{ENV}"
SHARED_VALUES = {
    "images": {"registry": "registry.example.test/tenant"},
    "tenant": {"id": "100", "redis": {"host": "redis.voice.svc", "port": 6379}},
}


def _environment_doc(version: str) -> dict[str, Any]:
    return {
        "service": "tenant",
        "version": version,
        "release": RELEASE,
        "namespace": NAMESPACE,
        "chart": {"name": "tenant", "path": CHART_PATH},
        "image": {"paths": list(TAG_PATHS)},
        "values": [f"{ENV_DIR}/values/{RELEASE}.yaml"],
        "rollout": {"order": ["use1", "euw1"], "verify_timeout": 300},
        "gitops": {"argocd": {"repo_url": "https://git.example.test/platform/tenant-gitops.git"}},
    }


def _region_values(region: Region) -> dict[str, Any]:
    return {"tenant": {"general": {"location": f"/{region.name.upper()}"}, "consul": {"homedc": region.name}}}


def _note_doc(note: Note) -> dict[str, Any]:
    return {
        "version": note.version,
        "released": note.released,
        "chart_version": note.chart_version,
        "image_tag": note.image_tag,
        "requires": {"redis": ">=7.0"},
    }


def _region_doc(region: Region) -> dict[str, Any]:
    return {
        "name": region.name,
        "primary": region.primary,
        "cluster": {"name": f"aks-{region.name}", "context": region.context},
        "replicas": region.replicas,
        "values": [f"{ENV_DIR}/values/regions/{region.name}.yaml"],
        "third_party": {"postgresql": "15.6", "redis": "7.2.4"},
        "state": region.state,
    }


def _dump(data: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(data), sort_keys=False)


@dataclass(frozen=True)
class Compiled:
    """A compiled repository: its root and the plan of environment `prod`."""

    root: Path
    base: Spec
    target: Spec
    plan: dict[str, Any] = field(repr=False)
    plan_md: str = field(repr=False)

    def generated(self, relative: str) -> str:
        return f"generated/{ENV}/{relative}"

    def helm_steps(self, section: str, subcommand: str | None = None) -> list[dict[str, Any]]:
        """Every helm step of one plan section (steps, rollback, uninstall), in order."""
        return [
            step for step in self.plan[section]
            if step["argv"] and step["argv"][0] == "helm" and subcommand in (None, step["argv"][1])
        ]  # fmt: skip

    def changes(self) -> dict[str, str]:
        return {region["name"]: region["change"] for region in self.plan["regions"]}

    def fast_path(self) -> dict[str, list[str]]:
        """The `helm rollback` lines plan.md offers per region, as argv."""
        found: dict[str, list[str]] = {}
        for line in self.plan_md.splitlines():
            name, sep, rest = line.removeprefix("- ").partition(": `helm rollback ")
            if line.startswith("- ") and sep:
                found[name] = shlex.split("helm rollback " + rest.rstrip("`"))
        return found

    def base_file(self, relative: str, into: Path) -> Path:
        """``relative`` (under generated/prod/) as committed at HEAD: the deployed state, written to ``into``."""
        text = git(self.root, "show", f"HEAD:{self.generated(relative)}")
        into.parent.mkdir(parents=True, exist_ok=True)
        into.write_text(text)
        return into


def build_repo(
    root: Path, chart: Path, base: Spec, target: Spec, files: Callable[[Spec], dict[str, str]] = spec_files
) -> Compiled:
    """A GitOps repo whose HEAD deploys `base` (generated/ included) and whose working tree asks for `target`."""
    root.mkdir(parents=True)
    shutil.copytree(chart, root / CHART_PATH)
    write_files(root, files(base))
    git(root, "init", "--quiet", "--initial-branch=main")
    commit(root, "Deployed specs")
    compile_cli(root)
    commit(root, "Deployed plan")
    write_files(root, files(target))
    compile_cli(root)
    plan = json.loads((root / "generated" / ENV / "plan.json").read_text())
    plan_md = (root / "generated" / ENV / "plan.md").read_text()
    return Compiled(root, base, target, plan, plan_md)


def write_files(root: Path, files: Mapping[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def git(root: Path, *args: str) -> str:
    argv = ["git", "-C", str(root), "-c", "user.name=rollplan tests", "-c", "user.email=tests@rollplan.invalid",
            "-c", "commit.gpgsign=false", *args]  # fmt: skip
    return subprocess.run(argv, capture_output=True, text=True, check=True, timeout=60).stdout


def commit(root: Path, message: str) -> None:
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "--message", message)


def compile_cli(root: Path) -> str:
    """`python -m compiler compile --root ROOT`, run as a user would (this checkout on the import path)."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    argv = [sys.executable, "-m", "compiler", "compile", "--root", str(root)]
    done = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, check=False, timeout=120)
    if done.returncode != 0:
        raise AssertionError(f"compile failed (exit {done.returncode}):\n{done.stderr}")
    return done.stdout


def scenario_repos(root: Path, chart: Path) -> dict[str, Compiled]:
    """The three pending changes the end-to-end tests run, each in its own repository under ``root``.

    upgrade: every region OLD → NEW, and use1 grows from 2 to 3 replicas;
    hotfix: every region NEW → HOTFIX, the same chart with a new image only;
    removal: euw1 becomes `state: absent` (an uninstall), the rest unchanged.
    """
    scenarios = {
        "upgrade": (Spec(OLD), Spec(NEW, _changed(REGIONS, "use1", replicas=3))),
        "hotfix": (Spec(NEW), Spec(HOTFIX)),
        "removal": (Spec(NEW), Spec(NEW, _changed(REGIONS, "euw1", state="absent"))),
    }
    return {name: build_repo(root / name, chart, base, target) for name, (base, target) in scenarios.items()}


def _changed(regions: Sequence[Region], name: str, **changes: Any) -> tuple[Region, ...]:
    return tuple(replace(r, **changes) if r.name == name else r for r in regions)


# What each tag path sets in the fixture chart's StatefulSet.
CONTAINERS = {"images.tenant.tag": "tenant", "images.pgdbInit.tag": "pgdb-init", "images.pulseInit.tag": "pulse-init"}
# Flags `helm upgrade` takes and `helm template` does not; anything else template rejects is a real problem.
UPGRADE_ONLY_FLAGS = ("--install",)


def manifest_of(upgrade_stdout: str) -> str:
    """The rendered manifest in the table output of `helm upgrade --dry-run`."""
    _, found, rest = upgrade_stdout.partition("\nMANIFEST:\n")
    if not found:
        raise AssertionError(f"no MANIFEST section in helm's output:\n{upgrade_stdout}")
    # helm prints "MANIFEST:\n<manifest>\n", then "NOTES:\n…" when the chart has notes.
    body, notes, _ = rest.partition("\nNOTES:\n")
    return body if notes else body.removesuffix("\n")


def docs_by_kind(manifest: str) -> dict[str, dict[str, Any]]:
    return {doc["kind"]: doc for doc in yaml.safe_load_all(manifest) if doc}


def statefulset(manifest: str) -> dict[str, Any]:
    return docs_by_kind(manifest)["StatefulSet"]


def image_tags(manifest: str) -> dict[str, str]:
    """Container name → image tag, init containers included."""
    pod = statefulset(manifest)["spec"]["template"]["spec"]
    containers = [*pod.get("initContainers", []), *pod["containers"]]
    return {c["name"]: c["image"].rsplit(":", 1)[1] for c in containers}


def tag_problems(manifest: str, tag: str) -> list[str]:
    """Every container a tag path feeds that does not run ``tag``, as `name: found-tag`."""
    tags = image_tags(manifest)
    return [f"{name}: {tags.get(name)}" for name in CONTAINERS.values() if tags.get(name) != tag]


def template_args(upgrade_argv: Sequence[str]) -> list[str]:
    """`helm template` arguments that render what a plan's `helm upgrade` argv would install."""
    if list(upgrade_argv[:2]) != ["helm", "upgrade"]:
        raise ValueError(f"not a helm upgrade: {upgrade_argv}")
    return ["template", *(word for word in upgrade_argv[2:] if word not in UPGRADE_ONLY_FLAGS)]


def flag_value(argv: Sequence[str], flag: str) -> str:
    return argv[list(argv).index(flag) + 1]


def with_flag_value(argv: Sequence[str], flag: str, value: str) -> list[str]:
    """``argv`` with the value after (the only) ``flag`` replaced."""
    out = list(argv)
    out[out.index(flag) + 1] = value
    return out
