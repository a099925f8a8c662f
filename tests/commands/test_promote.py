"""`rollplan promote`: a staged rollout moved region by region on a real git repository."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import scenarios
from support.demorepo import commit_files, git, head, rollplan

from compiler.commands import promote
from compiler.repo.example import TextEdit

STAGED = TextEdit(scenarios.PROD_ENV, "gitops:\n", "gitops:\n  promotion: staged\n")
ORDER = ["westus2", "eastus", "centralus"]
BASE_TAG, TARGET_TAG = "100.0.1000067", "100.0.1000076"


@pytest.fixture
def merged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, str]:
    """prod deployed at 67 with staged promotion; the upgrade to 76 compiled and merged. Returns (repo, base)."""
    repo = scenarios.example_repo(tmp_path / "repo", base_edits=[STAGED])
    base = head(repo)
    scenarios.apply_edits(repo, [scenarios.prod_version(TARGET_TAG)])
    assert rollplan(capsys, "compile", "--root", str(repo), "--env", "prod").code == 0
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--message", "prod: upgrade to 76 (merged)")
    return repo, base


def _tags(repo: Path, folder: str = "flux") -> dict[str, str]:
    """Each region's chart tag in generated/prod/<folder>/, through its chartRef."""
    flux = repo / "generated/prod" / folder
    sources = {d["metadata"]["name"]: d for d in yaml.safe_load_all((flux / "sources.yaml").read_text())}
    tags = {}
    for region in ORDER:
        release: dict[str, Any] = yaml.safe_load((flux / f"{region}.yaml").read_text())
        tags[region] = sources[release["spec"]["chartRef"]["name"]]["spec"]["ref"]["tag"]
    return tags


def _stage(repo: Path) -> int:
    stage: int = json.loads((repo / "generated/prod/plan.json").read_text())["gitops"]["stage"]
    return stage


def _promote(capsys: pytest.CaptureFixture[str], repo: Path, *extra: str) -> Any:
    return rollplan(capsys, "promote", "--root", str(repo), "--env", "prod", "--confirm", "--commit", *extra)


def test_promote_staged_compile_writes_only_the_primary(merged: tuple[Path, str]) -> None:
    repo, base = merged
    assert _tags(repo) == {"westus2": TARGET_TAG, "eastus": BASE_TAG, "centralus": BASE_TAG}
    section = json.loads((repo / "generated/prod/plan.json").read_text())["gitops"]
    assert section == {
        "promotion": "staged",
        "base_commit": base,
        "stage": 1,
        "stages": [{"region": r, "change": "upgrade"} for r in ORDER],
    }
    plan_md = (repo / "generated/prod/plan.md").read_text()
    assert "- [x] stage 1: `westus2` (primary), upgrade\n- [ ] stage 2: `eastus`, upgrade" in plan_md
    # Every release passed through up to 76 includes a database migration: Flux must not roll back by itself.
    spec = yaml.safe_load((repo / "generated/prod/flux/westus2.yaml").read_text())["spec"]
    assert spec["upgrade"]["remediation"] == {"retries": 0, "remediateLastFailure": False}


def test_promote_forward_to_complete_and_back(merged: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    repo, base = merged
    before = head(repo)
    done = _promote(capsys, repo)
    assert done.code == 0, done.err
    assert _stage(repo) == 2
    assert _tags(repo) == {"westus2": TARGET_TAG, "eastus": TARGET_TAG, "centralus": BASE_TAG}
    assert git(repo, "log", "-1", "--format=%s").strip() == "rollplan: promote prod stage 2/3: eastus"
    assert git(repo, "rev-parse", "HEAD~1").strip() == before  # on the current branch, one commit
    assert all(p.startswith("generated/prod/") for p in commit_files(repo))
    fresh = rollplan(capsys, "check", "--root", str(repo), "--env", "prod", "--base", base)
    assert fresh.code == 0, fresh.err  # a recorded stage is fresh
    # Compiling against a half-promoted state would move the remaining regions at once.
    refused = rollplan(capsys, "compile", "--root", str(repo), "--env", "prod")
    assert refused.code == 1 and "stands at stage 2 of 3" in refused.err
    assert _promote(capsys, repo).code == 0
    assert _tags(repo) == dict.fromkeys(ORDER, TARGET_TAG)
    complete = _promote(capsys, repo)
    assert complete.code == 1 and "complete (3 of 3 stages promoted)" in complete.err
    messages = []
    for expected in (2, 1, 0):
        back = _promote(capsys, repo, "--rollback")
        assert back.code == 0, back.err
        assert _stage(repo) == expected
        messages.append(git(repo, "log", "-1", "--format=%s").strip())
    assert messages == [f"rollplan: roll back prod stage {n}/3: {r} to its base state" for n, r in
                        ((3, "centralus"), (2, "eastus"), (1, "westus2"))]  # fmt: skip
    assert _tags(repo) == dict.fromkeys(ORDER, BASE_TAG)
    flux = repo / "generated/prod"
    for region in ORDER:  # all the way back: the forward manifests are the rollback manifests
        assert (flux / f"flux/{region}.yaml").read_bytes() == (flux / f"rollback/flux/{region}.yaml").read_bytes()
        assert (flux / f"argocd/{region}.yaml").read_bytes() == (flux / f"rollback/argocd/{region}.yaml").read_bytes()
    nothing = _promote(capsys, repo, "--rollback")
    assert nothing.code == 1 and "nothing to roll back" in nothing.err


def test_promote_asks_without_confirm(merged: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    repo, _ = merged
    asked = rollplan(capsys, "promote", "--root", str(repo), "--env", "prod")
    assert asked.code == 2 and "Has westus2 passed its gate" in asked.err and "--confirm" in asked.err
    assert _stage(repo) == 1


def test_promote_refuses_when_the_specs_moved(merged: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    repo, _ = merged
    shorter = TextEdit(scenarios.PROD_ENV, "pause_between_regions: 600", "pause_between_regions: 60")
    scenarios.apply_edits(repo, [shorter])
    moved = rollplan(capsys, "promote", "--root", str(repo), "--env", "prod", "--confirm")
    assert moved.code == 1 and "specs differ" in moved.err
    assert _stage(repo) == 1


def test_promote_refuses_an_environment_that_is_not_staged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = scenarios.demo(tmp_path / "repo")
    assert rollplan(capsys, "compile", "--root", str(repo)).code == 0
    done = rollplan(capsys, "promote", "--root", str(repo), "--env", "prod", "--confirm")
    assert done.code == 1 and "records no staged rollout" in done.err


def test_promote_parse_ignores_a_stage_out_of_range() -> None:
    doc = {"fingerprint": "f", "gitops": {"promotion": "staged", "base_commit": "c", "stage": 4,
                                          "stages": [{"region": "westus2", "change": "upgrade"}]}}  # fmt: skip
    assert promote.parse(json.dumps(doc)) is None
    doc["gitops"]["stage"] = 1
    assert promote.parse(json.dumps(doc)) == promote.Recorded(1, ("westus2",), "c", "f")


def test_promote_refuses_while_the_previous_stage_is_uncommitted(
    merged: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, _ = merged
    assert rollplan(capsys, "promote", "--root", str(repo), "--env", "prod", "--confirm").code == 0
    again = rollplan(capsys, "promote", "--root", str(repo), "--env", "prod", "--confirm")
    assert again.code == 1 and "uncommitted changes" in again.err
    assert _stage(repo) == 2  # the second promotion wrote nothing
