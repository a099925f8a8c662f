"""The JSON Schemas in schemas/ agree with the loader: a sample is accepted by both or refused by both (C-4).

Editors validate with the schemas while people type, rollplan with the
models; a schema that accepts what rollplan refuses (or the reverse) sends
people round in circles. Each sample changes one field of a valid document.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import json
from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel, ValidationError

from compiler.commands.schema import MODELS, schema_files

ENVIRONMENT: dict[str, Any] = {
    "service": "tenant",
    "version": "100.0.1000076",
    "release": "t100",
    "namespace": "voice",
    "chart": {"name": "tenant", "repository": "oci://registry.example.com/charts"},
    "values": ["environments/prod/values/common.yaml"],
}
REGION: dict[str, Any] = {
    "name": "westus2",
    "primary": True,
    "cluster": {"name": "aks-westus2", "context": "prod-westus2", "server": "https://k8s.example.com:443"},
    "replicas": 3,
    "third_party": {"redis": "7.2.4"},
}
NOTE: dict[str, Any] = {
    "version": "100.0.1000076",
    "released": "2024-10-01",
    "chart_version": "100.0.1000076",
    "image_tag": "100.0.1000076",
    "requires": {"redis": ">=7.2"},
}
CONFIG: dict[str, Any] = {"deployed_branch": "main"}

# (schema file, valid document, field path, value): the sample is the document with that field set.
SAMPLES: list[tuple[str, dict[str, Any], tuple[str, ...], Any]] = [
    ("environment.schema.json", ENVIRONMENT, (), None),
    ("environment.schema.json", ENVIRONMENT, ("service",), "other"),
    ("environment.schema.json", ENVIRONMENT, ("version",), 100),
    ("environment.schema.json", ENVIRONMENT, ("version",), "1.0 beta"),
    ("environment.schema.json", ENVIRONMENT, ("version",), "9.0.122+1407"),
    ("environment.schema.json", ENVIRONMENT, ("release",), "T100"),
    ("environment.schema.json", ENVIRONMENT, ("release",), "t" * 64),
    ("environment.schema.json", ENVIRONMENT, ("release",), "-t100"),
    ("environment.schema.json", ENVIRONMENT, ("namespace",), "voice-1"),
    ("environment.schema.json", ENVIRONMENT, ("chart", "repository"), "ftp://example.com"),
    ("environment.schema.json", ENVIRONMENT, ("chart", "name"), "Tenant"),
    ("environment.schema.json", ENVIRONMENT, ("image",), {"paths": ["images.tenant.tag"]}),
    ("environment.schema.json", ENVIRONMENT, ("image",), {"paths": ["images..tag"]}),
    ("environment.schema.json", ENVIRONMENT, ("image",), {"paths": []}),
    ("environment.schema.json", ENVIRONMENT, ("values",), ["/etc/passwd"]),
    ("environment.schema.json", ENVIRONMENT, ("values",), ["../outside.yaml"]),
    ("environment.schema.json", ENVIRONMENT, ("values",), "one.yaml"),
    ("environment.schema.json", ENVIRONMENT, ("rollout",), {"verify_timeout": 0}),
    ("environment.schema.json", ENVIRONMENT, ("rollout",), {"verify_timeout": 86401}),
    ("environment.schema.json", ENVIRONMENT, ("rollout",), {"verify_timeout": 60.5}),
    ("environment.schema.json", ENVIRONMENT, ("rollout",), {"order": ["eastus"]}),
    ("environment.schema.json", ENVIRONMENT, ("unknown",), 1),
    ("region.schema.json", REGION, (), None),
    ("region.schema.json", REGION, ("name",), "West_US"),
    ("region.schema.json", REGION, ("replicas",), 0),
    ("region.schema.json", REGION, ("replicas",), 101),
    ("region.schema.json", REGION, ("replicas",), 2.5),
    ("region.schema.json", REGION, ("replicas",), [3]),
    ("region.schema.json", REGION, ("primary",), "maybe"),
    ("region.schema.json", REGION, ("state",), "gone"),
    ("region.schema.json", REGION, ("state",), "absent"),
    ("region.schema.json", REGION, ("cluster", "server"), "http://k8s.example.com"),
    ("region.schema.json", REGION, ("cluster", "context"), "has space"),
    ("region.schema.json", REGION, ("cluster", "context"), ""),
    ("region.schema.json", REGION, ("third_party",), {"redis": 7}),
    ("region.schema.json", REGION, ("pin",), {"version": "100.0.1000067"}),
    ("region.schema.json", REGION, ("pin",), {"version": "bad version"}),
    ("release-note.schema.json", NOTE, (), None),
    ("release-note.schema.json", NOTE, ("released",), "not a date"),
    ("release-note.schema.json", NOTE, ("database_migration",), "maybe"),
    ("release-note.schema.json", NOTE, ("values_keys",), {"renamed": [{"from": "a.b", "to": "a.c"}]}),
    ("release-note.schema.json", NOTE, ("values_keys",), {"removed": ["a b"]}),
    ("release-note.schema.json", NOTE, ("critical_security_fix",), "maybe"),
    ("rollplan.schema.json", CONFIG, (), None),
    ("rollplan.schema.json", CONFIG, ("deployed_branch",), "release/2024"),
    ("rollplan.schema.json", CONFIG, ("deployed_branch",), "has space"),
    ("rollplan.schema.json", CONFIG, ("deployed_branch",), 7),
    ("rollplan.schema.json", CONFIG, ("other",), "x"),
]


def sample(document: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(document)
    if not path:
        return doc
    where = doc
    for part in path[:-1]:
        where = where[part]
    where[path[-1]] = value
    return doc


def loader_accepts(model: type[BaseModel], doc: dict[str, Any]) -> bool:
    # YAML gives dates as dates; JSON-shaped samples carry them as ISO strings.
    data = json.loads(json.dumps(doc), object_hook=_dates)
    try:
        model.model_validate(data)
    except ValidationError:
        return False
    return True


def _dates(obj: dict[str, Any]) -> dict[str, Any]:
    if isinstance(obj.get("released"), str):
        with contextlib.suppress(ValueError):
            obj["released"] = datetime.date.fromisoformat(obj["released"])
    return obj


def schema_accepts(name: str, doc: dict[str, Any]) -> bool:
    schema = json.loads(schema_files()[name])
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    return validator.is_valid(doc)


@pytest.mark.parametrize(("name", "document", "path", "value"), SAMPLES, ids=[
    f"{name.split('.')[0]}:{'.'.join(path) or 'valid'}={value!r}"[:80] for name, _, path, value in SAMPLES
])  # fmt: skip
def test_schema_agreement_sample(name: str, document: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    doc = sample(document, path, value)
    loader = loader_accepts(MODELS[name], doc)
    schema = schema_accepts(name, doc)
    assert schema == loader, f"{name}: the schema {'accepts' if schema else 'refuses'} and the loader " \
                             f"{'accepts' if loader else 'refuses'} {path}={value!r}"


def test_schema_agreement_valid_documents_are_valid() -> None:
    for name, document, path, _ in SAMPLES:
        if not path:
            assert loader_accepts(MODELS[name], document), name
