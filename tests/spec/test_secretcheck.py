"""The secret checks of the spec files: spec-owned secret paths, and secrets written into spec fields."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.treeutil import ENV_FILE, PRIMARY_FILE, minimal_repo_files, write_tree

from compiler.errors import InputError
from compiler.spec.load import WorkTree, load_specs
from compiler.spec.secretcheck import found_secrets, masked


def _problems(tmp_path: Path, files: dict[str, str]) -> list[str]:
    write_tree(tmp_path / "repo", files)
    with pytest.raises(InputError) as caught:
        load_specs(WorkTree(tmp_path / "repo"))
    return [str(problem) for problem in caught.value.problems]


@pytest.mark.parametrize(
    ("declared", "owner", "advice"),
    [
        ("images.tenant.tag", "the image tag (image.paths)", "Remove it from secrets.paths"),
        ("images", "the image tag (image.paths)", "list the secret paths beside it one by one"),
        ("tenant.deployment.replicaCount", "the replica count of each region (paths.replicas)", "Remove it"),
        ("tenant.deployment", "the replica count of each region (paths.replicas)", "one by one"),
    ],
)
def test_owned_secret_problems_a_spec_owned_path_is_refused_at_its_list_entry(
    tmp_path: Path, declared: str, owner: str, advice: str
) -> None:
    files = dict(minimal_repo_files())
    files[ENV_FILE] += f"secrets:\n  paths:\n    - db.password\n    - {declared}\n"
    lines = files[ENV_FILE].count("\n")
    problems = _problems(tmp_path, files)
    mine = [p for p in problems if "secrets.paths.1" in p]
    assert mine, problems
    assert mine[0].startswith(f"{ENV_FILE}:{lines}:7: secrets.paths.1: '{declared}'")
    assert owner in mine[0] and advice in mine[0]
    assert len(mine) == 1, "one problem per list entry"
    assert "removed from what helm receives" in mine[0]


def test_owned_secret_problems_a_custom_tag_path_and_an_unrelated_path_pass(tmp_path: Path) -> None:
    files = dict(minimal_repo_files())
    files[ENV_FILE] += (
        "image:\n  paths: [app.image.tag]\nsecrets:\n  paths:\n    - images.tenant.pass\n    - app.imageTag\n"
    )
    write_tree(tmp_path / "repo", files)
    load_specs(WorkTree(tmp_path / "repo"))  # beside the owned paths, and not over them


@pytest.mark.parametrize(
    ("field", "form"),
    [
        ("backup:\n  command: [pg_dump, --password, S3CR3T]\n", "a secret argument"),
        ("backup:\n  command: [sh, -c, 'pg_dump --password=S3CR3T t']\n", "a secret parameter"),
        ("backup:\n  command: [psql, 'host=db user=u password=S3CR3T']\n", "a secret parameter"),
        ("backup:\n  restore_command: [sqlcmd, 'Server=db;User Id=u;Pwd=S3CR3T;']\n", "a secret parameter"),
        ("gitops:\n  argocd2: {}\n", None),
    ],
)
def test_found_secrets_in_spec_fields_are_refused_without_the_value(
    tmp_path: Path, field: str, form: str | None
) -> None:
    files = dict(minimal_repo_files())
    files[ENV_FILE] += field
    problems = _problems(tmp_path, files)
    assert not any("S3CR3T" in p for p in problems)
    if form is not None:
        assert any(ENV_FILE in p and f"holds {form}" in p for p in problems), problems


def test_found_secrets_in_a_region_file_key_and_value(tmp_path: Path) -> None:
    files = dict(minimal_repo_files())
    files[PRIMARY_FILE] = files[PRIMARY_FILE].replace(
        "  context: prod-westus2\n",
        "  context: prod-westus2\n  server: https://ghp_S3CR3Tabcdefghijklmnop@api.example.com\n",
    )
    problems = _problems(tmp_path, files)
    assert any(
        p.startswith(f"{PRIMARY_FILE}:6:") and "cluster.server: holds a token as the user" in p for p in problems
    )
    assert not any("S3CR3T" in p for p in problems)


def test_masked_leaves_no_secret_and_keeps_everything_else() -> None:
    data = {"backup": {"command": ["pg_dump", "--password", "S3CR3T", "--token=T0KEN", "db"]}, "n": 3}
    assert [p for p, _ in found_secrets(data)] == [("backup", "command", 2), ("backup", "command", 3)]
    assert masked(data) == {
        "backup": {"command": ["pg_dump", "--password", "REDACTED", "--token=REDACTED", "db"]},
        "n": 3,
    }
    assert list(found_secrets(masked(data))) == []
