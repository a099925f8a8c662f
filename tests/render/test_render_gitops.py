"""GitOps output: Argo CD, Flux, rollback twins and alerts, checked against the upstream CRDs."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from support.planfactory import make_plan

from compiler.errors import InputError
from compiler.plan.model import Plan, RegionChange
from compiler.profiles.alerting import duration
from compiler.render import staging
from compiler.render.deployments import forward_deployments
from compiler.render.gitops import gitops_notes, render_gitops
from compiler.render.names import object_name
from compiler.resolve.secrets import redacted_paths
from compiler.spec.models import EnvironmentSpec, RegionSpec

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
VALIDATOR = SHARED / "tools" / "validate-manifests"
DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# The plaintext secrets planfactory puts into every region's effective values.
SECRET_VALUES = ("pg-secret-", "redis-secret-")


# --- building plans -------------------------------------------------------------------------


def _env(env: EnvironmentSpec, overrides: dict[str, Any]) -> EnvironmentSpec:
    return EnvironmentSpec.model_validate(env.model_dump() | overrides)


def _with_server(region: RegionSpec) -> RegionSpec:
    cluster = region.cluster.model_dump() | {"server": f"https://{region.cluster.name}.k8s.example.com:443"}
    return RegionSpec.model_validate(region.model_dump() | {"cluster": cluster})


def _plan(
    *,
    mode: str = "app-of-apps",
    chart: dict[str, Any] | None = None,
    auto_sync: bool = False,
    servers: bool = False,
    absent: tuple[str, ...] = (),
    noop: tuple[str, ...] = (),
    install: tuple[str, ...] = (),
    regions: tuple[str, ...] = ("westus2", "eastus", "centralus"),
) -> Plan:
    """planfactory's upgrade plan, with the GitOps settings, chart source and region changes asked for."""
    plan = make_plan(regions=regions, absent=absent, tricky=False)
    argocd = {"mode": mode, "auto_sync": auto_sync, "repo_url": "https://git.example.com/platform/tenant-gitops.git"}
    overrides: dict[str, Any] = {"gitops": {"argocd": argocd}}
    if chart is not None:
        overrides["chart"] = chart
    env = _env(plan.env, overrides)
    assert plan.base_env is not None
    base_env = _env(plan.base_env, overrides)
    changes = tuple(_restate(c, env, base_env, servers, noop, install) for c in plan.regions)
    return replace(plan, env=env, base_env=base_env, regions=changes)


def _restate(
    change: RegionChange,
    env: EnvironmentSpec,
    base_env: EnvironmentSpec,
    servers: bool,
    noop: tuple[str, ...],
    install: tuple[str, ...],
) -> RegionChange:
    assert change.base is not None
    region = _with_server(change.base.region) if servers else change.base.region
    base = replace(change.base, env=base_env, region=region)
    target = replace(change.target, env=env, region=region) if change.target is not None else None
    if change.name in noop:  # pinned at the deployed release: nothing changes
        return replace(change, change="noop", base=base, target=replace(base, env=env), diff=())
    if change.name in install:
        return replace(change, change="install", base=None, target=target)
    return replace(change, base=base, target=target)


PLANS = {
    "oci-app-of-apps": lambda: _plan(),
    "https-applicationset-servers": lambda: _plan(
        mode="applicationset", chart={"name": "tenant", "repository": "https://charts.example.com/tenant"}, servers=True
    ),
    "local-chart-app-of-apps-uninstall": lambda: _plan(
        chart={"name": "tenant", "path": "charts/tenant"}, absent=("eastus",)
    ),
    "local-chart-applicationset-auto": lambda: _plan(
        mode="applicationset", chart={"name": "tenant", "path": "charts/tenant"}, auto_sync=True
    ),
    "mixed-changes": lambda: _plan(
        servers=True,
        absent=("centralus",),
        noop=("eastus",),
        install=("northeu",),
        regions=("westus2", "northeu", "eastus", "centralus"),
    ),
    "mixed-changes-applicationset": lambda: _plan(
        mode="applicationset",
        absent=("centralus",),
        noop=("eastus",),
        install=("northeu",),
        regions=("westus2", "northeu", "eastus", "centralus"),
    ),
}


def _dump(files: dict[str, list[dict[str, Any]]], root: Path) -> Path:
    for path, docs in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump_all(docs, sort_keys=True), encoding="utf-8")
    return root


def _docs(files: dict[str, list[dict[str, Any]]], kind: str, prefix: str = "") -> list[dict[str, Any]]:
    return [d for path, docs in files.items() if path.startswith(prefix) for d in docs if d.get("kind") == kind]


# --- validation against the CRDs, and kustomize -----------------------------------------------


def test_render_gitops_validates_against_upstream_crds(tmp_path: Path) -> None:
    if not VALIDATOR.is_file():
        pytest.skip(f"the CRD validator is not beside this checkout ({VALIDATOR.relative_to(SHARED.parent)})")
    for name, build in PLANS.items():  # one validator run: loading the CRDs is the slow part
        _dump(render_gitops(build()), tmp_path / name / "generated")
    done = subprocess.run([sys.executable, str(VALIDATOR), str(tmp_path)], capture_output=True, text=True, check=False)
    summary = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"[1-9]\d* valid, 0 invalid, 0 unknown, \d+ skipped", summary), done.stdout
    assert done.returncode == 0
    kinds = {
        d["kind"] for path in tmp_path.rglob("*.yaml") for d in yaml.safe_load_all(path.read_text()) if "kind" in d
    }
    assert kinds == {
        "Application",
        "ApplicationSet",
        "HelmRelease",
        "HelmRepository",
        "OCIRepository",
        "GitRepository",
        "PrometheusRule",
    }


@pytest.mark.parametrize("name", sorted(PLANS))
def test_render_gitops_kustomize_builds_every_folder(name: str, tmp_path: Path) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not on PATH")
    files = render_gitops(PLANS[name]())
    root = _dump(files, tmp_path)
    folders = sorted({str(Path(p).parent) for p in files if p.endswith("kustomization.yaml")})
    assert folders == ["argocd", "flux", "rollback/argocd", "rollback/flux"]
    for folder in folders:
        done = subprocess.run([kubectl, "kustomize", str(root / folder)], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        built = [d for d in yaml.safe_load_all(done.stdout) if d]
        listed = yaml.safe_load((root / folder / "kustomization.yaml").read_text())["resources"]
        assert len(built) == sum(len(files[f"{folder}/{f}"]) for f in listed)
        parent = {"kind": "Application", "name": object_name("t100", "prod")}
        assert parent not in [{"kind": d["kind"], "name": d["metadata"]["name"]} for d in built]


# --- ordering ------------------------------------------------------------------------------------


def test_argocd_primary_sync_wave_precedes_the_others() -> None:
    files = render_gitops(_plan())
    apps = {
        d["metadata"]["labels"]["rollplan.io/region"]: d
        for d in _docs(files, "Application", "argocd/")
        if "rollplan.io/region" in d["metadata"]["labels"]
    }
    waves = {r: int(a["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) for r, a in apps.items()}
    assert waves == {"westus2": 0, "eastus": 1, "centralus": 2}
    assert apps["westus2"]["metadata"]["labels"]["rollplan.io/primary"] == "true"
    assert {a["metadata"]["labels"]["rollplan.io/primary"] for r, a in apps.items() if r != "westus2"} == {"false"}
    assert all("syncPolicy" not in a["spec"] for a in apps.values())


def test_argocd_auto_sync_only_when_asked() -> None:
    files = render_gitops(_plan(auto_sync=True))
    apps = _docs(files, "Application", "argocd/")
    assert apps and all(a["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True} for a in apps)


def test_flux_depends_on_chain_follows_rollout_order() -> None:
    files = render_gitops(_plan(regions=("westus2", "eastus", "centralus", "northeu")))
    releases = [files[f"flux/{r}.yaml"][0] for r in ("westus2", "eastus", "centralus", "northeu")]
    assert [r["kind"] for r in releases] == ["HelmRelease"] * 4
    assert "dependsOn" not in releases[0]["spec"]
    for before, after in itertools.pairwise(releases):
        assert after["spec"]["dependsOn"] == [{"name": before["metadata"]["name"], "namespace": "flux-system"}]


def test_flux_depends_on_skips_regions_that_exist_on_one_side_only() -> None:
    files = render_gitops(
        _plan(absent=("centralus",), install=("northeu",), regions=("westus2", "northeu", "centralus", "eastus"))
    )
    depends = {
        p: d["spec"].get("dependsOn") for p, docs in files.items() for d in docs if d.get("kind") == "HelmRelease"
    }
    westus2 = [{"name": "t100-prod-westus2", "namespace": "flux-system"}]
    assert depends["flux/northeu.yaml"] == westus2
    assert depends["flux/eastus.yaml"] == westus2
    assert depends["rollback/flux/centralus.yaml"] == westus2
    assert depends["rollback/flux/eastus.yaml"] == westus2


def test_applicationset_rolling_sync_steps_follow_waves() -> None:
    appset = render_gitops(_plan(mode="applicationset"))["argocd/applicationset.yaml"][0]
    steps = appset["spec"]["strategy"]["rollingSync"]["steps"]
    assert [s["matchExpressions"] for s in steps] == [
        [{"key": "rollplan.io/wave", "operator": "In", "values": [str(w)]}] for w in range(3)
    ]
    assert [s["maxUpdate"] for s in steps] == [0, 0, 0]
    elements = appset["spec"]["generators"][0]["list"]["elements"]
    assert [(e["region"], e["wave"], e["primary"]) for e in elements] == [
        ("westus2", "0", "true"),
        ("eastus", "1", "false"),
        ("centralus", "2", "false"),
    ]
    auto = render_gitops(_plan(mode="applicationset", auto_sync=True))["argocd/applicationset.yaml"][0]
    assert all("maxUpdate" not in s for s in auto["spec"]["strategy"]["rollingSync"]["steps"])


def _go_template(text: str, element: dict[str, Any]) -> str:
    """Just enough of Go's text/template for our templatePatch: `{{ if .x }}…{{ else }}…{{ end }}`, toJson."""
    text = re.sub(
        r"\{\{ if \.(\w+) \}\}(.*?)\{\{ else \}\}(.*?)\{\{ end \}\}",
        lambda m: m.group(2) if element[m.group(1)] else m.group(3),
        text,
    )
    text = re.sub(r"\{\{ toJson \.(\w+) \}\}", lambda m: json.dumps(element[m.group(1)]), text)
    return re.sub(r"\{\{ \.(\w+) \}\}", lambda m: str(element[m.group(1)]), text)


def _merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in patch.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


@pytest.mark.parametrize("servers", [True, False], ids=["server", "name"])
def test_applicationset_generates_the_app_of_apps_applications(servers: bool, tmp_path: Path) -> None:
    """Rendering the template per element gives what app-of-apps mode writes, and that validates."""
    appset = render_gitops(_plan(mode="applicationset", servers=servers))["argocd/applicationset.yaml"][0]
    apps = {a["metadata"]["name"]: a for a in _docs(render_gitops(_plan(servers=servers)), "Application", "argocd/")}
    spec = appset["spec"]
    generated = []
    for element in spec["generators"][0]["list"]["elements"]:
        template = yaml.safe_load(_go_template(yaml.safe_dump(spec["template"]), element))
        app = _merge(template, yaml.safe_load(_go_template(spec["templatePatch"], element)))
        generated.append({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", **app})
        expected = apps[app["metadata"]["name"]]
        assert app["spec"] == expected["spec"]
        assert app["metadata"]["labels"] == expected["metadata"]["labels"]
    if VALIDATOR.is_file():
        _dump({"apps.yaml": generated}, tmp_path)
        done = subprocess.run(
            [sys.executable, str(VALIDATOR), str(tmp_path)], capture_output=True, text=True, check=False
        )
        assert done.stdout.strip().endswith("3 valid, 0 invalid, 0 unknown, 0 skipped"), done.stdout


# --- secrets ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PLANS))
def test_render_gitops_has_no_secret_value(name: str) -> None:
    plan = PLANS[name]()
    # The plan holds its secrets only as Redacted leaves; the manifests name their paths.
    assert any(redacted_paths(c.current.values) for c in plan.regions)
    assert not [s for s in SECRET_VALUES if s in repr(plan)]
    text = yaml.safe_dump_all([d for docs in render_gitops(plan).values() for d in docs]) + "\n".join(
        gitops_notes(plan)
    )
    assert not [s for s in SECRET_VALUES if s in text]


def test_flux_values_from_references_every_secret_path() -> None:
    files = render_gitops(_plan())
    release = files["flux/eastus.yaml"][0]
    refs = release["spec"]["valuesFrom"]
    assert [(r["kind"], r["name"], r["valuesKey"], r["targetPath"]) for r in refs] == [
        ("Secret", "t100-values", "tenant.pgdb.password", "tenant.pgdb.password"),
        ("Secret", "t100-values", "tenant.redis.auth", "tenant.redis.auth"),
    ]
    assert "password" not in release["spec"]["values"]["tenant"]["pgdb"]


# --- sources ----------------------------------------------------------------------------------------


def test_argocd_oci_repo_url_has_no_scheme() -> None:
    files = render_gitops(_plan())
    sources = [a["spec"]["source"] for a in _docs(files, "Application") if "chart" in a["spec"]["source"]]
    assert sources and {s["repoURL"] for s in sources} == {"registry.example.com/genesys/charts"}
    assert not _docs(files, "HelmRepository")
    repos = _docs(files, "OCIRepository", "flux/")
    assert [(r["spec"]["url"], r["spec"]["ref"]) for r in repos] == [
        ("oci://registry.example.com/genesys/charts/tenant", {"tag": "100.0.1000076_1407"})
    ]
    assert repos == files["flux/sources.yaml"]  # one source for every region on that chart version
    refs = {d["spec"]["chartRef"]["name"] for d in _docs(files, "HelmRelease", "flux/")}
    assert refs == {repos[0]["metadata"]["name"]}


def test_https_chart_keeps_its_url_and_default_repository_type() -> None:
    files = render_gitops(_plan(chart={"name": "tenant", "repository": "https://charts.example.com/tenant"}))
    assert {a["spec"]["source"]["repoURL"] for a in _docs(files, "Application", "argocd/w")} == {
        "https://charts.example.com/tenant"
    }
    assert all("type" not in r["spec"] for r in _docs(files, "HelmRepository"))


def test_local_chart_is_read_from_this_repository() -> None:
    files = render_gitops(_plan(chart={"name": "tenant", "path": "charts/tenant"}))
    app = files["argocd/westus2.yaml"][0]["spec"]["source"]
    assert {k: app[k] for k in ("repoURL", "path", "targetRevision")} == {
        "repoURL": "https://git.example.com/platform/tenant-gitops.git",
        "path": "charts/tenant",
        "targetRevision": "HEAD",
    }
    assert "chart" not in app
    [source], [release] = files["flux/sources.yaml"], files["flux/westus2.yaml"]
    assert source["kind"] == "GitRepository"
    assert source["spec"]["ref"] == {"name": "HEAD"}
    assert release["spec"]["chart"]["spec"]["chart"] == "charts/tenant"
    assert release["spec"]["chart"]["spec"]["sourceRef"]["kind"] == "GitRepository"
    assert "version" not in release["spec"]["chart"]["spec"]


def test_flux_every_cluster_is_reached_through_its_kubeconfig_secret() -> None:
    with_servers = render_gitops(_plan(servers=True))["flux/eastus.yaml"][0]["spec"]
    assert with_servers["kubeConfig"] == {"secretRef": {"name": "aks-eastus-kubeconfig"}}
    # Without a server URL the region is still on its own cluster, never on Flux's own by default.
    without = render_gitops(_plan())["flux/eastus.yaml"][0]["spec"]
    assert without["kubeConfig"] == {"secretRef": {"name": "aks-eastus-kubeconfig"}}
    argo = render_gitops(_plan(servers=True))["argocd/eastus.yaml"][0]["spec"]["destination"]
    assert argo == {"server": "https://aks-eastus.k8s.example.com:443", "namespace": "voice"}


# --- rollback ------------------------------------------------------------------------------------------


def test_rollback_docs_differ_exactly_for_regions_whose_state_changes() -> None:
    plan = _plan(
        servers=True,
        absent=("centralus",),
        noop=("eastus",),
        install=("northeu",),
        regions=("westus2", "northeu", "eastus", "centralus"),
    )
    files = render_gitops(plan)
    for tool in ("argocd", "flux"):
        assert files[f"rollback/{tool}/eastus.yaml"] == files[f"{tool}/eastus.yaml"]  # noop: identical
        assert files[f"rollback/{tool}/westus2.yaml"] != files[f"{tool}/westus2.yaml"]  # upgraded
        assert f"rollback/{tool}/northeu.yaml" not in files  # installed: nothing to go back to
        assert f"{tool}/northeu.yaml" in files
        assert f"{tool}/centralus.yaml" not in files  # uninstalled: the rollback reinstalls it
        assert f"rollback/{tool}/centralus.yaml" in files
        sources = ["sources.yaml"] if tool == "flux" else []
        assert yaml.safe_load(yaml.safe_dump(files[f"rollback/{tool}/kustomization.yaml"][0]))["resources"] == [
            "centralus.yaml",
            "eastus.yaml",
            *sources,
            "westus2.yaml",
        ]
    old = files["rollback/flux/westus2.yaml"][0]["spec"]
    by_name = {s["metadata"]["name"]: s for s in files["rollback/flux/sources.yaml"]}
    assert by_name[old["chartRef"]["name"]]["spec"]["ref"] == {"tag": "100.0.1000067_1407"}
    assert old["values"]["images"]["tenant"]["tag"] == "100.0.1000067"
    assert files["rollback/argocd/parent.yaml"] == files["argocd/parent.yaml"]


def test_rollback_applicationset_keeps_the_forward_name() -> None:
    files = render_gitops(_plan(mode="applicationset", absent=("eastus",)))
    forward, back = files["argocd/applicationset.yaml"][0], files["rollback/argocd/applicationset.yaml"][0]
    assert forward["metadata"] == back["metadata"]
    regions = [[e["region"] for e in a["spec"]["generators"][0]["list"]["elements"]] for a in (forward, back)]
    assert regions == [["westus2", "centralus"], ["westus2", "eastus", "centralus"]]
    assert forward["spec"]["strategy"]["deletionOrder"] == "Reverse"


# --- notes -----------------------------------------------------------------------------------------------


def test_gitops_notes_explain_order_rollback_and_removal() -> None:
    notes = gitops_notes(_plan(absent=("centralus",)))
    text = "\n\n".join(notes)
    assert "argocd.argoproj.io/sync-wave" in text and "dependsOn" in text
    assert "1. `westus2`: `flux/westus2.yaml`\n2. `eastus`: `flux/eastus.yaml`\n3. `centralus`: delete" in text
    assert "1. `centralus`: `rollback/flux/centralus.yaml`" in text
    assert "git revert" in text
    removal = next(n for n in notes if n.startswith("**centralus is removed**"))
    assert "PersistentVolumeClaims" in removal and "database" in removal
    assert not re.search(r"(^|[\s`(])/\w", text), "notes name repository-relative paths only"


def test_gitops_notes_for_applicationset_name_rolling_sync() -> None:
    text = "\n".join(gitops_notes(_plan(mode="applicationset")))
    assert "RollingSync" in text and "maxUpdate: 0" in text


# --- names and alerts ------------------------------------------------------------------------------------


@given(st.lists(st.text(min_size=0, max_size=80), min_size=1, max_size=5))
def test_object_name_is_always_a_dns_label(parts: list[str]) -> None:
    name = object_name(*parts)
    assert len(name) <= 63 and DNS1123.match(name)
    assert object_name(*parts) == name


def test_object_name_keeps_short_valid_names_and_hashes_long_ones() -> None:
    assert object_name("t100", "prod", "westus2") == "t100-prod-westus2"
    long = object_name("t100", "production-environment-with-a-long-name", "westus2-secondary-region-x")
    assert len(long) == 63 and re.search(r"-[0-9a-f]{8}$", long)
    assert long != object_name("t100", "production-environment-with-a-long-name", "westus2-secondary-region-y")


@pytest.mark.parametrize("name", sorted(PLANS))
def test_render_gitops_names_are_dns_labels(name: str) -> None:
    for path, docs in render_gitops(PLANS[name]()).items():
        assert re.fullmatch(r"[a-z0-9/._-]+\.yaml", path)
        for doc in docs:
            if "metadata" in doc:
                assert DNS1123.match(doc["metadata"]["name"]) and len(doc["metadata"]["name"]) <= 63


def test_render_gitops_reserved_region_name_is_an_input_error() -> None:
    with pytest.raises(InputError, match="reserved"):
        render_gitops(_plan(regions=("westus2", "parent")))


def test_render_gitops_is_deterministic() -> None:
    assert render_gitops(_plan(absent=("eastus",))) == render_gitops(_plan(absent=("eastus",)))


def test_alerts_rule_covers_the_vendor_alerts() -> None:
    rule = render_gitops(_plan())["alerts.yaml"][0]
    assert rule["metadata"]["namespace"] == "monitoring"
    assert {"service": "voice", "servicename": "tenant"}.items() <= rule["metadata"]["labels"].items()
    rules = rule["spec"]["groups"][0]["rules"]
    by = {(r["alert"], r["for"]): r for r in rules}
    assert set(by) == {
        ("TenantPodPending", "10m"),
        ("TenantMetricsAbsent", "5m"),
        ("TenantServiceHealthLow", "2m"),
        ("TenantServiceHealthLow", "5m"),
        ("TenantRedisDisconnected", "10m"),
    }
    assert 'phase="Pending"' in by[("TenantPodPending", "10m")]["expr"]
    assert 'pod=~"t100-.*"' in by[("TenantPodPending", "10m")]["expr"]
    assert by[("TenantMetricsAbsent", "5m")]["expr"].startswith('absent(tenant_service_health_level{namespace="voice"')
    assert by[("TenantServiceHealthLow", "2m")]["labels"]["severity"] == "warning"
    assert by[("TenantServiceHealthLow", "5m")]["labels"]["severity"] == "critical"
    assert by[("TenantRedisDisconnected", "10m")]["expr"].endswith("!= 2")


@pytest.mark.parametrize(("seconds", "text"), [(600, "10m"), (90, "1m30s"), (3600, "1h"), (5400, "1h30m"), (45, "45s")])
def test_alerts_duration_is_a_prometheus_duration(seconds: int, text: str) -> None:
    assert duration(seconds) == text


def test_render_gitops_writes_no_yaml_anchors() -> None:
    """Values that share a list (as merged values files may) still dump without anchors and aliases."""
    plan = _plan(mode="applicationset")
    shared = ["a", "b"]
    changes = []
    for change in plan.regions:
        assert change.target is not None
        values = change.target.values | {"zones": shared, "again": shared}
        changes.append(replace(change, target=replace(change.target, values=values)))
    files = render_gitops(replace(plan, regions=tuple(changes)))
    text = yaml.safe_dump_all([d for docs in files.values() for d in docs], sort_keys=True)
    assert "zones:" in text and not re.search(r"[&*]id\d+", text)


@pytest.mark.parametrize("tree", ["generated", "tests/golden"])
def test_committed_manifests_validate_against_upstream_crds(tree: str) -> None:
    """The example's generated/ and every golden scenario: 0 invalid, 0 unknown (C-12)."""
    if not VALIDATOR.is_file():
        pytest.skip(f"the CRD validator is not beside this checkout ({VALIDATOR.relative_to(SHARED.parent)})")
    folder = Path(__file__).resolve().parents[2] / tree
    done = subprocess.run([sys.executable, str(VALIDATOR), str(folder)], capture_output=True, text=True, check=False)
    summary = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"[1-9]\d* valid, 0 invalid, 0 unknown, \d+ skipped", summary), done.stdout
    assert done.returncode == 0


# --- fidelity: timeout, remediation, controllers, credentials -------------------------------------


def test_flux_timeout_is_the_verify_timeout() -> None:
    releases = _docs(render_gitops(_plan()), "HelmRelease")
    assert releases and {r["spec"]["timeout"] for r in releases} == {"900s"}


def test_flux_remediation_without_migration_rolls_back() -> None:
    spec = render_gitops(_plan())["flux/eastus.yaml"][0]["spec"]
    assert spec["upgrade"]["remediation"] == {"retries": 3, "strategy": "rollback"}


def test_flux_remediation_through_a_migration_never_rolls_back() -> None:
    plan = _plan(noop=("centralus",))
    plan = replace(plan, regions=tuple(replace(c, migrations=("100.0.1000076",)) if c.change != "noop" else c
                                       for c in plan.regions))  # fmt: skip
    files = render_gitops(plan)
    for side in ("", "rollback/"):
        spec = files[f"{side}flux/eastus.yaml"][0]["spec"]
        assert spec["upgrade"]["remediation"] == {"retries": 0, "remediateLastFailure": False}
        assert spec["install"]["remediation"] == {"retries": 0, "remediateLastFailure": False}
        assert "strategy" not in spec["upgrade"]["remediation"]
    unchanged = files["flux/centralus.yaml"][0]["spec"]  # no change, no migration passed: Flux may remediate
    assert unchanged["upgrade"]["remediation"]["strategy"] == "rollback"
    notes = "\n".join(gitops_notes(plan))
    assert "No automatic rollback by Flux" in notes and "`centralus`" not in notes.split("No automatic")[1][:200]


def test_render_gitops_writes_only_the_chosen_controllers() -> None:
    plan = _plan()
    flux_only = replace(plan, env=_env(plan.env, {"gitops": {"controllers": ["flux"]}}))
    paths = set(render_gitops(flux_only))
    assert not [p for p in paths if "argocd/" in p]
    assert "flux/westus2.yaml" in paths and "rollback/flux/westus2.yaml" in paths
    assert not any("Argo CD" in n for n in gitops_notes(flux_only))
    argocd_only = replace(plan, env=_env(plan.env, {"gitops": {"controllers": ["argocd"], **plan.env.gitops.model_dump(
        include={"argocd"})}}))  # fmt: skip
    assert not [p for p in render_gitops(argocd_only) if "flux/" in p]


def test_flux_credentials_are_referenced_where_set() -> None:
    plan = _plan()
    gitops = plan.env.gitops.model_dump() | {"flux": {"secret_ref": "registry-creds"}}
    files = render_gitops(replace(plan, env=_env(plan.env, {"gitops": gitops})))
    assert [s["spec"]["secretRef"] for s in files["flux/sources.yaml"]] == [{"name": "registry-creds"}]
    assert "secretRef" not in render_gitops(plan)["flux/sources.yaml"][0]["spec"]
    git = _plan(chart={"name": "tenant", "path": "charts/tenant"})
    gitops = git.env.gitops.model_dump() | {"flux": {"git_secret_ref": "gitops-deploy-key"}}
    files = render_gitops(replace(git, env=_env(git.env, {"gitops": gitops})))
    assert files["flux/sources.yaml"][0]["spec"]["secretRef"] == {"name": "gitops-deploy-key"}


def test_argocd_oci_note_asks_for_enable_oci() -> None:
    notes = "\n".join(gitops_notes(_plan()))
    assert 'enableOCI: "true"' in notes and "`registry.example.com/genesys/charts`" in notes


def _staged(plan: Plan) -> Plan:
    return replace(plan, env=_env(plan.env, {"gitops": plan.env.gitops.model_dump() | {"promotion": "staged"}}))


def test_staged_deployments_move_installs_and_removals_at_their_stage() -> None:
    regions_ = ("westus2", "northeu", "eastus", "centralus")
    plan = _staged(_plan(absent=("centralus",), noop=("eastus",), install=("northeu",), regions=regions_))
    assert [c.name for c in staging.stages(plan)] == ["westus2", "northeu", "centralus"]

    def regions(stage: int) -> dict[str, str]:
        return {d.region: d.chart_version for d in staging.deployments(plan, staging.Staging(stage, "c" * 40))}

    base, target = "100.0.1000067+1407", "100.0.1000076+1407"
    assert regions(0) == {"westus2": base, "eastus": base, "centralus": base}  # nothing promoted: what is deployed
    assert regions(1) == {"westus2": target, "eastus": base, "centralus": base}
    assert regions(2) == {"westus2": target, "northeu": target, "eastus": base, "centralus": base}
    assert regions(3) == {d.region: d.chart_version for d in forward_deployments(plan)}
    assert "centralus" not in regions(3)


def test_staged_manifests_validate_against_upstream_crds(tmp_path: Path) -> None:
    if not VALIDATOR.is_file():
        pytest.skip(f"the CRD validator is not beside this checkout ({VALIDATOR.relative_to(SHARED.parent)})")
    plan = _plan(absent=("centralus",), install=("northeu",), regions=("westus2", "northeu", "eastus", "centralus"))
    plan = _staged(plan)
    forward = staging.deployments(plan, staging.Staging(1, "c" * 40))
    files = render_gitops(plan, forward)
    tags = {s["spec"]["ref"]["tag"] for s in files["flux/sources.yaml"]}
    assert tags == {"100.0.1000067_1407", "100.0.1000076_1407"}  # both versions are in use half-way
    _dump(files, tmp_path / "generated")
    done = subprocess.run([sys.executable, str(VALIDATOR), str(tmp_path)], capture_output=True, text=True, check=False)
    assert re.fullmatch(r"[1-9]\d* valid, 0 invalid, 0 unknown, \d+ skipped", done.stdout.strip().splitlines()[-1])


def test_applicationset_auto_sync_note_names_the_rolling_sync_bugs() -> None:
    auto = "\n".join(gitops_notes(_plan(mode="applicationset", auto_sync=True)))
    assert "argoproj/argo-cd#29410" in auto and "#22852" in auto
    assert "argoproj/argo-cd#29410" not in "\n".join(gitops_notes(_plan(mode="applicationset")))
