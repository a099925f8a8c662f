"""Repositories of several services: a Redis provider, the Tenant Service that requires it, a generic service after it.

Beside the worked example (prod and staging), ``redis`` is a generic environment
that ``provides: [redis]`` on staging's cluster, and ``web`` is a generic service
that ``needs: [staging]``, with one region on staging's cluster and one on a
cluster of its own. The deployed state has Redis 7.0.15; the change moves Redis
to 7.2.5 and staging to 100.0.1000076, which requires Redis >=7.2: staging's own
region file still says 7.0.15, so only the provider's target version lets it pass.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from compiler.repo import gitio
from compiler.repo.example import TextEdit
from support.scenarios import EXAMPLE_PARTS, REPO_ROOT, apply_edits, staging_version, write_files

REDIS_ENV = "environments/redis/environment.yaml"
REDIS_REGION = "environments/redis/regions/westus2.yaml"
WEB_ENV = "environments/web/environment.yaml"
STAGING_CLUSTER = (
    "cluster:\n"
    "  name: aks-staging-westus2\n"
    "  server: https://aks-staging-westus2.k8s.example.com:443\n"
    "  context: staging-westus2\n"
)
REPO_URL = "gitops:\n  argocd:\n    repo_url: https://git.example.com/platform/tenant-gitops.git\n"

FILES = {
    REDIS_ENV: (
        "# Redis for the services on staging's cluster; its version is the Redis version it runs.\n"
        "service: generic\n"
        "version: '7.0.15'\n"
        "release: redis\n"
        "namespace: redis\n"
        "provides:\n"
        "  - redis\n"
        "chart:\n"
        "  name: redis\n"
        "  repository: oci://registry.example.com/bitnamicharts\n"
        "  version: '18.19.4'\n"
        "image:\n"
        "  tag: '7.0.15'\n"
        "  paths:\n"
        "    - image.tag\n"
        "rollout:\n"
        "  workload: statefulset/redis-master\n" + REPO_URL
    ),
    REDIS_REGION: "name: westus2\nprimary: true\n" + STAGING_CLUSTER + "replicas: 1\n",
    WEB_ENV: (
        "service: generic\n"
        "version: '1.4.0'\n"
        "release: shop\n"
        "namespace: web\n"
        "needs:\n"
        "  - staging\n"
        "chart:\n"
        "  name: shop\n"
        "  repository: https://charts.example.com/stable\n"
        "  version: '1.4.0'\n"
        "image:\n"
        "  tag: '1.4.0'\n" + REPO_URL
    ),
    "environments/web/regions/westus2.yaml": "name: westus2\nprimary: true\n" + STAGING_CLUSTER + "replicas: 2\n",
    "environments/web/regions/northeu.yaml": (
        "name: northeu\ncluster:\n  name: aks-web-northeu\n  context: web-northeu\nreplicas: 2\n"
    ),
}

REDIS_UPGRADE = (
    TextEdit(REDIS_ENV, "version: '7.0.15'\n", "version: '7.2.5'\n"),
    TextEdit(REDIS_ENV, "  version: '18.19.4'\n", "  version: '19.6.4'\n"),
    TextEdit(REDIS_ENV, "  tag: '7.0.15'\n", "  tag: '7.2.5'\n"),
)
WEB_UPGRADE = (
    TextEdit(WEB_ENV, "\nversion: '1.4.0'\n", "\nversion: '1.5.0'\n"),
    TextEdit(WEB_ENV, "  version: '1.4.0'\n", "  version: '1.5.0'\n"),
    TextEdit(WEB_ENV, "  tag: '1.4.0'\n", "  tag: '1.5.0'\n"),
)
STAGING_UPGRADE = (staging_version("100.0.1000076"),)


def services_repo(
    root: Path, files: Mapping[str, str] = FILES, change: Sequence[TextEdit] = (), extra: Mapping[str, str] = {}
) -> Path:
    """The example plus ``files`` deployed at HEAD; ``change`` applied and ``extra`` written in the work tree."""
    root.mkdir(parents=True, exist_ok=True)
    for part in EXAMPLE_PARTS:
        shutil.copytree(REPO_ROOT / part, root / part)
    write_files(root, files)
    gitio.init_with_commit(root, "Deployed state")
    apply_edits(root, change)
    write_files(root, extra)
    return root


def third_party_first(root: Path) -> Path:
    """Redis 7.0.15 → 7.2.5 on staging's cluster, staging to 100.0.1000076 (Redis >=7.2), web 1.4.0 → 1.5.0."""
    return services_repo(root, change=(*REDIS_UPGRADE, *STAGING_UPGRADE, *WEB_UPGRADE))
