"""A real helm reads the region's secrets file, passed last, over the generated values.

The environment marks ``tenant.redis.host`` secret, so no file in the repository
holds it; the secrets file outside the repository supplies it, and what helm
renders from the plan's argv (placeholder replaced) carries that value.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from support.e2e_support import (
    CHART_PATH,
    CONTEXTS,
    ENV,
    ENV_DIR,
    NEW,
    OLD,
    Spec,
    commit,
    compile_cli,
    git,
    manifest_of,
    spec_files,
    write_files,
)
from support.helmbin import helm_env, run_helm
from support.kube_stub import KubeStub

from compiler.repo.layout import SECRETS_DIR_PLACEHOLDER

pytestmark = pytest.mark.helm

SECRET_HOST = "redis-from-secrets.voice.svc"


def _with_secret_host(spec: Spec) -> dict[str, str]:
    files = spec_files(spec)
    files[f"{ENV_DIR}/environment.yaml"] += "secrets:\n  paths:\n    - tenant.redis.host\n"
    values = f"{ENV_DIR}/values/t100.yaml"
    doc = yaml.safe_load(files[values])
    del doc["tenant"]["redis"]["host"]
    files[values] = yaml.safe_dump(doc, sort_keys=True)
    return files


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, tenant_chart: Path) -> Path:
    root = tmp_path_factory.mktemp("secrets") / "repo"
    root.mkdir()
    shutil.copytree(tenant_chart, root / CHART_PATH)
    write_files(root, _with_secret_host(Spec(OLD)))
    git(root, "init", "--quiet", "--initial-branch=main")
    commit(root, "Deployed specs")
    write_files(root, _with_secret_host(Spec(NEW)))
    compile_cli(root)
    return root


def test_e2e_secrets_helm_renders_the_value_from_the_secrets_file(
    helm: Path, tmp_path: Path, kube_api: KubeStub, repo: Path
) -> None:
    plan = yaml.safe_load((repo / "generated" / ENV / "plan.json").read_text(encoding="utf-8"))
    upgrades = [s for s in plan["steps"] if s["argv"] and s["argv"][:2] == ["helm", "upgrade"]]
    assert [s["region"] for s in upgrades] == ["usw1", "use1", "euw1"]
    secrets = tmp_path / "secrets"
    env = helm_env(tmp_path, CONTEXTS, server=kube_api.url)
    for step in upgrades:
        region = step["region"]
        assert "host" not in (repo / "generated" / ENV / "values" / f"{region}.yaml").read_text(encoding="utf-8")
        file = secrets / ENV / f"{region}.yaml"
        file.parent.mkdir(parents=True, exist_ok=True)
        # The port is in the generated values too: the secrets file, read last, wins.
        file.write_text(f"tenant:\n  redis:\n    host: {SECRET_HOST}\n    port: 7000\n", encoding="utf-8")
        argv = [w.replace(SECRETS_DIR_PLACEHOLDER, str(secrets), 1) for w in step["argv"]]
        done = run_helm(helm, [*argv[1:], "--dry-run=client"], env, cwd=repo)
        assert done.returncode == 0, done.stderr
        manifest = manifest_of(done.stdout)
        assert f'value: "{SECRET_HOST}"' in manifest, region
        assert 'value: "7000"' in manifest and 'value: "6379"' not in manifest, region
        assert 'redis.voice.svc"' not in manifest.replace(SECRET_HOST, ""), region
