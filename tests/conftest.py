"""Shared fixtures: real helm binaries and a loopback Kubernetes discovery stub."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.helmbin import ToolUnavailable, find_helm, find_kubectl
from support.kube_stub import KubeStub, kube_stub

FIXTURES = Path(__file__).parent / "fixtures"


def _tool_or_bail(find: Callable[..., Path], *args: int) -> Path:
    # In CI a missing binary is a broken build, so fail; on a laptop offline, skip and say why.
    try:
        return find(*args)
    except ToolUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"real helm/kubectl unavailable in CI: {exc}", pytrace=False)
        pytest.skip(f"real helm/kubectl unavailable (offline?): {exc}")


@pytest.fixture(scope="session")
def helm3() -> Path:
    return _tool_or_bail(find_helm, 3)


@pytest.fixture(scope="session")
def helm4() -> Path:
    return _tool_or_bail(find_helm, 4)


@pytest.fixture(scope="session", params=[3, 4], ids=["helm3", "helm4"])
def helm(request: pytest.FixtureRequest) -> Path:
    path: Path = request.getfixturevalue(f"helm{request.param}")
    return path


@pytest.fixture(scope="session")
def kubectl() -> Path:
    return _tool_or_bail(find_kubectl)


@pytest.fixture(scope="session")
def kube_api() -> Iterator[KubeStub]:
    with kube_stub() as stub:
        yield stub


@pytest.fixture(scope="session")
def tenant_chart() -> Path:
    return FIXTURES / "charts" / "tenant"
