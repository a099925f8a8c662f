"""Two environments that would act on one release, or write one GitOps object, are refused at the later one."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import vendor_sample as vs
from support.treeutil import write_tree

from compiler import cli
from compiler.repo import gitio


def environment_copy(
    name: str, *, rename: dict[str, str] | None = None, context_prefix: str | None = None
) -> dict[str, str]:
    """The sample's prod environment as environment ``name``: regions renamed by ``rename``, contexts re-prefixed."""
    rename = rename or {}
    copied: dict[str, str] = {}
    for path, text in vs.files().items():
        if not path.startswith("environments/prod/"):
            continue
        for old, new in rename.items():
            path = path.replace(f"/{old}.yaml", f"/{new}.yaml")
            text = text.replace(old, new)
        if context_prefix is not None:
            text = text.replace("context: prod-", f"context: {context_prefix}-")
        copied[path.replace("environments/prod/", f"environments/{name}/")] = text.replace(
            "environments/prod/", f"environments/{name}/"
        )
    return copied


def repository(root: Path, *environments: dict[str, str]) -> Path:
    notes = {path: text for path, text in vs.files().items() if path.startswith("release-notes/")}
    tree = dict(notes)
    for files in environments:
        tree.update(files)
    write_tree(root, tree)
    gitio.init_with_commit(root, "Deployed state")
    return root


def validate(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = cli.main(["validate", "--root", str(root)])
    return code, capsys.readouterr().err


def test_clashes_joined_object_names_of_two_environments_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # t100 + prod + eu-west and t100 + prod-eu + west are both "t100-prod-eu-west".
    prod = environment_copy("prod", rename={"uksouth": "eu-west"})
    prod_eu = environment_copy("prod-eu", rename={"uksouth": "west"}, context_prefix="eu")
    code, err = validate(repository(tmp_path / "repo", prod, prod_eu), capsys)
    assert code == 1
    assert (
        "error: environments/prod-eu/regions/west.yaml:1:7: name: Argo CD object name 't100-prod-eu-west' "
        "(namespace 'argocd') of region 'west' of environment 'prod-eu' is also the name for region 'eu-west' "
        "of environment 'prod': both would write one object"
    ) in err
    assert err.count("object name") == 1


def test_clashes_environment_object_name_equal_to_a_region_object_name_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The parent Application of environment prod-eu is "t100-prod-eu"; so is region eu of environment prod.
    prod = environment_copy("prod", rename={"uksouth": "eu"})
    prod_eu = environment_copy("prod-eu", context_prefix="eu")
    code, err = validate(repository(tmp_path / "repo", prod, prod_eu), capsys)
    assert code == 1
    assert "error: environments/prod-eu/environment.yaml:3:10: release: Argo CD object name 't100-prod-eu'" in err
    assert "of environment 'prod-eu' is also the name for region 'eu' of environment 'prod'" in err


def test_clashes_two_environments_on_one_context_release_and_namespace_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = validate(repository(tmp_path / "repo", environment_copy("prod"), environment_copy("staging")), capsys)
    assert code == 1
    assert (
        "error: environments/staging/regions/eastus.yaml:4:12: cluster.context: region 'eastus' of environment "
        "'prod' runs release 't100' in namespace 'voice' on kube context 'prod-eastus' too"
    ) in err
    assert err.count("cluster.context") == 3


def test_clashes_same_contexts_with_another_namespace_are_fine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    staging = environment_copy("staging")
    spec = "environments/staging/environment.yaml"
    staging[spec] = staging[spec].replace("namespace: voice", "namespace: voice-staging")
    code, err = validate(repository(tmp_path / "repo", environment_copy("prod"), staging), capsys)
    assert code == 0, err
