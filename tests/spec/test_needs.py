"""`needs:` between environments: unknown names, self-references and cycles are refused where they are written."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.treeutil import NEEDS_LINE, multi_env_files, write_tree

from compiler.errors import InputError
from compiler.spec.load import WorkTree, load_specs


def problems(tmp_path: Path, needs: dict[str, list[str]], only: tuple[str, ...] = ()) -> list[str]:
    write_tree(tmp_path, dict(multi_env_files(needs)))
    with pytest.raises(InputError) as caught:
        load_specs(WorkTree(tmp_path), only=only)
    return [str(p) for p in caught.value.problems]


def test_needs_loads_when_every_name_is_known(tmp_path: Path) -> None:
    write_tree(tmp_path, dict(multi_env_files({"redis": [], "tenant": ["redis"]})))
    specs = load_specs(WorkTree(tmp_path))
    assert specs.environments["tenant"].spec.needs == ("redis",)


def test_needs_unknown_environment_is_located_and_lists_the_known_ones(tmp_path: Path) -> None:
    found = problems(tmp_path, {"redis": [], "tenant": ["redis", "voice"]})
    assert found == [
        f"environments/tenant/environment.yaml:{NEEDS_LINE + 2}:5: needs.1: "
        "unknown environment 'voice' (other environments: redis)"
    ]


def test_needs_unknown_name_when_no_other_environment_exists_says_so(tmp_path: Path) -> None:
    # The environment itself is no candidate: "environments: none" would deny that it exists.
    found = problems(tmp_path, {"tenant": ["staging"]})
    assert len(found) == 1 and found[0].endswith("unknown environment 'staging' (other environments: none)")


def test_needs_self_reference_is_refused(tmp_path: Path) -> None:
    found = problems(tmp_path, {"tenant": ["tenant"]})
    where = f"environments/tenant/environment.yaml:{NEEDS_LINE + 1}:5"
    assert found == [f"{where}: needs.0: environment 'tenant' cannot need itself"]


def test_needs_listed_twice_is_refused(tmp_path: Path) -> None:
    found = problems(tmp_path, {"redis": [], "tenant": ["redis", "redis"]})
    where = f"environments/tenant/environment.yaml:{NEEDS_LINE + 2}:5"
    assert found == [f"{where}: needs.1: environment 'redis' is listed twice"]


def test_needs_cycle_names_its_members_in_order_at_each_link(tmp_path: Path) -> None:
    found = problems(tmp_path, {"alpha": ["gamma"], "beta": ["alpha"], "gamma": ["beta"], "delta": ["alpha"]})
    message = "needs form a cycle: alpha → gamma → beta → alpha; remove one of these needs"
    assert found == [
        f"environments/alpha/environment.yaml:{NEEDS_LINE + 1}:5: needs.0: {message}",
        f"environments/beta/environment.yaml:{NEEDS_LINE + 1}:5: needs.0: {message}",
        f"environments/gamma/environment.yaml:{NEEDS_LINE + 1}:5: needs.0: {message}",
    ]


def test_needs_of_an_environment_not_selected_with_env_still_count_as_known(tmp_path: Path) -> None:
    write_tree(tmp_path, dict(multi_env_files({"redis": [], "tenant": ["redis"]})))
    specs = load_specs(WorkTree(tmp_path), only=("tenant",))
    assert sorted(specs.environments) == ["tenant"]


def test_needs_unknown_name_is_refused_even_with_env(tmp_path: Path) -> None:
    found = problems(tmp_path, {"redis": [], "tenant": ["ghost"]}, only=("tenant",))
    assert len(found) == 1 and "unknown environment 'ghost' (other environments: redis)" in found[0]


def test_needs_must_be_dns_labels(tmp_path: Path) -> None:
    found = problems(tmp_path, {"tenant": ["Not_A_Label"]})
    assert len(found) == 1 and found[0].startswith(f"environments/tenant/environment.yaml:{NEEDS_LINE + 1}:")
