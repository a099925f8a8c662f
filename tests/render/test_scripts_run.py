"""The compiled scripts run for real, from the repository root, against recording stand-ins.

Every program a plan runs (helm, kubectl, sleep, …) is shadowed on PATH by a
stand-in that appends its argv to a log. The log must equal the non-null argv
of plan.json's steps, in order.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support import scenarios

from compiler.commands.compile import write_all
from compiler.pipeline import compile_repo
from compiler.repo.layout import BASE_SECRETS_DIR_PLACEHOLDER, SECRETS_DIR_PLACEHOLDER

STEP_LISTS = {"upgrade.sh": "steps", "rollback.sh": "rollback", "uninstall.sh": "uninstall"}

# Records argv (program name first) as one JSON line. A `-f FILE` that does not
# exist relative to the working directory fails the call: the scripts pass
# repo-relative values files and must be run from the repository root.
STAND_IN = """\
import json, os, sys
args = sys.argv[1:]
with open(os.environ["RECORD_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps([os.path.basename(sys.argv[0]), *args]) + "\\n")
missing = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "-f" and not os.path.isfile(args[i + 1])]
if missing:
    sys.stderr.write(f"stand-in: no such values file {missing}\\n")
    sys.exit(3)
"""

CASES = [
    ("demo", "prod", "upgrade.sh"),
    ("demo", "prod", "rollback.sh"),
    ("demo", "staging", "upgrade.sh"),
    ("demo", "staging", "rollback.sh"),
    ("redis_move_primary", "prod", "upgrade.sh"),
    ("irreversible", "prod", "rollback.sh"),
    ("region_removed", "prod", "uninstall.sh"),
    ("downgrade_irreversible", "prod", "upgrade.sh"),
    ("primary_move", "prod", "upgrade.sh"),
]


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    built: dict[str, Path] = {}
    for name in sorted({case[0] for case in CASES}):
        root = scenarios.GOLDEN[name](tmp_path_factory.mktemp(name) / "repo")
        write_all(root, compile_repo(root))
        built[name] = root
    return built


def plan_json(root: Path, env: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((root / "generated" / env / "plan.json").read_text(encoding="utf-8"))
    return doc


def expected_argvs(
    root: Path, env: str, script: str, secrets: Path | None = None, base: tuple[Path, str] | None = None
) -> list[list[str]]:
    """The argv of the steps that run a command; with ``secrets``, the secrets folder put in for its placeholder.

    The base's secrets files are taken from ``base`` (a folder and the ending of its files), by default
    the current files of the secrets folder.
    """
    argvs = [s["argv"] for s in plan_json(root, env)[STEP_LISTS[script]] if s["argv"] is not None]
    if secrets is None:
        return argvs
    folder, ending = base or (secrets, ".yaml")
    return [[_put_secrets(w, secrets, folder, ending) for w in argv] for argv in argvs]


def _put_secrets(word: str, secrets: Path, base: Path, ending: str) -> str:
    if word.startswith(BASE_SECRETS_DIR_PLACEHOLDER + "/"):
        return str(base) + word.removeprefix(BASE_SECRETS_DIR_PLACEHOLDER).removesuffix(".yaml") + ending
    return word.replace(SECRETS_DIR_PLACEHOLDER, str(secrets), 1)


def secrets_folder(root: Path, tmp: Path) -> Path:
    """A secrets folder outside the repository with a file for every region of every environment."""
    folder = tmp / "secrets"
    for region in sorted((root / "environments").glob("*/regions/*.yaml")):
        path = folder / region.parent.parent.name / region.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("tenant: {}\n", encoding="utf-8")
    return folder


def stand_ins(folder: Path, programs: set[str]) -> Path:
    folder.mkdir(exist_ok=True)
    for program in programs:
        path = folder / program
        path.write_text(f"#!{sys.executable}\n{STAND_IN}", encoding="utf-8")
        path.chmod(0o755)
    return folder


def run_script(
    root: Path,
    env: str,
    script: str,
    tmp: Path,
    *args: str,
    cwd: Path | None = None,
    secrets: Path | None = None,
) -> tuple[subprocess.CompletedProcess[str], list[list[str]]]:
    """Run ``generated/<env>/<script>`` from ``cwd`` (default: the repository root); the recorded calls.

    ``secrets`` is given as ROLLPLAN_SECRETS_DIR.
    """
    programs = {argv[0] for script_name in STEP_LISTS for argv in expected_argvs(root, env, script_name)}
    bin_dir = stand_ins(tmp / "bin", programs)
    log = tmp / "calls.jsonl"
    bash = shutil.which("bash")
    assert bash is not None
    script_path = Path("generated", env, script) if cwd is None else root / "generated" / env / script
    result = subprocess.run(
        [bash, str(script_path), *args], cwd=cwd or root, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=60, check=False, env={"PATH": f"{bin_dir}:/usr/bin:/bin", "RECORD_LOG": str(log), "LANG": "C.UTF-8",
                                      **({"ROLLPLAN_SECRETS_DIR": str(secrets)} if secrets else {})},
    )  # fmt: skip
    calls = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []
    return result, calls


@pytest.mark.parametrize(("scenario", "env", "script"), CASES, ids=["-".join(c) for c in CASES])
def test_scripts_run_with_yes_calls_exactly_the_plan_argv_in_order(
    repos: dict[str, Path], tmp_path: Path, scenario: str, env: str, script: str
) -> None:
    root = repos[scenario]
    secrets = secrets_folder(root, tmp_path)
    expected = expected_argvs(root, env, script, secrets)
    assert expected, "a case with no command proves nothing"
    result, calls = run_script(root, env, script, tmp_path, "--yes", *confirm_all(root, env, script), secrets=secrets)
    assert result.returncode == 0, result.stderr
    assert calls == expected


def guarded_ids(root: Path, env: str, script: str) -> list[str]:
    return [s["id"] for s in plan_json(root, env)[STEP_LISTS[script]] if s["guards_data"]]


def confirm_all(root: Path, env: str, script: str) -> list[str]:
    """--confirm for every step of ``script`` that guards data."""
    return [arg for step_id in guarded_ids(root, env, script) for arg in ("--confirm", step_id)]


GUARDED_CASES = [c for c in CASES if c[0] not in ("demo", "primary_move")]


@pytest.mark.parametrize(("scenario", "env", "script"), GUARDED_CASES, ids=["-".join(c) for c in GUARDED_CASES])
def test_scripts_run_with_yes_stop_at_a_step_that_guards_data(
    repos: dict[str, Path], tmp_path: Path, scenario: str, env: str, script: str
) -> None:
    root = repos[scenario]
    steps = plan_json(root, env)[STEP_LISTS[script]]
    first = next(i for i, s in enumerate(steps) if s["guards_data"])
    secrets = secrets_folder(root, tmp_path)
    result, calls = run_script(root, env, script, tmp_path, "--yes", secrets=secrets)
    assert result.returncode == 1
    assert calls == expected_argvs(root, env, script, secrets)[: len([s for s in steps[:first] if s["argv"]])]
    assert f"({steps[first]['id']}): it guards data, and --yes does not confirm it" in result.stderr
    assert f"--from {first + 1} --confirm {steps[first]['id']}" in result.stderr


def test_scripts_run_demo_programs_are_only_helm_kubectl_sleep_and_rollplan(repos: dict[str, Path]) -> None:
    root = repos["demo"]
    programs = {argv[0] for env in ("prod", "staging") for s in STEP_LISTS for argv in expected_argvs(root, env, s)}
    assert programs == {"helm", "kubectl", "sleep", "rollplan"}


def test_scripts_run_dry_run_calls_nothing(repos: dict[str, Path], tmp_path: Path) -> None:
    result, calls = run_script(repos["demo"], "prod", "upgrade.sh", tmp_path, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert calls == []
    assert "helm upgrade --install t100" in result.stdout


def test_scripts_run_without_yes_stops_at_the_first_confirmation(repos: dict[str, Path], tmp_path: Path) -> None:
    root = repos["demo"]
    secrets = secrets_folder(root, tmp_path)
    result, calls = run_script(root, "prod", "upgrade.sh", tmp_path, secrets=secrets)
    assert result.returncode == 1
    # Everything before the primary region's health gate ran; nothing after it.
    steps = plan_json(root, "prod")["steps"]
    gate = next(i for i, s in enumerate(steps) if s["id"] == "westus2-health-gate")
    ran = sum(1 for s in steps[:gate] if s["argv"] is not None)
    assert calls == expected_argvs(root, "prod", "upgrade.sh", secrets)[:ran]
    assert f"--from {gate + 1}" in result.stderr


def test_scripts_run_from_another_directory_find_their_values_files(repos: dict[str, Path], tmp_path: Path) -> None:
    root = repos["demo"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    secrets = secrets_folder(root, tmp_path)
    result, calls = run_script(root, "prod", "upgrade.sh", tmp_path, "--yes", cwd=elsewhere, secrets=secrets)
    assert result.returncode == 0, result.stderr
    assert calls == expected_argvs(root, "prod", "upgrade.sh", secrets)
