"""Fleet-scale benchmark: the cost of a full compile against the serialization floor.

    python benchmarks/fleet.py --regions 1000 [--environments 10]

Builds a synthetic GitOps repository in a temporary directory (the example's
release notes, ``--environments`` environments sharing ``--regions`` regions,
each region with its own values file of about 300 lines), commits it as the
deployed state, then changes every region (an image-only release, and one
values key in each region's file). It then measures, in this one process:

- ``seconds``: a full compile of every environment, base read from git, every
  output file written, as ``rollplan compile`` runs it (``--jobs``: by default
  the machine's cores, its own default);
- ``floor_seconds``: the serialization floor of the same work: every input
  document the compile reads (base and target) loaded with the libyaml C
  loader, every document the compile wrote (read back from its output)
  dumped with the libyaml C dumper, and those bytes written;
- ``ratio_to_floor`` and the process's ``peak_rss_mb``.

The last line printed is always
``regions=N seconds=S floor_seconds=F ratio_to_floor=R peak_rss_mb=M``.
See benchmarks/README.md for the targets and the recorded results.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from a checkout: import the compiler beside it
    sys.path.insert(0, str(REPO))

import compiler.render.outputs  # noqa: E402, F401 - loaded up front: the timed compile measures work, not imports
from compiler.commands.compile import commit_stage  # noqa: E402
from compiler.parallel import default_jobs  # noqa: E402
from compiler.pipeline import compile_repo  # noqa: E402
from compiler.repo import gitio  # noqa: E402
from compiler.repo.fresh import RECORD  # noqa: E402
from compiler.repo.staged import staged  # noqa: E402
from compiler.repo.writer import write_files  # noqa: E402

BASE_VERSION = "100.0.1000071"
TARGET_VERSION = "100.0.1000071.2"  # an image-only hotfix: the chart stays, every image tag moves
REGIONS_PER_ENVIRONMENT = 100
GEOS = ("eastus", "westus", "centralus", "northeurope", "westeurope", "uksouth", "japaneast", "australiaeast")
CHANGED_KEY = ("    logLevel: INFO\n", "    logLevel: DEBUG\n")
PROFILE_LINES = 25
DUMP_OPTIONS: dict[str, Any] = {"default_flow_style": False, "sort_keys": True, "allow_unicode": True, "width": 1 << 30}


@dataclass(frozen=True)
class Fleet:
    """Environment name → its region names, primary first."""

    environments: dict[str, list[str]]

    @property
    def regions(self) -> int:
        return sum(len(names) for names in self.environments.values())


def plan_fleet(regions: int, environments: int | None) -> Fleet:
    """Spread ``regions`` over the environments as evenly as possible (default: ~100 regions each)."""
    count = environments or max(1, -(-regions // REGIONS_PER_ENVIRONMENT))
    fleet: dict[str, list[str]] = {}
    for index in range(count):
        size = regions // count + (1 if index < regions % count else 0)
        fleet[f"fleet{index:02d}"] = [f"{GEOS[i % len(GEOS)]}-{i:04d}" for i in range(size)]
    return Fleet(fleet)


# --- the synthetic repository ---------------------------------------------------------------------------------


def environment_yaml(env: str, regions: Sequence[str], rng: random.Random) -> str:
    order = list(regions[1:])
    rng.shuffle(order)
    order_lines = "".join(f"    - {name}\n" for name in order)
    return f"""# Fleet environment {env}: {len(regions)} regions of the Tenant Service.
service: tenant
version: '{BASE_VERSION}'
release: t100
namespace: voice
chart:
  name: tenant
  repository: oci://registry.example.com/genesys/charts
image:
  paths:
    - images.tenant.tag
    - images.pgdbInit.tag
    - images.pulseInit.tag
values:
  - environments/{env}/values/tenant-chart.yaml
  - environments/{env}/values/t100.yaml
rollout:
  # {regions[0]} is the primary and always goes first.
  order:
{order_lines}  verify_timeout: 900
  pause_between_regions: 600
backup:
  command: [kubectl, --context, {env}-{regions[0]}, -n, voice, exec, deploy/tenant-pg-tools, --, pg_dump,
            --format=custom, --no-owner, --file=/backup/t100-pre-upgrade.dump, tenant_t100]
  restore_command: [kubectl, --context, {env}-{regions[0]}, -n, voice, exec, deploy/tenant-pg-tools, --,
                    pg_restore, --clean, --if-exists, --no-owner, --dbname=tenant_t100,
                    /backup/t100-pre-upgrade.dump]
gitops:
  argocd:
    project: tenant
    repo_url: https://git.example.com/platform/tenant-gitops.git
  flux: {{}}
monitoring:
  namespace: monitoring
  pending_timeout: 600
  labels:
    service: voice
    servicename: tenant
secrets:
  # Set only through the values Secret (Flux valuesFrom), never in a file here.
  paths:
    - tenant.redis.password
"""


def region_yaml(env: str, region: str, primary: bool, rng: random.Random) -> str:
    return f"""# yaml-language-server: $schema=../../../schemas/region.schema.json
name: {region}
{"primary: true" + chr(10) if primary else ""}cluster:
  name: aks-{env}-{region}
  server: https://aks-{env}-{region}.k8s.example.com:443
  context: {env}-{region}
replicas: {rng.choice((2, 3, 3, 4))}
values:
  - environments/{env}/values/regions/{region}.yaml
third_party:
  postgresql: '15.{rng.randint(2, 8)}'
  redis: '7.{rng.choice((0, 2))}.{rng.randint(1, 5)}'
  kubernetes: '1.{rng.randint(27, 30)}.{rng.randint(1, 9)}'
  helm: '3.{rng.randint(12, 15)}.{rng.randint(0, 4)}'
  consul: '1.17.3'
"""


def region_values(env: str, region: str, rng: random.Random) -> str:
    """About 300 lines of region-level chart values: nested maps, lists of maps, comments, every scalar type."""
    data: dict[str, Any] = {
        "tenant": {
            "general": {
                "location": f"/{region.upper()}",
                "timezone": rng.choice(("UTC", "America/New_York", "Europe/Dublin")),
                "features": {f"feature{i:02d}": rng.random() < 0.5 for i in range(40)},
            },
            "consul": {"masterdc": f"{env}-primary", "homedc": region, "port": 8500, "tls": True},
            "deployment": _deployment(region, rng),
            "routing": {
                "tables": {
                    f"table{i:02d}": {
                        "priority": rng.randint(1, 9),
                        "weight": round(rng.random(), 3),
                        "timeoutSeconds": rng.choice((5, 10, 30)),
                        "targets": [f"{region}-pool-{j}.svc.cluster.local" for j in range(4)],
                    }
                    for i in range(12)
                }
            },
            "limits": {f"limit{i:02d}": rng.randint(10, 100_000) for i in range(40)},
            "env": [{"name": f"TENANT_OPTION_{i:02d}", "value": f"{rng.randint(0, 999)}"} for i in range(20)],
        }
    }
    body = yaml.dump(data, Dumper=yaml.CSafeDumper, default_flow_style=False, sort_keys=False, width=120)
    general = "  general:\n"
    body = body.replace(general, general + "    # Raised to DEBUG while an incident is open.\n" + CHANGED_KEY[0], 1)
    return f"# {region}: region overrides of the tenant chart (fleet benchmark).\n" + body


def _deployment(region: str, rng: random.Random) -> dict[str, Any]:
    probe = {"initialDelaySeconds": 30, "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 6}
    return {
        "resources": {
            "requests": {"cpu": f"{rng.choice((500, 750, 1000))}m", "memory": f"{rng.choice((2, 3, 4))}Gi"},
            "limits": {"cpu": str(rng.choice((2, 4))), "memory": f"{rng.choice((4, 6, 8))}Gi"},
        },
        "podLabels": {f"label-{i}": f"{region}-{i}" for i in range(6)},
        "podAnnotations": {f"example.com/note-{i}": f"region {region} annotation {i}" for i in range(6)},
        "nodeSelector": {"kubernetes.io/os": "linux", "agentpool": f"tenant{rng.randint(1, 3)}"},
        "sidecars": [
            {"name": f"agent-{i}", "image": f"tools/agent-{i}:1.{i}", "port": 9100 + i, "cpu": "50m"} for i in range(4)
        ],
        "probes": {"liveness": dict(probe), "readiness": dict(probe), "startup": dict(probe, failureThreshold=30)},
    }


def write_fleet(root: Path, fleet: Fleet) -> None:
    """The whole repository under ``root``: release notes, and every environment with its regions and values."""
    shutil.copytree(REPO / "release-notes", root / "release-notes")
    shared = REPO / "environments" / "prod" / "values"
    for env, regions in fleet.environments.items():
        rng = random.Random(env)
        folder = root / "environments" / env
        (folder / "regions").mkdir(parents=True)
        (folder / "values" / "regions").mkdir(parents=True)
        (folder / "environment.yaml").write_text(environment_yaml(env, regions, rng), encoding="utf-8")
        for name in ("tenant-chart.yaml", "t100.yaml"):
            shutil.copyfile(shared / name, folder / "values" / name)
        for index, region in enumerate(regions):
            spec = region_yaml(env, region, index == 0, rng)
            (folder / "regions" / f"{region}.yaml").write_text(spec, encoding="utf-8")
            values = region_values(env, region, rng)
            (folder / "values" / "regions" / f"{region}.yaml").write_text(values, encoding="utf-8")


def input_files(root: Path) -> Iterator[Path]:
    """Every file the compile reads from one side: release notes and every file under environments/."""
    for part in ("release-notes", "environments"):
        yield from sorted(p for p in (root / part).rglob("*.yaml") if p.is_file())


def apply_change(root: Path, fleet: Fleet) -> int:
    """The pending change: the image-only release everywhere and one values key in every region; files changed."""
    changed = 0
    for env, regions in fleet.environments.items():
        spec = root / "environments" / env / "environment.yaml"
        _replace(spec, f"version: '{BASE_VERSION}'\n", f"version: '{TARGET_VERSION}'\n")
        for region in regions:
            _replace(root / "environments" / env / "values" / "regions" / f"{region}.yaml", *CHANGED_KEY)
        changed += 1 + len(regions)
    return changed


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{path}: expected {old!r} once"
    path.write_text(text.replace(old, new), encoding="utf-8")


# --- measurements ---------------------------------------------------------------------------------------------


def measure_compile(root: Path, profile: bool = False, jobs: int = 1) -> tuple[float, float, int]:
    """Wall and CPU seconds of a full compile that writes every output file, and the number of files written.

    The CPU seconds are this process's only: with ``jobs`` > 1 the workers' are not in them.
    """
    profiler = _profiler() if profile else None
    start, cpu = time.perf_counter(), time.process_time()
    written = write_all(root, jobs)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    if profiler is not None:
        profiler.stop()
        lines = profiler.output_text(flat=True, flat_time="self").strip().splitlines()
        print("\n".join(line for line in lines[:PROFILE_LINES] if line.strip()), flush=True)
    return wall, cpu, len(written)


def write_all(root: Path, jobs: int) -> list[str]:
    """The compile as `rollplan compile` runs it: each environment staged as it is made, all swapped in at the end."""
    with staged(root / "generated") as stage:
        compiled = compile_repo(root, (), "HEAD", jobs=jobs, sink=stage)
        written = commit_stage(root, compiled, stage)
    assert compiled.rollout is not None
    return written + write_files(root / "generated", compiled.rollout)


CHECK = "import sys; from compiler import cli; raise SystemExit(cli.main(sys.argv[1:]))"


def merge_the_change(root: Path) -> None:
    """Commit the change and its compiled plan on the deployed branch, as after the pull request merged.

    check trusts a freshness record only once the deployed branch holds it (a pull
    request could rewrite an output and its record together): unchanged output is
    output the deployed branch holds.
    """
    for argv in (["add", "--all"], ["commit", "--quiet", "--message", "Merge the fleet change and its plan"]):
        subprocess.run(["git", "-C", str(root), *argv], check=True, capture_output=True)


def measure_check(root: Path) -> float:
    """Wall seconds of `rollplan check` of the unchanged output, in a fresh process (startup included)."""
    argv = [sys.executable, "-c", CHECK, "check", "--root", str(root)]
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"check of the unchanged output failed (exit {done.returncode}):\n{done.stderr}")
    return seconds


@contextmanager
def without_records(generated: Path) -> Iterator[None]:
    """The freshness records moved aside for the block: check then compiles and compares in full."""
    records = {path: path.read_bytes() for path in sorted(generated.rglob(RECORD))}
    for path in records:
        path.unlink()
    try:
        yield
    finally:
        for path, data in records.items():
            path.write_bytes(data)


def _profiler() -> Any:
    try:
        from pyinstrument import Profiler
    except ImportError:
        raise SystemExit("--profile needs pyinstrument: pip install pyinstrument") from None
    profiler = Profiler(interval=0.001)
    profiler.start()
    return profiler


class Stopwatch:
    """Wall and CPU seconds summed over the timed parts only."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0

    @contextmanager
    def timing(self) -> Iterator[None]:
        start, cpu = time.perf_counter(), time.process_time()
        yield
        self.wall += time.perf_counter() - start
        self.cpu += time.process_time() - cpu


def measure_floor(root: Path, base: Path, out: Path) -> Stopwatch:
    """The serialization floor (see the module doc), timing only the reads, loads, dumps and writes."""
    watch = Stopwatch()
    for side in (base, root):  # the deployed inputs (the compile reads them from git), then the work tree
        for path in input_files(side):
            with watch.timing():
                yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
    generated = root / "generated"
    for path in sorted(p for p in generated.rglob("*") if p.is_file()):
        docs = _read_output(path)  # untimed: the floor starts from the documents
        with watch.timing():
            data = docs if isinstance(docs, bytes) else _dump(docs)
            target = out / path.relative_to(generated)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    return watch


def _dump(docs: list[Any]) -> bytes:
    text: str = yaml.dump_all(docs, Dumper=yaml.CSafeDumper, explicit_start=len(docs) > 1, **DUMP_OPTIONS)
    return text.encode("utf-8")


def _read_output(path: Path) -> list[Any] | bytes:
    """The documents of one output file; prose and scripts (no documents to dump) as their bytes."""
    if path.suffix == ".yaml":
        return list(yaml.load_all(path.read_bytes(), Loader=yaml.CSafeLoader))
    if path.suffix == ".json":
        return [json.loads(path.read_bytes())]
    return path.read_bytes()


def _megabytes(folder: Path) -> str:
    return f"{sum(p.stat().st_size for p in folder.rglob('*') if p.is_file()) / 1e6:.1f} MB written"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def children_peak_rss_mb() -> float:
    """The peak resident set of the largest child process ended so far: a compile worker with --jobs > 1."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


# --- the run --------------------------------------------------------------------------------------------------


def row(step: str, value: str) -> None:
    print(f"{step:<28} {value}", flush=True)


def build_repo(tmp: Path, fleet: Fleet) -> tuple[Path, Path]:
    """The repository with its deployed state committed and the change pending, and a plain copy of that state."""
    root, base = tmp / "repo", tmp / "base"
    start = time.perf_counter()
    write_fleet(root, fleet)
    files = list(input_files(root))
    lines = sum(path.read_bytes().count(b"\n") for path in files)
    row("generated", f"{len(fleet.environments)} environments, {fleet.regions} regions, "
        f"{len(files)} input files, {lines} lines ({time.perf_counter() - start:.2f}s)")  # fmt: skip
    for part in ("release-notes", "environments"):  # for the floor, which reads the base as plain files
        shutil.copytree(root / part, base / part)
    gitio.init_with_commit(root, "Deployed state of the fleet")
    row("committed", "the deployed state as HEAD")
    row("changed", f"{apply_change(root, fleet)} files: the image tag everywhere, one values key per region")
    return root, base


def _git_config(key: str, value: str) -> None:
    """Set ``key`` for every git this process starts, after any settings the environment already gives git."""
    count = int(os.environ.get("GIT_CONFIG_COUNT", "0") or "0")
    os.environ.update({
        "GIT_CONFIG_COUNT": str(count + 1), f"GIT_CONFIG_KEY_{count}": key, f"GIT_CONFIG_VALUE_{count}": value,
    })  # fmt: skip


def run(
    fleet: Fleet, keep: bool, profile: bool, where: Path | None = None, full_check: bool = False, jobs: int = 1
) -> str:
    # Thousands of loose objects would start git's automatic gc in the background, which then writes
    # into the repository while it is timed and while it is removed: the benchmark's git runs without it.
    _git_config("gc.auto", "0")
    with tempfile.TemporaryDirectory(prefix="rollplan-fleet-", dir=where) as name:
        tmp = Path(name)
        root, base = build_repo(tmp, fleet)
        os.sync()  # the generated repository is on disk before the clock starts, as it is before a real compile
        seconds, cpu, written = measure_compile(root, profile, jobs)
        row("compile", f"{seconds:.3f}s wall, {cpu:.3f}s CPU, {jobs} job{'s' * (jobs > 1)}, {written} files, "
            f"{_megabytes(root / 'generated')}")  # fmt: skip
        os.sync()  # likewise the compile's output before the floor
        watch = measure_floor(root, base, tmp / "floor")
        row("floor", f"{watch.wall:.3f}s wall, {watch.cpu:.3f}s CPU, {_megabytes(tmp / 'floor')}")
        rss = peak_rss_mb()
        row("peak RSS", f"{rss:.1f} MB this process, {children_peak_rss_mb():.1f} MB its largest child (a worker, git)")
        merge_the_change(root)
        check = measure_check(root)
        row("check", f"{check:.3f}s wall, fresh process, unchanged output ({seconds / check:.1f}x faster than compile)")
        if full_check:
            with without_records(root / "generated"):
                full = measure_check(root)
            row("check, records aside", f"{full:.3f}s wall: the full compile-and-compare")
        if keep:
            kept = Path(tempfile.mkdtemp(prefix="rollplan-fleet-kept-")) / "repo"
            shutil.copytree(root, kept, symlinks=True)
            row("kept", str(kept))
    return (
        f"regions={fleet.regions} seconds={seconds:.3f} floor_seconds={watch.wall:.3f} "
        f"ratio_to_floor={seconds / watch.wall:.2f} peak_rss_mb={rss:.1f} "
        f"check_seconds={check:.3f} check_to_compile={check / seconds:.3f}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--regions", type=int, required=True, help="regions in all environments together")
    parser.add_argument(
        "--environments",
        type=int,
        default=None,
        help=f"environments to spread them over (default: one per {REGIONS_PER_ENVIRONMENT} regions)",
    )
    parser.add_argument("--keep", action="store_true", help="keep a copy of the generated repository")
    parser.add_argument(
        "--tmpdir", type=Path, default=None, help="where the temporary repository goes (default: the system's, TMPDIR)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="profile the compile with pyinstrument (slows it down) and print the top"
    )
    parser.add_argument(
        "--full-check", action="store_true", help="also time check with the freshness records moved aside"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="environments compiled at once (default: the machine's cores, as rollplan compile; 1: serial)",
    )
    args = parser.parse_args(argv)
    if args.regions < 1:
        parser.error("--regions must be at least 1")
    if args.environments is not None and not 1 <= args.environments <= args.regions:
        parser.error(f"--environments must be between 1 and --regions ({args.regions})")
    fleet = plan_fleet(args.regions, args.environments)
    jobs = default_jobs() if args.jobs is None else args.jobs
    if jobs < 1:
        parser.error("--jobs must be at least 1")
    print(run(fleet, args.keep, args.profile, args.tmpdir, args.full_check, jobs), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
