"""The one jinja environment: strict about undefined names, errors located in the template."""

from __future__ import annotations

import jinja2
import pytest

from compiler.render.templating import TEMPLATES, TemplateBug, _located, render, shell_quote


def test_templating_undefined_name_names_template_and_line() -> None:
    with pytest.raises(TemplateBug) as caught:
        render("script.sh.j2", script="upgrade.sh")

    assert caught.value.template == "script.sh.j2"
    assert caught.value.line > 0
    assert str(caught.value).startswith(f"script.sh.j2:{caught.value.line}: ")
    assert str(TEMPLATES) not in str(caught.value)


def test_templating_syntax_error_names_template_and_line() -> None:
    error = jinja2.TemplateSyntaxError("unexpected '}'", 7, name="x.j2", filename=str(TEMPLATES / "x.j2"))

    bug = _located(error, "x.j2")

    assert str(bug) == "x.j2:7: unexpected '}'"


def test_templating_missing_template_is_a_bug() -> None:
    with pytest.raises(TemplateBug, match=r"no-such\.j2"):
        render("no-such.j2")


@pytest.mark.parametrize(
    ("word", "quoted"), [("plain", "plain"), ("", "''"), ("a b", "'a b'"), ("it's", "'it'\"'\"'s'"), ("$x", "'$x'")]
)
def test_templating_shell_quote_quotes_what_needs_it(word: str, quoted: str) -> None:
    assert shell_quote(word) == quoted


@pytest.mark.parametrize("word", ["a\x00b", 3])
def test_templating_shell_quote_refuses_non_words(word: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        shell_quote(word)  # type: ignore[arg-type]
