"""Every output file of an environment, as render_environment assembles them."""

from __future__ import annotations

from support.planfactory import make_plan

from compiler.render.outputs import render_environment


def test_render_outputs_values_files_hold_what_the_resolver_left() -> None:
    # The states hold their secrets as Redacted leaves only: every file leaves them out.
    plan = make_plan(tricky=False)
    files = render_environment(plan, {"base": "", "target": "", "combined": ""})
    values = files["values/westus2.yaml"].decode()
    assert "pg-westus2.example.internal" in values, "non-secret values stay"
    assert "password" not in values and "auth" not in values
    for path, data in files.items():
        assert b"pg-secret-" not in data and b"redis-secret-" not in data, path
