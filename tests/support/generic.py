"""A repository of one ``service: generic`` environment: a web service in two regions, no release notes.

HEAD holds release 1.4.0 (chart 0.3.0) deployed in both regions; the work tree
moves to 1.5.0 (chart 0.4.0). The environment names its chart version and image
tag itself, as a generic service without release notes must.
"""

from __future__ import annotations

from pathlib import Path

from compiler.repo import gitio

ENV_FILE = "environments/web/environment.yaml"

ENVIRONMENT = """\
service: generic
version: '{version}'
release: web
namespace: shop
chart:
  name: web
  repository: oci://registry.example.com/charts
  version: '{chart}'
image:
  tag: '{version}'
values:
  - environments/web/values/web.yaml
rollout:
  order: [us]
  verify_timeout: 300
"""

REGION = """\
name: {name}
primary: {primary}
cluster:
  name: k8s-{name}
  server: https://k8s-{name}.example.com:443
  context: web-{name}
replicas: 2
third_party:
  redis: '7.2.4'
"""

FILES = {
    "environments/web/regions/eu.yaml": REGION.format(name="eu", primary="true"),
    "environments/web/regions/us.yaml": REGION.format(name="us", primary="false"),
    "environments/web/values/web.yaml": "service:\n  port: 8080\nresources:\n  requests:\n    cpu: 100m\n",
}


def environment(version: str, chart: str) -> str:
    return ENVIRONMENT.format(version=version, chart=chart)


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def generic_repo(root: Path, extra: dict[str, str] | None = None, settings: str = "") -> Path:
    """The repository at ``root``: 1.4.0 committed, 1.5.0 in the work tree.

    ``extra`` files and ``settings`` (YAML appended to the environment file) are on both sides.
    """
    write(root, {**FILES, **(extra or {}), ENV_FILE: environment("1.4.0", "0.3.0") + settings})
    gitio.init_with_commit(root, "Deployed state")
    write(root, {ENV_FILE: environment("1.5.0", "0.4.0") + settings})
    return root
