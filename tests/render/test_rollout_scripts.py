"""The top-level generated/upgrade.sh and rollback.sh, run for real against recording stand-ins.

Three environments where `voice` needs `tenant` and `tenant` needs `redis`,
each installed from nothing (the base commit has no environments), so every
environment's script has steps. The stand-ins record every call; a call naming
the context in FAIL_CONTEXT fails, as a broken cluster would.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support.treeutil import multi_env_files, write_tree

from compiler.commands.compile import write_all
from compiler.pipeline import compile_repo

NEEDS = {"voice": ["tenant"], "tenant": ["redis"], "redis": [], "alpha": []}
ORDER = ["alpha", "redis", "tenant", "voice"]

STAND_IN = """\
import json, os, sys
args = sys.argv[1:]
with open(os.environ["RECORD_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps([os.path.basename(sys.argv[0]), *args]) + "\\n")
if os.environ.get("FAIL_CONTEXT") and os.environ["FAIL_CONTEXT"] in args:
    sys.exit(7)
"""


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=root, check=True,
                   capture_output=True)  # fmt: skip


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("multi") / "repo"
    root.mkdir()
    git(root, "init", "-q")
    git(root, "commit", "-q", "--allow-empty", "-m", "nothing deployed yet")
    write_tree(root, dict(multi_env_files(NEEDS)))
    write_all(root, compile_repo(root))
    return root


def plan_json(root: Path, env: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((root / "generated" / env / "plan.json").read_text(encoding="utf-8"))
    return doc


def argvs(root: Path, env: str, key: str) -> list[list[str]]:
    return [s["argv"] for s in plan_json(root, env)[key] if s["argv"] is not None]


def run(
    root: Path, tmp: Path, script: str, *args: str, fail: str = ""
) -> tuple[subprocess.CompletedProcess[str], list[list[str]]]:
    order = json.loads((root / "generated" / "rollout.json").read_text(encoding="utf-8"))["order"]
    programs = {a[0] for env in order for key in ("steps", "rollback") for a in argvs(root, env, key)} or {"helm"}
    bin_dir = tmp / "bin"
    bin_dir.mkdir(exist_ok=True)
    for program in programs:
        (bin_dir / program).write_text(f"#!{sys.executable}\n{STAND_IN}", encoding="utf-8")
        (bin_dir / program).chmod(0o755)
    log = tmp / "calls.jsonl"
    log.unlink(missing_ok=True)
    bash = shutil.which("bash")
    assert bash is not None
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "RECORD_LOG": str(log), "LANG": "C.UTF-8", "FAIL_CONTEXT": fail}
    result = subprocess.run([bash, f"generated/{script}", *args], cwd=root, stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=120, check=False, env=env)  # fmt: skip
    calls = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []
    return result, calls


def test_rollout_json_orders_environments_by_needs(repo: Path) -> None:
    doc = json.loads((repo / "generated" / "rollout.json").read_text(encoding="utf-8"))
    assert doc["format_version"] == 1
    assert doc["order"] == ORDER
    assert doc["environments"]["voice"] == {
        "needs": ["tenant"], "implicit_needs": {}, "provides": [], "service": "tenant", "has_steps": True,
        "has_rollback_steps": True,
    }


def test_rollout_upgrade_runs_every_environment_script_in_order(repo: Path, tmp_path: Path) -> None:
    result, calls = run(repo, tmp_path, "upgrade.sh", "--yes")
    assert result.returncode == 0, result.stderr
    assert calls == [argv for env in ORDER for argv in argvs(repo, env, "steps")]
    assert [line.split()[1] for line in result.stdout.splitlines() if line.startswith("=== ") and ":" in line][:4] == [
        f"{env}:" for env in ORDER
    ]


def confirms(root: Path, key: str) -> list[str]:
    """--confirm ENV:ID for every step that guards data in each environment's ``key`` list."""
    return [arg for env in ORDER for s in plan_json(root, env)[key] if s["guards_data"]
            for arg in ("--confirm", f"{env}:{s['id']}")]  # fmt: skip


def test_rollout_rollback_without_confirm_stops_at_the_first_step_that_guards_data(
    repo: Path, tmp_path: Path
) -> None:
    result, _ = run(repo, tmp_path, "rollback.sh", "--yes")
    assert result.returncode == 1
    assert "generated/rollback.sh --from voice:" in result.stderr and "--confirm voice:STEP-ID" in result.stderr


def test_rollout_confirm_of_an_unknown_environment_is_a_usage_error(repo: Path, tmp_path: Path) -> None:
    result, calls = run(repo, tmp_path, "rollback.sh", "--yes", "--confirm", "nowhere:x")
    assert result.returncode == 2 and calls == []


def test_rollout_rollback_runs_in_reverse_order(repo: Path, tmp_path: Path) -> None:
    result, calls = run(repo, tmp_path, "rollback.sh", "--yes", *confirms(repo, "rollback"))
    assert result.returncode == 0, result.stderr
    assert calls == [argv for env in reversed(ORDER) for argv in argvs(repo, env, "rollback")]


def test_rollout_failure_stops_everything_and_names_where_to_resume(repo: Path, tmp_path: Path) -> None:
    result, calls = run(repo, tmp_path, "upgrade.sh", "--yes", fail="tenant-eastus")
    assert result.returncode == 7
    steps = plan_json(repo, "tenant")["steps"]
    failed = next(i for i, s in enumerate(steps) if s["argv"] and "tenant-eastus" in s["argv"])
    expected = [a for env in ("alpha", "redis") for a in argvs(repo, env, "steps")]
    expected += [s["argv"] for s in steps[: failed + 1] if s["argv"] is not None]
    assert calls == expected  # nothing of voice, nothing after the failed step
    assert f"--from tenant:{failed + 1}" in result.stderr
    resumed, calls = run(repo, tmp_path, "upgrade.sh", "--yes", "--from", f"tenant:{failed + 1}")
    assert resumed.returncode == 0, resumed.stderr
    tail = [s["argv"] for s in steps[failed:] if s["argv"] is not None]
    assert calls == tail + argvs(repo, "voice", "steps")
    assert "alpha: skipped (before --from tenant)" in resumed.stdout


def test_rollout_without_yes_asks_before_the_next_environment(repo: Path, tmp_path: Path) -> None:
    # stdin is closed: the first question is answered no, so nothing past it runs.
    result, calls = run(repo, tmp_path, "upgrade.sh")
    assert result.returncode != 0
    assert not any("voice-westus2" in call for call in calls)


def test_rollout_dry_run_runs_nothing(repo: Path, tmp_path: Path) -> None:
    result, calls = run(repo, tmp_path, "upgrade.sh", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert calls == []
    assert result.stdout.count("DRY RUN") == 1 + len(ORDER)


def test_rollout_from_an_unknown_environment_is_a_usage_error(repo: Path, tmp_path: Path) -> None:
    result, calls = run(repo, tmp_path, "upgrade.sh", "--from", "nowhere")
    assert result.returncode == 2 and calls == []
    assert "--from names no environment of this plan: 'nowhere'" in result.stderr


def test_rollout_skips_environments_without_steps(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    write_tree(root, dict(multi_env_files({"redis": [], "tenant": ["redis"]})))
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "deployed")
    write_all(root, compile_repo(root))  # base = target: nothing to do anywhere
    result, calls = run(root, tmp_path, "upgrade.sh", "--yes")
    assert result.returncode == 0, result.stderr
    assert calls == []
    assert "=== redis: no steps in its upgrade.sh, skipped" in result.stdout


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not on PATH (CI installs it)")
@pytest.mark.parametrize("script", ["upgrade.sh", "rollback.sh"])
def test_rollout_scripts_are_shellcheck_clean(repo: Path, script: str) -> None:
    done = subprocess.run(["shellcheck", "--severity=style", str(repo / "generated" / script)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout


@pytest.mark.parametrize("word", ["--from", "--yes", "--confirm=x"])
def test_rollout_options_after_double_dash_that_mean_one_environment_are_refused(
    repo: Path, tmp_path: Path, word: str
) -> None:
    result, calls = run(repo, tmp_path, "upgrade.sh", "--dry-run", "--", word, "3")
    assert result.returncode == 2 and calls == []
    assert "use it before --" in result.stderr


def test_rollout_secrets_folder_reaches_every_environment_script(repo: Path, tmp_path: Path) -> None:
    result, _ = run(repo, tmp_path, "upgrade.sh", "--dry-run", "--secrets", str(tmp_path / "nowhere"))
    # Every environment's script takes --secrets, those without secret values too.
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("DRY RUN: every command is printed") == len(ORDER)
