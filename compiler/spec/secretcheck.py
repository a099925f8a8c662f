"""The secret checks of the spec files: secrets written into spec fields, and secret paths the spec owns.

Spec fields reach commands, manifests and plan.md as they are, so any secret form
in them (a URL password, ``--password …``, ``Pwd=…``, a private key: see
:mod:`compiler.resolve.secretforms`) is refused in the working tree, at the line
of the field, naming the form and never the value. History (the base) cannot be
taken back: there the secret part is masked before the models see it, so the
commit that removes a leak still compiles.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from compiler.errors import Problem
from compiler.resolve.secretforms import FORM_TEXT, flag_values, mask, secret_form
from compiler.resolve.secretnames import DEFAULT_WORDS
from compiler.spec.models import EnvironmentSpec
from compiler.spec.yamlio import Document

Path = tuple[str | int, ...]
FIX = "take the credential from a Secret, a file or the environment instead"


def spec_secret_message(form: str) -> str:
    return f"holds {FORM_TEXT[form]}; {FIX}"


def found_secrets(data: Any, path: Path = ()) -> Iterator[tuple[Path, str]]:
    """(path, form) of each key, text or argv item of a spec document that holds a secret."""
    if isinstance(data, dict):
        for key, value in data.items():
            form = secret_form(key, DEFAULT_WORDS) if isinstance(key, str) else None
            if form is not None:
                yield (*path, key), form
            else:
                yield from found_secrets(value, (*path, key))
    elif isinstance(data, list):
        flagged = set(flag_values(data, DEFAULT_WORDS))
        for index, item in enumerate(data):
            if index in flagged:
                yield (*path, index), "flag"
            else:
                yield from found_secrets(item, (*path, index))
    elif isinstance(data, str):
        form = secret_form(data, DEFAULT_WORDS)
        if form is not None:
            yield path, form


def masked(data: Any) -> Any:
    """A copy of a spec document with every secret part replaced by REDACTED."""
    if isinstance(data, dict):
        return {(mask(k, DEFAULT_WORDS) if isinstance(k, str) else k): masked(v) for k, v in data.items()}
    if isinstance(data, list):
        flagged = set(flag_values(data, DEFAULT_WORDS))
        return ["REDACTED" if index in flagged else masked(item) for index, item in enumerate(data)]
    if isinstance(data, str):
        return mask(data, DEFAULT_WORDS)
    return data


def owned_paths(spec: EnvironmentSpec) -> dict[str, str]:
    """Values paths rollplan writes from the spec itself, and what it writes there."""
    owned = dict.fromkeys(spec.image.paths, "the image tag (image.paths)")
    owned[spec.paths.replicas] = "the replica count of each region (paths.replicas)"
    return owned


def _overlap(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def owned_secret_problems(doc: Document, spec: EnvironmentSpec) -> list[Problem]:
    """A ``secrets.paths`` entry that covers a path the spec writes would take that value away from helm."""
    problems: list[Problem] = []
    owned = owned_paths(spec)
    for index, declared in enumerate(spec.secrets.paths):
        hit = [path for path in owned if _overlap(declared, path)]
        if not hit:
            continue
        exact = hit == [declared]
        what = " and ".join(sorted({owned[path] for path in hit}))
        message = (
            f"{declared!r} {'is' if exact else 'overlaps'} {', '.join(hit)}, where rollplan writes {what} from the "
            "spec: as a secret path it would be removed from what helm receives. Remove it from secrets.paths"
            + ("" if exact else ", and list the secret paths beside it one by one")
        )
        problems.append(Problem(doc.locate(("secrets", "paths", index)), f"secrets.paths.{index}", message))
    return problems
