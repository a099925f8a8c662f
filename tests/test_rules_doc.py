"""docs/rules.md lists every rule the code names in its messages."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAMED = re.compile(r"rule: ([a-z0-9-]+)\)")
# safety.blocked(where, path, "rule-id", …) adds "(rule: rule-id)" itself.
BLOCKED = re.compile(r'blocked\(\s*[^,]+,\s*[^,]+,\s*"([a-z0-9-]+)"')
LISTED = re.compile(r"^\| `([a-z0-9-]+)` \|", re.MULTILINE)


def _named_in_code() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "compiler").rglob("*.py"):
        found |= set(NAMED.findall(path.read_text(encoding="utf-8")))
        found |= set(BLOCKED.findall(path.read_text(encoding="utf-8")))
    return found


def test_rules_doc_lists_every_rule_the_code_names() -> None:
    listed = set(LISTED.findall((ROOT / "docs/rules.md").read_text(encoding="utf-8")))
    named = _named_in_code()
    assert {"support-window", "epoch-reader", "one-primary", "pinned-primary", "command-context"} <= named
    assert named - listed == set()


def test_rules_doc_rows_have_a_kind_and_a_source() -> None:
    text = (ROOT / "docs/rules.md").read_text(encoding="utf-8")
    for row in (line for line in text.splitlines() if LISTED.match(line)):
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 4, row
        assert any(kind in cells[2] for kind in ("block", "risk", "shape")), row
        assert cells[3], row
