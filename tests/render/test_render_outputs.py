"""Every output file of an environment, as render_environment assembles them."""

from __future__ import annotations

from dataclasses import replace

from support.planfactory import make_plan

from compiler.render.markdown import render_plan_md
from compiler.render.outputs import render_environment
from compiler.render.shellwords import shell_join


def test_render_outputs_values_files_use_the_same_secret_rules_as_the_manifests() -> None:
    plan = make_plan(tricky=False)
    assert plan.base_env is not None
    # The base marked tenant.redis.host secret; the target no longer does. Secret on either side stays out.
    secrets = plan.base_env.secrets.model_copy(update={"paths": ("tenant.redis.host",)})
    plan = replace(plan, base_env=plan.base_env.model_copy(update={"secrets": secrets}))
    files = render_environment(plan, {"base": "", "target": "", "combined": ""})
    values = files["values/westus2.yaml"].decode()
    assert "redis-westus2.example.internal" not in values
    assert "pg-westus2.example.internal" in values, "non-secret values stay"
    for path, data in files.items():
        assert b"redis-westus2.example.internal" not in data, path
        assert b"pg-secret-" not in data and b"redis-secret-" not in data, path


def test_render_plan_md_fast_path_is_the_plans_data() -> None:
    plan = make_plan(tricky=False)
    text = render_plan_md(plan, gitops=[])
    assert plan.fast_path, "the factory's upgrade offers a fast path"
    for fast in plan.fast_path:
        assert f"- {fast.region}: `{shell_join(fast.argv)}`" in text
    assert "Fast path" not in render_plan_md(replace(plan, fast_path=()), gitops=[])
