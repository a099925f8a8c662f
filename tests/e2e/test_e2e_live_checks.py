"""End to end: the live checks of the compiled scripts, and `rollplan drift`, against real helm 3 and 4.

Each region's store is seeded with a release at the plan's base, at its target,
half-way (a failed revision) or drifted (a hand-patched value, another chart
version); the scripts then run for real (`--yes`) from the repository root, and
the helm calls that change a release are read back from the launcher's log.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pytest
import yaml
from support.e2e_support import CONTEXTS, NEW, OLD, REGIONS, Compiled, Region, Spec, build_repo, spec_files
from support.kube_stub import KubeStub
from support.live_support import Live, Seeds, live_env, run_rollplan, run_script, with_repository_chart

pytestmark = pytest.mark.helm

CHART_DRIFT = "100.0.1000070"
USW1, USE1, EUW1 = CONTEXTS


@pytest.fixture(scope="module")
def local_chart_repo(tmp_path_factory: pytest.TempPathFactory, tenant_chart: Path) -> Compiled:
    """The chart kept in the repository: helm reports its Chart.yaml version, so values tell the sides apart."""
    return build_repo(tmp_path_factory.mktemp("live") / "local", tenant_chart, Spec(OLD), Spec(NEW))


@pytest.fixture(scope="module")
def repository_chart_repo(tmp_path_factory: pytest.TempPathFactory, tenant_chart: Path) -> Compiled:
    """The chart from a repository: the chart version is compared too."""
    files = partial(_repository_files)
    return build_repo(tmp_path_factory.mktemp("live") / "repository", tenant_chart, Spec(OLD), Spec(NEW), files)


def _repository_files(spec: Spec) -> dict[str, str]:
    return with_repository_chart(spec_files(spec), "https://charts.example.test/tenant")


@pytest.fixture(scope="module")
def removal_repo(tmp_path_factory: pytest.TempPathFactory, tenant_chart: Path) -> Compiled:
    target = tuple(Region(r.name, r.replicas, r.primary, "absent" if r.name == "euw1" else "present") for r in REGIONS)
    return build_repo(tmp_path_factory.mktemp("live") / "removal", tenant_chart, Spec(NEW), Spec(NEW, target))


@pytest.fixture
def live(helm: Path, tmp_path: Path, kube_api: KubeStub) -> Live:
    return live_env(tmp_path, helm, CONTEXTS, kube_api.url)


def _seeds(helm: Path, live: Live, repo: Compiled, tmp_path: Path) -> Seeds:
    return Seeds(helm, live, repo, tmp_path)


def _check_argv(repo: Compiled, section: str, region: str) -> list[str]:
    return next(s["argv"] for s in repo.plan[section] if s["id"].endswith(f"{region}-live-check"))


def test_e2e_live_plan_json_checks_query_helm_with_context(repository_chart_repo: Compiled) -> None:
    argv = _check_argv(repository_chart_repo, "steps", "use1")
    queries = " ".join(argv[argv.index("--") :])
    assert queries == ("-- helm get metadata t100 --kube-context prod-use1 -n voice -o json "
                       "-- helm get values t100 --kube-context prod-use1 -n voice -o json "
                       "-- kubectl --context prod-use1 -n voice get statefulset/t100 "
                       "-o jsonpath={.spec.replicas}")  # fmt: skip
    region = next(r for r in repository_chart_repo.plan["regions"] if r["name"] == "use1")
    assert region["live"]["base"]["chart_version"] == OLD
    assert argv[argv.index("--base") + 1] == f"{OLD}@{region['live']['base']['values_sha256']}"


@pytest.mark.parametrize(("seed", "mode", "verdict"), [
    ("base", "forward", "proceed"), ("target", "forward", "skip"), ("values", "forward", 3), ("chart", "forward", 3),
    ("absent", "forward", 3), ("failed", "forward", 3),
    ("base", "rollback", "skip"), ("target", "rollback", "proceed"), ("failed", "rollback", "proceed"),
    ("values", "rollback", "proceed"), ("chart", "rollback", 3), ("absent", "rollback", 3),
])  # fmt: skip
def test_e2e_live_preflight_verdicts(
    helm: Path, tmp_path: Path, live: Live, repository_chart_repo: Compiled, seed: str, mode: str, verdict: str | int
) -> None:
    repo, seeds = repository_chart_repo, _seeds(helm, live, repository_chart_repo, tmp_path)
    records = {
        "base": lambda: seeds.at_base("use1"),
        "target": lambda: seeds.at_target("use1", NEW),
        "failed": lambda: seeds.at_target("use1", NEW, status="failed"),
        "values": lambda: seeds.values_drift("use1"),
        "chart": lambda: seeds.at_base("use1", CHART_DRIFT),
        "absent": lambda: [],
    }[seed]()
    live.seed(USE1, records)
    argv = _check_argv(repo, "steps" if mode == "forward" else "rollback", "use1")
    done = run_rollplan(live, *argv[1:], cwd=repo.root)
    if isinstance(verdict, int):
        assert (done.returncode, done.stdout) == (verdict, ""), done.stderr
        assert "use1" in done.stderr and "stopping before use1 is touched" in done.stderr
        assert (OLD in done.stderr) and ("no release" in done.stderr if seed == "absent" else True)
    else:
        assert (done.returncode, done.stdout.strip()) == (0, verdict), done.stderr


def test_e2e_live_upgrade_rerun_skips_regions_already_at_target(
    helm: Path, tmp_path: Path, live: Live, local_chart_repo: Compiled
) -> None:
    repo, seeds = local_chart_repo, _seeds(helm, live, local_chart_repo, tmp_path)
    live.seed(USW1, seeds.at_target("usw1"))
    live.seed(USE1, seeds.at_target("use1"))
    live.seed(EUW1, seeds.at_base("euw1"))
    done = run_script(live, repo, "upgrade.sh", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert live.changes() == [("upgrade", EUW1)]
    assert done.stderr.count("already at the plan's target") == 2
    assert "skipped: usw1 needs no change here" in done.stdout
    # Every region is still verified, the skipped ones included.
    statuses = [c for c in live.calls() if c[:1] == ["kubectl"] and "rollout" in c]
    assert [c[c.index("--context") + 1] for c in statuses] == CONTEXTS


@pytest.mark.parametrize("drift", ["values", "absent"])
def test_e2e_live_upgrade_stops_before_a_drifted_region(
    helm: Path, tmp_path: Path, live: Live, local_chart_repo: Compiled, drift: str
) -> None:
    repo, seeds = local_chart_repo, _seeds(helm, live, local_chart_repo, tmp_path)
    live.seed(USW1, seeds.at_base("usw1"))
    live.seed(USE1, seeds.values_drift("use1") if drift == "values" else [])
    live.seed(EUW1, seeds.at_base("euw1"))
    done = run_script(live, repo, "upgrade.sh", "--yes")
    assert done.returncode == 3, done.stdout + done.stderr
    assert live.changes() == [("upgrade", USW1)]
    assert "error: use1: release t100 runs" in done.stderr
    assert "the live check of use1 did not pass (exit status 3); nothing in use1 was changed" in done.stderr


def test_e2e_live_upgrade_stops_on_another_chart_version(
    helm: Path, tmp_path: Path, live: Live, repository_chart_repo: Compiled
) -> None:
    # The primary goes first: nothing at all runs when it runs a chart the plan never deployed.
    repo, seeds = repository_chart_repo, _seeds(helm, live, repository_chart_repo, tmp_path)
    live.seed(USW1, seeds.at_base("usw1", CHART_DRIFT))
    live.seed(USE1, seeds.at_base("use1"))
    done = run_script(live, repo, "upgrade.sh", "--yes")
    assert done.returncode == 3, done.stdout + done.stderr
    assert live.changes() == []
    assert f"runs chart {CHART_DRIFT}" in done.stderr and f"its base (chart {OLD}" in done.stderr
    assert "[2/" not in done.stdout


def test_e2e_live_rollback_after_partial_failure_restores_only_changed_regions(
    helm: Path, tmp_path: Path, live: Live, local_chart_repo: Compiled
) -> None:
    # usw1 was upgraded, use1's upgrade failed half-way, euw1 was never reached.
    repo, seeds = local_chart_repo, _seeds(helm, live, local_chart_repo, tmp_path)
    live.seed(USW1, seeds.at_target("usw1"))
    live.seed(USE1, seeds.at_target("use1", status="failed"))
    live.seed(EUW1, seeds.at_base("euw1"))
    done = run_script(live, repo, "rollback.sh", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert live.changes() == [("upgrade", USE1), ("upgrade", USW1)]
    assert "euw1: release t100 is at the plan's base" in done.stderr
    assert "skipped: euw1 needs no change here" in done.stdout


def test_e2e_live_rollback_stops_where_the_release_is_missing(
    helm: Path, tmp_path: Path, live: Live, local_chart_repo: Compiled
) -> None:
    repo, seeds = local_chart_repo, _seeds(helm, live, local_chart_repo, tmp_path)
    live.seed(USW1, seeds.at_target("usw1"))
    live.seed(USE1, [])
    live.seed(EUW1, seeds.at_target("euw1"))
    done = run_script(live, repo, "rollback.sh", "--yes")
    assert done.returncode == 3, done.stdout + done.stderr
    assert live.changes() == [("upgrade", EUW1)]
    assert "use1: release t100 runs no release" in done.stderr


def test_e2e_live_drift_reports_each_region(
    helm: Path, tmp_path: Path, live: Live, repository_chart_repo: Compiled
) -> None:
    repo, seeds = repository_chart_repo, _seeds(helm, live, repository_chart_repo, tmp_path)
    live.seed(USW1, seeds.at_target("usw1", NEW))
    live.seed(USE1, seeds.at_base("use1"))
    live.seed(EUW1, seeds.values_drift("euw1"))
    done = run_rollplan(live, "drift", "--root", str(repo.root), "--env", "prod", "--format", "json")
    assert done.returncode == 3, done.stderr
    rows = json.loads(done.stdout)["environments"]["prod"]
    assert {r["region"]: r["state"] for r in rows} == {
        "usw1": "already at target", "use1": "in sync", "euw1": "drifted"}  # fmt: skip
    assert {r["region"]: r["values_differ_at"] for r in rows}["euw1"] == ["tenant.general.location"]
    assert live.changes() == []
    text = run_rollplan(live, "drift", "--root", str(repo.root))
    assert text.returncode == 3
    lines = {line.split()[0]: line for line in text.stdout.splitlines()[2:]}
    assert lines["euw1"].endswith("drifted") and lines["use1"].endswith("in sync")
    assert f"chart {OLD}" in lines["euw1"]
    assert "euw1: values differ from the base at tenant.general.location" in text.stdout


def test_e2e_live_drift_in_sync_exits_zero(
    helm: Path, tmp_path: Path, live: Live, repository_chart_repo: Compiled
) -> None:
    repo, seeds = repository_chart_repo, _seeds(helm, live, repository_chart_repo, tmp_path)
    for region in REGIONS:
        live.seed(region.context, seeds.at_base(region.name))
    done = run_rollplan(live, "drift", "--root", str(repo.root))
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("in sync") == 3


@pytest.mark.parametrize(("seed", "removed"), [("base", True), ("absent", False)])
def test_e2e_live_uninstall_rerun_skips_a_region_already_gone(
    helm: Path, tmp_path: Path, live: Live, removal_repo: Compiled, seed: str, removed: bool
) -> None:
    repo, seeds = removal_repo, _seeds(helm, live, removal_repo, tmp_path)
    live.seed(EUW1, seeds.at_base("euw1") if seed == "base" else [])
    done = run_script(live, repo, "uninstall.sh", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert live.changes() == ([("uninstall", EUW1)] if removed else [])
    assert ("skipped: euw1 needs no change here" in done.stdout) is not removed


def _migrating_files(spec: Spec) -> dict[str, str]:
    """NEW carries an irreversible migration; backup and restore are commands (here stand-ins that succeed)."""
    files = spec_files(spec)
    note_path = f"release-notes/tenant/{NEW}.yaml"
    note = yaml.safe_load(files[note_path])
    files[note_path] = yaml.safe_dump({**note, "database_migration": "irreversible"}, sort_keys=False)
    env_path = "environments/prod/environment.yaml"
    env = yaml.safe_load(files[env_path])
    env["backup"] = {"command": ["true"], "restore_command": ["touch", "restored.marker"]}
    files[env_path] = yaml.safe_dump(env, sort_keys=False)
    return files


@pytest.fixture(scope="module")
def downgrade_repo(tmp_path_factory: pytest.TempPathFactory, tenant_chart: Path) -> Compiled:
    """NEW (which migrated the database irreversibly) back to OLD: stop every region, restore, install OLD."""
    return build_repo(tmp_path_factory.mktemp("live") / "downgrade", tenant_chart, Spec(NEW), Spec(OLD),
                      _migrating_files)  # fmt: skip


def test_e2e_live_rerun_after_the_stop_for_a_restore_stops_and_names_the_resume_step(
    helm: Path, tmp_path: Path, live: Live, downgrade_repo: Compiled
) -> None:
    # A run was interrupted after `kubectl scale --replicas=0` of every region: helm still shows the base.
    repo, seeds = downgrade_repo, _seeds(helm, live, downgrade_repo, tmp_path)
    restore = next(n for n, s in enumerate(repo.plan["steps"], 1) if s["phase"] == "restore")
    for region in REGIONS:
        live.seed(region.context, seeds.at_base(region.name))
        live.seed_replicas(region.context, 0)
    done = run_script(live, repo, "upgrade.sh", "--yes")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "usw1: release t100 runs chart" in done.stderr and "scaled to 0 replicas" in done.stderr
    assert f"resume it with 'upgrade.sh --from {restore}'" in done.stderr
    assert live.changes() == []
    queries = [c for c in live.calls() if c[:1] == ["kubectl"] and "get" in c]
    assert queries and all(c[c.index("--context") + 1] == USW1 and c[-2:] == ["-o", "jsonpath={.spec.replicas}"]
                           for c in queries)  # fmt: skip
    # Resumed at the restore, as the message says: the older release goes to every region, primary first.
    resumed = run_script(live, repo, "upgrade.sh", "--yes", "--from", str(restore))
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert live.changes() == [("upgrade", USW1), ("upgrade", USE1), ("upgrade", EUW1)]


def test_e2e_live_first_run_of_a_downgrade_stops_every_region_before_the_restore(
    helm: Path, tmp_path: Path, live: Live, downgrade_repo: Compiled
) -> None:
    repo, seeds = downgrade_repo, _seeds(helm, live, downgrade_repo, tmp_path)
    for region in REGIONS:
        live.seed(region.context, seeds.at_base(region.name))
        live.seed_replicas(region.context, region.replicas)
    marker = repo.root / "restored.marker"
    marker.unlink(missing_ok=True)
    done = run_script(live, repo, "upgrade.sh", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert {c: live.replicas(c) for c in CONTEXTS} == dict.fromkeys(CONTEXTS, 0)  # helm, not kubectl, restarts them
    assert live.changes() == [("upgrade", USW1), ("upgrade", USE1), ("upgrade", EUW1)]
    assert marker.exists()
    marker.unlink()


def test_e2e_live_rerun_of_a_finished_downgrade_restores_nothing_again(
    helm: Path, tmp_path: Path, live: Live, downgrade_repo: Compiled
) -> None:
    # Every region already runs the older release: restoring the backup again would lose every write since.
    repo, seeds = downgrade_repo, _seeds(helm, live, downgrade_repo, tmp_path)
    for region in REGIONS:
        live.seed(region.context, seeds.at_target(region.name))
        live.seed_replicas(region.context, region.replicas)
    marker = repo.root / "restored.marker"
    marker.unlink(missing_ok=True)
    done = run_script(live, repo, "upgrade.sh", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert live.changes() == [] and not marker.exists()
    assert "skipped: every region checked so far is already done" in done.stdout
    assert not [c for c in live.calls() if c[:1] == ["kubectl"] and "scale" in c]


@pytest.mark.parametrize("script", ["upgrade.sh", "rollback.sh"])
def test_e2e_live_a_region_scaled_down_outside_the_plan_stops_the_script(
    helm: Path, tmp_path: Path, live: Live, local_chart_repo: Compiled, script: str
) -> None:
    # This plan stops no region: a workload at 0 replicas was scaled by hand or by another plan's run.
    repo, seeds = local_chart_repo, _seeds(helm, live, local_chart_repo, tmp_path)
    for region in REGIONS:
        side = seeds.at_base if script == "upgrade.sh" else seeds.at_target
        live.seed(region.context, side(region.name))
        live.seed_replicas(region.context, region.replicas)
    stopped = USW1 if script == "upgrade.sh" else EUW1  # the first region each script reaches
    live.seed_replicas(stopped, 0)
    done = run_script(live, repo, script, "--yes")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "scaled to 0 replicas: this plan never stops it" in done.stderr
    assert live.changes() == []


def test_e2e_live_drift_reports_a_stopped_region(
    helm: Path, tmp_path: Path, live: Live, repository_chart_repo: Compiled
) -> None:
    repo, seeds = repository_chart_repo, _seeds(helm, live, repository_chart_repo, tmp_path)
    for region in REGIONS:
        live.seed(region.context, seeds.at_base(region.name))
        live.seed_replicas(region.context, region.replicas)
    live.seed_replicas(USE1, 0)
    done = run_rollplan(live, "drift", "--root", str(repo.root), "--env", "prod", "--format", "json")
    assert done.returncode == 3, done.stderr
    rows = {r["region"]: r for r in json.loads(done.stdout)["environments"]["prod"]}
    assert {name: r["state"] for name, r in rows.items()} == {
        "usw1": "in sync", "use1": "stopped (0 replicas)", "euw1": "in sync"}  # fmt: skip
    assert (rows["use1"]["replicas"], rows["usw1"]["replicas"]) == (0, 3)
