"""The worked example (environments/, release-notes/) and the demo's pending change on top of it."""

from __future__ import annotations

import posixpath
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from compiler.repo.example import DEMO_EDITS, TextEdit, apply_demo_change, apply_edit
from compiler.resolve.secrets import secret_leaves
from compiler.spec.models import EnvironmentSpec, RegionSpec, ReleaseNote

ROOT = Path(__file__).resolve().parents[2]
MODELINE = "# yaml-language-server: $schema="
SCHEMA_OF_KIND = {
    "environment": "environment.schema.json",
    "region": "region.schema.json",
    "release-note": "release-note.schema.json",
}


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def env_dirs(root: Path = ROOT) -> list[Path]:
    return sorted(p.parent for p in (root / "environments").glob("*/environment.yaml"))


def spec_files(root: Path = ROOT) -> list[tuple[Path, str]]:
    """Every spec file of the example with its kind."""
    files = [(d / "environment.yaml", "environment") for d in env_dirs(root)]
    files += [(p, "region") for d in env_dirs(root) for p in sorted((d / "regions").glob("*.yaml"))]
    files += [(p, "release-note") for p in sorted((root / "release-notes").glob("*/*.yaml"))]
    return files


def notes(root: Path = ROOT) -> dict[str, ReleaseNote]:
    loaded = (ReleaseNote.model_validate(load(p)) for p in (root / "release-notes" / "tenant").glob("*.yaml"))
    return {note.version: note for note in loaded}


def env_spec(name: str, root: Path = ROOT) -> EnvironmentSpec:
    return EnvironmentSpec.model_validate(load(root / "environments" / name / "environment.yaml"))


def regions(name: str, root: Path = ROOT) -> list[RegionSpec]:
    files = sorted((root / "environments" / name / "regions").glob("*.yaml"))
    return [RegionSpec.model_validate(load(p)) for p in files]


def newest_three(all_notes: dict[str, ReleaseNote]) -> list[str]:
    ordered = sorted(all_notes.values(), key=lambda n: n.released)
    return [n.version for n in ordered[-3:]]


def meets(installed: str, spec: str) -> bool:
    return SpecifierSet(spec).contains(Version(installed))


def has_path(doc: Any, dotted: str) -> bool:
    for key in dotted.split("."):
        if not isinstance(doc, dict) or key not in doc:
            return False
        doc = doc[key]
    return True


def notes_requiring(component: str, spec: str) -> list[str]:
    return [n.version for n in notes().values() if n.requires.get(component) == spec]


@pytest.fixture
def demo_root(tmp_path: Path) -> Path:
    for folder in ("environments", "release-notes"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


def test_example_data_has_prod_and_staging() -> None:
    assert [d.name for d in env_dirs()] == ["prod", "staging"]


def test_example_data_environment_files_validate() -> None:
    for folder in env_dirs():
        spec = EnvironmentSpec.model_validate(load(folder / "environment.yaml"))
        assert spec.service == "tenant"
        assert spec.version in notes(), f"{folder.name}: no release note for {spec.version}"


def test_example_data_region_files_validate_with_one_primary() -> None:
    for folder in env_dirs():
        for path in sorted((folder / "regions").glob("*.yaml")):
            assert RegionSpec.model_validate(load(path)).name == path.stem
        assert sum(r.primary for r in regions(folder.name)) == 1, folder.name


def test_example_data_release_notes_validate_and_match_file_names() -> None:
    for path in sorted((ROOT / "release-notes" / "tenant").glob("*.yaml")):
        note = ReleaseNote.model_validate(load(path))
        assert note.version == path.name.removesuffix(".yaml")
        assert note.notes.strip(), f"{path.name}: empty notes"


@pytest.mark.parametrize(("path", "kind"), spec_files(), ids=lambda v: v.name if isinstance(v, Path) else v)
def test_example_data_modeline_points_at_schema(path: Path, kind: str) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith(MODELINE), f"{path}: first line is not a yaml-language-server modeline"
    target = first.removeprefix(MODELINE)
    assert posixpath.basename(target) == SCHEMA_OF_KIND[kind]
    assert (path.parent / target).resolve() == ROOT / "schemas" / SCHEMA_OF_KIND[kind]


def test_example_data_values_files_exist_and_have_no_modeline() -> None:
    for folder in env_dirs():
        env = env_spec(folder.name)
        referenced = {*env.values, *(v for r in regions(folder.name) for v in r.values)}
        on_disk = {p.relative_to(ROOT).as_posix() for p in (folder / "values").rglob("*.yaml")}
        assert referenced == on_disk, f"{folder.name}: referenced and present values files differ"
        for rel in on_disk:
            assert MODELINE not in (ROOT / rel).read_text(encoding="utf-8"), rel
            assert isinstance(load(ROOT / rel), dict), rel


def test_example_data_values_files_leave_owned_fields_to_the_spec() -> None:
    for folder in env_dirs():
        env = env_spec(folder.name)
        for path in sorted((folder / "values").rglob("*.yaml")):
            doc = load(path)
            for owned in (*env.image.paths, env.paths.replicas):
                assert not has_path(doc, owned), f"{path.name} sets {owned}, which the spec owns"


def test_example_data_values_files_hold_no_plaintext_secret() -> None:
    for folder in env_dirs():
        env = env_spec(folder.name)
        for path in sorted((folder / "values").rglob("*.yaml")):
            assert secret_leaves(load(path), env.secrets) == [], path


def test_example_data_secret_rules_see_the_references() -> None:
    # The check above must be able to fail: a plaintext password would be caught.
    env = env_spec("prod")
    doc = {"tenant": {"redis": {"password": "x"}, "pgdb": {"dbpassword": "y", "dbpasswordFile": "/p"}}}
    assert secret_leaves(doc, env.secrets) == ["tenant.pgdb.dbpassword", "tenant.redis.password"]


def test_example_data_release_story_holds() -> None:
    all_notes = notes()
    assert len(all_notes) >= 6
    assert any(n.critical_security_fix for n in all_notes.values())
    assert any(n.database_migration == "irreversible" for n in all_notes.values())
    by_date = [n.version for n in sorted(all_notes.values(), key=lambda n: n.released)]
    assert len({n.released for n in all_notes.values()}) == len(all_notes), "release dates must be distinct"
    assert by_date != sorted(all_notes), "one pair must sort differently by date than by version string"
    hotfix, base = all_notes["100.0.1000071.2"], all_notes["100.0.1000071"]
    assert (hotfix.chart_version, hotfix.image_tag != base.image_tag) == (base.chart_version, True)


def test_example_data_staging_cannot_take_the_redis_release() -> None:
    needs_redis = notes_requiring("redis", ">=7.2")
    assert needs_redis, "some release must require Redis 7.2"
    (staging,) = regions("staging")
    assert not meets(staging.third_party["redis"], ">=7.2")


def test_example_data_deployed_versions() -> None:
    assert env_spec("prod").version == "100.0.1000067"
    assert env_spec("staging").version == "100.0.1000071"


def test_example_data_demo_edits_apply_and_still_validate(demo_root: Path) -> None:
    changed = apply_demo_change(demo_root)
    assert changed == sorted({e.file for e in DEMO_EDITS})
    for edit in DEMO_EDITS:
        assert edit.new in (demo_root / edit.file).read_text(encoding="utf-8")
    for path, kind in spec_files(demo_root):
        model = {"environment": EnvironmentSpec, "region": RegionSpec, "release-note": ReleaseNote}[kind]
        model.model_validate(load(path))
    for edit in DEMO_EDITS:
        assert isinstance(load(demo_root / edit.file), dict), edit.file


def test_example_data_demo_targets_are_supported_and_met(demo_root: Path) -> None:
    apply_demo_change(demo_root)
    all_notes = notes(demo_root)
    window = newest_three(all_notes)
    for env_name in ("prod", "staging"):
        target = all_notes[env_spec(env_name, demo_root).version]
        assert target.version in window, f"{env_name}: {target.version} outside N-2 {window}"
        for region in regions(env_name, demo_root):
            for component, spec in target.requires.items():
                assert meets(region.third_party[component], spec), (env_name, region.name, component)


def test_example_data_demo_change_kinds(demo_root: Path) -> None:
    apply_demo_change(demo_root)
    all_notes = notes()
    prod_from, prod_to = all_notes[env_spec("prod").version], all_notes[env_spec("prod", demo_root).version]
    assert prod_from.chart_version != prod_to.chart_version
    assert prod_to.database_migration != "irreversible"
    assert len(regions("prod", demo_root)) > 1
    stg_from, stg_to = all_notes[env_spec("staging").version], all_notes[env_spec("staging", demo_root).version]
    assert (stg_from.chart_version, stg_from.image_tag != stg_to.image_tag) == (stg_to.chart_version, True)
    eastus = "environments/prod/values/regions/eastus.yaml"
    assert load(ROOT / eastus) != load(demo_root / eastus)


def test_example_data_demo_edit_applied_twice_raises(demo_root: Path) -> None:
    apply_demo_change(demo_root)
    with pytest.raises(RuntimeError, match=r"environments/prod/environment\.yaml"):
        apply_demo_change(demo_root)


def test_example_data_apply_edit_refuses_ambiguous_text() -> None:
    edit = TextEdit(file="x.yaml", old="a: 1\n", new="a: 2\n")
    assert apply_edit("a: 1\nb: 1\n", edit) == "a: 2\nb: 1\n"
    with pytest.raises(RuntimeError, match=r"x\.yaml.*found it 2 times"):
        apply_edit("a: 1\na: 1\n", edit)
