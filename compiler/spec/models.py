"""The spec models: what users write (C-1 environment, C-2 region, C-3 release note).

Validated once at the boundary, then handed inward frozen.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from compiler.profiles.spec_facts import FACTS, defaults_text
from compiler.resolve.secretnames import DEFAULT_WORDS
from compiler.spec.types import (
    CREDENTIAL_FREE,
    ChartUrl,
    Count,
    CredentialFreeWord,
    DnsLabel,
    Flag,
    HttpsUrl,
    ReleaseName,
    RepoPath,
    Seconds,
    Text,
    ValuesPath,
    VendorVersion,
    VersionSpec,
    Word,
)

DEFAULT_SECRET_WORDS = DEFAULT_WORDS
Service = Literal["tenant", "generic"]
WORKLOAD_PATTERN = r"^(deployment|statefulset|daemonset)/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"


def _by_service(pick: str) -> Callable[[dict[str, Any]], None]:
    """Schema of a setting whose default depends on ``service``: the per-service defaults, in words."""

    def extra(schema: dict[str, Any]) -> None:
        schema.pop("default", None)
        schema["description"] = f"{schema.get('description', '')} {defaults_text(pick)}".strip()
        schema["x-default-by-service"] = True

    return extra


class Spec(BaseModel):
    """Base of every spec model: immutable, and unknown keys are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)


class Chart(Spec):
    """Where the Helm chart comes from. Exactly one of ``repository`` and ``path``."""

    name: DnsLabel = Field(description="Chart name, e.g. tenant.")
    repository: ChartUrl | None = Field(
        default=None,
        description="Chart repository: oci://registry/path or https://charts.example.com.",
    )
    path: RepoPath | None = Field(
        default=None, description="A chart kept in this repository (repo-relative folder), instead of a repository."
    )
    version: VendorVersion | None = Field(
        default=None,
        description="Chart version. Normally omitted: taken from the release note of `version`; "
        "required for a service without release notes.",
    )

    @model_validator(mode="after")
    def _one_source(self) -> Chart:
        if (self.repository is None) == (self.path is None):
            raise ValueError("give exactly one of repository and path")
        return self


class Image(Spec):
    """The image tag and every values path that carries it."""

    tag: VendorVersion | None = Field(
        default=None,
        description="Image tag. Normally omitted: taken from the release note of `version`; "
        "required for a service without release notes.",
    )
    paths: tuple[ValuesPath, ...] = Field(
        default=FACTS["tenant"].tag_paths,
        min_length=1,
        description="Values paths that carry the image tag.",
        json_schema_extra=_by_service("tag_paths"),
    )


class Rollout(Spec):
    """Order and pacing of a multi-region rollout."""

    order: tuple[DnsLabel, ...] = Field(
        default=(),
        description="Regions after the primary, in rollout order. Regions not listed follow in name order.",
    )
    verify_timeout: Seconds = Field(default=600, description="Seconds a region may take to become ready.")
    workload: Word | None = Field(
        default=None,
        pattern=WORKLOAD_PATTERN,
        description="kind/name whose `kubectl rollout status` verifies a region (deployment, statefulset or "
        "daemonset); default deployment/<release>. generic only: tenant's workload is fixed by its profile.",
    )
    pause_between_regions: Count = Field(default=0, ge=0, le=86400, description="Seconds to wait between regions.")
    allow_unsupported_version: Flag = Field(
        default=False, description="Allow a target outside the vendor's N-2 support window (a loud risk)."
    )


class Backup(Spec):
    """How the service database is backed up before the primary region and restored on rollback."""

    command: tuple[CredentialFreeWord, ...] | None = Field(
        default=None,
        min_length=1,
        description="argv of the backup command; when omitted, a manual step (tenant) or no backup step (generic).",
    )
    restore_command: tuple[CredentialFreeWord, ...] | None = Field(
        default=None, min_length=1, description="argv of the restore command; a manual step when omitted."
    )


class ArgoCD(Spec):
    """Argo CD output settings."""

    project: DnsLabel = Field(default="default", description="Argo CD project of the Applications.")
    namespace: DnsLabel = Field(default="argocd", description="Namespace the Argo CD objects live in.")
    auto_sync: Flag = Field(default=False, description="Sync automatically; by default an operator syncs each wave.")
    mode: Literal["app-of-apps", "applicationset"] = Field(
        default="app-of-apps",
        description="One Application per region under a parent, or one ApplicationSet (RollingSync).",
    )
    repo_url: Annotated[str, Field(pattern=r"^(https://|ssh://|git@)[^\s]+$"), CREDENTIAL_FREE] | None = Field(
        default=None,
        description="URL of this repository (app-of-apps parent, charts kept in git). "
        "Required when Argo CD output is written or the chart is kept in git.",
    )
    revision: Word = Field(default="HEAD", description="Revision of this repository the parent follows.")


class Flux(Spec):
    """Flux output settings."""

    namespace: DnsLabel = Field(default="flux-system", description="Namespace the Flux objects live in.")
    interval: str = Field(
        default="10m", pattern=r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$", description="Reconcile interval, e.g. 10m."
    )
    secret_name: DnsLabel | None = Field(
        default=None, description="Secret holding values for the secret paths (valuesFrom); default <release>-values."
    )
    secret_ref: DnsLabel | None = Field(
        default=None, description="Secret with the credentials of the chart registry or repository (secretRef)."
    )
    git_secret_ref: DnsLabel | None = Field(
        default=None, description="Secret with the credentials of this git repository, for a chart kept in git."
    )


class GitOps(Spec):
    """Which controllers get manifests, and how the rollout moves across regions."""

    controllers: tuple[Literal["argocd", "flux"], ...] = Field(
        default=("argocd", "flux"), min_length=1, description="Controllers to write manifests for."
    )
    promotion: Literal["all", "staged"] = Field(
        default="all",
        description="all: the manifests of every region move to the target at once, ordered by the controller; "
        "staged: only the first region's do, and 'rollplan promote' moves the next one, wave by wave.",
    )
    argocd: ArgoCD = ArgoCD()
    flux: Flux = Flux()

    @model_validator(mode="after")
    def _distinct_controllers(self) -> GitOps:
        if len(set(self.controllers)) != len(self.controllers):
            raise ValueError("each controller may be listed once")
        return self


class Monitoring(Spec):
    """Thresholds and labels of the vendor-recommended alerts."""

    namespace: DnsLabel = Field(default="monitoring", description="Namespace of the PrometheusRule.")
    pending_timeout: Seconds = Field(default=600, description="Seconds a pod may stay Pending before an alert.")
    labels: dict[Word, Word] = Field(
        default_factory=lambda: dict(FACTS["tenant"].labels),
        description="Labels of the alerts.",
        json_schema_extra=_by_service("labels"),
    )


class Paths(Spec):
    """Values paths that the planning rules watch."""

    replicas: ValuesPath = Field(
        default=FACTS["tenant"].replicas,
        description="Values path of the replica count.",
        json_schema_extra=_by_service("replicas"),
    )
    database: tuple[ValuesPath, ...] = Field(
        default=FACTS["tenant"].database,
        description="Prefixes whose change is a database connection change (tenant: a database gate first).",
        json_schema_extra=_by_service("database"),
    )
    redis: tuple[ValuesPath, ...] = Field(
        default=FACTS["tenant"].redis,
        description="Prefixes whose change is a Redis connection change (tenant: the Redis choreography).",
        json_schema_extra=_by_service("redis"),
    )


class Secrets(Spec):
    """Which values are secret (the rule: README, Secrets). Secret values never appear in any output."""

    paths: tuple[ValuesPath, ...] = Field(
        default=(),
        description="Values paths (or prefixes) that hold secrets. Never written in a values file: the scripts "
        "read them from the secrets file of each region, Flux from the values Secret.",
    )
    words: tuple[Word, ...] = Field(
        default=DEFAULT_SECRET_WORDS,
        description="A key with a word ending in one of these (camelCase, '_' and '-' split words) is secret too.",
    )
    allow: tuple[ValuesPath, ...] = Field(
        default=(),
        description="Values paths (or prefixes) that are never secret: the escape for a false positive of the words.",
    )


class EnvironmentSpec(Spec):
    """environments/<env>/environment.yaml: settings shared by every region (C-1)."""

    service: Service = Field(
        description="Service profile whose rules apply: tenant (the vendor's service) or generic (any Helm chart)."
    )
    version: VendorVersion = Field(
        description="Release to run; needs release-notes/<service>/<version>.yaml when that folder exists "
        "(always for tenant). Without release notes, a name for the release, e.g. the app version."
    )
    release: ReleaseName = Field(description="Helm release name, e.g. t100 (at most 53 characters).")
    namespace: DnsLabel = Field(description="Kubernetes namespace of the release.")
    chart: Chart
    image: Image = Image()
    values: tuple[RepoPath, ...] = Field(default=(), description="Values files shared by all regions, in order.")
    needs: tuple[DnsLabel, ...] = Field(
        default=(),
        description="Environments whose rollout must complete and verify before this one starts.",
    )
    provides: tuple[DnsLabel, ...] = Field(
        default=(),
        description="Third-party components this environment runs for the others on its clusters, e.g. [redis]: "
        "the version it provides in a region is the release it runs there (`version`, or the region's pin). "
        "An environment whose release notes require such a component on the same cluster rolls out after it, "
        "and its prerequisite is checked against that version.",
    )
    rollout: Rollout = Rollout()
    backup: Backup = Backup()
    gitops: GitOps = GitOps()
    monitoring: Monitoring = Monitoring()
    paths: Paths = Paths()
    secrets: Secrets = Secrets()

    @model_validator(mode="before")
    @classmethod
    def _service_defaults(cls, data: Any) -> Any:
        """Fill the settings whose default depends on the service (tag paths, values paths, alert labels)."""
        if not isinstance(data, dict) or not isinstance(data.get("service"), str) or data["service"] not in FACTS:
            return data
        facts = FACTS[data["service"]]
        defaults: dict[str, dict[str, Any]] = {
            "image": {"paths": facts.tag_paths},
            "paths": {"replicas": facts.replicas, "database": facts.database, "redis": facts.redis},
            "monitoring": {"labels": dict(facts.labels)},
        }
        filled = dict(data)
        for key, values in defaults.items():
            given = filled.get(key, {})
            if isinstance(given, dict):
                filled[key] = {**values, **given}
        return filled

    @model_validator(mode="after")
    def _backends_watched(self) -> EnvironmentSpec:
        if (self.paths.database or self.paths.redis) and not FACTS[self.service].backends:
            raise ValueError(
                f"paths.database and paths.redis have no effect for service {self.service}: its profile has no "
                "database or Redis steps; remove them"
            )
        return self


class Cluster(Spec):
    """Where a region runs. ``context`` names the kubeconfig context every command uses."""

    name: DnsLabel = Field(description="Cluster name (Argo CD destination name, Flux kubeconfig Secret prefix).")
    server: HttpsUrl | None = Field(default=None, description="API server URL.")
    context: Word = Field(min_length=1, pattern=r"^[^\s]+$", description="kubeconfig context every command names.")


class Pin(Spec):
    """Hold a region at another release (a staged rollout)."""

    version: VendorVersion
    chart_version: VendorVersion | None = None
    image_tag: VendorVersion | None = None


class RegionSpec(Spec):
    """environments/<env>/regions/<region>.yaml: one region (C-2)."""

    name: DnsLabel = Field(description="Region name; equal to the file stem.")
    primary: Flag = Field(default=False, description="The master region; exactly one per environment.")
    cluster: Cluster
    replicas: Count = Field(ge=1, le=100, description="Tenant pods in this region.")
    values: tuple[RepoPath, ...] = Field(default=(), description="Values files layered after the environment's.")
    third_party: dict[Word, Word] = Field(
        default_factory=dict, description="Installed versions: postgresql, redis, kubernetes, helm, …"
    )
    state: Literal["present", "absent"] = Field(default="present", description="absent uninstalls the region.")
    pin: Pin | None = Field(default=None, description="Hold this region at another release.")


class ValuesKeyRename(Spec):
    old: ValuesPath = Field(alias="from")
    new: ValuesPath = Field(alias="to")


class ValuesKeys(Spec):
    added: tuple[ValuesPath, ...] = ()
    removed: tuple[ValuesPath, ...] = ()
    renamed: tuple[ValuesKeyRename, ...] = ()


class ReleaseNote(Spec):
    """release-notes/<service>/<version>.yaml: one vendor release (C-3)."""

    version: VendorVersion = Field(description="The vendor version; equal to the file name.")
    service: Service = Field(default="tenant", description="Service; equal to the folder name.")
    released: datetime.date = Field(description="Release date; releases are ordered by it, never by SemVer.")
    chart_version: VendorVersion = Field(description="Helm chart version of this release.")
    image_tag: VendorVersion = Field(description="Image tag of this release.")
    requires: dict[str, VersionSpec] = Field(
        default_factory=dict, description="Third-party requirements, e.g. redis: '>=7.0'."
    )
    provisioning_changes: Flag = Field(default=False, description="Provisioning changes are required.")
    database_migration: Literal["none", "reversible", "irreversible"] = Field(
        default="none", description="irreversible makes the rollback restore the database backup first."
    )
    critical_security_fix: Flag = Field(default=False, description="Flags the plan as urgent.")
    values_keys: ValuesKeys = Field(default=ValuesKeys(), description="Values keys added, removed or renamed.")
    notes: Text = Field(default="", description="Free text for reviewers.")
