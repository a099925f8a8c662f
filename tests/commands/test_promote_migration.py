"""Staged promotion and irreversible database migrations: refused at compile, and no promotion back across one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import scenarios
from support.demorepo import git, head, rollplan

from compiler.repo.example import TextEdit

STAGED = TextEdit(scenarios.PROD_ENV, "gitops:\n", "gitops:\n  promotion: staged\n")
MIGRATES = "100.0.1000079"


def _promotion_line(repo: Path) -> str:
    lines = (repo / scenarios.PROD_ENV).read_text().splitlines()
    number = next(n for n, line in enumerate(lines, 1) if "promotion: staged" in line)
    return f"{scenarios.PROD_ENV}:{number}:"


@pytest.mark.parametrize("command", ["compile", "validate"])
def test_staged_promotion_refuses_an_upgrade_across_an_irreversible_migration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    repo = scenarios.example_repo(tmp_path / "repo", [STAGED, scenarios.prod_version(scenarios.SUPPORTED)])
    scenarios.apply_edits(repo, [TextEdit(scenarios.PROD_ENV, f"version: '{scenarios.SUPPORTED}'\n",
                                          f"version: '{MIGRATES}'\n")])  # fmt: skip
    done = rollplan(capsys, command, "--root", str(repo), "--env", "prod")
    assert done.code == 1, done.err
    assert _promotion_line(repo) in done.err
    assert f"release-notes/tenant/{MIGRATES}.yaml" in done.err and "(rule: staged-migration)" in done.err
    assert not (repo / "generated").exists()


def test_staged_promotion_refuses_a_downgrade_across_an_irreversible_migration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = scenarios.example_repo(tmp_path / "repo", [STAGED, scenarios.prod_version(MIGRATES)])
    scenarios.apply_edits(repo, [TextEdit(scenarios.PROD_ENV, f"version: '{MIGRATES}'\n",
                                          f"version: '{scenarios.SUPPORTED}'\n")])  # fmt: skip
    done = rollplan(capsys, "compile", "--root", str(repo), "--env", "prod")
    assert done.code == 1
    assert "goes back across the irreversible database migration of 100.0.1000079" in done.err
    assert _promotion_line(repo) in done.err


def test_staged_promotion_of_a_new_environment_at_a_migrating_release_is_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Nothing is deployed: no database is migrated under a running region.
    repo = scenarios.environment_added(tmp_path / "repo")
    env = repo / scenarios.STAGING_ENV
    text = env.read_text().replace("version: '100.0.1000071.2'\n", f"version: '{MIGRATES}'\n")
    env.write_text(text.replace("gitops:\n", "gitops:\n  promotion: staged\n"))
    for region in (repo / "environments/staging/regions").glob("*.yaml"):
        region.write_text(region.read_text().replace("redis: '7.0.15'", "redis: '7.2.4'"))
    done = rollplan(capsys, "validate", "--root", str(repo), "--env", "staging")
    assert done.code == 0, done.err


def test_promote_rollback_refuses_across_a_recorded_migration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A staged plan recorded with an irreversible migration (compiled before the rule existed).
    repo = scenarios.example_repo(tmp_path / "repo", base_edits=[STAGED])
    scenarios.apply_edits(repo, [scenarios.prod_version(scenarios.SUPPORTED)])
    assert rollplan(capsys, "compile", "--root", str(repo), "--env", "prod").code == 0
    plan_path = repo / "generated/prod/plan.json"
    plan = json.loads(plan_path.read_text())
    plan["irreversible_migrations"] = [MIGRATES]
    plan_path.write_text(json.dumps(plan, indent=2, sort_keys=True) + "\n")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--message", "prod: staged upgrade (merged)")
    before = head(repo)
    done = rollplan(capsys, "promote", "--root", str(repo), "--env", "prod", "--rollback", "--confirm", "--commit")
    assert done.code == 1
    assert "irreversible database migration of 100.0.1000079" in done.err
    assert "generated/prod/rollback.sh" in done.err and "restores the backup taken before 100.0.1000079" in done.err
    assert head(repo) == before
    assert json.loads(plan_path.read_text())["gitops"]["stage"] == 1
