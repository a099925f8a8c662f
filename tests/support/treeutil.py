"""Build file trees for tests from a dict, and a small valid rollplan repository to start from."""

from __future__ import annotations

from pathlib import Path

ENV_FILE = "environments/prod/environment.yaml"
PRIMARY_FILE = "environments/prod/regions/westus2.yaml"
REGION_FILE = "environments/prod/regions/eastus.yaml"
VALUES_FILE = "environments/prod/values/common.yaml"
NOTE_FILE = "release-notes/tenant/100.0.1000076.yaml"


def write_tree(root: Path, files: dict[str, str | bytes]) -> None:
    """Write ``files`` (repo-relative '/' path → text or bytes) under ``root``, creating folders."""
    for relative, content in files.items():
        path = root.joinpath(*relative.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def minimal_repo_files() -> dict[str, str]:
    """One environment `prod` (primary westus2, then eastus), one values file, one release note.

    Tests rely on the line numbers below: change a file by replacing it whole.
    """
    return {
        ENV_FILE: (
            "service: tenant\n"
            "version: '100.0.1000076'\n"
            "release: t100\n"
            "namespace: voice\n"
            "chart:\n"
            "  name: tenant\n"
            "  repository: oci://registry.example.com/charts\n"
            "values:\n"
            "  - environments/prod/values/common.yaml\n"
            "rollout:\n"
            "  order:\n"
            "    - eastus\n"
            "gitops:\n"
            "  argocd:\n"
            "    repo_url: https://git.example.com/platform/gitops.git\n"
        ),
        PRIMARY_FILE: (
            "name: westus2\n"
            "primary: true\n"
            "cluster:\n"
            "  name: aks-westus2\n"
            "  context: prod-westus2\n"
            "replicas: 3\n"
            "third_party:\n"
            "  postgresql: '15.6'\n"
            "  redis: '7.2.4'\n"
        ),
        REGION_FILE: (
            "name: eastus\n"
            "cluster:\n"
            "  name: aks-eastus\n"
            "  context: prod-eastus\n"
            "replicas: 2\n"
            "third_party:\n"
            "  postgresql: '15.6'\n"
            "  redis: '7.2.4'\n"
        ),
        VALUES_FILE: (
            "images:\n"
            "  tenant:\n"
            "    tag: '100.0.1000076'\n"
            "tenant:\n"
            "  deployment:\n"
            "    replicaCount: 2\n"
            "  secrets:\n"
            "    pgdb:\n"
            "      pwd:\n"
            "        secretName: t100-pgdb\n"
        ),
        NOTE_FILE: (
            "version: '100.0.1000076'\n"
            "released: 2024-05-02\n"
            "chart_version: '100.0.1000076'\n"
            "image_tag: '100.0.1000076'\n"
            "requires:\n"
            "  redis: '>=7.0'\n"
        ),
    }


def multi_env_files(needs: dict[str, list[str]]) -> dict[str, str]:
    """The minimal repository's environment copied under each name of ``needs``, each with its `needs:` list.

    Each environment's spec file ends with its needs, one per line, so an entry
    ``needs[i]`` of environment E sits at line ``NEEDS_LINE + 1 + i``.
    """
    base = minimal_repo_files()
    files: dict[str, str] = {NOTE_FILE: base[NOTE_FILE]}
    for env, wanted in needs.items():
        for path, text in base.items():
            if not path.startswith("environments/prod/"):
                continue
            text = text.replace("environments/prod/", f"environments/{env}/").replace("prod-", f"{env}-")
            if path == ENV_FILE:
                text += "needs:" + ("".join(f"\n  - {name}" for name in wanted) if wanted else " []") + "\n"
            files[path.replace("environments/prod/", f"environments/{env}/")] = text
    return files


NEEDS_LINE = minimal_repo_files()[ENV_FILE].count("\n") + 1
"""The line of `needs:` in a spec file made by :func:`multi_env_files`."""
