"""plan.md's GitOps section lists the steps a controller cannot do."""

from __future__ import annotations

from pathlib import Path

from support import scenarios

from compiler.pipeline import compile_repo
from compiler.render.manual import controller_limits


def _limits(builder: scenarios.Builder, tmp_path: Path) -> str:
    root = builder(tmp_path / "repo")
    return "\n".join(controller_limits(compile_repo(root, ["prod"]).plans["prod"]))


def test_controller_limits_name_the_backup_before_the_primary_syncs(tmp_path: Path) -> None:
    text = _limits(scenarios.demo, tmp_path)
    assert "neither Argo CD nor Flux runs these steps" in text
    assert "- before `westus2` syncs: back up the Tenant Service database" in text
    assert "pg_dump" in text


def test_controller_limits_name_the_redis_maintenance(tmp_path: Path) -> None:
    text = _limits(scenarios.redis_move_primary, tmp_path)
    assert "- before `westus2` syncs: perform the Redis maintenance for westus2" in text


def test_controller_limits_name_the_restore_before_a_rollback_sync(tmp_path: Path) -> None:
    text = _limits(scenarios.irreversible, tmp_path)
    assert "- before the rollback sync: restore the database backup" in text
    assert "- before the rollback sync: stop t100 in westus2" in text


def test_controller_limits_say_nothing_when_nothing_is_manual(tmp_path: Path) -> None:
    assert _limits(scenarios.unchanged, tmp_path) == ""
