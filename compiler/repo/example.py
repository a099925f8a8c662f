"""The pending change `rollplan demo` applies on top of the deployed example.

HEAD of the demo repository holds what is deployed; these edits make the
working tree: prod upgrades every region (primary first) to 100.0.1000076,
eastus gets more memory, and staging takes the image-only hotfix
100.0.1000071.2. The edits are exact text replacements, so that the demo
keeps the example's comments and layout and the diff a reviewer sees is the
diff an engineer would have typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TextEdit:
    """Replace ``old`` (which must occur exactly once) by ``new`` in the repo-relative ``file``."""

    file: str
    old: str
    new: str


DEMO_EDITS: tuple[TextEdit, ...] = (
    # A multi-region upgrade with a new chart: critical security fix, reversible migration.
    TextEdit(
        file="environments/prod/environment.yaml",
        old="version: '100.0.1000067'\n",
        new="version: '100.0.1000076'\n",
    ),
    # A values change in one region only.
    TextEdit(
        file="environments/prod/values/regions/eastus.yaml",
        old="      requests:\n        memory: 3Gi\n      limits:\n        memory: 6Gi\n",
        new="      requests:\n        memory: 4Gi\n      limits:\n        memory: 8Gi\n",
    ),
    # An image-only change: the hotfix keeps the chart version of 100.0.1000071.
    TextEdit(
        file="environments/staging/environment.yaml",
        old="version: '100.0.1000071'\n",
        new="version: '100.0.1000071.2'\n",
    ),
)


def apply_edit(text: str, edit: TextEdit) -> str:
    """``text`` with ``edit`` applied; a RuntimeError when its ``old`` text is not there exactly once."""
    count = text.count(edit.old)
    if count != 1:
        # The edits and the example ship together: a mismatch is a bug in them, not user input.
        raise RuntimeError(f"demo edit of {edit.file}: expected {edit.old!r} exactly once, found it {count} times")
    return text.replace(edit.old, edit.new)


def apply_demo_change(root: Path) -> list[str]:
    """Apply :data:`DEMO_EDITS` to the example copied under ``root``; the changed repo-relative paths, sorted."""
    changed: set[str] = set()
    for edit in DEMO_EDITS:
        path = root / edit.file
        if not path.is_file():
            raise RuntimeError(f"demo edit of {edit.file}: the file does not exist under the example root")
        text = path.read_text(encoding="utf-8")
        path.write_text(apply_edit(text, edit), encoding="utf-8")
        changed.add(edit.file)
    return sorted(changed)
