from __future__ import annotations

import contextlib
import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.treeutil import ENV_FILE, NOTE_FILE, PRIMARY_FILE, REGION_FILE, VALUES_FILE, minimal_repo_files, write_tree

from compiler.errors import InputError
from compiler.spec.load import PLAINTEXT_SECRET, Specs, WorkTree, load_specs
from compiler.spec.yamlio import MAX_FILE_BYTES


def make_repo(root: Path, changes: dict[str, str | bytes | None] | None = None) -> Path:
    """The minimal repository with ``changes`` applied (None removes a file)."""
    files: dict[str, str | bytes] = dict(minimal_repo_files())
    for path, content in (changes or {}).items():
        if content is None:
            files.pop(path, None)
        else:
            files[path] = content
    repo = root / "repo"
    write_tree(repo, files)
    return repo


def load(root: Path, changes: dict[str, str | bytes | None] | None = None) -> Specs:
    return load_specs(WorkTree(make_repo(root, changes)))


def problems(root: Path, changes: dict[str, str | bytes | None]) -> list[str]:
    """Every problem the load reports, as the user reads them."""
    with pytest.raises(InputError) as caught:
        load(root, changes)
    return [str(problem) for problem in caught.value.problems]


def replace_line(path: str, old: str, new: str) -> dict[str, str | bytes | None]:
    text = minimal_repo_files()[path]
    assert old in text
    return {path: text.replace(old, new)}


def test_load_minimal_repo(tmp_path: Path) -> None:
    specs = load(tmp_path)
    prod = specs.environments["prod"]
    assert [region.name for region in prod.regions] == ["eastus", "westus2"]
    assert prod.spec_file == ENV_FILE
    assert dict(prod.region_files) == {"eastus": REGION_FILE, "westus2": PRIMARY_FILE}
    assert prod.spec.version == "100.0.1000076"
    assert specs.release_notes["tenant"]["100.0.1000076"].released == datetime.date(2024, 5, 2)
    assert specs.values[VALUES_FILE]["tenant"]["deployment"] == {"replicaCount": 2}


def test_load_only_restricts_environments(tmp_path: Path) -> None:
    files = minimal_repo_files()
    staging = {
        path.replace("/prod/", "/staging/"): text.replace("prod", "staging")
        for path, text in files.items()
        if "/prod/" in path
    }
    repo = make_repo(tmp_path, dict(staging))
    assert sorted(load_specs(WorkTree(repo)).environments) == ["prod", "staging"]
    assert sorted(load_specs(WorkTree(repo), only=["staging"]).environments) == ["staging"]


def test_load_unknown_environment_lists_known_ones(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    with pytest.raises(InputError) as caught:
        load_specs(WorkTree(repo), only=["qa"])
    assert [str(p) for p in caught.value.problems] == ["environments: unknown environment 'qa' (known: prod)"]


def test_load_no_environments(tmp_path: Path) -> None:
    assert problems(tmp_path, {ENV_FILE: None}) == ["environments: no environments/<env>/environment.yaml found"]


def test_load_unknown_key(tmp_path: Path) -> None:
    changes = replace_line(REGION_FILE, "replicas: 2\n", "replicas: 2\nzone: a\n")
    expected = (
        "environments/prod/regions/eastus.yaml:6:1: zone: unknown key (expected one of: cluster, name, pin, "
        "primary, replicas, state, third_party, values)"
    )
    assert problems(tmp_path, changes) == [expected]


def test_load_unknown_nested_key_lists_that_level(tmp_path: Path) -> None:
    changes = replace_line(REGION_FILE, "  context: prod-eastus\n", "  context: prod-eastus\n  zone: a\n")
    expected = (
        "environments/prod/regions/eastus.yaml:5:3: cluster.zone: unknown key (expected one of: context, name, server)"
    )
    assert problems(tmp_path, changes) == [expected]


def test_load_duplicate_key(tmp_path: Path) -> None:
    changes = replace_line(REGION_FILE, "replicas: 2\n", "replicas: 2\nreplicas: 3\n")
    expected = "environments/prod/regions/eastus.yaml:6:1: duplicate key 'replicas' (first defined on line 5)"
    assert problems(tmp_path, changes) == [expected]


def test_load_wrong_type(tmp_path: Path) -> None:
    changes = replace_line(REGION_FILE, "replicas: 2\n", "replicas: many\n")
    expected = "environments/prod/regions/eastus.yaml:5:11: replicas: Input should be a valid integer (found a string)"
    assert problems(tmp_path, changes) == [expected]


def test_load_number_where_text_is_expected_says_quote_it(tmp_path: Path) -> None:
    changes = replace_line(REGION_FILE, "postgresql: '15.6'", "postgresql: 15.6")
    expected = (
        "environments/prod/regions/eastus.yaml:7:15: third_party.postgresql: Input should be a valid string "
        "(found a number; quote it to make it text)"
    )
    assert problems(tmp_path, changes) == [expected]


def test_load_missing_required_key(tmp_path: Path) -> None:
    changes = replace_line(REGION_FILE, "  context: prod-eastus\n", "")
    expected = "environments/prod/regions/eastus.yaml:3:3: cluster.context: required key is missing"
    assert problems(tmp_path, changes) == [expected]


def test_load_yaml_syntax_error(tmp_path: Path) -> None:
    changes = replace_line(REGION_FILE, "replicas: 2\n", "replicas: [2\n")
    expected = (
        "environments/prod/regions/eastus.yaml:6:12: YAML syntax error: did not find expected ',' or ']' "
        "(while parsing a flow sequence)"
    )
    assert problems(tmp_path, changes) == [expected]


def test_load_alias_bomb(tmp_path: Path) -> None:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"{new}: &{new} [{', '.join([f'*{old}'] * 9)}]" for old, new in zip("abcdefgh", "bcdefghi", strict=True)]
    (message,) = problems(tmp_path, {VALUES_FILE: "\n".join(lines) + "\n"})
    assert message == "environments/prod/values/common.yaml:5:8: aliases expand to more than 10000 nodes"


def test_load_oversized_file(tmp_path: Path) -> None:
    huge = b"a: " + b"x" * MAX_FILE_BYTES + b"\n"
    assert problems(tmp_path, {VALUES_FILE: huge}) == [
        "environments/prod/values/common.yaml:1:1: file is larger than 5 MiB"
    ]


def test_load_worktree_reads_at_most_one_byte_past_the_bound(tmp_path: Path) -> None:
    write_tree(tmp_path, {"big.yaml": b"x" * (MAX_FILE_BYTES * 2)})
    assert len(WorkTree(tmp_path).read("big.yaml") or b"") == MAX_FILE_BYTES + 1


def test_load_binary_file(tmp_path: Path) -> None:
    binary = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    expected = "environments/prod/regions/eastus.yaml:3:1: not UTF-8 text (a NUL byte: binary file?)"
    assert problems(tmp_path, {REGION_FILE: binary}) == [expected]


def test_load_non_utf8_file(tmp_path: Path) -> None:
    latin1 = minimal_repo_files()[REGION_FILE].replace("name: eastus", "name: eastus # \u00e9t\u00e9").encode("latin-1")
    assert problems(tmp_path, {REGION_FILE: latin1}) == ["environments/prod/regions/eastus.yaml:1:16: not UTF-8 text"]


def test_load_empty_file(tmp_path: Path) -> None:
    expected = "environments/prod/regions/eastus.yaml:1:1: empty file, expected a mapping"
    assert problems(tmp_path, {REGION_FILE: "# nothing yet\n"}) == [expected]


def test_load_environment_name_not_dns_label(tmp_path: Path) -> None:
    files = {path.replace("/prod/", "/Prod_EU/"): text for path, text in minimal_repo_files().items()}
    files[ENV_FILE.replace("/prod/", "/Prod_EU/")] = files[ENV_FILE.replace("/prod/", "/Prod_EU/")].replace(
        "environments/prod/", "environments/Prod_EU/"
    )
    write_tree(tmp_path, dict(files))
    with pytest.raises(InputError) as caught:
        load_specs(WorkTree(tmp_path))
    expected = (
        "environments/Prod_EU/environment.yaml:1:1: environment name 'Prod_EU' (its folder name) "
        "is not a DNS-1123 label"
    )
    assert [str(p) for p in caught.value.problems] == [expected]


def test_load_values_path_escaping_the_repo(tmp_path: Path) -> None:
    changes = replace_line(ENV_FILE, "  - environments/prod/values/common.yaml\n", "  - ../../etc/passwd\n")
    expected = "environments/prod/environment.yaml:9:5: values.0: '../../etc/passwd' leaves the repository"
    assert problems(tmp_path, changes) == [expected]


def test_load_symlink_out_of_the_repo_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {VALUES_FILE: None})
    outside = tmp_path / "outside.yaml"
    outside.write_text("a: 1\n", encoding="utf-8")
    (repo / VALUES_FILE).parent.mkdir(parents=True)
    (repo / VALUES_FILE).symlink_to(outside)
    with pytest.raises(InputError) as caught:
        load_specs(WorkTree(repo))
    expected = "environments/prod/values/common.yaml:1:1: symlink to a place outside the repository"
    assert [str(p) for p in caught.value.problems] == [expected]


def test_load_region_name_differs_from_file_stem(tmp_path: Path) -> None:
    changes = replace_line(REGION_FILE, "name: eastus\n", "name: eastus2\n")
    expected = (
        "environments/prod/regions/eastus.yaml:1:7: name: region name 'eastus2' must equal the file name 'eastus'"
    )
    assert problems(tmp_path, changes) == [expected]


def test_load_zero_primaries(tmp_path: Path) -> None:
    changes = replace_line(PRIMARY_FILE, "primary: true\n", "")
    expected = (
        "environments/prod/environment.yaml:1:1: no primary region: set 'primary: true' in exactly one of "
        "environments/prod/regions/eastus.yaml, environments/prod/regions/westus2.yaml"
    )
    assert problems(tmp_path, changes) == [expected]


def test_load_two_primaries(tmp_path: Path) -> None:
    changes = replace_line(REGION_FILE, "replicas: 2\n", "replicas: 2\nprimary: true\n")
    files = "environments/prod/regions/eastus.yaml, environments/prod/regions/westus2.yaml"
    assert problems(tmp_path, changes) == [
        f"environments/prod/regions/eastus.yaml:6:10: primary: 2 primary regions ({files}); exactly one is allowed",
        f"environments/prod/regions/westus2.yaml:2:10: primary: 2 primary regions ({files}); exactly one is allowed",
    ]


def test_load_rollout_order_names_unknown_and_repeated_regions(tmp_path: Path) -> None:
    changes = replace_line(ENV_FILE, "    - eastus\n", "    - eastus\n    - eastus\n    - northpole\n")
    assert problems(tmp_path, changes) == [
        "environments/prod/environment.yaml:13:7: rollout.order.1: region 'eastus' is listed twice",
        "environments/prod/environment.yaml:14:7: rollout.order.2: unknown region 'northpole' "
        "(regions: eastus, westus2)",
    ]


def test_load_missing_values_file(tmp_path: Path) -> None:
    expected = (
        "environments/prod/environment.yaml:9:5: values.0: values file environments/prod/values/common.yaml not found"
    )
    assert problems(tmp_path, {VALUES_FILE: None}) == [expected]


def test_load_values_file_must_be_a_mapping(tmp_path: Path) -> None:
    expected = "environments/prod/values/common.yaml:1:1: expected a mapping, found a list"
    assert problems(tmp_path, {VALUES_FILE: "- a\n- b\n"}) == [expected]


def test_load_version_without_release_note(tmp_path: Path) -> None:
    changes = replace_line(ENV_FILE, "version: '100.0.1000076'", "version: '100.0.1000099'")
    expected = (
        "environments/prod/environment.yaml:2:10: version: no release note "
        "release-notes/tenant/100.0.1000099.yaml for version '100.0.1000099'"
    )
    assert problems(tmp_path, changes) == [expected]


def test_load_version_whose_release_note_is_refused_is_named_once_at_the_note(tmp_path: Path) -> None:
    note = minimal_repo_files()[NOTE_FILE]
    assert "released: " in note
    text = "".join("released: soon\n" if line.startswith("released: ") else line for line in note.splitlines(True))
    found = problems(tmp_path, {NOTE_FILE: text})
    assert len(found) == 1 and found[0].startswith(f"{NOTE_FILE}:") and "released" in found[0], found


def test_load_pinned_version_without_release_note(tmp_path: Path) -> None:
    changes = replace_line(REGION_FILE, "replicas: 2\n", "replicas: 2\npin:\n  version: '100.0.1000061'\n")
    expected = (
        "environments/prod/regions/eastus.yaml:7:12: pin.version: no release note "
        "release-notes/tenant/100.0.1000061.yaml for version '100.0.1000061'"
    )
    assert problems(tmp_path, changes) == [expected]


def test_load_release_note_file_name_differs_from_version(tmp_path: Path) -> None:
    note = minimal_repo_files()[NOTE_FILE]
    changes: dict[str, str | bytes | None] = {"release-notes/tenant/100.0.1000079.yaml": note}
    expected = (
        "release-notes/tenant/100.0.1000079.yaml:1:10: version: version '100.0.1000076' "
        "must equal the file name '100.0.1000079'"
    )
    assert problems(tmp_path, changes) == [expected]


def test_load_release_note_folder_differs_from_service(tmp_path: Path) -> None:
    changes: dict[str, str | bytes | None] = {"release-notes/voice/100.0.1000076.yaml": minimal_repo_files()[NOTE_FILE]}
    expected = (
        "release-notes/voice/100.0.1000076.yaml:1:1: service: service 'tenant' must equal the folder name 'voice'"
    )
    assert problems(tmp_path, changes) == [expected]


def test_load_plaintext_secret_is_refused_without_its_value(tmp_path: Path) -> None:
    values = minimal_repo_files()[VALUES_FILE] + "  redis:\n    password: hunter2-s3cr3t\n"
    (message,) = problems(tmp_path, {VALUES_FILE: values})
    assert message == ("environments/prod/values/common.yaml:12:15: tenant.redis.password: " + PLAINTEXT_SECRET)
    assert "hunter2" not in message


def test_load_secret_rules_come_from_the_environment(tmp_path: Path) -> None:
    env = minimal_repo_files()[ENV_FILE] + "secrets:\n  paths:\n    - tenant.secrets\n"
    (message,) = problems(tmp_path, {ENV_FILE: env})
    assert message == (
        "environments/prod/values/common.yaml:10:21: tenant.secrets.pgdb.pwd.secretName: " + PLAINTEXT_SECRET
    )


def test_load_empty_secret_and_secret_references_are_fine(tmp_path: Path) -> None:
    values = minimal_repo_files()[VALUES_FILE] + "  redis:\n    password: ''\n    tokenSecretName: t100-redis\n"
    specs = load(tmp_path, {VALUES_FILE: values})
    assert specs.values[VALUES_FILE]["tenant"]["redis"]["password"] == ""


def test_load_reports_every_problem_of_the_run_sorted(tmp_path: Path) -> None:
    changes: dict[str, str | bytes | None] = {
        **replace_line(ENV_FILE, "release: t100", "release: T100"),
        **replace_line(REGION_FILE, "replicas: 2\n", "replicas: 2\nzone: a\n"),
        **replace_line(PRIMARY_FILE, "replicas: 3", "replicas: 0"),
        "release-notes/tenant/100.0.1000079.yaml": "version: '100.0.1000079'\nreleased: someday\n",
    }
    found = problems(tmp_path, changes)
    assert [message.split(": ", 1)[0] for message in found] == [
        "environments/prod/environment.yaml:3:10",
        "environments/prod/regions/eastus.yaml:6:1",
        "environments/prod/regions/westus2.yaml:6:11",
        "release-notes/tenant/100.0.1000079.yaml:1:1",
        "release-notes/tenant/100.0.1000079.yaml:1:1",
        "release-notes/tenant/100.0.1000079.yaml:2:11",
    ]
    assert "release: 'T100' is not a DNS-1123 label" in found[0]
    assert "chart_version: required key is missing" in found[3]
    assert "image_tag: required key is missing" in found[4]


def test_load_rollout_order_must_not_name_the_primary(tmp_path: Path) -> None:
    changes = replace_line(ENV_FILE, "    - eastus\n", "    - westus2\n")
    expected = (
        "environments/prod/environment.yaml:12:7: rollout.order.0: 'westus2' is the primary region, "
        "which always goes first: do not list it"
    )
    assert problems(tmp_path, changes) == [expected]


def test_load_yml_region_file_is_refused(tmp_path: Path) -> None:
    changes: dict[str, str | bytes | None] = {
        REGION_FILE: None,
        REGION_FILE.replace(".yaml", ".yml"): minimal_repo_files()[REGION_FILE],
    }
    assert problems(tmp_path, changes) == [
        "environments/prod/environment.yaml:12:7: rollout.order.0: unknown region 'eastus' (regions: westus2)",
        "environments/prod/regions/eastus.yml:1:1: region files end in .yaml",
    ]


def test_load_only_skips_problems_of_other_environments(tmp_path: Path) -> None:
    broken = minimal_repo_files()[ENV_FILE].replace("release: t100", "release: T100")
    repo = make_repo(tmp_path, {"environments/qa/environment.yaml": broken})
    assert sorted(load_specs(WorkTree(repo), only=["prod"]).environments) == ["prod"]
    with pytest.raises(InputError):
        load_specs(WorkTree(repo))


class DictSource:
    """A Source over an in-memory tree: lets one test load thousands of variants quickly."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def read(self, path: str) -> bytes | None:
        return self.files.get(path)

    def list_dir(self, path: str) -> list[str] | None:
        prefix = path.rstrip("/") + "/"
        names = {name[len(prefix) :].split("/", 1)[0] for name in self.files if name.startswith(prefix)}
        return sorted(names) or None

    def display(self, path: str) -> str:
        return f"REV:{path}"


def test_load_other_sources_name_files_their_way() -> None:
    files = {path: text.encode() for path, text in minimal_repo_files().items()}
    files[REGION_FILE] = files[REGION_FILE].replace(b"replicas: 2", b"replicas: 0")
    with pytest.raises(InputError) as caught:
        load_specs(DictSource(files))
    expected = "REV:environments/prod/regions/eastus.yaml:5:11: replicas: Input should be greater than or equal to 1"
    assert [str(p) for p in caught.value.problems] == [expected]


_YAMLISH = st.text(st.sampled_from(list("ab:-[]{}&*!|>'\"#\n\t 0.1<?~,%@`\x00é")), max_size=60)


@settings(max_examples=300, deadline=None)
@given(region=_YAMLISH, values=st.binary(max_size=40) | _YAMLISH.map(str.encode))
def test_load_any_input_is_accepted_or_an_input_error(region: str, values: bytes) -> None:
    files = {path: text.encode() for path, text in minimal_repo_files().items()}
    files[REGION_FILE] = region.encode()
    files[VALUES_FILE] = values
    with contextlib.suppress(InputError):
        load_specs(DictSource(files))


def test_load_worktree_refuses_paths_out_of_the_root(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        WorkTree(tmp_path).read("environments/../../secret.yaml")
    assert [str(p) for p in caught.value.problems] == ["environments/../../secret.yaml:1:1: path leaves the repository"]


def test_load_worktree_refuses_symlink_loops(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    with pytest.raises(InputError) as caught:
        WorkTree(tmp_path).read("a.yaml")
    assert [str(p) for p in caught.value.problems] == ["a.yaml:1:1: cannot resolve (symlink loop?)"]


def test_load_worktree_absent_entries_are_none(tmp_path: Path) -> None:
    write_tree(tmp_path, {"environments/prod/environment.yaml": "a: 1\n"})
    tree = WorkTree(tmp_path)
    assert tree.read("environments/qa/environment.yaml") is None
    assert tree.list_dir("environments/qa") is None
    assert tree.list_dir("environments/prod/environment.yaml") is None
    assert tree.list_dir("environments") == ["prod"]


def test_load_repo_url_required_for_argocd_output(tmp_path: Path) -> None:
    text = minimal_repo_files()[ENV_FILE]
    without = text.split("gitops:\n")[0]
    found = problems(tmp_path, {ENV_FILE: without})
    assert found == [
        "environments/prod/environment.yaml:1:1: gitops.argocd.repo_url: required key is missing: Argo CD output "
        "is written (gitops.controllers); expected the URL this repository is cloned from"
    ]
    flux_only = load(tmp_path / "flux", {ENV_FILE: without + "gitops:\n  controllers: [flux]\n"})
    assert flux_only.environments["prod"].spec.gitops.argocd.repo_url is None


def test_load_repo_url_missing_is_located_at_its_parent(tmp_path: Path) -> None:
    text = minimal_repo_files()[ENV_FILE].split("gitops:\n")[0] + "gitops:\n  argocd:\n    project: tenant\n"
    found = problems(tmp_path, {ENV_FILE: text})
    assert len(found) == 1 and found[0].startswith("environments/prod/environment.yaml:15:5: gitops.argocd.repo_url:")


def test_load_two_regions_on_one_cluster_are_refused(tmp_path: Path) -> None:
    found = problems(tmp_path, replace_line(REGION_FILE, "name: aks-eastus", "name: aks-westus2"))
    assert found == [
        "environments/prod/regions/westus2.yaml:4:9: cluster.name: region 'eastus' runs on cluster 'aks-westus2' "
        "too, with the same release 't100' in namespace 'voice'; expected its own cluster"
    ]


def test_load_two_regions_on_one_server_are_refused(tmp_path: Path) -> None:
    server = "  server: https://k8s.example.com\n"
    changes = replace_line(REGION_FILE, "  context: prod-eastus\n", server + "  context: prod-eastus\n")
    changes |= replace_line(PRIMARY_FILE, "  context: prod-westus2\n", server + "  context: prod-westus2\n")
    found = problems(tmp_path, changes)
    assert len(found) == 1 and "cluster.server: region 'eastus' runs on cluster 'https://k8s.example.com'" in found[0]


def test_load_base_side_needs_no_repo_url(tmp_path: Path) -> None:
    without = minimal_repo_files()[ENV_FILE].split("gitops:\n")[0]
    specs = load_specs(WorkTree(make_repo(tmp_path, {ENV_FILE: without})), output_checks=False)
    assert specs.environments["prod"].spec.gitops.argocd.repo_url is None


def test_load_region_removed_from_a_shared_cluster_is_refused(tmp_path: Path) -> None:
    changes = replace_line(REGION_FILE, "name: aks-eastus", "name: aks-westus2")
    changes[REGION_FILE] = str(changes[REGION_FILE]) + "state: absent\n"
    found = problems(tmp_path, changes)
    assert len(found) == 1 and "cluster.name: region 'eastus' runs on cluster 'aks-westus2' too" in found[0]
