"""`rollplan init [DIR]`: scaffold a GitOps repository that validates and compiles as it is."""

from __future__ import annotations

import argparse
import datetime
import re
import typing
from pathlib import Path

from compiler import console
from compiler.commands.schema import SCHEMA_DIR, schema_files
from compiler.errors import UsageError
from compiler.repo import gitio
from compiler.spec.models import EnvironmentSpec
from compiler.spec.repoconfig import BRANCH_PATTERN
from compiler.spec.types import DNS1123_LABEL, VENDOR_VERSION

REPO_URL = r"(https://|ssh://|git@)[^\s:@/]*[^\s]*"

SERVICES: tuple[str, ...] = typing.get_args(EnvironmentSpec.model_fields["service"].annotation)


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    init = sub.add_parser("init", help="scaffold a GitOps repository for rollplan in DIR")
    init.add_argument("dir", type=Path, nargs="?", default=Path("."), metavar="DIR", help="default: here")
    init.add_argument("--env", default="prod", metavar="NAME", help="the environment (default: prod)")
    init.add_argument("--regions", default="eastus,westus2", metavar="A,B,…",
                      help="its regions, the primary first (default: eastus,westus2)")  # fmt: skip
    init.add_argument("--service", choices=SERVICES, default=SERVICES[0], help="service profile")
    init.add_argument("--version", default="1.0.0", metavar="VERSION", help="vendor release to run (default: 1.0.0)")
    init.add_argument("--deployed-branch", default="main", metavar="BRANCH", help="the branch deployed")
    init.add_argument("--repo-url", metavar="URL", help="URL this repository is cloned from (Argo CD output needs it; "
                      "without it the scaffold writes Flux output only)")  # fmt: skip
    init.add_argument("--force", action="store_true", help="write into a non-empty DIR, replacing scaffold files")
    init.add_argument("--debug", action="store_true", help="show the traceback of an internal error")
    init.add_argument("--format", choices=("text",), default="text", help=argparse.SUPPRESS)


def run(
    target: Path, *, env: str, regions: str, service: str, version: str, branch: str, force: bool,
    repo_url: str | None = None,
) -> int:
    names = [r.strip() for r in regions.split(",") if r.strip()]
    _check_names(env, names, version, branch)
    if repo_url is not None and not re.fullmatch(REPO_URL, repo_url):
        raise UsageError(f"--repo-url {repo_url!r}: expected https://…, ssh://… or git@… with no password in it")
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} is not a directory")
    if target.is_dir() and any(p.name != ".git" for p in target.iterdir()) and not force:
        raise UsageError(f"{target} is not empty: pass --force to write the scaffold into it anyway")
    target.mkdir(parents=True, exist_ok=True)
    files = scaffold(env, names, service, version, branch, repo_url)
    for path in files:
        _refuse_symlinks(target, target / path)
    for path, text in files.items():
        (target / path).parent.mkdir(parents=True, exist_ok=True)
        (target / path).write_text(text, encoding="utf-8")
    made = gitio.init_repository(target, branch)
    console.result("\n".join([
        f"scaffolded {env} ({', '.join(names)}) in {target}" + (" (git init)" if made else ""),
        f"next: rollplan validate --root {target} && rollplan compile --root {target}, then commit on a branch",
    ]))  # fmt: skip
    return 0


def _check_names(env: str, regions: list[str], version: str, branch: str) -> None:
    bad = [n for n in (env, *regions) if len(n) > 63 or not DNS1123_LABEL.match(n)]
    if bad:
        raise UsageError(f"not a DNS-1123 label: {', '.join(map(repr, bad))} (lower-case letters, digits and '-')")
    if not regions or len(set(regions)) != len(regions):
        raise UsageError("--regions: give one or more distinct region names, the primary first")
    if not VENDOR_VERSION.match(version):
        raise UsageError(f"--version {version!r}: expected a vendor version such as 1.0.0")
    if not re.match(BRANCH_PATTERN, branch):
        raise UsageError(f"--deployed-branch {branch!r}: expected a branch name such as main")


def _refuse_symlinks(target: Path, dest: Path) -> None:
    """--force into an existing tree must not write outside it through a symlink."""
    for part in (dest, *dest.parents):
        if part == target:
            return
        if part.is_symlink():
            raise UsageError(f"{part} is a symlink: rollplan init does not write through it")


def scaffold(
    env: str, regions: list[str], service: str, version: str, branch: str, repo_url: str | None = None
) -> dict[str, str]:
    """Every file of the scaffold, by repo-relative path."""
    files = {
        "rollplan.yaml": "# yaml-language-server: $schema=schemas/rollplan.schema.json\n"
        "# The branch the GitOps controller applies: plans are compiled against it.\n"
        f"deployed_branch: {branch}\n",
        f"environments/{env}/environment.yaml": _environment(env, service, version) + _gitops(repo_url),
        f"environments/{env}/values/common.yaml": f"# Helm values shared by every region of {env}.\n{{}}\n",
        f"release-notes/{service}/{version}.yaml": _release_note(version),
        ".pre-commit-config.yaml": PRE_COMMIT,
        ".github/workflows/rollplan.yaml": WORKFLOW.replace("branches: [main]", f"branches: [{branch}]"),
    }
    for index, region in enumerate(regions):
        files[f"environments/{env}/regions/{region}.yaml"] = _region(env, region, primary=index == 0)
    files.update({f"{SCHEMA_DIR}/{name}": data.decode() for name, data in schema_files().items()})
    return files


def _environment(env: str, service: str, version: str) -> str:
    return f"""# yaml-language-server: $schema=../../schemas/environment.schema.json
service: {service}
version: '{version}'
release: {service}
namespace: {service}
chart:
  name: {service}
  repository: oci://registry.example.com/charts
values:
  - environments/{env}/values/common.yaml
"""


def _gitops(repo_url: str | None) -> str:
    if repo_url is not None:
        return f"gitops:\n  argocd:\n    repo_url: {repo_url}\n"
    return """# Argo CD output needs the URL this repository is cloned from; to get it too, write:
#   gitops: {controllers: [argocd, flux], argocd: {repo_url: https://git.example.com/you/this-repo.git}}
gitops:
  controllers: [flux]
"""


def _region(env: str, region: str, *, primary: bool) -> str:
    return f"""# yaml-language-server: $schema=../../../schemas/region.schema.json
name: {region}
primary: {str(primary).lower()}
cluster:
  name: {env}-{region}
  context: {env}-{region}
replicas: 2
# Installed third-party versions, checked against each release's requirements.
third_party: {{}}
"""


def _release_note(version: str) -> str:
    return f"""# yaml-language-server: $schema=../../schemas/release-note.schema.json
version: '{version}'
released: {datetime.date.today().isoformat()}
chart_version: '{version}'
image_tag: '{version}'
requires: {{}}
database_migration: none
notes: ''
"""


PRE_COMMIT = """\
# rollplan must be installed where you commit (pip install rollplan from your team's source).
repos:
  - repo: local
    hooks:
      - id: rollplan-validate
        name: rollplan validate
        entry: rollplan validate
        language: system
        pass_filenames: false
        files: ^(environments|release-notes|rollplan\\.yaml)
      - id: rollplan-check
        name: rollplan check
        entry: rollplan check
        language: system
        pass_filenames: false
        files: ^(environments|release-notes|generated|rollplan\\.yaml)
"""

WORKFLOW = """\
name: rollplan
on:
  pull_request:
  push:
    branches: [main]

jobs:
  check:
    runs-on: ubuntu-latest
    permissions:
      contents: read
      pull-requests: write
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0 # the deployed branch and the merge-base must be in the clone
      # Point this at the repository your team gets rollplan from, at a tag.
      - uses: platform/rollplan@v0.1.0
"""
