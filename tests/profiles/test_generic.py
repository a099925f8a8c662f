"""The generic profile: any Helm chart through the same plans, with no vendor choreography."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from support import scenarios
from support.planfactory import make_env, make_region, make_state

from compiler.commands.compile import write_all
from compiler.errors import InputError, PlanBlocked
from compiler.pipeline import compile_repo
from compiler.plan.model import Plan, RegionState
from compiler.profiles.generic import GenericProfile
from compiler.repo.example import TextEdit

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
VALIDATOR = SHARED / "tools" / "validate-manifests"
PROFILE = GenericProfile()
VENDOR_PHASES = {"scale", "maintenance", "restart", "restore"}


def _plan(root: Path) -> Plan:
    return compile_repo(root).plans["web"]


def _generic_state(**rollout: object) -> RegionState:
    env = make_env(service="generic", chart={"name": "web", "repository": "https://c.example.com", "version": "1"},
                   image={"tag": "1"}, rollout={"verify_timeout": 60, **rollout})  # fmt: skip
    return make_state(env, make_region("eu", primary=True))


def test_generic_two_regions_upgrade_primary_first_with_verify_and_no_vendor_steps(tmp_path: Path) -> None:
    plan = _plan(scenarios.generic(tmp_path / "repo"))
    upgrades = [s for s in plan.steps if s.phase == "upgrade"]
    assert [s.region for s in upgrades] == ["westus2", "eastus"]  # the primary, though not first by name
    verify = [s.argv for s in plan.steps if s.phase == "verify"]
    assert verify == [
        ("kubectl", "--context", "aks-westus2", "-n", "web", "rollout", "status", "deployment/shop", "--timeout=300s"),
        ("kubectl", "--context", "aks-eastus", "-n", "web", "rollout", "status", "deployment/shop", "--timeout=300s"),
    ]
    gates = [s for s in plan.steps if s.phase == "gate"]
    assert [(g.region, g.pause) for g in gates] == [("westus2", True), ("eastus", True)]
    everything = [*plan.steps, *plan.rollback]
    assert not [s for s in everything if s.phase in VENDOR_PHASES or s.phase == "backup"]
    text = " ".join(" ".join((s.description, *(s.argv or ()))) for s in everything).lower()
    assert "redis" not in text and "database" not in text and "tenant" not in text and "statefulset" not in text


def test_generic_rollback_goes_back_in_reverse_order_to_the_exact_base(tmp_path: Path) -> None:
    plan = _plan(scenarios.generic(tmp_path / "repo"))
    upgrades = [s.argv for s in plan.rollback if s.phase == "upgrade"]
    assert [a[a.index("--kube-context") + 1] for a in upgrades if a] == ["aks-eastus", "aks-westus2"]
    assert all(a is not None and a[a.index("--version") + 1] == "1.4.0" for a in upgrades)


def test_generic_values_carry_image_tag_and_replicas_at_the_generic_paths(tmp_path: Path) -> None:
    root = scenarios.generic(tmp_path / "repo")
    write_all(root, compile_repo(root))
    values = (root / "generated/web/values/eastus.yaml").read_text()
    assert "  tag: 1.5.0\n" in values and "replicaCount: 2\n" in values
    assert "images:" not in values and "tenant" not in values


def test_generic_uninstall_primary_last_and_waits_for_the_workload(tmp_path: Path) -> None:
    root = scenarios.generic_repo(tmp_path / "repo")
    for name in ("westus2", "eastus"):
        path = root / f"environments/web/regions/{name}.yaml"
        path.write_text(path.read_text() + "state: absent\n")
    plan = _plan(root)
    uninstalls = [s.region for s in plan.uninstall if s.phase == "uninstall"]
    assert uninstalls == ["eastus", "westus2"]
    gone = [s.argv for s in plan.uninstall if s.phase == "verify"]
    assert gone and all(a is not None and "deployment/shop" in a for a in gone)
    assert not [s for s in plan.uninstall if s.phase == "backup"]  # no backup.command: no backup step


def test_generic_backup_command_runs_before_the_primary(tmp_path: Path) -> None:
    backup = TextEdit(scenarios.GENERIC_ENV, "rollout:\n", "backup:\n  command: [shop-backup, --all]\nrollout:\n")
    root = scenarios.generic_repo(tmp_path / "repo")
    scenarios.apply_edits(root, [*scenarios.GENERIC_UPGRADE, backup])
    steps = [s for s in _plan(root).steps if not s.id.endswith("-live-check")]
    assert steps[0].phase == "backup" and steps[0].argv == ("shop-backup", "--all")
    assert steps[0].region == "westus2"


def test_generic_workload_the_spec_names_is_verified(tmp_path: Path) -> None:
    workload = TextEdit(scenarios.GENERIC_ENV, "  verify_timeout: 300\n",
                        "  verify_timeout: 300\n  workload: statefulset/shop-db\n")  # fmt: skip
    root = scenarios.generic_repo(tmp_path / "repo")
    scenarios.apply_edits(root, [*scenarios.GENERIC_UPGRADE, workload])
    verify = [s.argv for s in _plan(root).steps if s.phase == "verify"]
    assert verify and all(a is not None and "statefulset/shop-db" in a for a in verify)


def test_generic_without_release_notes_requires_chart_version_and_image_tag(tmp_path: Path) -> None:
    root = scenarios.generic_repo(tmp_path / "repo")
    no_tag = TextEdit(scenarios.GENERIC_ENV, "image:\n  tag: '1.4.0'\n", "")
    scenarios.apply_edits(root, [no_tag])
    with pytest.raises(InputError) as caught:
        compile_repo(root)
    found = [(p.location.line, p.path, p.message) for p in caught.value.problems]
    assert len(found) == 1 and found[0][1] == "image.tag" and "release-notes/generic/" in found[0][2]


def test_generic_with_release_notes_applies_the_support_window(tmp_path: Path) -> None:
    root = scenarios.generic_repo(tmp_path / "repo")
    scenarios.apply_edits(root, scenarios.GENERIC_UPGRADE)
    notes = {"1.0.0": "2024-01-01", "1.1.0": "2024-02-01", "1.2.0": "2024-03-01", "1.5.0": "2024-04-01"}
    for version, day in notes.items():
        chart = "1.5.1" if version == "1.5.0" else version  # as the environment says: the note must agree
        scenarios.write_files(root, {f"release-notes/generic/{version}.yaml": (
            f"version: '{version}'\nservice: generic\nreleased: {day}\nchart_version: '{chart}'\n"
            f"image_tag: '{version}'\n")})  # fmt: skip
    plan = _plan(root)  # 1.5.0 is the newest: inside N-2
    assert [s.region for s in plan.steps if s.phase == "upgrade"] == ["westus2", "eastus"]
    scenarios.apply_edits(root, [TextEdit(scenarios.GENERIC_ENV, "\nversion: '1.5.0'\n", "\nversion: '1.0.0'\n"),
                                 TextEdit(scenarios.GENERIC_ENV, "  version: '1.5.1'\n", "  version: '1.0.0'\n"),
                                 TextEdit(scenarios.GENERIC_ENV, "  tag: '1.5.0'\n", "  tag: '1.0.0'\n")])
    with pytest.raises(InputError) as caught:
        compile_repo(root)
    assert any("N-2" in p.message for p in caught.value.problems)


def test_generic_workload_setting_is_refused_for_tenant_where_it_is_written(tmp_path: Path) -> None:
    root = scenarios.example_repo(tmp_path / "repo")
    edit = TextEdit("environments/prod/environment.yaml", "rollout:\n", "rollout:\n  workload: deployment/x\n")
    scenarios.apply_edits(root, [edit])
    with pytest.raises(InputError) as caught:
        compile_repo(root)
    [problem] = caught.value.problems
    assert problem.path == "rollout.workload" and problem.location.line > 1
    assert "cannot be set for service tenant" in problem.message


def test_generic_service_switch_of_a_deployed_environment_is_blocked(tmp_path: Path) -> None:
    root = scenarios.generic_repo(tmp_path / "repo")
    edits = [TextEdit(scenarios.GENERIC_ENV, "service: generic\n", "service: tenant\n")]
    scenarios.apply_edits(root, edits)
    scenarios.write_files(root, {"release-notes/tenant/1.4.0.yaml": "version: '1.4.0'\nreleased: 2024-01-01\n"
                       "chart_version: '1.4.0'\nimage_tag: '1.4.0'\n"})  # fmt: skip
    with pytest.raises(PlanBlocked) as caught:
        compile_repo(root)
    [problem] = caught.value.problems
    assert problem.path == "service" and "service changes from generic to tenant" in problem.message


def test_generic_pin_without_release_notes_names_chart_and_image(tmp_path: Path) -> None:
    root = scenarios.generic_repo(tmp_path / "repo")
    region = root / "environments/web/regions/eastus.yaml"
    region.write_text(region.read_text() + "pin:\n  version: '1.3.0'\n  chart_version: '1.3.0'\n")
    with pytest.raises(InputError) as caught:
        compile_repo(root)
    assert [(p.path, p.location.file) for p in caught.value.problems] == [
        ("pin.image_tag", "environments/web/regions/eastus.yaml")
    ]
    region.write_text(region.read_text() + "  image_tag: '1.3.0'\n")
    plan = compile_repo(root).plans["web"]
    eastus = next(c for c in plan.regions if c.name == "eastus")
    assert eastus.target is not None and eastus.target.release.chart_version == "1.3.0"


def test_generic_profile_installs_the_kind_of_its_workload() -> None:
    assert PROFILE.installs(_generic_state()) == "deployments"
    assert PROFILE.installs(_generic_state(workload="daemonset/agent")) == "daemonsets"


def test_generic_manifests_validate_against_upstream_crds(tmp_path: Path) -> None:
    if not VALIDATOR.is_file():
        pytest.skip(f"the CRD validator is not beside this checkout ({VALIDATOR.relative_to(SHARED.parent)})")
    root = scenarios.generic(tmp_path / "repo")
    write_all(root, compile_repo(root))
    done = subprocess.run(
        [sys.executable, str(VALIDATOR), str(root / "generated")], capture_output=True, text=True, check=False
    )
    summary = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"[1-9]\d* valid, 0 invalid, 0 unknown, \d+ skipped", summary), done.stdout
    assert done.returncode == 0


def test_generic_spec_defaults_are_the_generic_ones_and_tenant_keeps_its_own() -> None:
    generic = _generic_state().env
    assert generic.image.paths == ("image.tag",) and generic.paths.replicas == "replicaCount"
    assert (generic.paths.database, generic.paths.redis, generic.monitoring.labels) == ((), (), {})
    tenant = make_env(image={"tag": "1"}, monitoring={"namespace": "mon"})
    assert tenant.image.paths == ("images.tenant.tag", "images.pgdbInit.tag", "images.pulseInit.tag")
    assert tenant.monitoring.labels == {"service": "voice", "servicename": "tenant"}
    assert tenant.paths.redis == ("tenant.redis",)


def test_generic_spec_given_settings_win_over_the_service_defaults() -> None:
    env = make_env(service="generic", chart={"name": "w", "repository": "https://c.example.com", "version": "1"},
                   image={"tag": "1", "paths": ["app.image.tag"]}, paths={"replicas": "app.replicas"})  # fmt: skip
    assert env.image.paths == ("app.image.tag",) and env.paths.replicas == "app.replicas"
    assert env.paths.redis == () and env.paths.database == ()
