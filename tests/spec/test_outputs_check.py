"""One release per kube context: two regions naming one context would act on one release."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.treeutil import PRIMARY_FILE, REGION_FILE, minimal_repo_files, write_tree

from compiler.errors import InputError
from compiler.spec.load import WorkTree, load_specs


def test_outputs_check_two_regions_on_one_context_are_refused_at_the_second(tmp_path: Path) -> None:
    files = dict(minimal_repo_files())
    files[REGION_FILE] = files[REGION_FILE].replace("context: prod-eastus", "context: prod-westus2")
    write_tree(tmp_path, files)
    with pytest.raises(InputError) as caught:
        load_specs(WorkTree(tmp_path))
    found = [str(p) for p in caught.value.problems]
    assert len(found) == 1, found
    # Regions are read in name order: the second one (westus2) is where the clash is reported.
    assert found[0].startswith(f"{PRIMARY_FILE}:") and "cluster.context: region 'eastus' uses kube context" in found[0]


def test_outputs_check_distinct_contexts_load(tmp_path: Path) -> None:
    write_tree(tmp_path, dict(minimal_repo_files()))
    assert sorted(r.name for r in load_specs(WorkTree(tmp_path)).environments["prod"].regions) == ["eastus", "westus2"]
