"""plan.md with hostile user strings: every one reads back as the literal text it is."""

from __future__ import annotations

from dataclasses import replace

from markdown_it.token import Token
from support import mdcheck
from support.planfactory import make_plan

from compiler.plan.model import DiffEntry, Plan
from compiler.render import mdtext
from compiler.render.markdown import render_plan_docs, render_plan_md
from compiler.render.shellwords import shell_join
from compiler.spec.models import ReleaseNote

HOSTILE = "a|b `tick` ``` <script>alert(1)</script> [link](http://x) *em* _u_ &amp; \\ ~~s~~ </details>"
NOTES = "# not a heading\n- not an item\n\n1. not a list\n> not a quote\n```\nfenced?\n```\n| a | b |\n|---|---|"
PATH = "tenant.a|b.`x`.<b>bold</b>"
ARGV = ("backup-tool", "--label", "```", "--note", "a`b|c <i>", "--flag")


def hostile_plan() -> Plan:
    plan = make_plan(tricky=False)
    first, second, *rest = plan.steps
    steps = (replace(first, description=HOSTILE, risk=HOSTILE), replace(second, argv=ARGV), *rest)
    entry = DiffEntry(PATH, "changed", old="x|y`z", new="<img src=x onerror=alert(1)>")
    region = replace(plan.regions[0], diff=(entry,), risks=(*plan.regions[0].risks, HOSTILE))
    note = ReleaseNote.model_validate(
        {"version": "100.0.1000076", "released": "2024-10-08", "chart_version": "100.0.1000076",
         "image_tag": "100.0.1000076", "notes": NOTES, "critical_security_fix": True}
    )  # fmt: skip
    return replace(plan, steps=steps, regions=(region, *plan.regions[1:]), risks=(HOSTILE,), releases=(note,))


def plain_texts(text: str) -> list[str]:
    """The text of every inline run as a reader sees it: markup gone, code spans and breaks as text."""
    found = []
    for token in mdcheck.tokens(text):
        children: list[Token] = token.children or []
        parts = [c.content if c.type in ("text", "code_inline") else " " for c in children if c.type != "em_open"]
        found.append("".join(p for p in parts))
    return found


def test_plan_md_hostile_strings_break_no_structure() -> None:
    text = render_plan_md(hostile_plan())
    assert not list(mdcheck.problems(text))
    html = mdcheck.parser().render(text)
    for forbidden in ("<script", "<img", '<a href="http://x"', "<em>em</em>", "<del>", "<b>bold"):
        assert forbidden not in html, forbidden
    assert html.count("<h1>") == 1 and "<h1>not a heading" not in html


def test_plan_md_hostile_description_and_risks_read_back_literally() -> None:
    texts = plain_texts(render_plan_md(hostile_plan()))
    literal = mdtext.one_line(HOSTILE)
    assert sum(literal in t for t in texts) >= 3  # the loud risk, the risk list, the step and its risk


def test_plan_md_hostile_values_path_and_values_stay_in_their_cells() -> None:
    tokens = mdcheck.tokens(render_plan_md(hostile_plan()))
    codes = [c.content for t in tokens for c in (t.children or []) if c.type == "code_inline"]
    assert PATH in codes
    assert '"x|y`z"' in codes and '"<img src=x onerror=alert(1)>"' in codes


def test_plan_md_hostile_argv_gets_a_longer_fence() -> None:
    text = render_plan_md(hostile_plan())
    blocks = [f for f in mdcheck.fences(text) if f.info == "sh"]
    assert mdcheck.unfold(blocks[1].content) == shell_join(ARGV)
    assert all(b.in_list_item for b in blocks)


def test_plan_md_hostile_release_notes_are_paragraph_text() -> None:
    text = render_plan_md(hostile_plan())
    html = mdcheck.parser().render(text)
    section = html[html.index("<h2>Release notes") : html.index("<h2>Regions")]
    assert "<ul>" in section  # the facts list, and nothing the note text made
    assert section.count("<li>") == 4  # chart, security fix, migration, provisioning
    for made in ("<ol", "<table", "<pre", "<h1"):
        assert made not in section, made
    assert "# not a heading - not an item" in " ".join(plain_texts(text))


def test_plan_md_step_blocks_stay_in_items_past_step_nine() -> None:
    plan = make_plan(tricky=False, regions=("westus2", "eastus", "centralus", "northus", "southus"))
    assert len(plan.steps) > 10
    text = render_plan_md(plan)
    assert not list(mdcheck.problems(text))
    assert "10. **" in text and "\n    ```sh\n" in text


def test_plan_md_check_catches_a_block_outside_its_item() -> None:
    # The old layout: three spaces under "10." end the item, and the block falls out of the list.
    broken = (
        "10. **gate**: confirm\n   *manual step: the script waits*\n11. **gate**: wait\n   ```sh\n   sleep 1\n   ```\n"
    )
    assert any("fell out" in p for p in mdcheck.problems(broken))
    assert any("runs into" in p for p in mdcheck.problems(broken))


def test_plan_md_small_plan_has_no_steps_file() -> None:
    docs = render_plan_docs(make_plan(tricky=False))
    assert list(docs) == ["plan.md"]
    assert "[steps.md]" not in docs["plan.md"]


def test_plan_md_many_distinct_diffs_move_beside_the_steps() -> None:
    plan = make_plan(tricky=False, regions=[f"region-{i:03d}" for i in range(100)])
    regions = tuple(
        replace(r, diff=tuple(DiffEntry(f"tenant.general.option{k}", "changed", f"old-{r.name}", f"new-{r.name}")
                              for k in range(8)))
        for r in plan.regions
    )  # fmt: skip
    docs = render_plan_docs(replace(plan, regions=regions))
    assert len(docs["plan.md"].encode("utf-8")) < 60_000
    assert "in 100 distinct ways" in docs["plan.md"] and "(steps.md#values-diff)" in docs["plan.md"]
    assert docs["steps.md"].count("| Path | Change | Before | After |") == 100
    for text in docs.values():
        assert not list(mdcheck.problems(text))


def test_plan_md_bidi_and_control_characters_are_shown_as_replacements() -> None:
    plan = make_plan(tricky=False)
    step = replace(plan.steps[0], description="safe\u202e txet desrever\x1b[31m red")
    text = render_plan_md(replace(plan, steps=(step, *plan.steps[1:])))
    assert "\u202e" not in text and "\x1b" not in text
    assert "safe\ufffd txet desrever\ufffd\\[31m red" in text


def test_plan_md_change_sentence_names_the_primary_last_when_it_is_removed() -> None:
    regions = ("westus2", "eastus", "centralus")
    removed = render_plan_md(make_plan(tricky=False, absent=regions))
    assert "Changing: 3 of 3 regions, westus2 (primary) last." in removed
    upgraded = render_plan_md(make_plan(tricky=False))
    assert "Changing: 3 of 3 regions, westus2 (primary) first." in upgraded


def test_plan_md_count_line_counts_every_change_kind() -> None:
    plan = make_plan(tricky=False, absent=("centralus",))
    line = next(x for x in render_plan_md(plan).splitlines() if x.startswith("**Plan:**"))
    assert "2 to upgrade" in line and "1 to uninstall" in line and "0 to install" in line and "0 unchanged" in line


def test_plan_md_backslash_before_a_pipe_survives_a_table_cell() -> None:
    plan = make_plan(tricky=False)
    entry = DiffEntry("tenant.a\\|b", "changed", old="c\\|d", new="e\\\\|f")
    text = render_plan_md(replace(plan, regions=(replace(plan.regions[0], diff=(entry,)), *plan.regions[1:])))
    assert not list(mdcheck.problems(text))
    codes = [c.content for t in mdcheck.tokens(text) for c in (t.children or []) if c.type == "code_inline"]
    assert "tenant.a\\|b" in codes
    assert '"c\\\\|d"' in codes and '"e\\\\\\\\|f"' in codes  # JSON doubles each backslash


def test_plan_md_release_facts_list_added_removed_and_renamed_keys() -> None:
    note = ReleaseNote.model_validate(
        {"version": "100.0.1000076", "released": "2024-10-08", "chart_version": "100.0.1000076",
         "image_tag": "100.0.1000076", "database_migration": "irreversible", "provisioning_changes": True,
         "values_keys": {"added": ["tenant.a"], "removed": ["tenant.b"],
                         "renamed": [{"from": "tenant.c", "to": "tenant.d"}]}}
    )  # fmt: skip
    text = render_plan_md(replace(make_plan(tricky=False), releases=(note,)))
    notes = text[text.index("## Release notes") : text.index("## Regions")]
    for fact in ("values keys added: `tenant.a`", "values keys removed: `tenant.b`",
                 "values keys renamed: `tenant.c` → `tenant.d`", "database migration: **irreversible**",
                 "provisioning changes: **required**"):  # fmt: skip
        assert fact in notes, fact
