"""A repository shaped like a real Tenant Service deployment: three regions, layered override files.

The values files follow the shape of the vendor's public sample deployment
(chart-level overrides, then a release-level file per tenant `t<SID>`, then one
per region) with the YAML a real estate accumulates: lists of maps, literal
blocks, anchors and merge keys, booleans and numbers written as strings, keys
with dots and slashes, empty maps, nulls, dates and integers past 64 bits.
The content is synthetic; only the shape is the vendor's.
"""

from __future__ import annotations

from pathlib import Path

from compiler.repo import gitio
from support.treeutil import write_tree

ENV = "environments/prod/environment.yaml"
CHART_VALUES = "environments/prod/values/tenant-chart.yaml"
RELEASE_VALUES = "environments/prod/values/t100.yaml"
REGIONS = ("westus2", "eastus", "uksouth")
PRIMARY = "westus2"


def region_file(name: str) -> str:
    return f"environments/prod/regions/{name}.yaml"


def region_values_file(name: str) -> str:
    return f"environments/prod/values/regions/{name}.yaml"


ENVIRONMENT = """\
service: tenant
version: '100.0.1000073'
release: t100
namespace: voice
chart:
  name: tenant
  repository: oci://registry.example.com/gcx/helm
image:
  paths:
    - images.tenant.tag
    - images.pgdbInit.tag
    - images.pulseInit.tag
values:
  - environments/prod/values/tenant-chart.yaml
  - environments/prod/values/t100.yaml
rollout:
  order:
    - eastus
    - uksouth
  verify_timeout: 900
backup:
  command: [kubectl, --context, prod-westus2, -n, voice, exec, deploy/pg-tools, --,
            pg_dump, -Fc, -f, /backup/t100.dump, t100]
  restore_command: [kubectl, --context, prod-westus2, -n, voice, exec, deploy/pg-tools, --,
                    pg_restore, --clean, -d, t100, /backup/t100.dump]
gitops:
  argocd:
    repo_url: https://git.example.com/cx/tenant-gitops.git
"""

CHART = """\
# Chart-level overrides of the tenant chart (synthetic).
tenantid: 5d0c6f3e-2b7a-4f19-a8d4-7c1e9b3a6f20
serviceAccount:
  create: yes
images:
  imagePullSecrets: pullsecret
  registry: registry.example.com/gcx
  pullPolicy: Always
  pulseInit:
    enable: "true"
    pulseMode: setup
  fluentBit:
    enable: "true"
    name: json-sidecar
    tag: 1.9.5
tenant:
  deployment:
    type: full
    nameOverride: "tenant"
    terminationDelay: 120
  general:
    upstreamServices: "voice-sipfe:9101,voice-config:9100,ixn-server-5d0c:7120"
    environment: "prod"
    buildNumber: "0042"
    featureFlags: {}
    description: null
    maintenanceDay: 2025-01-05
    quotaBytes: 18446744073709551616
  gws:
    enable: "true"
    authEndpoint: gauth-auth.gauth.svc.cluster.local
  pgdb:
    dbhost: /opt/genesys/dbserver/dbserver
    dbuser: /opt/genesys/dbuser/dbuser
    dbname: /opt/genesys/dbname/dbname
  livenessProbe: &probe
    startupDelay: 50
    checkInterval: 10
    failureCount: 3
    timeoutSeconds: 20
  readinessProbe:
    <<: *probe
    startupDelay: 100
    timeoutSeconds: 5
  logging:
    level: noise
    mounts:
      log:
        - mountPath: /opt/genesys/logs/volume
          name: log
        - mountPath: /logs
          name: log
    volumes:
      jsonLog:
        - emptyDir: {}
          name: fluent-logs
      log:
        - name: log
  secrets:
    pgdb:
      pwd:
        secretName: /opt/genesys/dbpassword/dbpassword
      volumes: |
        - name: dbpassword
          secret:
            secretName: dbpassword-t100
        - name: dbserver
          secret:
            secretName: dbserver
  podAnnotations:
    prometheus.io/scrape: "true"
    prometheus.io/port: "9101"
  nodeSelector:
    kubernetes.io/os: linux
  redis:
    isCluster: True
  resources:
    tenantContainer:
      limits: {cpu: "900m", memory: 900Mi}
      requests: {cpu: 500m, memory: 600Mi}
"""

RELEASE = """\
# Release t100 (tenant SID 100).
images:
  pgdbInit:
    enable: "true"
tenant:
  sid: "100"
"""


def region_spec(name: str) -> str:
    primary = "primary: true\n" if name == PRIMARY else ""
    return (
        f"name: {name}\n{primary}"
        f"cluster:\n  name: aks-{name}\n  context: prod-{name}\n"
        "replicas: 2\n"
        f"values:\n  - {region_values_file(name)}\n"
        "third_party:\n  postgresql: '15.6'\n  redis: '7.2.4'\n  kubernetes: '1.29.4'\n"
        "  helm: '3.14.4'\n  consul: '1.17.3'\n"
    )


def region_values(name: str) -> str:
    return (
        f"tenant:\n  general:\n    location: /{name.upper()}\n  consul:\n    masterdc: {PRIMARY}\n    homedc: {name}\n"
    )


def files() -> dict[str, str]:
    tree = {ENV: ENVIRONMENT, CHART_VALUES: CHART, RELEASE_VALUES: RELEASE}
    for name in REGIONS:
        tree[region_file(name)] = region_spec(name)
        tree[region_values_file(name)] = region_values(name)
    notes = Path(__file__).resolve().parents[2] / "release-notes"
    for note in sorted((notes / "tenant").glob("*.yaml")):
        tree[f"release-notes/tenant/{note.name}"] = note.read_text(encoding="utf-8")
    return tree


def deployed(root: Path, version: str = "100.0.1000073") -> Path:
    """The sample estate at ``version`` as a git repository whose HEAD is what is deployed."""
    root.mkdir(parents=True, exist_ok=True)
    tree = files()
    tree[ENV] = tree[ENV].replace("version: '100.0.1000073'", f"version: '{version}'")
    write_tree(root, tree)
    gitio.init_with_commit(root, "Deployed state")
    return root


def edit(root: Path, file: str, old: str, new: str) -> None:
    """Replace ``old`` (which must be there) by ``new`` once in ``file`` of the working tree."""
    path = root / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
