"""Secrets never leave their references (C-15): canaries planted in every position stay out of everything.

Each canary is a value the secret policy must catch. Planted in the target's
files, it is refused at validate, naming file:line and path, never the value.
Planted in the base only (history cannot be taken back), or at a path that
only the base declares secret, it is redacted: no generated file, no
output of any command (text or JSON), no commit made by --commit holds it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from support.demorepo import IDENTITY, build_demo, copy_repo, git, rollplan

from compiler.live.fingerprint import values_digest
from compiler.pipeline import load_base
from compiler.spec.models import Secrets

Capture = pytest.CaptureFixture[str]
CANARY = re.compile(r"CANARY-[A-Z0-9]+")
CHART_VALUES = "environments/prod/values/tenant-chart.yaml"
PROD_ENV = "environments/prod/environment.yaml"

# Every position of a secret the policy knows, as a top-level block appended to a values file.
PLANTED = """\
canaries:
  password:
    value: CANARY-MAPPING
  extraEnv:
    - name: LOG_LEVEL
      value: info
    - name: DB_PASSWORD
      value: CANARY-ENVVAR
  pgdb:
    url: postgres://tenant:CANARY-URL@db.example.internal:5432/t100
  redisUrls:
    - redis://:CANARY-LISTURL@redis.example.internal:6379/0
  apiToken: CANARY-WORD
  secrets:
    clientSecret: CANARY-NESTED
"""
PLANTED_PATHS = [
    "canaries.password.value",
    "canaries.extraEnv.1.value",
    "canaries.pgdb.url",
    "canaries.redisUrls.0",
    "canaries.apiToken",
    "canaries.secrets.clientSecret",
]
COMMANDS = [
    ("validate",),
    ("diff",),
    ("compile",),
    ("check",),
]


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


def append(repo: Path, path: str, text: str) -> None:
    file = repo / path
    file.write_text(file.read_text(encoding="utf-8") + text, encoding="utf-8")


def commit_to_base(repo: Path, path: str, base_text: str) -> None:
    """Make HEAD (the deployed state) hold ``base_text`` at ``path``; the work tree keeps its own version."""
    file = repo / path
    work = file.read_text(encoding="utf-8")
    file.write_text(base_text, encoding="utf-8")
    git(repo, "commit", "--quiet", "--message", f"deployed: {path}", "--", path)
    file.write_text(work, encoding="utf-8")


def head_text(repo: Path, path: str) -> str:
    return git(repo, "show", f"HEAD:{path}")


def no_canary(where: str, text: str) -> None:
    found = CANARY.findall(text)
    assert not found, f"{where} leaks {sorted(set(found))}"


def generated_text(repo: Path) -> str:
    files = sorted(p for p in (repo / "generated").rglob("*") if p.is_file())
    assert files, "nothing generated"
    return "\n".join(f"{p}\n{p.read_text(encoding='utf-8')}" for p in files)


def run_everything(repo: Path, capsys: Capture) -> dict[str, tuple[int, str]]:
    """Every command, in text and JSON; the exit code and everything it printed, by command line."""
    seen: dict[str, tuple[int, str]] = {}
    for command in COMMANDS:
        for extra in ((), ("--format", "json")):
            argv = (*command, "--root", str(repo), *extra)
            run = rollplan(capsys, *argv)
            seen[" ".join(argv)] = (run.code, run.out + run.err)
    return seen


# --- refused: a plaintext secret in the target's files -----------------------------------------------------------


def test_canaries_in_target_values_are_refused_by_every_command_naming_the_paths(repo: Path, capsys: Capture) -> None:
    before = generated_text(repo)
    append(repo, CHART_VALUES, PLANTED)
    for argv, (code, printed) in run_everything(repo, capsys).items():
        no_canary(argv, printed)
        assert code == 1, argv
        for path in PLANTED_PATHS:
            assert path in printed, f"{argv} does not name {path}"
    assert generated_text(repo) == before, "a refused run changes no generated file"
    text = rollplan(capsys, "validate", "--root", str(repo)).err
    first = len((repo / CHART_VALUES).read_text(encoding="utf-8").splitlines()) - PLANTED.count("\n") + 1
    assert f"{CHART_VALUES}:{first + 2}:12: canaries.password.value: plaintext secret" in text


def test_canaries_in_a_command_or_url_field_are_refused(repo: Path, capsys: Capture) -> None:
    text = (repo / PROD_ENV).read_text(encoding="utf-8")
    text = text.replace(
        "    - tenant_t100\n", "    - postgres://backup:CANARY-BACKUP@db.example.internal/tenant_t100\n", 1
    )
    (repo / PROD_ENV).write_text(text, encoding="utf-8")
    for command in ("validate", "compile", "diff"):
        for extra in ((), ("--format", "json")):
            run = rollplan(capsys, command, "--root", str(repo), *extra)
            assert run.code == 1
            no_canary(command, run.out + run.err)
            assert "backup.command.12" in run.out + run.err
            assert "password in a URL" in run.out + run.err


def test_canary_in_a_marked_path_is_refused(repo: Path, capsys: Capture) -> None:
    text = (repo / CHART_VALUES).read_text(encoding="utf-8")
    text = text.replace("    isCluster: false\n", "    isCluster: false\n    password: CANARY-MARKED\n", 1)
    (repo / CHART_VALUES).write_text(text, encoding="utf-8")
    run = rollplan(capsys, "validate", "--root", str(repo))
    assert run.code == 1
    assert "tenant.redis.password: plaintext secret" in run.err
    no_canary("validate", run.out + run.err)


def test_a_secret_in_a_release_note_is_masked_in_the_plan_not_refused(repo: Path, capsys: Capture) -> None:
    note = repo / "release-notes/tenant/100.0.1000076.yaml"
    note.write_text(
        note.read_text(encoding="utf-8") + "  Debug with redis://:CANARY-NOTE@redis:6379 and --token CANARY-FLAG.\n",
        encoding="utf-8",
    )
    for argv, (code, printed) in run_everything(repo, capsys).items():
        no_canary(argv, printed)
        assert code in (0, 3), f"{argv}: {printed}"
    assert rollplan(capsys, "compile", "--root", str(repo)).code == 0
    no_canary("generated/", generated_text(repo))
    assert "Debug with redis://:REDACTED@redis:6379" in (repo / "generated/prod/plan.md").read_text(encoding="utf-8")


# --- redacted: secrets that only the base holds, or only the base declares ----------------------------------------


def plant_in_base(repo: Path) -> None:
    """The base holds every canary, and declares `legacy` secret; the target holds `legacy` unmarked."""
    commit_to_base(repo, CHART_VALUES, head_text(repo, CHART_VALUES) + PLANTED + "legacy:\n  blob: CANARY-OLD\n")
    marked = "    - tenant.redis.password\n"
    base_env = head_text(repo, PROD_ENV)
    assert marked in base_env
    commit_to_base(repo, PROD_ENV, base_env.replace(marked, marked + "    - legacy\n"))
    append(repo, CHART_VALUES, "legacy:\n  blob: CANARY-UNION\n")


def test_canaries_in_the_base_only_reach_no_output_of_any_command(repo: Path, capsys: Capture) -> None:
    plant_in_base(repo)
    for argv, (code, printed) in run_everything(repo, capsys).items():
        no_canary(argv, printed)
        assert code in (0, 3), f"{argv}: {printed}"
    assert rollplan(capsys, "compile", "--root", str(repo)).code == 0
    no_canary("generated/", generated_text(repo))
    plan_md = (repo / "generated/prod/plan.md").read_text(encoding="utf-8")
    assert "canaries.apiToken" in plan_md and "*(secret, removed)*" in plan_md
    assert "legacy.blob" in plan_md and "*(secret, changed)*" in plan_md
    assert "secret values change (redacted here)" in plan_md
    diff = rollplan(capsys, "diff", "--root", str(repo), "--env", "prod").out
    assert "  ~ legacy.blob: (secret, changed)" in diff
    assert "  ~ canaries.pgdb.url: (secret, removed)" in diff


@pytest.mark.parametrize("extra", [(), ("--format", "json")], ids=["text", "json"])
def test_canaries_in_the_base_only_stay_out_of_the_commit(repo: Path, capsys: Capture, extra: tuple[str, ...]) -> None:
    plant_in_base(repo)
    run = rollplan(capsys, "compile", "--root", str(repo), "--commit", *extra)
    assert run.code == 0, run.out + run.err
    no_canary("compile --commit", run.out + run.err)
    branch = git(repo, "branch", "--show-current").strip()
    assert branch.startswith("rollplan/")
    commit = git(repo, "show", "--format=%B", "--patch", branch)
    assert "generated/prod/rollback/values/westus2.yaml" in commit
    no_canary("the commit", commit)


def test_a_path_only_the_base_declares_is_supplied_as_a_secret(repo: Path, capsys: Capture) -> None:
    plant_in_base(repo)
    assert rollplan(capsys, "compile", "--root", str(repo)).code == 0
    docs = yaml.safe_load_all((repo / "generated/prod/flux/westus2.yaml").read_text(encoding="utf-8"))
    release = next(doc for doc in docs if doc["kind"] == "HelmRelease")
    keys = [ref["valuesKey"] for ref in release["spec"]["valuesFrom"]]
    assert "legacy" in keys and "tenant.redis.password" in keys
    values = yaml.safe_load((repo / "generated/prod/values/westus2.yaml").read_text(encoding="utf-8"))
    assert values["legacy"] == {}
    plan = json.loads((repo / "generated/prod/plan.json").read_text(encoding="utf-8"))
    upgrades = [s["argv"] for s in plan["steps"] if s["argv"] and s["argv"][:2] == ["helm", "upgrade"]]
    assert upgrades and all("${ROLLPLAN_SECRETS_DIR}/prod/" in " ".join(argv) for argv in upgrades)


def test_a_base_secret_pasted_into_another_regions_file_reaches_no_output(repo: Path, capsys: Capture) -> None:
    west, east = (f"environments/prod/values/regions/{name}.yaml" for name in ("westus2", "eastus"))
    commit_to_base(repo, west, head_text(repo, west) + "secrets2:\n  password: CANARY-PASTED\n")
    commit_to_base(repo, east, head_text(repo, east) + "note: CANARY-PASTED\n")
    assert rollplan(capsys, "compile", "--root", str(repo)).code == 0
    no_canary("generated/", generated_text(repo))
    assert "`note` | removed | *(secret, removed)*" in (repo / "generated/prod/plan.md").read_text(encoding="utf-8")
    # The live release of eastus holds the copy in clear, without the secret it copies: its live check
    # must leave the copy out by its path, or the release would never match its plan.
    plan = json.loads((repo / "generated/prod/plan.json").read_text(encoding="utf-8"))
    [eastus] = [r for r in plan["regions"] if r["name"] == "eastus"]
    [check] = [s["argv"] for s in plan["rollback"] if s["id"] == "rollback-eastus-live-check"]
    paths = [check[i + 1] for i, word in enumerate(check) if word == "--secret-path"]
    words = check[check.index("--secret-words") + 1].split(",")
    live = yaml.safe_load((repo / "generated/prod/rollback/values/eastus.yaml").read_text(encoding="utf-8"))
    live["note"] = "CANARY-PASTED"
    digest = values_digest(live, Secrets(paths=tuple(paths), words=tuple(words)))
    assert digest == eastus["live"]["base"]["values_sha256"]


def test_a_copy_of_a_base_secret_left_in_the_target_is_hidden_and_named(repo: Path, capsys: Capture) -> None:
    west, east = (f"environments/prod/values/regions/{name}.yaml" for name in ("westus2", "eastus"))
    commit_to_base(repo, west, head_text(repo, west) + "secrets2:\n  password: CANARY-KEPT\n")
    append(repo, east, "note: CANARY-KEPT\n")
    assert rollplan(capsys, "compile", "--root", str(repo)).code == 0
    no_canary("generated/", generated_text(repo))
    plan = json.loads((repo / "generated/prod/plan.json").read_text(encoding="utf-8"))
    [risk] = [r for r in plan["risks"] if "pasted-secret" in r]
    assert risk.startswith("SECRET COPY: note in the values of region eastus (environments/prod/regions/eastus.yaml)")


def test_a_credential_the_base_held_in_a_spec_field_is_named_as_a_rollback_risk(repo: Path, capsys: Capture) -> None:
    url = "oci://registry.example.com/genesys/charts"
    commit_to_base(
        repo,
        PROD_ENV,
        head_text(repo, PROD_ENV).replace(url, "oci://robot:CANARY-REPO@registry.example.com/genesys/charts"),
    )
    run = rollplan(capsys, "compile", "--root", str(repo))
    assert run.code == 0, run.err
    no_canary("generated/", generated_text(repo))
    plan = json.loads((repo / "generated/prod/plan.json").read_text(encoding="utf-8"))
    [risk] = [r for r in plan["risks"] if "masked-base-credential" in r]
    assert risk.startswith(f"ROLLBACK: chart.repository in {PROD_ENV} held a credential in the base")
    staging = json.loads((repo / "generated/staging/plan.json").read_text(encoding="utf-8"))
    assert not [r for r in staging["risks"] if "masked-base-credential" in r]


def test_flux_restores_base_secrets_under_a_dotted_key_and_inside_a_list_at_their_place(
    repo: Path, capsys: Capture
) -> None:
    planted = "odd:\n  conn.password: CANARY-DOTTED\n  args: [--api-key, CANARY-ARG, --verbose]\n"
    commit_to_base(repo, CHART_VALUES, head_text(repo, CHART_VALUES) + planted)
    assert rollplan(capsys, "compile", "--root", str(repo)).code == 0
    no_canary("generated/", generated_text(repo))
    docs = yaml.safe_load_all((repo / "generated/prod/rollback/flux/westus2.yaml").read_text(encoding="utf-8"))
    release = next(doc for doc in docs if doc["kind"] == "HelmRelease")
    refs = {ref["targetPath"]: ref["valuesKey"] for ref in release["spec"]["valuesFrom"]}
    # helm's --set syntax: `conn.password` under `odd` is one key, not `password` under `conn`.
    assert "odd.conn.password" not in refs
    assert refs["odd.conn\\.password"].startswith("odd.conn_password-")  # never the nested path's key
    # The secret item leaves its place empty: `args[1]` fills it, and --verbose stays.
    assert refs["odd.args[1]"] == "odd.args.1"
    assert release["spec"]["values"]["odd"]["args"] == ["--api-key", None, "--verbose"]


# --- no false positives --------------------------------------------------------------------------------------------

ORDINARY = """\
ordinary:
  affinity:
    topologyKey: kubernetes.io/hostname
  tokenRefreshSeconds: 30
  automountServiceAccountToken: false
  keyspaceEvents: true
  images:
    imagePullSecrets: pullsecret
  secrets:
    pgdb:
      secretKey: dbpassword
      existingSecret: t100-pgdb
  env:
    - name: DB_PASSWORD_FILE
      value: /opt/genesys/tenant/etc/secrets/pgdb/db-password
"""


def test_ordinary_keys_validate_and_reach_the_values_helm_receives(repo: Path, capsys: Capture) -> None:
    commit_to_base(repo, CHART_VALUES, head_text(repo, CHART_VALUES) + ORDINARY)
    append(repo, CHART_VALUES, ORDINARY)
    assert rollplan(capsys, "validate", "--root", str(repo)).code == 0
    assert rollplan(capsys, "compile", "--root", str(repo)).code == 0
    for region in ("westus2", "eastus", "centralus"):
        values = yaml.safe_load((repo / f"generated/prod/values/{region}.yaml").read_text(encoding="utf-8"))
        assert values["ordinary"] == yaml.safe_load(ORDINARY)["ordinary"], region
    plan = json.loads((repo / "generated/prod/plan.json").read_text(encoding="utf-8"))
    assert not [s for s in plan["steps"] if s["phase"] == "maintenance"], "nothing helm sees in Redis changed"


def test_a_url_password_in_the_base_backup_command_is_masked_not_refused(repo: Path, capsys: Capture) -> None:
    # The fix of a committed credential must itself compile: the base is history, and is masked instead.
    base_env = head_text(repo, PROD_ENV)
    assert "    - tenant_t100\n" in base_env
    leaked = base_env.replace("    - tenant_t100\n", "    - postgres://backup:CANARY-HISTORY@db/tenant_t100\n", 1)
    commit_to_base(repo, PROD_ENV, leaked)
    for argv, (code, printed) in run_everything(repo, capsys).items():
        no_canary(argv, printed)
        assert code in (0, 3), f"{argv}: {printed}"
    no_canary("generated/", generated_text(repo))
    specs, _ = load_base(repo, "HEAD", ["prod"])
    assert specs is not None
    command = specs.environments["prod"].spec.backup.command
    assert command is not None and command[-1] == "postgres://backup:REDACTED@db/tenant_t100"


def test_a_key_holding_a_url_password_is_refused_without_showing_it(repo: Path, capsys: Capture) -> None:
    append(repo, CHART_VALUES, "backends:\n  'postgres://u:CANARY-KEY@db/t100': primary\n")
    for extra in ((), ("--format", "json")):
        run = rollplan(capsys, "validate", "--root", str(repo), *extra)
        assert run.code == 1
        no_canary("validate", run.out + run.err)
        assert "backends.postgres://u:REDACTED@db/t100: plaintext secret" in run.out + run.err


SECRET_KEY = re.compile(r"[-._a-zA-Z0-9]+")  # what Kubernetes accepts as a key of a Secret's data


def test_flux_values_keys_are_keys_a_secret_can_hold_and_one_per_path(repo: Path, capsys: Capture) -> None:
    planted = (
        "odd:\n"
        "  conn.password: CANARY-DOTTED\n"
        "  conn:\n    password: CANARY-NESTED\n"
        "  annotations:\n    auth.example.com/token: CANARY-SLASH\n"
    )
    commit_to_base(repo, CHART_VALUES, head_text(repo, CHART_VALUES) + planted)
    run = rollplan(capsys, "compile", "--root", str(repo))
    assert run.code == 0, run.err
    no_canary("generated/", generated_text(repo))
    docs = yaml.safe_load_all((repo / "generated/prod/rollback/flux/westus2.yaml").read_text(encoding="utf-8"))
    release = next(doc for doc in docs if doc["kind"] == "HelmRelease")
    refs = {ref["targetPath"]: ref["valuesKey"] for ref in release["spec"]["valuesFrom"]}
    wanted = ["odd.conn\\.password", "odd.conn.password", "odd.annotations.auth\\.example\\.com/token"]
    assert all(path in refs for path in wanted), refs
    assert all(SECRET_KEY.fullmatch(key) for key in refs.values()), refs
    assert len(set(refs.values())) == len(refs)  # two paths never share a key
    assert refs["odd.conn.password"] == "odd.conn.password"  # a plain path is its own key
    # plan.md tells whoever fills the Secret which key a path that cannot be a key goes under.
    plan_md = (repo / "generated/prod/plan.md").read_text(encoding="utf-8")
    slash = "odd.annotations.auth\\.example\\.com/token"
    assert f"`{slash}` → `{refs[slash]}`" in plan_md
