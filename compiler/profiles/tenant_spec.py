"""The Tenant Service's spec defaults: values paths of its chart.

Import-light on purpose: the spec models read these defaults before anything
else of the profile exists.
"""

from __future__ import annotations

TAG_PATHS = ("images.tenant.tag", "images.pgdbInit.tag", "images.pulseInit.tag")
"""Values paths that carry the image tag."""

REPLICAS_PATH = "tenant.deployment.replicaCount"
"""Values path of the replica count."""

DATABASE_PREFIXES = ("tenant.pgdb",)
"""Values prefixes whose change is a database connection change."""

REDIS_PREFIXES = ("tenant.redis",)
"""Values prefixes whose change is a Redis connection change."""

MONITORING_LABELS = {"service": "voice", "servicename": "tenant"}
"""Labels of the vendor-recommended alerts."""
