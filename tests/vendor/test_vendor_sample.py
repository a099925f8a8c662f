"""The vendor's sample deployment shape, end to end: validate, diff, compile and check on three regions.

The repository (tests/support/vendor_sample.py) layers a chart-level file, a
release-level file for tenant t100 and one file per region, with the YAML a
real estate holds. Each test makes one pending change in the working tree and
reads what rollplan makes of it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import vendor_sample as vs

from compiler import cli

TARGET = "version: '100.0.1000076'"
BASE = "version: '100.0.1000073'"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def compiled(root: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code, _, err = run(capsys, "compile", "--root", str(root))
    assert code == 0, err
    plan: dict[str, Any] = json.loads((root / "generated/prod/plan.json").read_text(encoding="utf-8"))
    return plan


def steps_of(plan: dict[str, Any], key: str = "steps") -> list[dict[str, Any]]:
    return list(plan[key])


def helm_argv(plan: dict[str, Any], region: str, key: str = "steps") -> list[list[str]]:
    return [s["argv"] for s in steps_of(plan, key) if s["region"] == region and s["argv"] and s["argv"][0] == "helm"]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return vs.deployed(tmp_path / "repo")


def test_vendor_sample_upgrade_names_release_namespace_chart_and_context(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vs.edit(repo, vs.ENV, BASE, TARGET)
    plan = compiled(repo, capsys)
    assert [s["region"] for s in steps_of(plan) if s["phase"] == "upgrade"] == ["westus2", "eastus", "uksouth"]
    phases = [s["phase"] for s in steps_of(plan)]
    assert phases.index("backup") < phases.index("upgrade")
    for region in vs.REGIONS:
        (upgrade,) = [argv for argv in helm_argv(plan, region) if argv[1] == "upgrade"]
        assert upgrade[:5] == ["helm", "upgrade", "--install", "t100", "oci://registry.example.com/gcx/helm/tenant"]
        assert upgrade[upgrade.index("--version") + 1] == "100.0.1000076"
        assert upgrade[upgrade.index("--kube-context") + 1] == f"prod-{region}"
        assert upgrade[upgrade.index("-n") + 1] == "voice"
        assert [upgrade[i + 1] for i, word in enumerate(upgrade) if word == "-f"] == [
            f"generated/prod/values/{region}.yaml"
        ]
        (rollback,) = [argv for argv in helm_argv(plan, region, "rollback") if argv[1] == "upgrade"]
        assert rollback[rollback.index("--version") + 1] == "100.0.1000073"
        assert [rollback[i + 1] for i, word in enumerate(rollback) if word == "-f"] == [
            f"generated/prod/rollback/values/{region}.yaml"
        ]
    assert run(capsys, "check", "--root", str(repo))[0] == 0


def test_vendor_sample_effective_values_keep_every_yaml_shape(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vs.edit(repo, vs.ENV, BASE, TARGET)
    compiled(repo, capsys)
    text = (repo / "generated/prod/values/eastus.yaml").read_text(encoding="utf-8")
    for line in (
        "    enable: 'true'\n",  # a string stays a string
        "  create: true\n",  # `yes` is a boolean in YAML 1.1 and in helm
        "    buildNumber: '0042'\n",
        "    description: null\n",  # null reaches helm: it deletes the chart's default
        "    featureFlags: {}\n",
        "    maintenanceDay: '2025-01-05'\n",
        "    quotaBytes: 18446744073709551616\n",
        "    prometheus.io/scrape: 'true'\n",
        "    kubernetes.io/os: linux\n",
        "      - emptyDir: {}\n",
        "      volumes: |\n        - name: dbpassword\n",
        "    homedc: eastus\n    masterdc: westus2\n",
        "    replicaCount: 2\n",
        "    tag: 100.0.1000076\n",
    ):
        assert line in text, line
    # The merge key gave readinessProbe the liveness probe's keys, its own two winning.
    assert "  readinessProbe:\n    checkInterval: 10\n    failureCount: 3\n    startupDelay: 100\n" in text


def test_vendor_sample_diff_is_typed_and_shows_null_apart_from_absence(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vs.edit(repo, vs.CHART_VALUES, 'gws:\n    enable: "true"', "gws:\n    enable: true")
    vs.edit(repo, vs.CHART_VALUES, "create: yes", "create: true")  # same value: no change
    vs.edit(repo, vs.CHART_VALUES, "    description: null\n", "")
    vs.edit(repo, vs.CHART_VALUES, 'buildNumber: "0042"', "buildNumber: 42")
    vs.edit(repo, vs.CHART_VALUES, 'environment: "prod"', "environment: null")
    plan = compiled(repo, capsys)
    diff = {entry["path"]: entry for entry in plan["regions"][0]["diff"]}
    assert sorted(diff) == [
        "tenant.general.buildNumber",
        "tenant.general.description",
        "tenant.general.environment",
        "tenant.gws.enable",
    ]
    assert (diff["tenant.gws.enable"]["old"], diff["tenant.gws.enable"]["new"]) == ("true", True)
    assert (diff["tenant.general.buildNumber"]["old"], diff["tenant.general.buildNumber"]["new"]) == ("0042", 42)
    assert diff["tenant.general.description"] == {
        "path": "tenant.general.description",
        "op": "removed",
        "secret": False,
        "old": None,
    }
    md = (repo / "generated/prod/plan.md").read_text(encoding="utf-8")
    assert '| `tenant.gws.enable` | changed | `"true"` | `true` |' in md
    assert '| `tenant.general.buildNumber` | changed | `"0042"` | `42` |' in md
    assert "| `tenant.general.description` | removed | `null` |  |" in md
    assert '| `tenant.general.environment` | changed | `"prod"` | `null` |' in md
    code, out, _ = run(capsys, "diff", "--root", str(repo), "--exit-code")
    assert code == 3
    assert "- tenant.general.description: null" in out and '~ tenant.gws.enable: "true" → true' in out


def test_vendor_sample_pin_back_and_uninstall(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vs.edit(repo, vs.ENV, BASE, TARGET)
    vs.edit(repo, vs.region_file("eastus"), "replicas: 2\n", "replicas: 2\npin:\n  version: '100.0.1000073'\n")
    vs.edit(repo, vs.region_file("uksouth"), "replicas: 2\n", "replicas: 2\nstate: absent\n")
    plan = compiled(repo, capsys)
    changes = {r["name"]: r["change"] for r in plan["regions"]}
    assert changes == {"westus2": "upgrade", "eastus": "noop", "uksouth": "uninstall"}
    assert helm_argv(plan, "eastus") == []
    uninstall = ["helm", "uninstall", "t100", "--kube-context", "prod-uksouth", "-n", "voice"]
    assert uninstall in helm_argv(plan, "uksouth", "uninstall")
    assert (repo / "generated/prod/uninstall.sh").is_file()
    md = (repo / "generated/prod/plan.md").read_text(encoding="utf-8")
    assert "eastus is held by its pin at 100.0.1000073" in md


def test_vendor_sample_image_only_change_sets_every_tag_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = vs.deployed(tmp_path / "repo", "100.0.1000071")
    vs.edit(repo, vs.ENV, "version: '100.0.1000071'", "version: '100.0.1000071.2'")
    plan = compiled(repo, capsys)
    assert {r["change"] for r in plan["regions"]} == {"image-only"}
    (upgrade,) = [argv for argv in helm_argv(plan, "westus2") if argv[1] == "upgrade"]
    sets = [upgrade[i + 1] for i, word in enumerate(upgrade) if word == "--set"]
    assert sets == [
        f"{path}=100.0.1000071.2" for path in ("images.tenant.tag", "images.pgdbInit.tag", "images.pulseInit.tag")
    ]


def test_vendor_sample_n2_violation_blocks_with_the_place(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = vs.deployed(tmp_path / "repo", "100.0.1000061")
    vs.edit(repo, vs.ENV, "version: '100.0.1000061'", "version: '100.0.1000067'")
    code, _, err = run(capsys, "compile", "--root", str(repo))
    assert code == 1
    assert f"{vs.ENV}:2:" in err and "100.0.1000067" in err and "N-2" in err
    assert not (repo / "generated").exists()


def test_vendor_sample_missing_prerequisite_names_region_component_and_versions(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vs.edit(repo, vs.ENV, BASE, TARGET)
    vs.edit(repo, vs.region_file("uksouth"), "redis: '7.2.4'", "redis: '6.2.14'")
    code, _, err = run(capsys, "compile", "--root", str(repo))
    assert code == 1
    assert vs.region_file("uksouth") in err and "uksouth" in err and "redis" in err
    assert "6.2.14" in err and ">=7.2" in err
    assert not (repo / "generated").exists()
