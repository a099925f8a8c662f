"""A pydantic validation error as a YAML author reads it: file:line:column, the dotted path, plain words.

The message never holds the value that failed: it might be a secret. An unknown
key lists the keys the mapping accepts, as written in YAML (aliases).
"""

from __future__ import annotations

import datetime
import types
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from compiler.errors import Problem
from compiler.spec.types import mask_url_credentials
from compiler.spec.yamlio import Document


def dotted_path(path: Sequence[str | int]) -> str:
    # A key may itself hold a URL with a password: a path in an error never shows it.
    return mask_url_credentials(".".join(str(part) for part in path))


def model_problem(doc: Document, model: type[BaseModel], detail: ErrorDetails) -> Problem:
    """The problem one pydantic error ``detail`` of validating ``doc`` against ``model`` describes."""
    loc = detail["loc"]
    kind = detail["type"]
    if kind == "extra_forbidden":
        expected = ", ".join(_keys_at(model, loc[:-1])) or "none"
        return Problem(doc.locate_key(loc), dotted_path(loc), f"unknown key (expected one of: {expected})")
    if kind == "missing":
        return Problem(doc.locate(loc), dotted_path(loc), "required key is missing")
    message = _PLAIN_MESSAGES.get(kind) or detail["msg"].removeprefix("Value error, ")
    if kind.endswith(("_type", "_parsing")):
        message += f" (found {_found(detail.get('input'))})"
    return Problem(doc.locate(loc), dotted_path(loc), message)


# pydantic speaks of tuples and model classes; a YAML author writes lists and mappings.
_PLAIN_MESSAGES = {
    "model_type": "Input should be a mapping",
    "model_attributes_type": "Input should be a mapping",
    "dict_type": "Input should be a mapping",
    "tuple_type": "Input should be a list",
    "list_type": "Input should be a list",
}


def _found(value: object) -> str:
    """The kind of a value, never the value itself: it might be a secret."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number; quote it to make it text"
    kinds: dict[type, str] = {str: "a string", dict: "a mapping", list: "a list", datetime.date: "a date"}
    return "null" if value is None else kinds.get(type(value), "a value of another type")


def _keys_at(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """The keys a mapping accepts at ``loc`` under ``model``, as written in YAML (aliases)."""
    annotation: Any = model
    for part in loc:
        annotation = _step(annotation, part)
    target = _as_model(annotation)
    if target is None:
        return []
    return sorted(info.alias or name for name, info in target.model_fields.items())


def _step(annotation: Any, part: str | int) -> Any:
    target = _as_model(annotation)
    if target is not None:
        fields = {info.alias or name: info for name, info in target.model_fields.items()}
        return fields[part].annotation if part in fields else None
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (tuple, list) and args:
        return args[0]
    if typing.get_origin(annotation) is dict and len(args) == 2:
        return args[1]
    return None


def _as_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return next((arg for arg in typing.get_args(annotation) if _as_model(arg)), None)
    return None
