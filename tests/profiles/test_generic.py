"""The generic profile end to end: a two-region web service compiled from a real git repository."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support.generic import ENV_FILE, environment, generic_repo, write

from compiler.commands.compile import write_all
from compiler.errors import InputError, PlanBlocked
from compiler.pipeline import compile_repo
from compiler.plan.model import Plan

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
VALIDATOR = SHARED / "tools" / "validate-manifests"
BACKEND_PHASES = {"maintenance", "restore", "scale"}


def _plan(root: Path) -> Plan:
    return compile_repo(root).plans["web"]


def _argv(plan: Plan, phase: str) -> list[tuple[str, ...]]:
    return [s.argv for s in plan.steps if s.phase == phase and s.argv is not None]


def test_generic_two_regions_upgrade_primary_first_with_verify_and_no_backend_steps(tmp_path: Path) -> None:
    plan = _plan(generic_repo(tmp_path / "repo"))
    upgrades = [s for s in plan.steps if s.phase == "upgrade"]
    assert [s.region for s in upgrades] == ["eu", "us"], "the primary goes first"
    assert [c.change for c in plan.regions] == ["upgrade", "upgrade"]
    verify = _argv(plan, "verify")
    assert [a[-3:-1] for a in verify] == [("status", "deployment/web")] * 2
    gates = [s for s in plan.steps if s.phase == "gate"]
    assert [s.region for s in gates] == ["eu", "us"] and all(s.pause for s in gates)
    phases = {s.phase for s in (*plan.steps, *plan.rollback)}
    assert not phases & BACKEND_PHASES and "backup" not in phases, "no choreography, no backup without a command"
    text = " ".join(s.description for s in (*plan.steps, *plan.rollback)) + " ".join(plan.risks)
    for vendor in ("Redis", "database", "master", "-0", "tenant", "statefulset"):
        assert vendor not in text


def test_generic_rollback_goes_back_to_the_exact_base_in_reverse_order(tmp_path: Path) -> None:
    plan = _plan(generic_repo(tmp_path / "repo"))
    upgrades = [s for s in plan.rollback if s.phase == "upgrade"]
    assert [s.region for s in upgrades] == ["us", "eu"]
    for step in upgrades:
        assert step.argv is not None and step.argv[step.argv.index("--version") + 1] == "0.3.0"
        assert step.argv[step.argv.index("-f") + 1] == f"generated/web/rollback/values/{step.region}.yaml"


def test_generic_values_carry_the_tag_and_replicas_at_the_chart_convention(tmp_path: Path) -> None:
    root = generic_repo(tmp_path / "repo")
    files = compile_repo(root).files["web"]
    values = yaml.safe_load(files["values/eu.yaml"])
    assert values["image"]["tag"] == "1.5.0" and values["replicaCount"] == 2
    rollback = yaml.safe_load(files["rollback/values/eu.yaml"])
    assert rollback["image"]["tag"] == "1.4.0"


def test_generic_workload_named_by_the_spec_is_what_rollouts_and_installs_use(tmp_path: Path) -> None:
    root = generic_repo(tmp_path / "repo")
    text = environment("1.5.0", "0.4.0") + "workload: statefulset/web-db\n"
    write(root, {ENV_FILE: text, "environments/web/regions/ap.yaml": "name: ap\ncluster:\n  name: k\n  context: "
                 "web-ap\nreplicas: 1\n"})  # fmt: skip
    plan = _plan(root)
    assert {a[-2] for a in _argv(plan, "verify")} == {"statefulset/web-db"}
    preflight = [a for a in _argv(plan, "preflight") if "can-i" in a]
    assert preflight == [("kubectl", "--context", "web-ap", "-n", "shop", "auth", "can-i", "create", "statefulsets")]
    gone = [s.argv for s in plan.rollback if s.phase == "verify" and s.argv and "--for=delete" in s.argv]
    assert gone and gone[0][-2] == "statefulset/web-db", "the rollback uninstalls ap and waits for its workload"


def test_generic_uninstall_takes_the_primary_last_and_backs_up_only_with_a_command(tmp_path: Path) -> None:
    backup = "backup:\n  command: [kubectl, --context, web-eu, -n, shop, exec, deploy/dump, --, dump]\n"
    root = generic_repo(tmp_path / "repo", settings=backup)
    write(root, {ENV_FILE: environment("1.4.0", "0.3.0") + backup})
    for region in ("eu", "us"):
        path = root / f"environments/web/regions/{region}.yaml"
        path.write_text(path.read_text() + "state: absent\n")
    plan = _plan(root)
    uninstalls = [s.region for s in plan.uninstall if s.phase == "uninstall"]
    assert uninstalls == ["us", "eu"]
    phases = [(s.phase, s.region) for s in plan.uninstall]
    assert phases.index(("backup", "eu")) < phases.index(("uninstall", "eu"))
    assert [s.argv[-2] for s in plan.uninstall if s.phase == "verify" and s.argv] == ["deployment/web"] * 2
    confirm = [s.description for s in plan.uninstall if s.id.endswith("confirm-uninstall")]
    assert len(confirm) == 2 and all("vendor" not in text and text.endswith(". Confirm to go on") for text in confirm)


def test_generic_release_notes_when_present_bring_the_prerequisite_rule(tmp_path: Path) -> None:
    note = "version: '{v}'\nservice: generic\nreleased: 2026-0{m}-01\nchart_version: '{c}'\nimage_tag: '{v}'\n"
    notes = {
        "release-notes/generic/1.4.0.yaml": note.format(v="1.4.0", m=1, c="0.3.0"),
        "release-notes/generic/1.5.0.yaml": note.format(v="1.5.0", m=2, c="0.4.0") + "requires:\n  redis: '>=8.0'\n",
    }
    with pytest.raises(PlanBlocked) as caught:
        compile_repo(generic_repo(tmp_path / "repo", notes))
    messages = [str(p) for p in caught.value.problems]
    assert len(messages) == 2 and all("redis 7.2.4 is installed" in m for m in messages)
    assert all("third-party-prerequisite" in m for m in messages)


def test_generic_without_release_notes_must_name_chart_version_and_image_tag(tmp_path: Path) -> None:
    root = generic_repo(tmp_path / "repo")
    text = environment("1.5.0", "0.4.0").replace("  version: '0.4.0'\n", "").replace("image:\n  tag: '1.5.0'\n", "")
    write(root, {ENV_FILE: text})
    with pytest.raises(InputError) as caught:
        compile_repo(root)
    found = sorted(f"{p.location.line} {p.path}" for p in caught.value.problems)
    assert found == ["1 image.tag", "6 chart.version"]
    assert all("release-notes/generic/" in str(p) for p in caught.value.problems)


def test_generic_refuses_backend_paths_it_would_ignore(tmp_path: Path) -> None:
    root = generic_repo(tmp_path / "repo")
    write(root, {ENV_FILE: environment("1.5.0", "0.4.0") + "paths:\n  redis: [cache]\n"})
    with pytest.raises(InputError, match="no database or Redis choreography"):
        compile_repo(root)


def test_generic_manifests_validate_against_upstream_crds(tmp_path: Path) -> None:
    if not VALIDATOR.is_file():
        pytest.skip(f"the CRD validator is not beside this checkout ({VALIDATOR.relative_to(SHARED.parent)})")
    root = generic_repo(tmp_path / "repo")
    write_all(root, compile_repo(root))
    done = subprocess.run(
        [sys.executable, str(VALIDATOR), str(root / "generated")], capture_output=True, text=True, check=False
    )
    summary = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"[1-9]\d* valid, 0 invalid, 0 unknown, \d+ skipped", summary), done.stdout
    assert done.returncode == 0
