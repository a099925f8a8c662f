"""The data-loss confirmation before an uninstall: the vendor's advice only where there is a vendor."""

from __future__ import annotations

from pathlib import Path

from support import scenarios

from compiler.pipeline import compile_repo


def _confirmations(root: Path, env: str) -> list[str]:
    plan = compile_repo(root).plans[env]
    return [s.description for s in plan.uninstall if s.id.endswith("confirm-uninstall")]


def test_uninstall_advice_tenant_names_the_vendors_support(tmp_path: Path) -> None:
    texts = _confirmations(scenarios.region_removed(tmp_path / "repo"), "prod")
    assert texts and all("talk to the vendor's support first. Confirm to go on" in t for t in texts)


def test_uninstall_advice_generic_has_no_vendor_to_call(tmp_path: Path) -> None:
    root = scenarios.generic(tmp_path / "repo")
    region = root / "environments/web/regions/eastus.yaml"
    region.write_text(region.read_text(encoding="utf-8") + "state: absent\n", encoding="utf-8")
    texts = _confirmations(root, "web")
    assert len(texts) == 1 and "vendor" not in texts[0] and texts[0].endswith("data may be purged. Confirm to go on")
