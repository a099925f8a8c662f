"""The README's profile table names each profile's defaults as the spec stage knows them."""

from __future__ import annotations

from pathlib import Path

from compiler.profiles.spec_facts import FACTS

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_profiles_table_names_every_service_and_its_defaults() -> None:
    table = README.read_text(encoding="utf-8").split("### Service profiles", 1)[1].split("\n## ", 1)[0]
    for service, facts in FACTS.items():
        assert f"`{service}`" in table, service
        for path in (*facts.tag_paths, facts.replicas):
            assert f"`{path}`" in table, f"the README's profile table misses {service}'s {path}"
