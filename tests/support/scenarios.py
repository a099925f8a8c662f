"""Scenario repositories: the worked example as a real git repository, plus one pending change.

Each builder copies ``environments/`` and ``release-notes/`` of this checkout
into ``root``, commits them (optionally after ``BASE`` edits: what is
deployed), then applies its change to the working tree and returns ``root``.
Compiling ``root`` against HEAD plans exactly that change. Edits are exact
text replacements, as in the demo, so a broken edit fails loudly.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from compiler.repo import gitio
from compiler.repo.example import TextEdit, apply_demo_change, apply_edit

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_PARTS = ("environments", "release-notes")

PROD_ENV = "environments/prod/environment.yaml"
STAGING_ENV = "environments/staging/environment.yaml"
PROD_VERSION = "version: '100.0.1000067'\n"
STAGING_VERSION = "version: '100.0.1000071'\n"

SUPPORTED = "100.0.1000076"
"""A release inside the N-2 window: values-only changes are planned on top of it (the example's 67 is older)."""

Builder = Callable[[Path], Path]


def apply_edits(root: Path, edits: Sequence[TextEdit]) -> None:
    """Apply ``edits`` to the files under ``root``, in order."""
    for edit in edits:
        path = root / edit.file
        path.write_text(apply_edit(path.read_text(encoding="utf-8"), edit), encoding="utf-8")


def example_repo(root: Path, base_edits: Sequence[TextEdit] = (), base_without: Sequence[str] = ()) -> Path:
    """A git repository at ``root`` whose HEAD is the example (with ``base_edits``): the deployed state.

    Files of ``base_without`` (repo-relative) are left out of that commit and
    put back afterwards: in the working tree only, they are what gets installed.
    """
    root.mkdir(parents=True, exist_ok=True)
    for part in EXAMPLE_PARTS:
        shutil.copytree(REPO_ROOT / part, root / part)
    apply_edits(root, base_edits)
    held_back = {path: (root / path).read_bytes() for path in base_without}
    for path in held_back:
        (root / path).unlink()
    gitio.init_with_commit(root, "Deployed state")
    for path, data in held_back.items():
        (root / path).write_bytes(data)
    return root


def prod_version(version: str) -> TextEdit:
    return TextEdit(PROD_ENV, PROD_VERSION, f"version: '{version}'\n")


def staging_version(version: str) -> TextEdit:
    return TextEdit(STAGING_ENV, STAGING_VERSION, f"version: '{version}'\n")


def demo(root: Path) -> Path:
    """The change `rollplan demo` builds: prod 67 → 76 everywhere, eastus memory, staging image-only hotfix."""
    example_repo(root)
    apply_demo_change(root)
    return root


def one_replica(root: Path) -> Path:
    """centralus runs a single replica (deployed so), and prod upgrades to 100.0.1000076: a full outage there."""
    single = TextEdit("environments/prod/regions/centralus.yaml", "replicas: 2\n", "replicas: 1\n")
    example_repo(root, [single])
    apply_edits(root, [prod_version(SUPPORTED)])
    return root


REDIS_MOVE = TextEdit(
    "environments/prod/values/regions/westus2.yaml",
    "    homedc: westus2\n",
    "    homedc: westus2\n"
    "  redis:\n"
    "    # westus2 moves to a new Redis instance: its host is another key of the mounted t100-redis Secret.\n"
    "    hostFile: /opt/genesys/tenant/etc/secrets/redis/redis-host-b\n",
)


def redis_move_primary(root: Path) -> Path:
    """prod deployed at 100.0.1000076; the primary region's Redis connection host changes: the Redis choreography."""
    example_repo(root, [prod_version(SUPPORTED)])
    apply_edits(root, [REDIS_MOVE])
    return root


DATABASE_MOVE = TextEdit(
    "environments/prod/values/tenant-chart.yaml",
    "    dbhost: /opt/genesys/tenant/etc/secrets/pgdb/db-hostname\n",
    "    dbhost: /opt/genesys/tenant/etc/secrets/pgdb/db-hostname-pg16\n",
)


def database_move(root: Path) -> Path:
    """prod deployed at 100.0.1000076; every region moves to a new database host: a backend move."""
    example_repo(root, [prod_version(SUPPORTED)])
    apply_edits(root, [DATABASE_MOVE])
    return root


def irreversible(root: Path) -> Path:
    """prod upgrades to 100.0.1000079, whose database migration cannot be undone."""
    example_repo(root)
    apply_edits(root, [prod_version("100.0.1000079")])
    return root


def region_removed(root: Path) -> Path:
    """prod eastus gets ``state: absent``: an uninstall."""
    example_repo(root)
    absent = TextEdit("environments/prod/regions/eastus.yaml", "replicas: 3\n", "replicas: 3\nstate: absent\n")
    apply_edits(root, [absent])
    return root


def blocked_redis(root: Path, version: str = "100.0.1000073") -> Path:
    """staging to a release that needs Redis >=7.2; staging's westus2 has 7.0.15."""
    example_repo(root)
    apply_edits(root, [staging_version(version)])
    return root


def blocked_n2(root: Path, *, allow: bool = False) -> Path:
    """prod to 100.0.1000071, older than the newest three releases; ``allow`` sets rollout.allow_unsupported_version."""
    example_repo(root)
    edits = [prod_version("100.0.1000071")]
    if allow:
        edits.append(TextEdit(PROD_ENV, "  pause_between_regions: 600\n",
                              "  pause_between_regions: 600\n  allow_unsupported_version: true\n"))  # fmt: skip
    apply_edits(root, edits)
    return root


def unchanged(root: Path) -> Path:
    """The example with no pending change: every region is a noop."""
    return example_repo(root)


def region_added(root: Path) -> Path:
    """prod deployed at 100.0.1000076 without centralus; the change adds centralus: an install."""
    listed = TextEdit(PROD_ENV, "    - eastus\n    - centralus\n", "    - eastus\n")
    example_repo(root, [prod_version(SUPPORTED), listed], ["environments/prod/regions/centralus.yaml"])
    apply_edits(root, [TextEdit(PROD_ENV, listed.new, listed.old)])
    return root


def environment_added(root: Path) -> Path:
    """staging is not deployed at all in the base: the whole environment is an install."""
    files = sorted(p.relative_to(REPO_ROOT).as_posix() for p in (REPO_ROOT / "environments/staging").rglob("*.yaml"))
    return example_repo(root, [staging_version("100.0.1000071.2")], files)


def all_removed(root: Path) -> Path:
    """Every prod region, the primary included, gets ``state: absent``: the primary must go last."""
    example_repo(root)
    edits = [TextEdit(f"environments/prod/regions/{name}.yaml", f"replicas: {n}\n", f"replicas: {n}\nstate: absent\n")
             for name, n in (("westus2", 3), ("eastus", 3), ("centralus", 2))]  # fmt: skip
    apply_edits(root, edits)
    return root


PRIMARY_FLAG = TextEdit("environments/prod/regions/westus2.yaml", "primary: true\n", "")
NEW_PRIMARY = TextEdit("environments/prod/regions/eastus.yaml", "name: eastus\n", "name: eastus\nprimary: true\n")


def master_dc(name: str) -> list[TextEdit]:
    """Every prod region's values name ``name`` as the master data centre."""
    return [TextEdit(f"environments/prod/values/regions/{region}.yaml", "masterdc: westus2\n", f"masterdc: {name}\n")
            for region in ("westus2", "eastus", "centralus")]  # fmt: skip


def primary_move(root: Path) -> Path:
    """prod deployed at 100.0.1000076; the primary moves from westus2 to eastus (flag and master DC)."""
    example_repo(root, [prod_version(SUPPORTED)])
    order = TextEdit(PROD_ENV, "    - eastus\n    - centralus\n", "    - westus2\n    - centralus\n")
    apply_edits(root, [PRIMARY_FLAG, NEW_PRIMARY, order, *master_dc("eastus")])
    return root


def downgrade_irreversible(root: Path) -> Path:
    """prod deployed at 100.0.1000079 (an irreversible migration); the change reverts it to 100.0.1000076."""
    example_repo(root, [prod_version("100.0.1000079")])
    apply_edits(root, [TextEdit(PROD_ENV, "version: '100.0.1000079'\n", f"version: '{SUPPORTED}'\n")])
    return root


def downgrade_no_restore(root: Path) -> Path:
    """As downgrade_irreversible, but no restore command is configured: blocked."""
    downgrade_irreversible(root)
    env = root / PROD_ENV
    text = env.read_text(encoding="utf-8")
    start = text.index("  restore_command:\n")
    end = text.index("gitops:\n")
    env.write_text(text[:start] + text[end:], encoding="utf-8")
    return root


def downgrade_same_epoch(root: Path) -> Path:
    """prod deployed at 100.0.1000076; the change goes back to 100.0.1000071.2 (a critical fix): no migration undone."""
    example_repo(root, [prod_version(SUPPORTED)])
    apply_edits(root, [TextEdit(PROD_ENV, f"version: '{SUPPORTED}'\n", "version: '100.0.1000071.2'\n")])
    return root


def pin(region: str, replicas: int, version: str) -> TextEdit:
    return TextEdit(f"environments/prod/regions/{region}.yaml", f"replicas: {replicas}\n",
                    f"replicas: {replicas}\npin:\n  version: '{version}'\n")  # fmt: skip


HELD = "100.0.1000073"
"""Within N-2 of 100.0.1000076 by release date, and released before the critical fix 100.0.1000071.2."""


def from_held() -> TextEdit:
    return TextEdit(PROD_ENV, f"version: '{HELD}'\n", f"version: '{SUPPORTED}'\n")


def pin_misses_fix(root: Path) -> Path:
    """prod deployed at 100.0.1000073 upgrades to 100.0.1000076 (a critical fix) while centralus stays pinned at 73."""
    example_repo(root, [prod_version(HELD)])
    apply_edits(root, [from_held(), pin("centralus", 2, HELD)])
    return root


def pinned_behind_migration(root: Path) -> Path:
    """prod upgrades to 100.0.1000079 (irreversible migration) while eastus stays pinned at 100.0.1000076: blocked."""
    example_repo(root, [prod_version(SUPPORTED)])
    to_79 = TextEdit(PROD_ENV, f"version: '{SUPPORTED}'\n", "version: '100.0.1000079'\n")
    apply_edits(root, [to_79, pin("eastus", 3, SUPPORTED)])
    return root


def pinned_primary(root: Path) -> Path:
    """prod deployed at 100.0.1000073 upgrades to 100.0.1000076 while the primary westus2 stays pinned: blocked."""
    example_repo(root, [prod_version(HELD)])
    apply_edits(root, [from_held(), pin("westus2", 3, HELD)])
    return root


def primary_removed(root: Path) -> Path:
    """The primary westus2 gets ``state: absent`` while eastus and centralus stay, with no new primary: blocked."""
    example_repo(root)
    apply_edits(
        root, [TextEdit("environments/prod/regions/westus2.yaml", "replicas: 3\n", "replicas: 3\nstate: absent\n")]
    )
    return root


def region_file_deleted(root: Path) -> Path:
    """eastus's region file is deleted (and its rollout entry): blocked, with a hint to set ``state: absent``."""
    example_repo(root)
    (root / "environments/prod/regions/eastus.yaml").unlink()
    apply_edits(root, [TextEdit(PROD_ENV, "    - eastus\n", "")])
    return root


GENERIC_ENV = "environments/web/environment.yaml"
GENERIC_FILES = {
    GENERIC_ENV: (
        "# Any Helm chart: the environment names chart version and image tag itself.\n"
        "service: generic\n"
        "version: '1.4.0'\n"
        "release: shop\n"
        "namespace: web\n"
        "chart:\n"
        "  name: shop\n"
        "  repository: https://charts.example.com/stable\n"
        "  version: '1.4.0'\n"
        "image:\n"
        "  tag: '1.4.0'\n"
        "values:\n"
        "  - environments/web/values/common.yaml\n"
        "rollout:\n"
        "  verify_timeout: 300\n"
        "gitops:\n"
        "  argocd:\n"
        "    repo_url: https://git.example.com/platform/gitops.git\n"
    ),
    "environments/web/values/common.yaml": "image:\n  repository: registry.example.com/shop\nservice:\n  port: 8080\n",
    "environments/web/regions/westus2.yaml": (
        "name: westus2\nprimary: true\ncluster:\n  name: aks-westus2\n  context: aks-westus2\nreplicas: 3\n"
    ),
    "environments/web/regions/eastus.yaml": (
        "name: eastus\ncluster:\n  name: aks-eastus\n  context: aks-eastus\nreplicas: 2\n"
    ),
}
GENERIC_UPGRADE = (
    TextEdit(GENERIC_ENV, "\nversion: '1.4.0'\n", "\nversion: '1.5.0'\n"),
    TextEdit(GENERIC_ENV, "  version: '1.4.0'\n", "  version: '1.5.1'\n"),
    TextEdit(GENERIC_ENV, "  tag: '1.4.0'\n", "  tag: '1.5.0'\n"),
)


def generic_repo(root: Path, files: Mapping[str, str] = GENERIC_FILES) -> Path:
    """A git repository at ``root`` whose HEAD deploys ``files`` (a generic service, no release notes)."""
    write_files(root, files)
    gitio.init_with_commit(root, "Deployed state")
    return root


def generic(root: Path) -> Path:
    """A generic Helm service in two regions (primary westus2, then eastus) upgrades 1.4.0 → 1.5.0."""
    generic_repo(root)
    apply_edits(root, GENERIC_UPGRADE)
    return root


def write_files(root: Path, files: Mapping[str, str]) -> None:
    """Write ``files`` (repo-relative '/' path → text) under ``root``, creating folders."""
    for relative, text in files.items():
        path = root.joinpath(*relative.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def third_party_first(root: Path) -> Path:
    """Several services: a Redis provider, staging that requires its new version, a generic service after staging."""
    from support.multisvc import third_party_first as build  # it builds on this module

    return build(root)


GOLDEN: dict[str, Builder] = {
    "generic": generic,
    "demo": demo,
    "one_replica": one_replica,
    "redis_move_primary": redis_move_primary,
    "database_move": database_move,
    "irreversible": irreversible,
    "region_removed": region_removed,
    "primary_move": primary_move,
    "downgrade_irreversible": downgrade_irreversible,
    "pin_misses_fix": pin_misses_fix,
    "downgrade_same_epoch": downgrade_same_epoch,
    "third_party_first": third_party_first,
}
"""The scenarios whose whole generated/ tree is kept under tests/golden/<name>/."""

BLOCKED: dict[str, Builder] = {
    "downgrade_no_restore": downgrade_no_restore,
    "pinned_behind_migration": pinned_behind_migration,
    "pinned_primary": pinned_primary,
    "primary_removed": primary_removed,
    "region_file_deleted": region_file_deleted,
}
"""Scenarios the safety rules refuse: compiling them exits 1 with a located message."""
