"""The one jinja environment every renderer uses.

Autoescape is off because the outputs are shell, YAML and Markdown, not HTML;
instead every word that lands in a shell script goes through the ``shquote`` or
``shjoin`` filter. Undefined names are errors, never empty strings.
"""

from __future__ import annotations

import functools
import traceback
from pathlib import Path
from typing import Any

import jinja2

from compiler.render.shellwords import shell_join, shell_quote

TEMPLATES = Path(__file__).parent / "templates"


class TemplateBug(Exception):
    """A template failed to render: a bug in rollplan, not in the user's input."""

    def __init__(self, *, template: str, line: int, message: str) -> None:
        self.template = template
        self.line = line
        super().__init__(f"{template}:{line}: {message}")


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["shquote"] = shell_quote
    env.filters["shjoin"] = shell_join
    return env


def render(template: str, **context: Any) -> str:
    """Render the template named ``template`` (relative to compiler/render/templates) with ``context``."""
    env = _environment()
    try:
        return env.get_template(template).render(**context)
    except (jinja2.TemplateError, TypeError, ValueError) as exc:
        # TypeError/ValueError come from filters (a non-string or NUL shell word).
        raise _located(exc, template) from exc


def _located(exc: Exception, template: str) -> TemplateBug:
    """``exc`` as a TemplateBug naming the template file and line where it happened."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        name = _template_name(exc.filename or exc.name or template)
        return TemplateBug(template=name, line=exc.lineno, message=exc.message or str(exc))
    # jinja rewrites tracebacks so that template frames carry the template's file and line.
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".j2"):
            return TemplateBug(template=_template_name(frame.filename), line=frame.lineno or 0, message=str(exc))
    return TemplateBug(template=template, line=0, message=str(exc))


def _template_name(filename: str) -> str:
    """A template's name relative to the templates folder: messages carry no machine paths."""
    path = Path(filename)
    return path.relative_to(TEMPLATES).as_posix() if path.is_relative_to(TEMPLATES) else filename
