"""The paths rollplan sets (image tags, replica count) may not cross a value a values file sets."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import vendor_sample as vs

from compiler import cli


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
