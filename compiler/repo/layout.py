"""Where generated files live, relative to the repository root (the scripts run from there)."""

from __future__ import annotations

from pathlib import Path

GENERATED = "generated"


def env_dir(env: str) -> str:
    return f"{GENERATED}/{env}"


def output_dir(root: Path, env: str) -> Path:
    """``generated/<env>/`` of the repository at ``root``."""
    return root / env_dir(env)


def values_file(env: str, region: str) -> str:
    """The target effective values of a region, as the forward plan passes them to helm."""
    return f"{env_dir(env)}/values/{region}.yaml"


def rollback_values_file(env: str, region: str) -> str:
    """The base effective values of a region, as the rollback plan passes them to helm."""
    return f"{env_dir(env)}/rollback/values/{region}.yaml"


SECRETS_DIR_PLACEHOLDER = "${ROLLPLAN_SECRETS_DIR}"
"""Stands for the secrets folder in plan.json; the scripts put --secrets DIR (or that variable) in its place."""


def secrets_file(env: str, region: str) -> str:
    """The file, outside the repository, that holds a region's secret values (the last -f of its helm steps)."""
    return f"{SECRETS_DIR_PLACEHOLDER}/{env}/{region}.yaml"


BASE_SECRETS_DIR_PLACEHOLDER = "${ROLLPLAN_BASE_SECRETS_DIR}"
"""Stands for the folder of the base's secrets in plan.json: the rollback's helm steps read the secrets the
base was deployed with. The scripts put --base-secrets DIR in its place, else the secrets folder, where
``<region>.base.yaml`` is preferred to the current ``<region>.yaml`` (with a loud warning)."""


def base_secrets_file(env: str, region: str) -> str:
    """The file, outside the repository, that holds the secret values a region's base was deployed with."""
    return f"{BASE_SECRETS_DIR_PLACEHOLDER}/{env}/{region}.yaml"
