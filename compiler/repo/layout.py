"""Where generated files live, relative to the repository root (the scripts run from there)."""

from __future__ import annotations

GENERATED = "generated"


def env_dir(env: str) -> str:
    return f"{GENERATED}/{env}"


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
