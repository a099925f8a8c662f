"""Every secret form, planted in every position, reaches no output (C-15).

A form is a credential written into text: a JDBC or .NET connection string, a
``--password``/``--token`` argument (in a string or as two argv items), a private
key or a ``password:`` line in a block string, a token as the user of a URL. In the
working tree each is refused at validate, naming the file and path, never the value;
in the base only (history) each is redacted, so the commit that removes it compiles,
and no generated file (scripts, plan.md, plan.json, manifests, values) holds it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.demorepo import IDENTITY, build_demo, copy_repo, git, rollplan

Capture = pytest.CaptureFixture[str]
CANARY = re.compile(r"CANARY-[A-Z0-9]+")
SHARED = "environments/prod/values/tenant-chart.yaml"
REGION = "environments/prod/values/regions/westus2.yaml"
SPEC = "environments/prod/environment.yaml"
LAST_WORD = "    - tenant_t100\n"

FORMS: dict[str, Any] = {
    "jdbc": "jdbc:postgresql://db/t100?user=tenant&password=CANARY-JDBC",
    "odbc": "jdbc:sqlserver://db;databaseName=t100;password=CANARY-ODBC;",
    "ado": "Server=db;User Id=tenant;Pwd=CANARY-ADO;",
    "flag-equals": "pg_dump --password=CANARY-FLAGEQ t100",
    "flag-token": "vault login --token CANARY-TOKEN",
    "flag-client-secret": "az login --client-secret CANARY-CLIENT",
    "flag-api-key": "cli --api-key CANARY-APIKEY",
    "argv-pair": ["--password", "CANARY-ARGV"],
    "private-key": "-----BEGIN RSA PRIVATE KEY-----\nCANARY-PEM\n-----END RSA PRIVATE KEY-----\n",
    "yaml-line": "db:\n  host: x\n  password: CANARY-LINE\n",
    "env-line": "HOST=db\nDB_PASSWORD=CANARY-ENVLINE\n",
    "token-user": "https://ghp_CANARY-TOKENUSER@github.com/o/r.git",
    "x-access-token": "https://x-access-token:CANARY-XACCESS@github.com/o/r.git",
    "url-escaped": "postgres%3A%2F%2Fu%3ACANARY-ESCAPED%40db%2Ft100",
}
POSITIONS = ("values", "shared", "list", "spec")
CASES = [(form, position) for form in FORMS for position in POSITIONS]


@pytest.fixture(autouse=True)
def git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in IDENTITY.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo(tmp_path_factory.mktemp("template") / "demo")


@pytest.fixture
def repo(demo_template: Path, tmp_path: Path) -> Path:
    return copy_repo(demo_template, tmp_path / "repo")


def planted(repo: Path, form: str, position: str, text: str) -> tuple[str, str, str]:
    """``text`` (a file's content) with the canary of ``form`` planted at ``position``: (file, new text, path)."""
    value = FORMS[form]
    if position == "spec":
        words = value if isinstance(value, list) else [value]
        lines = "".join(f"    - {yaml.safe_dump(word, default_style=chr(34)).strip()}\n" for word in words)
        assert LAST_WORD in text
        return SPEC, text.replace(LAST_WORD, LAST_WORD + lines, 1), f"backup.command.{13 + len(words) - 1}"
    file = REGION if position == "values" else SHARED
    if isinstance(value, list):
        node: Any = {"args": ["--verbose", *value]}
        path = f"canary.args.{len(value)}"
    elif position == "list":
        node, path = {"hosts": ["db.example.internal", value]}, "canary.hosts.1"
    else:
        node, path = {"setting": value}, "canary.setting"
    return file, text + yaml.safe_dump({"canary": node}, sort_keys=False), path


def no_canary(where: str, text: str) -> None:
    found = CANARY.findall(text)
    assert not found, f"{where} leaks {sorted(set(found))}"


def generated_text(repo: Path) -> str:
    files = sorted(p for p in (repo / "generated").rglob("*") if p.is_file())
    kinds = {p.suffix for p in files}
    assert {".sh", ".md", ".json", ".yaml"} <= kinds, kinds
    return "\n".join(f"{p}\n{p.read_text(encoding='utf-8')}" for p in files)


@pytest.mark.parametrize(("form", "position"), CASES)
def test_secret_form_canary_in_the_working_tree_is_refused_naming_the_path(
    repo: Path, capsys: Capture, form: str, position: str
) -> None:
    before = generated_text(repo)
    file, text, path = planted(repo, form, position, (repo / SPEC if position == "spec" else repo / REGION
                                                      if position == "values" else repo / SHARED).read_text("utf-8"))
    (repo / file).write_text(text, encoding="utf-8")
    for argv in (("validate",), ("compile", "--format", "json")):
        run = rollplan(capsys, *argv, "--root", str(repo))
        printed = run.out + run.err
        assert run.code == 1, f"{argv}: {printed}"
        no_canary(" ".join(argv), printed)
        assert file in printed and path in printed, printed
    assert generated_text(repo) == before, "a refused run changes no generated file"


@pytest.mark.parametrize(("form", "position"), CASES)
def test_secret_form_canary_in_the_base_only_reaches_no_output(
    repo: Path, capsys: Capture, form: str, position: str
) -> None:
    target = (repo / SPEC if position == "spec" else repo / REGION if position == "values" else repo / SHARED)
    work = target.read_text(encoding="utf-8")
    file, text, _ = planted(repo, form, position, git(repo, "show", f"HEAD:{target.relative_to(repo)}"))
    (repo / file).write_text(text, encoding="utf-8")
    git(repo, "commit", "--quiet", "--message", "deployed with a leak", "--", file)
    (repo / file).write_text(work, encoding="utf-8")
    multiline = isinstance(FORMS[form], str) and "\n" in FORMS[form]
    for argv in (("compile",), ("diff", "--format", "json")):
        # The leak is HEAD's: name it as the base, whatever base an earlier plan.json records.
        run = rollplan(capsys, *argv, "--root", str(repo), "--base", "HEAD")
        no_canary(" ".join(argv), run.out + run.err)
        if not (position == "spec" and multiline):  # a command word never held a line break: history is invalid
            assert run.code == 0, f"{argv}: {run.out + run.err}"
    no_canary("generated/", generated_text(repo))
    if position != "spec":
        rollback_values = (repo / "generated/prod/rollback/values/westus2.yaml").read_text(encoding="utf-8")
        assert "canary" in rollback_values, "the base was read: its values hold the canary's key"


ANCHORED = "anchored:\n  db:\n    password: &pw CANARY-ANCHOR\n  mirror:\n    host: *pw\n  list: [a, *pw]\n"


def test_secret_form_an_anchor_copies_a_secret_refused_at_every_alias(repo: Path, capsys: Capture) -> None:
    shared = repo / SHARED
    shared.write_text(shared.read_text(encoding="utf-8") + ANCHORED, encoding="utf-8")
    run = rollplan(capsys, "validate", "--root", str(repo))
    assert run.code == 1
    no_canary("validate", run.out + run.err)
    for path in ("anchored.db.password", "anchored.mirror.host", "anchored.list.1"):
        assert f"{path}: plaintext secret" in run.err, run.err


def test_secret_form_an_anchored_secret_in_the_base_reaches_no_output(repo: Path, capsys: Capture) -> None:
    work = (repo / SHARED).read_text(encoding="utf-8")
    (repo / SHARED).write_text(git(repo, "show", f"HEAD:{SHARED}") + ANCHORED, encoding="utf-8")
    git(repo, "commit", "--quiet", "--message", "deployed with a leak", "--", SHARED)
    (repo / SHARED).write_text(work, encoding="utf-8")
    run = rollplan(capsys, "compile", "--root", str(repo), "--base", "HEAD")
    assert run.code == 0, run.err
    no_canary("compile", run.out + run.err)
    no_canary("generated/", generated_text(repo))
    rollback_values = yaml.safe_load((repo / "generated/prod/rollback/values/westus2.yaml").read_text("utf-8"))
    # The secret list item leaves its place empty, so the items keep their index (Flux fills it by targetPath).
    assert rollback_values["anchored"] == {"db": {}, "mirror": {}, "list": ["a", None]}


def test_secret_form_a_tag_path_only_the_base_declared_secret_still_reaches_helm(repo: Path, capsys: Capture) -> None:
    base_env = git(repo, "show", f"HEAD:{SPEC}")
    marked = "    - tenant.redis.password\n"
    assert marked in base_env
    work = (repo / SPEC).read_text(encoding="utf-8")
    (repo / SPEC).write_text(base_env.replace(marked, marked + "    - images.tenant.tag\n"), encoding="utf-8")
    git(repo, "commit", "--quiet", "--message", "deployed with the tag marked secret", "--", SPEC)
    (repo / SPEC).write_text(work, encoding="utf-8")
    run = rollplan(capsys, "compile", "--root", str(repo), "--base", "HEAD")
    assert run.code == 0, run.err
    for folder in ("values", "rollback/values"):
        values = yaml.safe_load((repo / f"generated/prod/{folder}/westus2.yaml").read_text(encoding="utf-8"))
        assert values["images"]["tenant"]["tag"], folder
    # The working tree may not declare it: refused at its list entry.
    (repo / SPEC).write_text(work.replace(marked, marked + "    - images.tenant.tag\n"), encoding="utf-8")
    run = rollplan(capsys, "validate", "--root", str(repo))
    assert run.code == 1
    assert "secrets.paths.1: 'images.tenant.tag' is images.tenant.tag, where rollplan writes the image tag" in run.err


@pytest.mark.parametrize(
    "value",
    ["a" * 1_000_000, "x=" * 400_000 + "CANARY-LONG", "https://" + "a" * 1_000_000 + "@", "--password " * 80_000],
    ids=["letters", "pairs", "url", "flags"],
)
def test_secret_form_a_megabyte_value_is_checked_and_never_echoed(repo: Path, capsys: Capture, value: str) -> None:
    shared = repo / SHARED
    shared.write_text(shared.read_text(encoding="utf-8") + yaml.safe_dump({"huge": {"blob": value}}), encoding="utf-8")
    run = rollplan(capsys, "validate", "--root", str(repo))  # linear patterns: this returns, whatever the text
    no_canary("validate", run.out + run.err)
    assert len(run.out + run.err) < 10_000, "no value is echoed"
