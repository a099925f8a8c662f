"""Secret delivery: the scripts hand helm each region's secrets file, kept outside the repository, as the last -f."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from support import scenarios
from support.demorepo import git
from test_scripts_run import expected_argvs, plan_json, run_script, secrets_folder

from compiler.commands.compile import write_all
from compiler.pipeline import compile_repo
from compiler.repo.layout import BASE_SECRETS_DIR_PLACEHOLDER, SECRETS_DIR_PLACEHOLDER


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = scenarios.GOLDEN["demo"](tmp_path_factory.mktemp("demo") / "repo")
    write_all(root, compile_repo(root))
    return root


def helm_upgrades(argvs: list[list[str]]) -> list[list[str]]:
    return [argv for argv in argvs if argv[:3] == ["helm", "upgrade", "--install"]]


def test_scripts_secrets_plan_json_names_the_placeholder_of_each_side_as_the_last_values_file(demo: Path) -> None:
    for script, placeholder in (("upgrade.sh", SECRETS_DIR_PLACEHOLDER), ("rollback.sh", BASE_SECRETS_DIR_PLACEHOLDER)):
        upgrades = helm_upgrades(expected_argvs(demo, "prod", script))
        assert upgrades, script
        for argv in upgrades:
            files = [argv[i + 1] for i, word in enumerate(argv) if word == "-f"]
            region = argv[argv.index("--kube-context") + 1].removeprefix("prod-")
            assert files[-1] == f"{placeholder}/prod/{region}.yaml", argv


def test_scripts_secrets_folder_reaches_helm_as_the_last_values_file(demo: Path, tmp_path: Path) -> None:
    secrets = secrets_folder(demo, tmp_path)
    result, calls = run_script(demo, "prod", "upgrade.sh", tmp_path, "--yes", "--secrets", str(secrets))
    assert result.returncode == 0, result.stderr
    assert calls == expected_argvs(demo, "prod", "upgrade.sh", secrets)
    upgrades = helm_upgrades(calls)
    assert len(upgrades) == 3
    assert all(argv[-3].startswith(f"{secrets}/prod/") for argv in upgrades), "the secrets file is the last -f"


def test_scripts_secrets_a_relative_folder_is_read_from_where_the_script_was_started(
    demo: Path, tmp_path: Path
) -> None:
    secrets = secrets_folder(demo, tmp_path)
    result, calls = run_script(demo, "prod", "rollback.sh", tmp_path, "--yes", "--secrets=secrets", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert calls == expected_argvs(demo, "prod", "rollback.sh", secrets)


def test_scripts_secrets_refuse_to_start_without_the_folder(demo: Path, tmp_path: Path) -> None:
    result, calls = run_script(demo, "prod", "upgrade.sh", tmp_path, "--yes")
    assert result.returncode == 1
    assert calls == [], "no step ran"
    assert "--secrets DIR" in result.stderr and "ROLLPLAN_SECRETS_DIR" in result.stderr
    assert "==> [" not in result.stdout


def test_scripts_secrets_refuse_to_start_naming_each_missing_file(demo: Path, tmp_path: Path) -> None:
    secrets = secrets_folder(demo, tmp_path)
    (secrets / "prod" / "eastus.yaml").unlink()
    (secrets / "prod" / "centralus.yaml").unlink()
    result, calls = run_script(demo, "prod", "upgrade.sh", tmp_path, "--yes", secrets=secrets)
    assert result.returncode == 1
    assert calls == [], "not even the backup ran: the refusal comes before any step"
    missing = sorted(line.split(": ", 2)[2] for line in result.stderr.splitlines() if "not found" in line)
    assert missing == [
        f"{secrets}/prod/centralus.yaml (nothing was run)",
        f"{secrets}/prod/eastus.yaml (nothing was run)",
    ]


def test_scripts_secrets_dry_run_prints_every_step_without_the_folder(demo: Path, tmp_path: Path) -> None:
    result, calls = run_script(demo, "prod", "upgrade.sh", tmp_path, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert calls == []
    steps = plan_json(demo, "prod")["steps"]
    assert result.stdout.count("==> [") == len(steps)
    assert f"-f '{SECRETS_DIR_PLACEHOLDER}/prod/westus2.yaml'" in result.stdout


def _unmark(text: str) -> str:
    return text.replace("  paths:\n    - tenant.redis.password\n", "  paths: []\n")


def test_scripts_secrets_an_environment_without_secret_paths_needs_no_folder(tmp_path: Path) -> None:
    root = scenarios.GOLDEN["demo"](tmp_path / "repo")
    for env in ("prod", "staging"):
        # On both sides: a path the base still declares secret stays secret (the union of both sides' rules).
        path = f"environments/{env}/environment.yaml"
        work = (root / path).read_text(encoding="utf-8")
        (root / path).write_text(_unmark(git(root, "show", f"HEAD:{path}")), encoding="utf-8")
        git(root, "commit", "--quiet", "--message", "no secret paths", "--", path)
        (root / path).write_text(_unmark(work), encoding="utf-8")
    write_all(root, compile_repo(root))
    assert helm_upgrades(expected_argvs(root, "prod", "upgrade.sh"))
    assert SECRETS_DIR_PLACEHOLDER not in json.dumps(plan_json(root, "prod"))
    result, calls = run_script(root, "prod", "upgrade.sh", tmp_path, "--yes")
    assert result.returncode == 0, result.stderr
    assert calls == expected_argvs(root, "prod", "upgrade.sh")
    script = (root / "generated/prod/upgrade.sh").read_text(encoding="utf-8")
    assert "require_secrets" not in script and "[--secrets DIR]" not in script  # taken, but never needed


def test_scripts_secrets_refuse_a_folder_inside_the_repository(tmp_path: Path) -> None:
    root = scenarios.GOLDEN["demo"](tmp_path / "repo")
    write_all(root, compile_repo(root))
    inside = secrets_folder(root, root / "environments")  # a folder git would happily commit
    result, calls = run_script(root, "prod", "upgrade.sh", tmp_path, "--yes", secrets=inside)
    assert result.returncode == 1
    assert calls == []
    assert "inside the repository" in result.stderr


# --- the rollback and the base's secrets ---------------------------------------------------------------------------


def _base_files(secrets: Path, ending: str) -> list[Path]:
    """A copy of every current secrets file as ``<region><ending>`` beside it (or in another folder)."""
    made = []
    for current in sorted(secrets.glob("*/*.yaml")):
        if current.name.endswith(".base.yaml"):
            continue
        copy = current.with_name(current.name.removesuffix(".yaml") + ending)
        copy.write_text("tenant: {base: true}\n", encoding="utf-8")
        made.append(copy)
    return made


def test_scripts_secrets_rollback_without_base_secrets_warns_loudly_and_reads_the_current_files(
    demo: Path, tmp_path: Path
) -> None:
    secrets = secrets_folder(demo, tmp_path)
    result, calls = run_script(demo, "prod", "rollback.sh", tmp_path, "--yes", "--secrets", str(secrets))
    assert result.returncode == 0, result.stderr
    warning = [line for line in result.stderr.splitlines() if line.startswith("WARNING:")]
    assert warning and "CURRENT" in warning[0] and "--base-secrets DIR" in warning[-1]
    assert "<env>/<region>.base.yaml" in " ".join(warning)
    assert calls == expected_argvs(demo, "prod", "rollback.sh", secrets)
    assert all(argv[-3].endswith(".yaml") and ".base." not in argv[-3] for argv in helm_upgrades(calls))


def test_scripts_secrets_rollback_prefers_the_base_files_beside_the_current_ones(demo: Path, tmp_path: Path) -> None:
    secrets = secrets_folder(demo, tmp_path)
    _base_files(secrets, ".base.yaml")
    result, calls = run_script(demo, "prod", "rollback.sh", tmp_path, "--yes", secrets=secrets)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr
    assert f"secrets of the base: {secrets}/<env>/<region>.base.yaml" in result.stdout
    assert result.stdout.index("secrets of the base") < result.stdout.index("==> [1/")
    assert calls == expected_argvs(demo, "prod", "rollback.sh", secrets, base=(secrets, ".base.yaml"))
    upgrades = helm_upgrades(calls)
    assert upgrades and all(argv[-3].endswith(".base.yaml") for argv in upgrades)


def test_scripts_secrets_upgrade_never_reads_the_base_files(demo: Path, tmp_path: Path) -> None:
    secrets = secrets_folder(demo, tmp_path)
    _base_files(secrets, ".base.yaml")
    result, calls = run_script(demo, "prod", "upgrade.sh", tmp_path, "--yes", secrets=secrets)
    assert result.returncode == 0, result.stderr
    assert not any(".base." in word for argv in calls for word in argv)


def test_scripts_secrets_rollback_reads_a_base_secrets_folder(demo: Path, tmp_path: Path) -> None:
    secrets = secrets_folder(demo, tmp_path)
    base = secrets_folder(demo, tmp_path / "deployed")
    result, calls = run_script(
        demo, "prod", "rollback.sh", tmp_path, "--yes", "--secrets", str(secrets), "--base-secrets", str(base)
    )
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr
    assert f"secrets of the base: {base}/<env>/<region>.yaml (--base-secrets)" in result.stdout
    assert calls == expected_argvs(demo, "prod", "rollback.sh", secrets, base=(base, ".yaml"))


def test_scripts_secrets_rollback_refuses_a_missing_base_file_before_any_step(demo: Path, tmp_path: Path) -> None:
    secrets = secrets_folder(demo, tmp_path)
    base = secrets_folder(demo, tmp_path / "deployed")
    (base / "prod" / "eastus.yaml").unlink()
    args = ("--yes", f"--base-secrets={base}")
    result, calls = run_script(demo, "prod", "rollback.sh", tmp_path, *args, secrets=secrets)
    assert result.returncode == 1
    assert calls == []
    assert f"secrets file not found: {base}/prod/eastus.yaml (nothing was run)" in result.stderr


def test_scripts_secrets_rollback_refuses_base_files_for_some_regions_only(demo: Path, tmp_path: Path) -> None:
    secrets = secrets_folder(demo, tmp_path)
    made = _base_files(secrets, ".base.yaml")
    gone = next(path for path in made if path.parent.name == "prod")
    gone.unlink()
    result, calls = run_script(demo, "prod", "rollback.sh", tmp_path, "--yes", secrets=secrets)
    assert result.returncode == 1
    assert calls == []
    assert f"{gone} is missing while other regions have a .base.yaml" in result.stderr


def test_scripts_secrets_rollback_dry_run_says_where_the_base_secrets_come_from(demo: Path, tmp_path: Path) -> None:
    result, calls = run_script(demo, "prod", "rollback.sh", tmp_path, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert calls == []
    assert "secrets of the base: --base-secrets DIR, else" in result.stdout
    assert f"-f '{BASE_SECRETS_DIR_PLACEHOLDER}/prod/westus2.yaml'" in result.stdout


def test_scripts_secrets_plan_md_names_the_secrets_file_of_each_side(demo: Path) -> None:
    text = (demo / "generated/prod/plan.md").read_text(encoding="utf-8")
    assert "<secrets dir>/prod/<region>.yaml" in text
    assert "<region>.base.yaml" in text and "--base-secrets DIR" in text


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
@pytest.mark.parametrize("script", ["upgrade.sh", "rollback.sh"])
def test_scripts_secrets_scripts_that_read_secrets_pass_shellcheck(demo: Path, script: str) -> None:
    path = demo / "generated" / "prod" / script
    done = subprocess.run(["shellcheck", "-s", "bash", str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout


def test_scripts_secrets_rollback_refuses_a_base_folder_inside_the_repository(tmp_path: Path) -> None:
    root = scenarios.GOLDEN["demo"](tmp_path / "repo")
    write_all(root, compile_repo(root))
    secrets = secrets_folder(root, tmp_path)
    inside = secrets_folder(root, root / "environments")
    result, calls = run_script(
        root, "prod", "rollback.sh", tmp_path, "--yes", "--base-secrets", str(inside), secrets=secrets
    )
    assert result.returncode == 1
    assert calls == []
    assert f"the secrets folder {inside} is inside the repository" in result.stderr


def test_scripts_secrets_rollback_base_files_in_a_folder_with_spaces(demo: Path, tmp_path: Path) -> None:
    secrets = secrets_folder(demo, tmp_path / "my secrets")
    _base_files(secrets, ".base.yaml")
    result, calls = run_script(demo, "prod", "rollback.sh", tmp_path, "--yes", "--secrets", str(secrets))
    assert result.returncode == 0, result.stderr
    assert calls == expected_argvs(demo, "prod", "rollback.sh", secrets, base=(secrets, ".base.yaml"))


def test_scripts_secrets_rollback_dry_run_with_the_folder_still_warns(demo: Path, tmp_path: Path) -> None:
    secrets = secrets_folder(demo, tmp_path)
    result, calls = run_script(demo, "prod", "rollback.sh", tmp_path, "--dry-run", secrets=secrets)
    assert result.returncode == 0, result.stderr
    assert calls == []
    assert "WARNING: no secrets of the base were given" in result.stderr
