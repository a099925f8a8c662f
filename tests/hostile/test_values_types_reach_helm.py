"""Values keep their YAML type all the way to helm: what plan.md calls a string, the chart gets as one.

PyYAML reads YAML 1.1; helm (and Flux, Argo CD) read values with Go's YAML,
which also takes `y`, `n`, `1e3`, `0o17` and `.5e3` for booleans and numbers.
A string such as the short-commit image tag '5208e41' must therefore be
written quoted, or the chart receives 5.208e+44.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from compiler.spec.yamlio import dump_all_yaml, dump_yaml, load_document

# Strings YAML 1.1 reads as text but Go's YAML would not, if written plain.
GO_LOOKALIKES = ["y", "Y", "n", "N", "1e3", "5208e41", "0o17", "+.5e2", ".5e3", "1_0e1", "-2E10"]
# Strings every reader agrees are text: written plain, as before.
PLAIN_TEXT = ["100.0.1000076", "1.9.5", "900m", "yes-no", "ny", "e3", "1e", "pullsecret"]

CHART_YAML = "apiVersion: v2\nname: probe\nversion: 0.1.0\n"
# One line per value: its index, Go type and value, as the chart sees it.
TEMPLATE = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\ndata:\n"
    "{{- range $i, $v := .Values.items }}\n"
    '  i{{ $i }}: {{ printf "%T=%v" $v $v | quote }}\n'
    "{{- end }}\n"
    "{{- range $k, $v := .Values.keys }}\n"
    '  k-{{ $k }}: {{ printf "%T" $v | quote }}\n'
    "{{- end }}\n"
)


@pytest.mark.parametrize("text", GO_LOOKALIKES)
def test_yamlio_dump_quotes_strings_go_yaml_reads_as_other_types(text: str) -> None:
    assert dump_yaml({"v": text}) == f"v: '{text}'\n"
    assert dump_all_yaml([{"v": text}]) == f"---\nv: '{text}'\n"
    assert load_document(dump_yaml({"v": text}).encode(), "f.yaml").data == {"v": text}


@pytest.mark.parametrize("text", PLAIN_TEXT)
def test_yamlio_dump_keeps_unambiguous_text_plain(text: str) -> None:
    assert dump_yaml({"v": text}) == f"v: {text}\n"


def test_yamlio_dump_quotes_lookalike_keys() -> None:
    assert dump_yaml({"y": {"n": 1}}) == "'y':\n  'n': 1\n"


@pytest.mark.helm
def test_yamlio_dumped_values_reach_helm_with_their_types(helm: Path, tmp_path: Path) -> None:
    chart = tmp_path / "probe"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(CHART_YAML, encoding="utf-8")
    (chart / "templates" / "cm.yaml").write_text(TEMPLATE, encoding="utf-8")
    items = GO_LOOKALIKES + PLAIN_TEXT
    values = tmp_path / "values.yaml"
    values.write_text(dump_yaml({"items": items, "keys": {"y": 1, "n": 2}}), encoding="utf-8")
    argv = [str(helm), "template", "probe", str(chart), "-f", str(values)]
    rendered = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    for index, text in enumerate(items):
        assert f'i{index}: "string={text}"' in rendered, rendered
    assert 'k-y: "float64"' in rendered and 'k-n: "float64"' in rendered, rendered
