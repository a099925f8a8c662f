"""The real-helm harness: binaries, the fixture chart, and offline release-history commands."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.helmbin import (
    helm_env,
    helm_major,
    merged_values,
    named_contexts,
    release_history,
    run_helm,
)
from support.kube_stub import KubeStub

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
VALUES = FIXTURES / "values" / "tenant-usw1.yaml"
NEXT_VALUES = FIXTURES / "values" / "tenant-usw1-next.yaml"
CONTEXTS = ["usw1", "use1"]
TARGET = ["--kube-context", "usw1", "-n", "voice"]

helm_only = pytest.mark.helm


@pytest.fixture
def seeded(helm: Path, tmp_path: Path, tenant_chart: Path) -> dict[str, str]:
    """Offline env whose store holds t100 revision 1 (superseded) and 2 (deployed)."""
    env = helm_env(tmp_path, CONTEXTS)
    history = release_history(helm, env, "t100", tenant_chart, "voice", [[VALUES], [VALUES, NEXT_VALUES]])
    return helm_env(tmp_path, CONTEXTS, history)


def _docs(text: str) -> dict[str, dict[str, Any]]:
    return {doc["kind"]: doc for doc in yaml.safe_load_all(text) if doc}


@helm_only
def test_helm_harness_binaries_report_requested_major(helm3: Path, helm4: Path) -> None:
    assert (helm_major(helm3), helm_major(helm4)) == (3, 4)


@helm_only
def test_helm_harness_kubectl_answers(kubectl: Path) -> None:
    done = subprocess.run([str(kubectl), "version", "--client"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "Client Version: v1." in done.stdout


@helm_only
def test_helm_harness_lint_passes(helm: Path, tmp_path: Path, tenant_chart: Path) -> None:
    done = run_helm(helm, ["lint", str(tenant_chart), "-f", str(VALUES), *TARGET], helm_env(tmp_path, CONTEXTS))
    assert done.returncode == 0, done.stderr
    assert "0 chart(s) failed" in done.stdout


@helm_only
def test_helm_harness_template_renders_tenant(helm: Path, tmp_path: Path, tenant_chart: Path) -> None:
    args = ["template", "t100", str(tenant_chart), "-f", str(VALUES), *TARGET]
    done = run_helm(helm, args, helm_env(tmp_path, CONTEXTS))
    assert done.returncode == 0, done.stderr
    docs = _docs(done.stdout)
    assert set(docs) == {"ConfigMap", "Service", "StatefulSet"}
    pod = docs["StatefulSet"]["spec"]["template"]["spec"]
    assert docs["StatefulSet"]["metadata"]["name"] == "t100"
    assert docs["StatefulSet"]["spec"]["replicas"] == 3
    assert pod["containers"][0]["image"] == "registry.example.test/tenant/tenant:100.0.1000067"
    assert [c["image"].rsplit(":", 1)[1] for c in pod["initContainers"]] == ["100.0.1000067"] * 2
    env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
    assert (env["LOCATION"], env["CONSUL_MASTER_DC"], env["CONSUL_HOME_DC"]) == ("/USW1", "usw1", "usw1")
    assert docs["Service"]["spec"]["clusterIP"] == "None"


@helm_only
def test_helm_harness_template_without_tags_fails(helm: Path, tmp_path: Path, tenant_chart: Path) -> None:
    done = run_helm(helm, ["template", "t100", str(tenant_chart), *TARGET], helm_env(tmp_path, CONTEXTS))
    assert done.returncode != 0
    assert ".tag is required" in done.stderr


@helm_only
def test_helm_harness_misspelled_flag_fails(helm: Path, seeded: dict[str, str]) -> None:
    done = run_helm(helm, ["rollback", "t100", "--dry-rnu", *TARGET], seeded)
    assert done.returncode != 0
    assert "unknown flag: --dry-rnu" in done.stderr


@helm_only
def test_helm_harness_unknown_context_rejected(helm: Path, seeded: dict[str, str]) -> None:
    done = run_helm(helm, ["rollback", "t100", "--dry-run", "--kube-context", "usw2", "-n", "voice"], seeded)
    assert done.returncode == 1
    assert "'usw2' is not in the test kubeconfig" in done.stderr


@helm_only
def test_helm_harness_memory_driver_never_reads_kubeconfig(helm: Path, seeded: dict[str, str]) -> None:
    # Why run_helm checks contexts itself: helm alone accepts any name here.
    argv = [str(helm), "rollback", "t100", "--dry-run", "--kube-context", "usw2", "-n", "voice"]
    done = subprocess.run(argv, env=seeded, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


@helm_only
def test_helm_harness_history_reads_seeded_store(helm: Path, seeded: dict[str, str]) -> None:
    done = run_helm(helm, ["history", "t100", "-o", "json", *TARGET], seeded)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [(r["revision"], r["status"], r["chart"]) for r in rows] == [
        (1, "superseded", "tenant-100.0.1000067"),
        (2, "deployed", "tenant-100.0.1000067"),
    ]


@helm_only
def test_helm_harness_seeded_record_keeps_values(helm: Path, seeded: dict[str, str]) -> None:
    done = run_helm(helm, ["get", "values", "t100", "--revision", "2", "-o", "json", *TARGET], seeded)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["images"]["tenant"]["tag"] == "100.0.1000076"


@helm_only
@pytest.mark.parametrize("revision", [[], ["1"]], ids=["previous", "explicit"])
def test_helm_harness_rollback_dry_run_passes(helm: Path, seeded: dict[str, str], revision: list[str]) -> None:
    done = run_helm(helm, ["rollback", "t100", *revision, "--dry-run", *TARGET], seeded)
    assert done.returncode == 0, done.stderr
    assert "Rollback was a success" in done.stdout


@helm_only
def test_helm_harness_rollback_to_missing_revision_fails(helm: Path, seeded: dict[str, str]) -> None:
    done = run_helm(helm, ["rollback", "t100", "7", "--dry-run", *TARGET], seeded)
    assert done.returncode != 0
    assert "has no 7 version" in done.stderr


@helm_only
def test_helm_harness_rollback_in_wrong_namespace_fails(helm: Path, seeded: dict[str, str]) -> None:
    done = run_helm(helm, ["rollback", "t100", "--dry-run", "--kube-context", "usw1", "-n", "tenants"], seeded)
    assert done.returncode != 0
    assert "not found" in done.stderr


@helm_only
def test_helm_harness_uninstall_dry_run_passes(helm: Path, seeded: dict[str, str]) -> None:
    done = run_helm(helm, ["uninstall", "t100", "--dry-run", *TARGET], seeded)
    assert done.returncode == 0, done.stderr
    assert 'release "t100" uninstalled' in done.stdout


@helm_only
def test_helm_harness_dry_run_mode_only_where_supported(helm: Path, seeded: dict[str, str]) -> None:
    # uninstall takes a plain --dry-run on every version; rollback gained modes only in helm 4.
    uninstall = run_helm(helm, ["uninstall", "t100", "--dry-run=client", *TARGET], seeded)
    rollback = run_helm(helm, ["rollback", "t100", "--dry-run=client", *TARGET], seeded)
    assert uninstall.returncode != 0
    assert (rollback.returncode == 0) == (helm_major(helm) == 4), rollback.stderr


@helm_only
def test_helm_harness_upgrade_needs_cluster_discovery(helm: Path, seeded: dict[str, str], tenant_chart: Path) -> None:
    args = ["upgrade", "--install", "t100", str(tenant_chart), "-f", str(NEXT_VALUES), "--dry-run=client", *TARGET]
    done = run_helm(helm, args, seeded)
    assert done.returncode != 0
    assert "could not get server version" in done.stderr


@helm_only
@pytest.mark.parametrize("release", ["t100", "t200"], ids=["existing", "new"])
def test_helm_harness_upgrade_dry_run_passes_with_stub(
    helm: Path, tmp_path: Path, tenant_chart: Path, kube_api: KubeStub, release: str
) -> None:
    env = helm_env(tmp_path, CONTEXTS)
    history = release_history(helm, env, "t100", tenant_chart, "voice", [[VALUES], [VALUES, NEXT_VALUES]])
    env = helm_env(tmp_path, CONTEXTS, history, server=kube_api.url)
    args = ["upgrade", "--install", release, str(tenant_chart), "-f", str(NEXT_VALUES), "--dry-run=client", *TARGET]
    done = run_helm(helm, args, env)
    assert done.returncode == 0, done.stderr
    assert "image: registry.example.test/tenant/tenant:100.0.1000076" in done.stdout


@helm_only
def test_helm_harness_upgrade_unknown_context_fails_in_helm(
    helm: Path, tmp_path: Path, tenant_chart: Path, kube_api: KubeStub
) -> None:
    # An existing release: helm 4 installs a new one with --dry-run=client without the cluster.
    env = helm_env(tmp_path, CONTEXTS)
    history = release_history(helm, env, "t100", tenant_chart, "voice", [[VALUES]])
    env = helm_env(tmp_path, CONTEXTS, history, server=kube_api.url)
    argv = [str(helm), "upgrade", "--install", "t100", str(tenant_chart), "-f", str(VALUES), "--dry-run=client",
            "--kube-context", "usw2", "-n", "voice"]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    assert done.returncode != 0
    assert 'context "usw2" does not exist' in done.stderr


def test_helm_harness_merged_values_deep_merges_later_wins(tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("images: {tenant: {tag: '1'}, registry: r}\nlist: [1, 2]\n")
    second.write_text("images: {tenant: {tag: '2'}}\nlist: [3]\n")
    assert merged_values([first, second]) == {"images": {"tenant": {"tag": "2"}, "registry": "r"}, "list": [3]}


def test_helm_harness_named_contexts_reads_both_spellings() -> None:
    argv = ["rollback", "t1", "--kube-context", "a", "--kube-context=b", "--context", "c", "-n", "x"]
    assert named_contexts(argv) == ["a", "b", "c"]
