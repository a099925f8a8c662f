"""Cross-environment clashes: two environments that would act on one release, or write one GitOps object.

Within one environment, outputs_check.py keeps regions apart. Across
environments the same can happen: two environments that run the same release
in the same namespace on one cluster would upgrade, roll back and uninstall
each other's release; and object names joined from release, environment and
region ("t100" + "prod" + "eu-west" and "t100" + "prod-eu" + "west") can come
out equal, so both would write one Argo CD Application or Flux HelmRelease.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from compiler.errors import Location, Problem
from compiler.render.names import environment_object_name, region_object_name

if TYPE_CHECKING:
    from compiler.spec.load import LoadedEnvironment

_CONTROLLERS = {"argocd": "Argo CD", "flux": "Flux"}


def clash_problems(environments: Mapping[str, LoadedEnvironment]) -> list[Problem]:
    """Problems of the loaded environments that clash with another, each located at the later one."""
    return [*_release_clashes(environments), *_object_name_clashes(environments)]


def _release_clashes(environments: Mapping[str, LoadedEnvironment]) -> Iterator[Problem]:
    # Keyed on the kube context every helm and kubectl command names: what the scripts act on.
    seen: dict[tuple[str, str, str], tuple[str, str]] = {}
    for name, env in sorted(environments.items()):
        release, namespace = env.spec.release, env.spec.namespace
        for region in env.regions:
            context = region.cluster.context
            first_env, first_region = seen.setdefault((context, namespace, release), (name, region.name))
            if first_env == name:
                continue  # one environment's own regions: outputs_check.py
            where = env.locate(env.region_files[region.name], ("cluster", "context"))
            message = (
                f"region {first_region!r} of environment {first_env!r} runs release {release!r} in namespace "
                f"{namespace!r} on kube context {context!r} too: the two environments would upgrade, roll back "
                "and uninstall one release; expected another context, namespace or release"
            )
            yield Problem(where, "cluster.context", message)


def _object_name_clashes(environments: Mapping[str, LoadedEnvironment]) -> Iterator[Problem]:
    seen: dict[tuple[str, str, str], tuple[str, str | None]] = {}
    for name, env in sorted(environments.items()):
        for object_name, region, where in _objects(name, env):
            for controller in env.spec.gitops.controllers:
                namespace = getattr(env.spec.gitops, controller).namespace
                owner = seen.setdefault((controller, namespace, object_name), (name, region))
                if owner[0] == name:
                    continue
                message = (
                    f"{_CONTROLLERS[controller]} object name {object_name!r} (namespace {namespace!r}) of "
                    f"{_owner(name, region)} is also the name for {_owner(*owner)}: both would write one object; "
                    "expected distinct names: rename a region or an environment, or use another release"
                )
                yield Problem(where, "name" if region else "release", message)
                break  # one problem per clashing object, whichever controllers share it


def _objects(name: str, env: LoadedEnvironment) -> Iterator[tuple[str, str | None, Location]]:
    release = env.spec.release
    yield environment_object_name(release, name), None, env.locate(env.spec_file, ("release",))
    for region in env.regions:
        where = env.locate(env.region_files[region.name], ("name",))
        yield region_object_name(release, name, region.name), region.name, where


def _owner(env: str, region: str | None) -> str:
    return f"region {region!r} of environment {env!r}" if region else f"environment {env!r}"
