"""The spec models: what users write (C-1 environment, C-2 region, C-3 release note).

Validated once at the boundary, then handed inward frozen.
"""

from __future__ import annotations

import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from compiler.spec.types import (
    ChartUrl,
    Count,
    DnsLabel,
    Flag,
    HttpsUrl,
    RepoPath,
    Seconds,
    Text,
    ValuesPath,
    VendorVersion,
    VersionSpec,
    Word,
)

DEFAULT_TAG_PATHS = ("images.tenant.tag", "images.pgdbInit.tag", "images.pulseInit.tag")
DEFAULT_SECRET_WORDS = ("password", "passwd", "pwd", "token", "secret", "key")


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
        default=None, description="Chart version. Normally omitted: taken from the release note of `version`."
    )

    @model_validator(mode="after")
    def _one_source(self) -> Chart:
        if (self.repository is None) == (self.path is None):
            raise ValueError("give exactly one of repository and path")
        return self


class Image(Spec):
    """The image tag and every values path that carries it."""

    tag: VendorVersion | None = Field(
        default=None, description="Image tag. Normally omitted: taken from the release note of `version`."
    )
    paths: tuple[ValuesPath, ...] = Field(
        default=DEFAULT_TAG_PATHS, min_length=1, description="Values paths that carry the image tag."
    )


class Rollout(Spec):
    """Order and pacing of a multi-region rollout."""

    order: tuple[DnsLabel, ...] = Field(
        default=(),
        description="Regions after the primary, in rollout order. Regions not listed follow in name order.",
    )
    verify_timeout: Seconds = Field(default=600, description="Seconds a region may take to become ready.")
    pause_between_regions: Count = Field(default=0, ge=0, le=86400, description="Seconds to wait between regions.")
    allow_unsupported_version: Flag = Field(
        default=False, description="Allow a target outside the vendor's N-2 support window (a loud risk)."
    )


class Backup(Spec):
    """How the service database is backed up before the primary region and restored on rollback."""

    command: tuple[Word, ...] | None = Field(
        default=None, min_length=1, description="argv of the backup command; a manual step when omitted."
    )
    restore_command: tuple[Word, ...] | None = Field(
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
    repo_url: Word = Field(
        default="https://git.example.com/platform/gitops.git",
        description="URL of this repository, for the app-of-apps parent.",
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


class GitOps(Spec):
    argocd: ArgoCD = ArgoCD()
    flux: Flux = Flux()


class Monitoring(Spec):
    """Thresholds and labels of the vendor-recommended alerts."""

    namespace: DnsLabel = Field(default="monitoring", description="Namespace of the PrometheusRule.")
    pending_timeout: Seconds = Field(default=600, description="Seconds a pod may stay Pending before an alert.")
    labels: dict[Word, Word] = Field(
        default_factory=lambda: {"service": "voice", "servicename": "tenant"}, description="Labels of the alerts."
    )


class Paths(Spec):
    """Values paths that the planning rules watch."""

    replicas: ValuesPath = Field(
        default="tenant.deployment.replicaCount", description="Values path of the replica count."
    )
    database: tuple[ValuesPath, ...] = Field(
        default=("tenant.pgdb",), description="Prefixes whose change is a database connection change."
    )
    redis: tuple[ValuesPath, ...] = Field(
        default=("tenant.redis",), description="Prefixes whose change is a Redis connection change."
    )


class Secrets(Spec):
    """Which values are secret. Secret values never appear in any output."""

    paths: tuple[ValuesPath, ...] = Field(default=(), description="Values paths (or prefixes) that hold secrets.")
    words: tuple[Word, ...] = Field(
        default=DEFAULT_SECRET_WORDS, description="A key containing one of these words is secret too."
    )


class EnvironmentSpec(Spec):
    """environments/<env>/environment.yaml: settings shared by every region (C-1)."""

    service: Literal["tenant"] = Field(description="Service profile whose rules apply.")
    version: VendorVersion = Field(description="Vendor release to run; needs release-notes/<service>/<version>.yaml.")
    release: DnsLabel = Field(description="Helm release name, e.g. t100.")
    namespace: DnsLabel = Field(description="Kubernetes namespace of the release.")
    chart: Chart
    image: Image = Image()
    values: tuple[RepoPath, ...] = Field(default=(), description="Values files shared by all regions, in order.")
    needs: tuple[DnsLabel, ...] = Field(
        default=(),
        description="Environments whose rollout must complete and verify before this one starts.",
    )
    rollout: Rollout = Rollout()
    backup: Backup = Backup()
    gitops: GitOps = GitOps()
    monitoring: Monitoring = Monitoring()
    paths: Paths = Paths()
    secrets: Secrets = Secrets()


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
    service: Literal["tenant"] = Field(default="tenant", description="Service; equal to the folder name.")
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
