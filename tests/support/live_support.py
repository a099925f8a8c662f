"""Running the compiled scripts and `rollplan drift` against real helm, one seeded release store per region.

helm's memory driver ignores the kube context, so every region would see one
store. A thin launcher in front of the real helm binary picks the store of the
context the command names (HELM_MEMORY_DRIVER_DATA), logs the command line, and
runs the real binary. kubectl has no cluster here: a stand-in logs it and
succeeds; it keeps each context's replica count in the stores folder (`scale`
writes it, `get ... -o jsonpath={.spec.replicas}` reads it, NotFound when never
seeded). `rollplan` is this checkout.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from support.e2e_support import CHART_PATH, ENV, NAMESPACE, PROJECT_ROOT, RELEASE, Compiled
from support.helmbin import helm_env, release_history, release_record

HELM_LAUNCHER = """\
#!/usr/bin/env bash
set -euo pipefail
context=none
previous=''
for word in "$@"; do
  if [[ "$previous" == --kube-context ]]; then context=$word; fi
  previous=$word
done
printf '%s\\n' "$*" >> "$CALL_LOG"
HELM_MEMORY_DRIVER_DATA="$STORES/$context.json" exec "$REAL_HELM" "$@"
"""
KUBECTL_STAND_IN = """\
#!/usr/bin/env bash
set -euo pipefail
printf 'kubectl %s\\n' "$*" >> "$CALL_LOG"
context=none previous='' verb='' replicas=''
for word in "$@"; do
  if [[ "$previous" == --context ]]; then context=$word; fi
  case "$word" in get | scale) [[ -z "$verb" ]] && verb=$word ;; --replicas=*) replicas=${word#--replicas=} ;; esac
  previous=$word
done
count="$STORES/$context.replicas"
if [[ "$verb" == scale && -f "$count" ]]; then printf '%s' "$replicas" > "$count"; fi
if [[ "$verb" == get ]]; then
  if [[ ! -f "$count" ]]; then echo 'Error from server (NotFound): statefulsets.apps not found' >&2; exit 1; fi
  cat "$count"
fi
exit 0
"""


@dataclass(frozen=True)
class Live:
    """An offline cluster per region: the environment the scripts run in, and where calls are logged."""

    env: dict[str, str]
    stores: Path
    log: Path

    def seed(self, context: str, records: Sequence[Mapping[str, Any]]) -> None:
        (self.stores / f"{context}.json").write_text(json.dumps(list(records), indent=1, sort_keys=True))

    def seed_replicas(self, context: str, replicas: int) -> None:
        """The replica count the context's workload runs at (what `kubectl scale` last set)."""
        (self.stores / f"{context}.replicas").write_text(str(replicas))

    def replicas(self, context: str) -> int:
        return int((self.stores / f"{context}.replicas").read_text())

    def calls(self) -> list[list[str]]:
        return [line.split() for line in self.log.read_text().splitlines()] if self.log.exists() else []

    def changes(self) -> list[tuple[str, str]]:
        """(helm subcommand, context) of every helm call that changes a release, in order."""
        return [(c[0], _context(c)) for c in self.calls() if c[0] in ("upgrade", "rollback", "uninstall", "install")]


def _context(argv: Sequence[str]) -> str:
    return argv[argv.index("--kube-context") + 1] if "--kube-context" in argv else ""


def live_env(tmp: Path, helm: Path, contexts: Sequence[str], server: str) -> Live:
    env = helm_env(tmp, contexts, server=server)
    bin_dir, stores = tmp / "bin", tmp / "stores"
    bin_dir.mkdir()
    stores.mkdir()
    _executable(bin_dir / "helm", HELM_LAUNCHER)
    _executable(bin_dir / "kubectl", KUBECTL_STAND_IN)
    _executable(bin_dir / "rollplan", f'#!/bin/sh\nexec {sys.executable} -m compiler "$@"\n')
    log = tmp / "calls.log"
    env.update({"PATH": f"{bin_dir}:{env['PATH']}", "STORES": str(stores), "CALL_LOG": str(log),
                "REAL_HELM": str(helm), "PYTHONPATH": str(PROJECT_ROOT), "LANG": "C.UTF-8"})  # fmt: skip
    live = Live(env, stores, log)
    for context in contexts:
        live.seed(context, [])
    return live


def _executable(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o755)


class Seeds:
    """Release records of one repository's regions at its base, its target, or drifted from both."""

    def __init__(self, helm: Path, live: Live, repo: Compiled, tmp: Path) -> None:
        self.helm, self.live, self.repo, self.tmp = helm, live, repo, tmp

    def _chart(self) -> Path:
        return self.repo.root / CHART_PATH

    def base_values(self, region: str) -> Path:
        return self.repo.base_file(f"values/{region}.yaml", self.tmp / "deployed" / f"{region}.yaml")

    def target_values(self, region: str) -> Path:
        return self.repo.root / self.repo.generated(f"values/{region}.yaml")

    def at_base(self, region: str, chart_version: str | None = None) -> list[dict[str, Any]]:
        record = release_record(self.helm, self.live.env, RELEASE, self._chart(), NAMESPACE, 1,
                                [self.base_values(region)])  # fmt: skip
        return [_with_chart_version(record, chart_version)]

    def at_target(
        self, region: str, chart_version: str | None = None, status: str = "deployed"
    ) -> list[dict[str, Any]]:
        files = [[self.base_values(region)], [self.target_values(region)]]
        history = release_history(self.helm, self.live.env, RELEASE, self._chart(), NAMESPACE, files)
        history[-1] = _with_chart_version(history[-1], chart_version)
        history[-1]["info"]["status"] = status
        return history

    def values_drift(self, region: str) -> list[dict[str, Any]]:
        """The base chart with one value changed by hand."""
        base = self.base_values(region)
        tweak = base.with_name(f"{region}-hotfix.yaml")
        tweak.write_text(yaml.safe_dump({"tenant": {"general": {"location": "/HAND-PATCHED"}}}))
        return [release_record(self.helm, self.live.env, RELEASE, self._chart(), NAMESPACE, 1,
                               [base, tweak])]  # fmt: skip


def _with_chart_version(record: dict[str, Any], version: str | None) -> dict[str, Any]:
    if version is None:
        return record
    out = copy.deepcopy(record)
    out["chart"]["metadata"]["version"] = version
    return out


def run_script(live: Live, repo: Compiled, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    bash = shutil.which("bash")
    assert bash is not None
    argv = [bash, f"generated/{ENV}/{script}", *args]
    if "--yes" in args:
        # An operator who runs with --yes confirms each step that guards data by its id too.
        plan = json.loads((repo.root / "generated" / ENV / "plan.json").read_text(encoding="utf-8"))
        key = {"upgrade.sh": "steps", "rollback.sh": "rollback", "uninstall.sh": "uninstall"}[script]
        argv += [word for s in plan[key] if s["guards_data"] for word in ("--confirm", s["id"])]
    return subprocess.run(argv, cwd=repo.root, env=live.env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=600, check=False)  # fmt: skip


def run_rollplan(live: Live, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "compiler", *args], cwd=cwd, env=live.env, capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip


def with_repository_chart(files: Mapping[str, str], repository: str) -> dict[str, str]:
    """Spec files whose environment takes the chart from a repository (versioned by the release notes)."""
    out = dict(files)
    path = f"environments/{ENV}/environment.yaml"
    doc = yaml.safe_load(out[path])
    doc["chart"] = {"name": "tenant", "repository": repository}
    out[path] = yaml.safe_dump(doc, sort_keys=False)
    return out
