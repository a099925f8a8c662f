"""The pull request comment of the rollplan action: one marker line, a summary table per environment, the plans.

Reads the committed generated/<env>/plan.json and plan.md, which `rollplan check`
has just verified (or found stale: the comment then says so first).
Usage: plan_comment.py --root DIR --exit-code N [--errors FILE] [ENV ...]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

MARKER = "<!-- rollplan plan -->"
LIMIT = 60000  # a comment holds at most 65536 characters
VERDICTS = {
    "0": "generated/ matches the specs.",
    "1": "**rollplan check failed**: invalid specs, a blocked plan, or a base git cannot give.",
    "3": "**generated/ is stale**: run `rollplan compile` and commit `generated/`.",
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, default=Path("."))
    parser.add_argument("--exit-code", default="0")
    parser.add_argument("--errors", type=Path)
    parser.add_argument("environments", nargs="*")
    args = parser.parse_args(argv)
    sys.stdout.write(comment(args.root, args.exit_code, args.errors, args.environments))
    return 0


def comment(root: Path, code: str, errors: Path | None, only: list[str]) -> str:
    lines = [MARKER, "### rollplan", "", VERDICTS.get(code, f"**rollplan check exited with {code}**."), ""]
    if code != "0" and errors is not None and errors.is_file():
        lines += ["```", errors.read_text(encoding="utf-8", errors="replace").strip()[:5000], "```", ""]
    plans = _plans(root / "generated", only)
    counts: Counter[str] = Counter(r["change"] for plan in plans.values() for r in plan["regions"])
    lines += ["| Environment | Region | Change | From → to | Risks |", "|---|---|---|---|---|"]
    for env, plan in plans.items():
        lines += [_row(env, region) for region in plan["regions"]]
    lines += ["", f"Plan: {counts['upgrade']} to upgrade, {counts['image-only']} image-only, "
              f"{counts['config']} config only, {counts['install']} to install, {counts['uninstall']} to uninstall", ""]
    texts = {env: (root / "generated" / env / "plan.md").read_text(encoding="utf-8") for env in plans}
    body = "\n".join([*lines, *_plan_sections(texts, whole=True)])
    if len(body) > LIMIT:
        # Each plan.md's first screen (the decision) ends at the marker: keep that part of every plan whole.
        body = "\n".join([*lines, *_plan_sections(texts, whole=False)])
    if len(body) > LIMIT:
        body = body[: body.rfind("\n", 0, LIMIT)] + "\n\n*Cut here: read the full plan.md files in the pull request.*\n"
    return body


SUMMARY_END = "<!-- rollplan:summary-end -->"


def _plan_sections(texts: dict[str, str], *, whole: bool) -> list[str]:
    lines: list[str] = []
    for env, text in texts.items():
        if not whole and SUMMARY_END in text:
            where = f"`generated/{env}/plan.md` in this pull request"
            text = text.split(SUMMARY_END, 1)[0] + f"\n*The steps and the rollback: {where}.*\n"
        lines += [f"<details><summary>{env}: plan.md</summary>", "", text, "</details>", ""]
    return lines


def _plans(generated: Path, only: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for path in sorted(generated.glob("*/plan.json")):
        env = path.parent.name
        if only and env not in only:
            continue
        plan = json.loads(path.read_text(encoding="utf-8"))
        if any(r["change"] != "noop" for r in plan["regions"]):
            found[env] = plan
    return found


def _row(env: str, region: dict[str, Any]) -> str:
    frm = (region.get("from") or {}).get("version", "none")
    to = (region.get("to") or {}).get("version", "none")
    risks = "<br>".join(_cell(r) for r in region["risks"]) or "none"
    name = region["name"] + (" (primary)" if region["primary"] else "")
    return f"| {_cell(env)} | {_cell(name)} | {region['change']} | {_cell(frm)} → {_cell(to)} | {risks} |"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
