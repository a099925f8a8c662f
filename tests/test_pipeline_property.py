"""Property: any specs and values, valid or not, go through load → plan → render → write without a bug.

Hypothesis writes whole repositories (environments, regions, values files and
release notes, on a base and a target side) from mostly plausible, sometimes
wrong, pieces. The pipeline may refuse them, but only with a RollplanError
(exit 1); what it accepts renders to the same bytes twice and is written
and compared back without a difference.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from support.treeutil import write_tree

from compiler.errors import RollplanError
from compiler.pipeline import env_inputs, fingerprints, render_environment
from compiler.plan.planner import plan_environment
from compiler.repo.writer import compare, write_folders
from compiler.spec.load import WorkTree, load_specs
from compiler.spec.yamlio import dump_yaml

VERSIONS = ("100.0.1", "100.0.2", "100.0.3", "100.0.4")
REGIONS = ("westus2", "eastus", "centralus")

_odd_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_word = st.sampled_from(["t100", "voice", "redis", "x", "Bad_Name", "", "a-b"]) | _odd_text
_shell_word = st.sampled_from(["pg_dump", "--all", "x y", "$(rm -rf /)", "'quoted'", "a\\b", "ünï", "*"])
_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(allow_nan=False, allow_infinity=False), _odd_text
)
_values = st.recursive(
    _scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_word, inner, max_size=4),
    max_leaves=12,
)


def _maybe(value: st.SearchStrategy[Any], wrong: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly ``value``, now and then something of the wrong kind."""
    return st.integers(0, 15).flatmap(lambda roll: wrong if roll == 15 else value)


_requirement = _maybe(st.sampled_from([">=7.0", ">=15"]), st.just("<6") | _odd_text)


@st.composite
def _note(draw: st.DrawFn, version: str, day: int) -> dict[str, Any]:
    return {
        "version": version,
        "released": f"2024-01-{day:02d}",
        "chart_version": version,
        "image_tag": version,
        "requires": draw(st.dictionaries(st.sampled_from(["redis", "postgresql"]), _requirement, max_size=2)),
        "database_migration": draw(st.sampled_from(["none", "reversible", "irreversible"])),
        "critical_security_fix": draw(_maybe(st.booleans(), _scalar)),
    }


@st.composite
def _region(draw: st.DrawFn, name: str, values: list[str], primary: bool, notes: list[str]) -> dict[str, Any]:
    region: dict[str, Any] = {
        "name": name,
        "primary": draw(_maybe(st.just(primary), _scalar)),
        "cluster": {"name": f"aks-{name}", "context": draw(_maybe(st.just(f"prod-{name}"), _odd_text))},
        "replicas": draw(_maybe(st.integers(1, 5), _scalar)),
        "third_party": {"redis": draw(_maybe(st.just("7.2.4"), st.just("6.0") | _odd_text))},
        "values": values,
    }
    if draw(st.booleans()):
        region["state"] = draw(_maybe(st.sampled_from(["present", "absent"]), _odd_text))
    if draw(st.integers(0, 4)) == 0:
        region["pin"] = {"version": draw(_maybe(st.sampled_from(notes), st.sampled_from(VERSIONS)))}
    return region


@st.composite
def repositories(draw: st.DrawFn) -> dict[str, str]:
    """The files of one side: environment prod, some regions, values files, release notes."""
    version = draw(st.sampled_from(VERSIONS))
    notes = {version, *draw(st.lists(st.sampled_from(VERSIONS), max_size=3))}
    files = {f"release-notes/tenant/{v}.yaml": dump_yaml(draw(_note(v, VERSIONS.index(v) + 1))) for v in notes}
    files["environments/prod/values/common.yaml"] = dump_yaml(
        {"images": {"tenant": {"tag": "x"}}, "tenant": draw(st.dictionaries(_word, _values, max_size=4))}
    )
    regions = draw(st.lists(st.sampled_from(REGIONS), min_size=1, max_size=3, unique=True))
    for name in regions:
        region_values = [f"environments/prod/values/{name}.yaml"] if draw(st.booleans()) else []
        for path in region_values:
            files[path] = dump_yaml(draw(st.dictionaries(_word, _values, min_size=1, max_size=3)))
        region = draw(_region(name, region_values, name == regions[0], sorted(notes)))
        files[f"environments/prod/regions/{name}.yaml"] = dump_yaml(region)
    env = {
        "service": "tenant",
        "version": draw(_maybe(st.just(version), st.sampled_from(VERSIONS))),
        "release": draw(_maybe(st.just("t100"), _word)),
        "namespace": "voice",
        "chart": {"name": "tenant", "repository": "oci://registry.example.com/charts"},
        "values": ["environments/prod/values/common.yaml"],
        "rollout": {"order": draw(_maybe(st.permutations(regions[1:]), st.lists(st.sampled_from(REGIONS))))},
        "backup": {"command": draw(_maybe(st.lists(_shell_word, min_size=1, max_size=3), _scalar | _odd_text))},
        "secrets": {"paths": draw(st.lists(st.sampled_from(["tenant.a", "tenant.b.c"]), max_size=2))},
    }
    files["environments/prod/environment.yaml"] = dump_yaml(env)
    return files


def run_pipeline(target_root: Path, base_root: Path | None) -> dict[str, dict[str, bytes]]:
    """load → plan → render for every environment, as compile_repo does (the base from a folder, not git)."""
    target = load_specs(WorkTree(target_root))
    base = load_specs(WorkTree(base_root)) if base_root is not None else None
    rendered: dict[str, dict[str, bytes]] = {}
    for name in sorted(target.environments):
        inputs = env_inputs(name, target, base)
        prints = fingerprints(inputs)
        rendered[name] = render_environment(plan_environment(inputs, prints["combined"]), prints)
    return rendered


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(target=repositories(), base=st.none() | repositories())
def test_pipeline_any_specs_end_in_output_or_an_input_error(
    target: dict[str, str], base: dict[str, str] | None
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_tree(root / "target", dict(target))
        if base is not None:
            write_tree(root / "base", dict(base))
        base_root = root / "base" if base is not None else None
        try:
            first = run_pipeline(root / "target", base_root)
        except RollplanError:
            event("refused")
            return
        event("rendered")
        assert run_pipeline(root / "target", base_root) == first
        generated = root / "target" / "generated"
        write_folders({generated / env: files for env, files in first.items()})
        for env, files in first.items():
            assert not compare(generated / env, files, f"generated/{env}")
