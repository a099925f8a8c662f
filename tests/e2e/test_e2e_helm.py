"""End to end: compile a GitOps repo with the real CLI, then run its plans' helm commands with real helm 3 and 4.

Each scenario repository (see e2e_support.scenario_repos) keeps the fixture
chart at charts/tenant and names it as a local chart. Commands run from the
repository root, as upgrade.sh does, against an offline helm: the memory
storage driver seeded with the deployed release, and a loopback stub for the
cluster discovery `helm upgrade` asks for. Upgrades get `--dry-run=client`,
rollback and uninstall a plain `--dry-run`.
"""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support.e2e_support import (
    CHART_PATH,
    CONTAINERS,
    CONTEXTS,
    HOTFIX_TAG,
    NAMESPACE,
    NEW,
    RELEASE,
    TAGS,
    Compiled,
    flag_value,
    manifest_of,
    scenario_repos,
    statefulset,
    tag_problems,
    template_args,
    with_flag_value,
)
from support.helmbin import helm_env, release_history, run_helm
from support.kube_stub import KubeStub

from compiler.pipeline import compile_repo

pytestmark = pytest.mark.helm

# Every helm subcommand a plan may hold, and so every one these tests run.
RUN_SUBCOMMANDS = {"upgrade", "history", "uninstall"}


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory, tenant_chart: Path) -> dict[str, Compiled]:
    return scenario_repos(tmp_path_factory.mktemp("gitops"), tenant_chart)


def offline_env(
    helm: Path, tmp_path: Path, repo: Compiled, kube_api: KubeStub, *, seeded: bool = True
) -> dict[str, str]:
    """Every region's context pointing at the stub; the store holds two revisions of the deployed release."""
    env = helm_env(tmp_path, CONTEXTS, server=kube_api.url)
    if not seeded:
        return env
    deployed = repo.base_file("values/usw1.yaml", tmp_path / "deployed" / "usw1.yaml")
    history = release_history(helm, env, RELEASE, repo.root / CHART_PATH, NAMESPACE, [[deployed], [deployed]])
    return helm_env(tmp_path, CONTEXTS, history, server=kube_api.url)


def dry_run_upgrade(helm: Path, argv: list[str], env: dict[str, str], repo: Compiled) -> str:
    """Run a plan's `helm upgrade` argv with --dry-run=client from the repo root; its rendered manifest."""
    done = run_helm(helm, [*argv[1:], "--dry-run=client"], env, cwd=repo.root)
    assert done.returncode == 0, f"{shlex.join(argv)}\n{done.stderr}"
    return manifest_of(done.stdout)


def template(helm: Path, args: list[str], env: dict[str, str], repo: Compiled) -> str:
    done = run_helm(helm, args, env, cwd=repo.root)
    assert done.returncode == 0, f"helm {shlex.join(args)}\n{done.stderr}"
    return done.stdout


def deployed_render(helm: Path, tmp_path: Path, env: dict[str, str], repo: Compiled, region: str) -> str:
    """The manifest of what HEAD deploys in ``region``: its committed values/<region>.yaml, templated."""
    values = repo.base_file(f"values/{region}.yaml", tmp_path / "deployed" / f"{region}.yaml")
    return template(helm, ["template", RELEASE, CHART_PATH, "-n", NAMESPACE, "-f", str(values)], env, repo)


def check_render(manifest: str, tag: str, replicas: int) -> list[str]:
    """What is wrong with a rendered StatefulSet, against the tag and replica count a side asks for."""
    problems = tag_problems(manifest, tag)
    found = statefulset(manifest)["spec"]["replicas"]
    return problems if found == replicas else [*problems, f"replicas: {found}"]


def expected(repo: Compiled, section: str, region: str) -> tuple[str, int]:
    """(tag, replicas) the forward plan should leave in ``region``, or the rollback plan."""
    side = repo.target if section == "steps" else repo.base
    return TAGS[side.version], side.region(region).replicas


@pytest.mark.parametrize("scenario", ["upgrade", "hotfix"])
def test_e2e_helm_upgrade_argv_renders_target(
    helm: Path, tmp_path: Path, kube_api: KubeStub, repos: dict[str, Compiled], scenario: str
) -> None:
    repo = repos[scenario]
    env = offline_env(helm, tmp_path, repo, kube_api)
    steps = repo.helm_steps("steps", "upgrade")
    assert [s["region"] for s in steps] == ["usw1", "use1", "euw1"]
    for step in steps:
        manifest = dry_run_upgrade(helm, step["argv"], env, repo)
        assert check_render(manifest, *expected(repo, "steps", step["region"])) == [], step["region"]


@pytest.mark.parametrize(("scenario", "regions"), [
    ("upgrade", ["euw1", "use1", "usw1"]), ("hotfix", ["euw1", "use1", "usw1"]), ("removal", ["euw1"])
])  # fmt: skip
def test_e2e_helm_rollback_argv_renders_deployed_state(
    helm: Path, tmp_path: Path, kube_api: KubeStub, repos: dict[str, Compiled], scenario: str, regions: list[str]
) -> None:
    repo = repos[scenario]
    # After an uninstall there is no release left to roll forward from: the rollback installs anew.
    env = offline_env(helm, tmp_path, repo, kube_api, seeded=scenario != "removal")
    steps = repo.helm_steps("rollback", "upgrade")
    assert [s["region"] for s in steps] == regions
    for step in steps:
        manifest = dry_run_upgrade(helm, step["argv"], env, repo)
        assert check_render(manifest, *expected(repo, "rollback", step["region"])) == [], step["region"]
        assert manifest == deployed_render(helm, tmp_path, env, repo, step["region"]), step["region"]


@pytest.mark.parametrize("section", ["steps", "rollback"])
def test_e2e_helm_template_of_upgrade_argv_matches_dry_run(
    helm: Path, tmp_path: Path, kube_api: KubeStub, repos: dict[str, Compiled], section: str
) -> None:
    # Only the flags in UPGRADE_ONLY_FLAGS are dropped: any other flag template rejects fails here.
    repo = repos["hotfix"]
    env = offline_env(helm, tmp_path, repo, kube_api)
    for step in repo.helm_steps(section, "upgrade"):
        rendered = template(helm, template_args(step["argv"]), env, repo)
        assert rendered == dry_run_upgrade(helm, step["argv"], env, repo), step["region"]


def test_e2e_helm_fast_path_rollback_is_what_argv_builds(repos: dict[str, Compiled]) -> None:
    repo = repos["upgrade"]
    plan = compile_repo(repo.root).plans["prod"]
    built = {f.region: list(f.argv) for f in plan.fast_path}
    assert repo.fast_path() == built
    assert sorted(built) == ["euw1", "use1", "usw1"]


def test_e2e_helm_fast_path_rollback_dry_run(
    helm: Path, tmp_path: Path, kube_api: KubeStub, repos: dict[str, Compiled]
) -> None:
    repo = repos["upgrade"]
    env = offline_env(helm, tmp_path, repo, kube_api)
    for region, argv in repo.fast_path().items():
        done = run_helm(helm, [*argv[1:], "--dry-run"], env, cwd=repo.root)
        assert done.returncode == 0, f"{region}: {done.stderr}"
        assert "Rollback was a success" in done.stdout


def test_e2e_helm_preflight_history_lists_deployed_revisions(
    helm: Path, tmp_path: Path, kube_api: KubeStub, repos: dict[str, Compiled]
) -> None:
    repo = repos["upgrade"]
    env = offline_env(helm, tmp_path, repo, kube_api)
    steps = repo.helm_steps("steps", "history")
    assert [s["region"] for s in steps] == ["usw1", "use1", "euw1"]
    for step in steps:
        done = run_helm(helm, step["argv"][1:], env, cwd=repo.root)
        assert done.returncode == 0, done.stderr
        assert [line.split()[0] for line in done.stdout.splitlines()[1:]] == ["1", "2"]


def test_e2e_helm_uninstall_dry_run(helm: Path, tmp_path: Path, kube_api: KubeStub, repos: dict[str, Compiled]) -> None:
    repo = repos["removal"]
    assert repo.changes() == {"usw1": "noop", "use1": "noop", "euw1": "uninstall"}
    env = offline_env(helm, tmp_path, repo, kube_api)
    steps = repo.helm_steps("uninstall")
    assert [(s["region"], flag_value(s["argv"], "--kube-context")) for s in steps] == [("euw1", "prod-euw1")]
    done = run_helm(helm, [*steps[0]["argv"][1:], "--dry-run"], env, cwd=repo.root)
    assert done.returncode == 0, done.stderr
    assert f'release "{RELEASE}" uninstalled' in done.stdout


def test_e2e_helm_image_only_set_changes_only_the_tag(
    helm: Path, tmp_path: Path, kube_api: KubeStub, repos: dict[str, Compiled]
) -> None:
    repo = repos["hotfix"]
    assert set(repo.changes().values()) == {"image-only"}
    env = offline_env(helm, tmp_path, repo, kube_api)
    for step in repo.helm_steps("steps", "upgrade"):
        assert _set_paths(step["argv"]) == set(CONTAINERS), step["region"]
        manifest = dry_run_upgrade(helm, step["argv"], env, repo)
        deployed = deployed_render(helm, tmp_path, env, repo, step["region"])
        assert tag_problems(manifest, HOTFIX_TAG) == [], step["region"]
        assert manifest != deployed
        assert manifest.replace(HOTFIX_TAG, NEW) == deployed, step["region"]


def test_e2e_helm_image_only_set_moves_tags_over_deployed_values(
    helm: Path, tmp_path: Path, kube_api: KubeStub, repos: dict[str, Compiled]
) -> None:
    # The --set flags alone must carry the new tag: on top of the deployed values every tag path moves.
    repo = repos["hotfix"]
    env = offline_env(helm, tmp_path, repo, kube_api)
    for step in repo.helm_steps("steps", "upgrade"):
        argv = _over_deployed_values(repo, step, tmp_path)
        assert tag_problems(dry_run_upgrade(helm, argv, env, repo), HOTFIX_TAG) == [], step["region"]


@pytest.mark.parametrize("scenario", ["upgrade", "hotfix", "removal"])
def test_e2e_helm_lint_and_template_generated_values(helm: Path, tmp_path: Path, repos: dict[str, Compiled],
                                                     scenario: str) -> None:  # fmt: skip
    repo = repos[scenario]
    env = helm_env(tmp_path, CONTEXTS)
    present = [r.name for r in repo.target.regions if r.state == "present"]
    folder = repo.root / repo.generated("values")
    assert sorted(p.stem for p in folder.glob("*.yaml")) == sorted(present)
    for region in present:
        values = repo.generated(f"values/{region}.yaml")
        linted = run_helm(helm, ["lint", CHART_PATH, "-f", values], env, cwd=repo.root)
        assert linted.returncode == 0, f"{region}: {linted.stdout}{linted.stderr}"
        assert "0 chart(s) failed" in linted.stdout
        manifest = template(helm, ["template", RELEASE, CHART_PATH, "-n", NAMESPACE, "-f", values], env, repo)
        assert check_render(manifest, *expected(repo, "steps", region)) == [], region


def test_e2e_helm_plans_hold_only_subcommands_these_tests_run(repos: dict[str, Compiled]) -> None:
    used = {s["argv"][1] for repo in repos.values() for sec in ("steps", "rollback", "uninstall")
            for s in repo.helm_steps(sec)}  # fmt: skip
    assert used == RUN_SUBCOMMANDS


# A broken argv must fail, so that the checks above can fail.


def test_e2e_helm_misspelled_flag_fails(
    helm: Path, tmp_path: Path, kube_api: KubeStub, repos: dict[str, Compiled]
) -> None:
    repo = repos["upgrade"]
    env = offline_env(helm, tmp_path, repo, kube_api)
    argv = repo.helm_steps("steps", "upgrade")[0]["argv"]
    broken = ["--timout" if word == "--timeout" else word for word in argv[1:]]
    done = run_helm(helm, [*broken, "--dry-run=client"], env, cwd=repo.root)
    assert done.returncode != 0
    assert "unknown flag: --timout" in done.stderr


def test_e2e_helm_unused_set_path_leaves_tag_and_is_caught(
    helm: Path, tmp_path: Path, kube_api: KubeStub, repos: dict[str, Compiled]
) -> None:
    # helm accepts a --set path the chart never reads; only the rendered tag shows the mistake.
    repo = repos["hotfix"]
    env = offline_env(helm, tmp_path, repo, kube_api)
    step = repo.helm_steps("steps", "upgrade")[0]
    argv = [w.replace("images.tenant.tag=", "images.tenant.tga=") for w in _over_deployed_values(repo, step, tmp_path)]
    manifest = dry_run_upgrade(helm, argv, env, repo)
    assert tag_problems(manifest, HOTFIX_TAG) == [f"tenant: {NEW}"]


@pytest.mark.parametrize(("scenario", "section"), [("upgrade", "steps"), ("removal", "uninstall")])
def test_e2e_helm_unknown_context_fails(
    helm: Path, tmp_path: Path, kube_api: KubeStub, repos: dict[str, Compiled], scenario: str, section: str
) -> None:
    repo = repos[scenario]
    env = offline_env(helm, tmp_path, repo, kube_api)
    argv = with_flag_value(repo.helm_steps(section)[-1]["argv"], "--kube-context", "prod-nowhere")
    refused = run_helm(helm, [*argv[1:], "--dry-run"], env, cwd=repo.root)
    assert refused.returncode == 1
    assert "'prod-nowhere' is not in the test kubeconfig" in refused.stderr


def test_e2e_helm_unknown_context_fails_in_helm_upgrade(
    helm: Path, tmp_path: Path, kube_api: KubeStub, repos: dict[str, Compiled]
) -> None:
    # Without the harness's check: helm itself refuses once it needs the cluster.
    repo = repos["upgrade"]
    env = offline_env(helm, tmp_path, repo, kube_api)
    argv = with_flag_value(repo.helm_steps("steps", "upgrade")[0]["argv"], "--kube-context", "prod-nowhere")
    done = subprocess.run([str(helm), *argv[1:], "--dry-run=client"], env=env, cwd=repo.root,
                          capture_output=True, text=True, check=False, timeout=120)  # fmt: skip
    assert done.returncode != 0
    assert 'context "prod-nowhere" does not exist' in done.stderr


def _set_paths(argv: list[str]) -> set[str]:
    return {argv[i + 1].split("=", 1)[0] for i, word in enumerate(argv) if word == "--set"}


def _over_deployed_values(repo: Compiled, step: dict[str, Any], tmp_path: Path) -> list[str]:
    """The step's argv with its values file swapped for the one HEAD deploys (the old tags)."""
    deployed = repo.base_file(f"values/{step['region']}.yaml", tmp_path / "deployed" / f"{step['region']}.yaml")
    return with_flag_value(step["argv"], "-f", str(deployed))
