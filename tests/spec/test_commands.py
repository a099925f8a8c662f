"""Backup and restore commands that call kubectl or helm must name their cluster."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.treeutil import ENV_FILE, minimal_repo_files, write_tree

from compiler.errors import InputError
from compiler.spec.commands import untargeted
from compiler.spec.load import WorkTree, load_specs


def test_untargeted_finds_kubectl_and_helm_without_their_context_flag() -> None:
    assert untargeted(["kubectl", "-n", "voice", "exec", "x", "--", "pg_dump"]) == [(0, "kubectl")]
    assert untargeted(["/usr/local/bin/helm", "list"]) == [(0, "helm")]
    assert untargeted(["sh", "-c", "kubectl exec x -- pg_dump | gzip"]) == [(2, "kubectl")]


def test_untargeted_accepts_commands_that_name_their_context() -> None:
    assert untargeted(["kubectl", "--context", "prod", "-n", "voice", "exec", "x"]) == []
    assert untargeted(["kubectl", "--context=prod", "exec", "x"]) == []
    assert untargeted(["helm", "--kube-context", "prod", "list"]) == []
    assert untargeted(["sh", "-c", "kubectl --context prod exec x"]) == []
    assert untargeted(["pg_dump", "--file=/backup/x.dump"]) == []


def test_untargeted_does_not_take_the_kubectl_flag_for_helm() -> None:
    assert untargeted(["helm", "--context", "prod", "list"]) == [(0, "helm")]


def test_load_refuses_a_restore_command_without_context_naming_file_and_line(tmp_path: Path) -> None:
    files = dict(minimal_repo_files())
    files[ENV_FILE] += "backup:\n  restore_command:\n    - kubectl\n    - exec\n    - deploy/pg\n"
    write_tree(tmp_path / "repo", files)

    with pytest.raises(InputError) as caught:
        load_specs(WorkTree(tmp_path / "repo"))

    [problem] = caught.value.problems
    assert problem.location.file == ENV_FILE and problem.location.line > 0
    assert problem.path == "backup.restore_command.0"
    assert "calls kubectl without --context" in problem.message and "(rule: command-context)" in problem.message
