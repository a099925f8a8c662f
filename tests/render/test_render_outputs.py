"""Every output file of an environment, as render_environment assembles them."""

from __future__ import annotations

from dataclasses import replace

from support.planfactory import make_plan

from compiler.render.markdown import render_plan_md
from compiler.render.outputs import render_environment
from compiler.render.shellwords import shell_join


def test_render_outputs_values_files_hold_what_the_resolver_left() -> None:
    # The states hold their secrets as Redacted leaves only: every file leaves them out.
    plan = make_plan(tricky=False)
    files = render_environment(plan, {"base": "", "target": "", "combined": ""})
    values = files["values/westus2.yaml"].decode()
    assert "pg-westus2.example.internal" in values, "non-secret values stay"
    assert "password" not in values and "auth" not in values
    for path, data in files.items():
        assert b"pg-secret-" not in data and b"redis-secret-" not in data, path


def test_render_plan_md_fast_path_is_the_plans_data() -> None:
    plan = make_plan(tricky=False)
    text = render_plan_md(plan, gitops=[])
    assert plan.fast_path, "the factory's upgrade offers a fast path"
    for fast in plan.fast_path:
        assert f"- {fast.region}: `{shell_join(fast.argv)}`" in text
    assert "Fast path" not in render_plan_md(replace(plan, fast_path=()), gitops=[])
