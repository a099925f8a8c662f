"""The paths rollplan sets (image tags, replica count) may not cross a value a values file sets."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import vendor_sample as vs
from support.treeutil import write_tree

from compiler import cli
from compiler.pipeline import compile_repo
from compiler.render.markdown import render_plan_md
from compiler.repo import gitio


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return vs.deployed(tmp_path_factory.mktemp("vendor") / "repo")


@pytest.fixture
def repo(template: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    shutil.copytree(template, copy, symlinks=True)
    return copy


def validate(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = cli.main(["validate", "--root", str(root)])
    return code, capsys.readouterr().err


def test_owned_paths_tag_path_through_a_string_is_refused_at_both_places(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vs.edit(repo, vs.ENV, "    - images.pulseInit.tag", "    - images.registry.tag")
    code, err = validate(repo, capsys)
    assert code == 1
    assert (
        f"error: {vs.ENV}:12:7: image.paths.2: rollplan sets images.registry.tag here, which goes through "
        f"images.registry: {vs.CHART_VALUES}:7:13 sets that to a string"
    ) in err
    assert err.count("error:") == 1  # once, not once per region


def test_owned_paths_replicas_path_through_a_list_is_refused(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vs.edit(repo, vs.ENV, "gitops:\n", "paths:\n  replicas: tenant.logging.mounts.log.replicas\ngitops:\n")
    code, err = validate(repo, capsys)
    assert code == 1
    assert "paths.replicas: rollplan sets tenant.logging.mounts.log.replicas here" in err
    assert f"{vs.CHART_VALUES}:49:9 sets that to a list" in err


def test_owned_paths_region_file_that_sets_a_string_is_named(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    region_values = vs.region_values_file("uksouth")
    vs.edit(repo, region_values, "tenant:\n", "images:\n  pulseInit: disabled\ntenant:\n")
    code, err = validate(repo, capsys)
    assert code == 1
    assert f"goes through images.pulseInit: {region_values}:2:14 sets that to a string" in err


def test_owned_paths_null_or_a_later_mapping_on_the_way_is_fine(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vs.edit(repo, vs.CHART_VALUES, '  pulseInit:\n    enable: "true"\n    pulseMode: setup\n', "  pulseInit: off\n")
    vs.edit(repo, vs.RELEASE_VALUES, "images:\n", 'images:\n  pulseInit:\n    enable: "true"\n')
    vs.edit(repo, vs.region_values_file("eastus"), "tenant:\n", "images:\n  tenant: null\ntenant:\n")
    code, err = validate(repo, capsys)
    assert code == 0, err
    assert cli.main(["compile", "--root", str(repo)]) == 0
    eastus = (repo / "generated/prod/values/eastus.yaml").read_text(encoding="utf-8")
    assert "  pulseInit:\n    enable: 'true'\n    tag: 100.0.1000073\n" in eastus
    assert "  tenant:\n    tag: 100.0.1000073\n" in eastus


def tag_in_release_file(root: Path, tag: str) -> Path:
    """The sample estate deployed with its release file also setting the tenant image tag, as the vendor's does."""
    tree = vs.files()
    tree[vs.RELEASE_VALUES] = tree[vs.RELEASE_VALUES].replace("images:\n", f"images:\n  tenant:\n    tag: '{tag}'\n")
    write_tree(root, tree)
    gitio.init_with_commit(root, "Deployed state")
    return root


def test_owned_paths_values_file_setting_the_tag_is_a_plan_risk_naming_both_places(tmp_path: Path) -> None:
    root = tag_in_release_file(tmp_path / "repo", "100.0.1000070")
    vs.edit(root, vs.RELEASE_VALUES, "tag: '100.0.1000070'", "tag: '100.0.1000079'")
    plan = compile_repo(root).plans["prod"]
    assert {r.change for r in plan.regions} == {"noop"}  # the file's tag never reaches the chart
    [risk] = [r for r in plan.risks if "owned-path-override" in r]
    assert risk.startswith(f"{vs.RELEASE_VALUES}:4:10 sets images.tenant.tag, which rollplan sets from version")
    assert f"({vs.ENV}:" in risk and "changing it alone plans nothing" in risk
    assert f"{vs.RELEASE_VALUES}:4:10 sets images.tenant.tag" in render_plan_md(plan)


def test_owned_paths_values_file_setting_owned_paths_warns_in_validate_once_per_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tag_in_release_file(tmp_path / "repo", "100.0.1000073")
    vs.edit(root, vs.RELEASE_VALUES, "tenant:\n  sid:", "tenant:\n  deployment:\n    replicaCount: 5\n  sid:")
    code, err = validate(root, capsys)
    assert code == 0
    assert err.count("owned-path-override") == 2 and err.count("warning:") == 2, err
    assert f"warning: {vs.RELEASE_VALUES}:4:10 sets images.tenant.tag" in err
    assert "sets tenant.deployment.replicaCount, which rollplan sets from each region's replicas (" in err


def test_owned_paths_values_files_leaving_owned_paths_alone_plan_no_override_risk(template: Path) -> None:
    assert not [r for r in compile_repo(template).plans["prod"].risks if "owned-path-override" in r]
