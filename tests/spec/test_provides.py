"""Third-party first: an environment that `provides:` a component orders, and is checked against, its consumers.

Built on tests/support/multisvc.py: ``redis`` provides Redis on staging's
cluster, staging (Tenant) requires Redis >=7.2 from 100.0.1000076 on, and
``web`` needs staging. Real git repositories, compiled as `rollplan compile` does.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.multisvc import (
    FILES,
    REDIS_ENV,
    REDIS_REGION,
    REDIS_UPGRADE,
    STAGING_CLUSTER,
    STAGING_UPGRADE,
    WEB_ENV,
    WEB_UPGRADE,
    services_repo,
)

from compiler import cli
from compiler.commands.compile import write_all
from compiler.errors import InputError, PlanBlocked
from compiler.pipeline import Compiled, compile_repo
from compiler.repo.example import TextEdit

STAGING_REGION = "environments/staging/regions/westus2.yaml"
NOTE_76 = "release-notes/tenant/100.0.1000076.yaml"


def build(
    tmp_path: Path,
    change: Sequence[TextEdit] = (*REDIS_UPGRADE, *STAGING_UPGRADE, *WEB_UPGRADE),
    files: Mapping[str, str] = FILES,
    extra: Mapping[str, str] = {},
) -> Path:
    return services_repo(tmp_path / "repo", files, change, extra)


def problems(tmp_path: Path, error: type[InputError] = InputError, **kwargs: Any) -> list[str]:
    root = build(tmp_path, **kwargs)
    with pytest.raises(error) as caught:
        compile_repo(root)
    return [str(p) for p in caught.value.problems]


def rollout(compiled: Compiled) -> dict[str, Any]:
    assert compiled.rollout is not None
    doc: dict[str, Any] = json.loads(compiled.rollout["rollout.json"])
    return doc


def manifest(compiled: Compiled, env: str, path: str) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(compiled.files[env][path])
    return doc


def test_provides_orders_the_provider_first_and_checks_its_target_version(tmp_path: Path) -> None:
    compiled = compile_repo(build(tmp_path))  # staging's own region file says Redis 7.0.15: the provider's 7.2.5 counts
    doc = rollout(compiled)
    assert doc["order"] == ["prod", "redis", "staging", "web"]
    assert doc["environments"]["staging"]["needs"] == ["redis"]
    assert doc["environments"]["staging"]["implicit_needs"] == {
        "redis": f"redis provides redis on cluster aks-staging-westus2; {NOTE_76} requires redis >=7.2"
    }
    assert doc["environments"]["redis"]["provides"] == ["redis"]
    assert "**Provides:** staging `westus2` requires `redis >=7.2` (gets `7.2.5`)." in compiled.files["redis"][
        "plan.md"].decode()  # fmt: skip
    assert compiled.rollout is not None
    scripts = {name: compiled.rollout[name].decode().splitlines() for name in ("upgrade.sh", "rollback.sh")}
    assert "readonly ENVS=(prod redis staging web)" in scripts["upgrade.sh"]
    assert "readonly ENVS=(web staging redis prod)" in scripts["rollback.sh"]  # consumers roll back first


def test_provides_without_the_provider_the_region_file_blocks(tmp_path: Path) -> None:
    found = problems(tmp_path, PlanBlocked, files={k: v for k, v in FILES.items() if "/redis/" not in k},
                     change=STAGING_UPGRADE)  # fmt: skip
    assert len(found) == 1
    assert found[0].startswith(f"{STAGING_REGION}:")
    assert "redis 7.0.15 is installed, release 100.0.1000076 requires >=7.2" in found[0]


def test_provides_provider_below_the_prerequisite_names_both_files(tmp_path: Path) -> None:
    found = problems(tmp_path, change=(*STAGING_UPGRADE, *WEB_UPGRADE))  # redis stays at 7.0.15
    assert found == [
        f"{REDIS_ENV}:3:10: version: redis will provide redis 7.0.15 in region westus2, and region westus2 of "
        f"staging ({STAGING_REGION}) requires redis >=7.2 ({NOTE_76}); expected a version matching >=7.2 "
        "(rule: third-party-prerequisite)"
    ]


def test_provides_provider_downgraded_below_the_prerequisite_is_refused(tmp_path: Path) -> None:
    deployed = {**FILES, REDIS_ENV: FILES[REDIS_ENV].replace("7.0.15", "7.2.5")}
    root = services_repo(tmp_path / "repo", deployed, (*STAGING_UPGRADE,))
    compile_repo(root)  # at 7.2.5 the consumer passes
    env = root / REDIS_ENV
    env.write_text(env.read_text(encoding="utf-8").replace("'7.2.5'", "'7.0.15'"), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        compile_repo(root)
    (problem,) = caught.value.problems
    assert (problem.location.file, problem.path) == (REDIS_ENV, "version")
    assert "redis will provide redis 7.0.15" in problem.message and STAGING_REGION in problem.message


def test_provides_unchanged_provider_still_supplies_the_version(tmp_path: Path) -> None:
    deployed = {**FILES, REDIS_ENV: FILES[REDIS_ENV].replace("7.0.15", "7.2.5")}
    compiled = compile_repo(services_repo(tmp_path / "repo", deployed, STAGING_UPGRADE))
    doc = rollout(compiled)
    assert doc["environments"]["redis"]["has_steps"] is False  # nothing to wait on...
    assert doc["environments"]["staging"]["needs"] == ["redis"]  # ...but still the provider
    assert compiled.plans["staging"].steps  # and its 7.2.5, not the region file's 7.0.15, passed the check


def test_provides_provider_pin_is_the_version_checked(tmp_path: Path) -> None:
    pinned = FILES[REDIS_REGION] + "pin:\n  version: '7.0.15'\n  chart_version: '18.19.4'\n  image_tag: '7.0.15'\n"
    found = problems(tmp_path, files={**FILES, REDIS_REGION: pinned})
    assert len(found) == 1
    assert found[0].startswith(f"{REDIS_REGION}:9:12: pin.version: redis will provide redis 7.0.15")


def test_provides_provider_removed_under_a_consumer_is_refused(tmp_path: Path) -> None:
    removed = (TextEdit(REDIS_REGION, "replicas: 1\n", "replicas: 1\nstate: absent\n"), *STAGING_UPGRADE)
    found = problems(tmp_path, change=removed)
    assert found == [
        f"{REDIS_REGION}:8:8: state: region westus2 of redis is removed while region westus2 of staging "
        f"({STAGING_REGION}) on the same cluster aks-staging-westus2 still requires redis >=7.2; remove or move that "
        "region first, or keep redis there (a region whose uninstall is done already: delete its file) "
        "(rule: third-party-provider)"
    ]


def test_provides_provider_removed_with_its_consumer_goes_after_it(tmp_path: Path) -> None:
    deployed = {**FILES, REDIS_ENV: FILES[REDIS_ENV].replace("7.0.15", "7.2.5")}
    gone = (
        TextEdit(REDIS_REGION, "replicas: 1\n", "replicas: 1\nstate: absent\n"),
        TextEdit(STAGING_REGION, "replicas: 1\n", "replicas: 1\nstate: absent\n"),
        TextEdit(WEB_ENV, "needs:\n  - staging\n", ""),
    )
    doc = rollout(compile_repo(services_repo(tmp_path / "repo", deployed, gone)))
    assert doc["order"].index("staging") < doc["order"].index("redis")  # the consumer's uninstall first
    assert doc["environments"]["redis"]["needs"] == ["staging"]
    assert "the consumer goes first" in doc["environments"]["redis"]["implicit_needs"]["staging"]


def test_provides_consumer_region_the_provider_does_not_cover_uses_its_own_versions(tmp_path: Path) -> None:
    """redis covers prod's eastus only: eastus waits for it, westus2 and centralus keep their own Redis."""
    eastus = "cluster:\n  name: aks-prod-eastus\n  context: prod-eastus\n"
    moved = {**FILES, REDIS_REGION: FILES[REDIS_REGION].replace(STAGING_CLUSTER, eastus)}
    compiled = compile_repo(services_repo(tmp_path / "repo", moved, (*REDIS_UPGRADE, *WEB_UPGRADE)))
    doc = rollout(compiled)
    assert doc["environments"]["prod"]["needs"] == ["redis"]
    assert doc["environments"]["staging"]["needs"] == []  # staging shares no cluster with redis now
    after = {
        region: manifest(compiled, "prod", f"flux/{region}.yaml")["spec"].get("dependsOn", [])
        for region in ("westus2", "eastus", "centralus")
    }
    assert {"name": "redis-redis-westus2", "namespace": "flux-system"} in after["eastus"]
    assert all(d["name"].startswith("t100-prod-") for r in ("westus2", "centralus") for d in after[r])
    assert "`westus2`, `centralus` share no cluster" in compiled.files["prod"]["plan.md"].decode()


def test_provides_uncovered_consumer_below_the_prerequisite_is_still_blocked(tmp_path: Path) -> None:
    elsewhere = {**FILES, REDIS_REGION: FILES[REDIS_REGION].replace(STAGING_CLUSTER, "cluster:\n  name: other\n"
                                                                     "  context: other\n")}  # fmt: skip
    found = problems(tmp_path, PlanBlocked, files=elsewhere)
    assert [p.split(": ", 1)[0] for p in found] == [f"{STAGING_REGION}:14:10"]
    assert "redis 7.0.15 is installed" in found[0]


def test_provides_two_providers_on_one_cluster_are_refused(tmp_path: Path) -> None:
    second = {
        "environments/cache/environment.yaml": FILES[REDIS_ENV].replace("release: redis", "release: cache"),
        "environments/cache/regions/westus2.yaml": FILES[REDIS_REGION],
    }
    found = problems(tmp_path, files={**FILES, **second})
    assert [p.split(": ", 2)[:2] for p in found] == [
        ["environments/cache/environment.yaml:7:5", "provides.0"],
        [f"{REDIS_ENV}:7:5", "provides.0"],
    ]
    assert "and so does redis (environments/redis/regions/westus2.yaml)" in found[0]


def test_provides_a_removed_second_provider_is_no_conflict(tmp_path: Path) -> None:
    second = {
        "environments/cache/environment.yaml": FILES[REDIS_ENV].replace("release: redis", "release: cache"),
        "environments/cache/regions/westus2.yaml": FILES[REDIS_REGION] + "state: absent\n",
    }
    assert compile_repo(build(tmp_path, files={**FILES, **second})).plans["staging"].steps


def test_provides_cycle_through_an_implicit_need_names_its_origin(tmp_path: Path) -> None:
    looped = (TextEdit(REDIS_ENV, "provides:\n", "needs:\n  - staging\nprovides:\n"),)
    found = problems(tmp_path, change=(*REDIS_UPGRADE, *STAGING_UPGRADE, *looped))
    assert found[0] == (
        f"{REDIS_ENV}:7:5: needs.0: needs form a cycle: redis → staging → redis; remove one of these needs"
    )
    assert found[1] == (
        f"{REDIS_ENV}:9:5: provides: needs form a cycle: redis → staging → redis; staging → redis is implicit: "
        f"redis provides redis on cluster aks-staging-westus2; {NOTE_76} requires redis >=7.2; remove one of these "
        "needs or provides"
    )


def test_provides_listed_twice_and_not_a_version_are_refused(tmp_path: Path) -> None:
    odd = {**FILES, REDIS_ENV: FILES[REDIS_ENV].replace("  - redis\n", "  - redis\n  - redis\n")}
    found = problems(tmp_path, files=odd, change=(TextEdit(REDIS_ENV, "version: '7.0.15'\n", "version: 'latest'\n"),
                                                    *STAGING_UPGRADE))  # fmt: skip
    assert f"{REDIS_ENV}:8:5: provides.1: component 'redis' is listed twice" in found
    assert any(p.startswith(f"{REDIS_ENV}:3:10: version: redis provides redis at 'latest', which is not a version")
               for p in found)  # fmt: skip


def test_provides_flux_depends_on_the_release_on_the_same_cluster_forward_only(tmp_path: Path) -> None:
    compiled = compile_repo(build(tmp_path))
    assert manifest(compiled, "staging", "flux/westus2.yaml")["spec"]["dependsOn"] == [
        {"name": "redis-redis-westus2", "namespace": "flux-system"}
    ]
    assert manifest(compiled, "web", "flux/westus2.yaml")["spec"]["dependsOn"] == [
        {"name": "t100-staging-westus2", "namespace": "flux-system"}
    ]
    assert manifest(compiled, "web", "flux/northeu.yaml")["spec"]["dependsOn"] == [
        {"name": "shop-web-westus2", "namespace": "flux-system"}  # its own chain only: no staging on its cluster
    ]
    assert "dependsOn" not in manifest(compiled, "staging", "rollback/flux/westus2.yaml")["spec"]
    text = compiled.files["web"]["plan.md"].decode()
    assert "`northeu` shares no cluster with a Flux release of `staging`" in text
    assert "**Waits for:** staging: this rollout starts only after" in text


def test_provides_provider_without_flux_output_is_not_depended_on(tmp_path: Path) -> None:
    argo_only = {**FILES, REDIS_ENV: FILES[REDIS_ENV] + "  controllers:\n    - argocd\n"}
    compiled = compile_repo(build(tmp_path, files=argo_only))
    assert "dependsOn" not in manifest(compiled, "staging", "flux/westus2.yaml")["spec"]
    assert rollout(compiled)["environments"]["staging"]["needs"] == ["redis"]  # the order stays


def test_provides_env_run_plans_a_consumer_as_the_full_run_does(tmp_path: Path) -> None:
    root = build(tmp_path)
    full, alone = compile_repo(root), compile_repo(root, ["staging"])
    assert alone.files["staging"] == full.files["staging"]
    assert sorted(alone.plans) == ["staging"]


def test_provides_written_output_is_stale_when_a_provider_region_appears(tmp_path: Path) -> None:
    """On the deployed branch, where freshness records vouch: prod's record must cover redis's region files."""
    root = build(tmp_path)
    write_all(root, compile_repo(root))
    for args in (["add", "--all"], ["commit", "--quiet", "--message", "merged: the change and its plan"]):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=root, check=True)
    assert cli.main(["check", "--root", str(root), "--env", "prod"]) == 0
    (root / "environments/redis/regions/eastus.yaml").write_text(
        "name: eastus\ncluster:\n  name: aks-prod-eastus\n  context: prod-eastus\nreplicas: 1\n", encoding="utf-8"
    )
    assert cli.main(["check", "--root", str(root), "--env", "prod"]) == 3  # prod now waits for redis


def test_provides_env_run_of_a_provider_still_refuses_its_removal_under_a_consumer(tmp_path: Path) -> None:
    removed = (TextEdit(REDIS_REGION, "replicas: 1\n", "replicas: 1\nstate: absent\n"), *STAGING_UPGRADE)
    with pytest.raises(InputError) as caught:
        compile_repo(build(tmp_path, change=removed), ["redis"])
    assert [(p.location.file, p.path) for p in caught.value.problems] == [(REDIS_REGION, "state")]


def test_provides_env_run_reads_linked_environments_only(tmp_path: Path) -> None:
    broken = {"environments/other/environment.yaml": "service: nope\n"}
    root = build(tmp_path, extra=broken)
    web = compile_repo(root, ["web"])  # needs staging; redis provides: both read, `other` is not
    assert manifest(web, "web", "flux/westus2.yaml")["spec"]["dependsOn"][0]["name"] == "t100-staging-westus2"
    with pytest.raises(InputError) as caught:
        compile_repo(root, ["redis"])  # a provider: any environment may consume it, so every one is read
    assert {p.location.file for p in caught.value.problems} == {"environments/other/environment.yaml"}
