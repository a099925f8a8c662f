"""Hostile input against a repository shaped like the vendor's sample: refused at its place, or planned right.

Every case runs `validate` and `compile`. A refusal is exit 1 with the file,
line and column and what was expected, and leaves no generated/ behind; an
accepted oddity compiles (exit 0). Never exit 4.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from support import vendor_sample as vs

from compiler import cli

CHART = vs.CHART_VALUES
EASTUS = vs.region_file("eastus")
NOTE = "release-notes/tenant/100.0.1000076.yaml"
Mutation = Callable[[Path], None]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = vs.deployed(tmp_path_factory.mktemp("vendor") / "repo")
    vs.edit(root, vs.ENV, "version: '100.0.1000073'", "version: '100.0.1000076'")
    return root


@pytest.fixture
def repo(template: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    shutil.copytree(template, copy, symlinks=True)
    return copy


def append(file: str, text: str) -> Mutation:
    def mutate(root: Path) -> None:
        path = root / file
        path.write_bytes(path.read_bytes() + text.encode("utf-8"))

    return mutate


def replace(file: str, old: str, new: str) -> Mutation:
    return lambda root: vs.edit(root, file, old, new)


def raw_bytes(file: str, change: Callable[[bytes], bytes]) -> Mutation:
    def mutate(root: Path) -> None:
        path = root / file
        path.write_bytes(change(path.read_bytes()))

    return mutate


def outcome(root: Path, capsys: pytest.CaptureFixture[str], command: str) -> tuple[int, str]:
    capsys.readouterr()
    code = cli.main([command, "--root", str(root)])
    return code, capsys.readouterr().err


REFUSED: dict[str, tuple[Mutation, str, str]] = {
    # id: (mutation, "file:line:column" prefix, what the message says)
    "bool-tag-not-a-bool": (
        append(CHART, "x: !!bool maybe\n"),
        f"{CHART}:81:4",
        "not a valid bool; expected true or false",
    ),
    "timestamp-tag-not-a-date": (
        append(CHART, "x: !!timestamp soon\n"),
        f"{CHART}:81:4",
        "not a valid timestamp; expected a real date",
    ),
    "int-tag-not-a-number": (append(CHART, "x: !!int abc\n"), f"{CHART}:81:4", "not a valid int; expected a whole"),
    "int-of-5000-digits": (append(CHART, "x: " + "9" * 5000 + "\n"), f"{CHART}:81:4", "at most 4300 digits"),
    "custom-ref-tag-on-mapping": (append(CHART, "x: !Ref {a: 1}\n"), f"{CHART}:81:4", "YAML tag !Ref is not allowed"),
    "python-object-tag": (
        append(CHART, "x: !!python/object:os.system ls\n"),
        f"{CHART}:81:4",
        "YAML tag !!python/object:os.system is not allowed",
    ),
    "merge-key-of-null": (append(CHART, "n:\n  <<: ~\n"), f"{CHART}:82:7", "a merge key (<<) takes a mapping"),
    "duplicate-key-after-merge": (
        append(CHART, "a2: &a2 {x: 1}\nn:\n  <<: *a2\n  x: 2\n  x: 3\n"),
        f"{CHART}:85:3",
        "duplicate key 'x' (first defined on line 84)",
    ),
    "flow-nesting-5000-deep": (
        append(CHART, "d: " + "[" * 5000 + "]" * 5000 + "\n"),
        f"{CHART}:81:",
        "exceeded maximum nesting depth",
    ),
    "tab-indentation": (append(CHART, "t:\n\tx: 1\n"), f"{CHART}:82:1", "cannot start any token"),
    "utf16-file": (raw_bytes(CHART, lambda _: "a: 1\n".encode("utf-16")), f"{CHART}:1:", "not UTF-8 text"),
    "latin1-byte": (raw_bytes(CHART, lambda data: data + b"x: caf\xe9\n"), f"{CHART}:81:7", "not UTF-8 text"),
    "yaml-2-directive": (raw_bytes(CHART, lambda data: b"%YAML 2.0\n---\n" + data), f"{CHART}:1:1", "incompatible"),
    "release-name-54-chars": (
        replace(vs.ENV, "release: t100", "release: t" + "1" * 53),
        f"{vs.ENV}:3:10",
        "has 54 characters; helm takes release names of at most 53",
    ),
    "release-name-63-chars": (
        replace(vs.ENV, "release: t100", "release: t" + "1" * 62),
        f"{vs.ENV}:3:10",
        "helm takes release names of at most 53",
    ),
    "release-name-with-dot": (replace(vs.ENV, "release: t100", "release: t100.a"), f"{vs.ENV}:3:10", "DNS-1123"),
    "namespace-as-yes": (replace(vs.ENV, "namespace: voice", "namespace: yes"), f"{vs.ENV}:4:12", "found a boolean"),
    "context-with-space": (
        replace(EASTUS, "context: prod-eastus", "context: 'prod eastus'"),
        f"{EASTUS}:4:12",
        "cluster.context",
    ),
    "region-file-name-with-newline": (
        lambda root: (root / EASTUS).rename(root / "environments/prod/regions/east\nus.yaml"),
        "environments/prod/regions/east",
        "must equal the file name 'east\\nus'",
    ),
    "values-path-with-newline": (
        replace(vs.ENV, "  - environments/prod/values/t100.yaml", '  - "environments/prod/values/t\\n100.yaml"'),
        f"{vs.ENV}:15:5",
        "control character '\\n'",
    ),
    "environment-folder-with-dot": (
        lambda root: shutil.copytree(root / "environments/prod", root / "environments/prod.v2"),
        "environments/prod.v2/environment.yaml:1:1",
        "environment name 'prod.v2' (its folder name) is not a DNS-1123 label",
    ),
    "version-with-v-prefix-has-no-note": (
        replace(vs.ENV, "version: '100.0.1000076'", "version: 'v100.0.1000076'"),
        f"{vs.ENV}:2:10",
        "no release note release-notes/tenant/v100.0.1000076.yaml",
    ),
    "version-unquoted-float": (
        replace(vs.ENV, "version: '100.0.1000076'", "version: 100.0"),
        f"{vs.ENV}:2:10",
        "version must be a quoted string, found float",
    ),
    "release-note-datetime": (
        replace(NOTE, "released: 2024-10-08", "released: 2024-10-08T10:00:00Z"),
        f"{NOTE}:3:11",
        "released: Datetimes provided to dates should have zero time",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_hostile_input_is_refused_at_its_place(repo: Path, capsys: pytest.CaptureFixture[str], case: str) -> None:
    mutate, where, says = REFUSED[case]
    mutate(repo)
    for command in ("validate", "compile"):
        code, err = outcome(repo, capsys, command)
        assert code == 1, err
        assert f"error: {where}" in err and says in err, err
        assert "internal error" not in err and "Traceback" not in err
    assert not (repo / "generated").exists()


def note(version: str, released: str = "2024-12-01") -> str:
    return f"version: '{version}'\nreleased: {released}\nchart_version: '{version}'\nimage_tag: '{version}'\n"


def new_release(version: str) -> Mutation:
    def mutate(root: Path) -> None:
        (root / f"release-notes/tenant/{version}.yaml").write_text(note(version), encoding="utf-8")
        vs.edit(root, vs.ENV, "version: '100.0.1000076'", f"version: '{version}'")

    return mutate


ACCEPTED: dict[str, Mutation] = {
    "crlf-line-endings": raw_bytes(CHART, lambda data: data.replace(b"\n", b"\r\n")),
    "cr-only-line-endings": raw_bytes(CHART, lambda data: data.replace(b"\n", b"\r")),
    "utf8-bom": raw_bytes(CHART, lambda data: b"\xef\xbb\xbf" + data),
    "keys-that-look-like-int-bool-null": append(CHART, "1: a\ntrue: b\n~: c\n1.5: d\n'<<': e\n"),
    "merge-key-at-top-level": append(CHART, "<<: {zz: 1}\n"),
    "merge-key-inside-list-item": append(CHART, "s:\n  - <<: {a: 1}\n    b: 2\n"),
    "two-merge-keys": append(CHART, "a: &a {x: 1}\nb: &b {y: 2}\nn:\n  <<: *a\n  <<: *b\n"),
    "explicit-str-tag-on-number": append(CHART, "x: !!str 12\n"),
    "yaml-1-1-directive": raw_bytes(CHART, lambda data: b"%YAML 1.1\n---\n" + data),
    "document-end-marker": append(CHART, "...\n"),
    "context-with-quotes-and-dollar": replace(EASTUS, "context: prod-eastus", "context: prod\"e'$(id)"),
    "release-name-53-chars": replace(vs.ENV, "release: t100", "release: t" + "1" * 52),
    "version-with-build-metadata": new_release("100.0.122+1407"),
    "version-with-leading-zero": new_release("0100.0.1000080"),
    "version-with-v-prefix": new_release("v100.0.1000080"),
    "version-prerelease": new_release("100.0.1000080-rc.1"),
}


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_hostile_oddity_that_is_valid_compiles(repo: Path, capsys: pytest.CaptureFixture[str], case: str) -> None:
    ACCEPTED[case](repo)
    code, err = outcome(repo, capsys, "compile")
    assert code == 0, err
    assert (repo / "generated/prod/plan.json").is_file()
    assert outcome(repo, capsys, "check")[0] == 0


def test_hostile_release_name_of_53_chars_reaches_every_helm_argv(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    release = "t" + "1" * 52
    vs.edit(repo, vs.ENV, "release: t100", f"release: {release}")
    assert outcome(repo, capsys, "compile")[0] == 0
    script = (repo / "generated/prod/upgrade.sh").read_text(encoding="utf-8")
    assert f"run helm upgrade --install {release} oci://registry.example.com/gcx/helm/tenant" in script


def test_hostile_context_with_shell_syntax_is_one_quoted_word(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vs.edit(repo, EASTUS, "context: prod-eastus", "context: $(touch${IFS}pwned)")
    assert outcome(repo, capsys, "compile")[0] == 0
    script = (repo / "generated/prod/upgrade.sh").read_text(encoding="utf-8")
    assert "--kube-context '$(touch${IFS}pwned)' -n voice" in script
