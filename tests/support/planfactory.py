"""Realistic Plan objects built by hand, for renderer tests.

``make_plan()`` gives a three-region upgrade of the Tenant Service with a
backup, pauses between regions, a manual health check, a rollback plan, and
(with ``absent=...``) uninstall steps. The specs go through the pydantic models,
so they are valid specs. With ``tricky=True`` (the default) some arguments
carry quotes, ``$``, ``;``, globs, backslashes, a newline, unicode and an empty
string: they exist to prove that renderers quote every word, not to be valid
for a real helm or kubectl.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from compiler.plan.argv import helm_rollback
from compiler.plan.model import DiffEntry, FastRollback, Plan, RegionChange, RegionState, Release, Step
from compiler.resolve.secrets import redact, supplied_paths
from compiler.spec.models import EnvironmentSpec, RegionSpec

TAG_PATHS = ("images.tenant.tag", "images.pgdbInit.tag", "images.pulseInit.tag")

# Each one breaks a naively quoted shell line in its own way.
TRICKY_NOTE = 'it\'s a "quoted" $HOME; rm -rf * `id` $(id) && echo !x'
TRICKY_UNICODE = "déploiement ✓ 東京\nsecond line\twith a tab"
TRICKY_WORDS = ("", "glob*?[abc]{d,e}~", "back\\slash\\", "--leading-dash", "a  b", "#not-a-comment")


def make_env(
    *,
    environment: str = "prod",
    version: str = "100.0.1000076",
    release: str = "t100",
    namespace: str = "voice",
    **overrides: Any,
) -> EnvironmentSpec:
    """An environment.yaml as the model reads it; ``overrides`` replace top-level keys."""
    data: dict[str, Any] = {
        "service": "tenant",
        "version": version,
        "release": release,
        "namespace": namespace,
        "chart": {"name": "tenant", "repository": "oci://registry.example.com/genesys/charts"},
        "image": {"paths": list(TAG_PATHS)},
        "values": [f"environments/{environment}/values/tenant-chart.yaml"],
        "rollout": {"verify_timeout": 900, "pause_between_regions": 600},
        "secrets": {"paths": ["tenant.redis.auth"]},
        "gitops": {"argocd": {"repo_url": "https://git.example.com/platform/tenant-gitops.git"}},
    }
    data.update(overrides)
    return EnvironmentSpec.model_validate(data)


def make_region(
    name: str,
    *,
    environment: str = "prod",
    primary: bool = False,
    replicas: int = 3,
    state: str = "present",
    **overrides: Any,
) -> RegionSpec:
    """A regions/<name>.yaml as the model reads it; ``overrides`` replace top-level keys."""
    data: dict[str, Any] = {
        "name": name,
        "primary": primary,
        "cluster": {"name": f"aks-{name}", "context": f"{environment}-{name}"},
        "replicas": replicas,
        "third_party": {"postgresql": "15.4", "redis": "7.2.4", "kubernetes": "1.29.2", "helm": "3.14.0"},
        "state": state,
    }
    data.update(overrides)
    return RegionSpec.model_validate(data)


def make_release(version: str) -> Release:
    return Release(version=version, chart_version=f"{version}+1407", image_tag=version)


def make_values(region: RegionSpec, release: Release) -> dict[str, Any]:
    """Effective values of one region, secrets included (as merged, before redaction)."""
    tag = {"tag": release.image_tag}
    return {
        "images": {"tenant": dict(tag), "pgdbInit": dict(tag), "pulseInit": dict(tag)},
        "tenant": {
            "region": region.name,
            "deployment": {"replicaCount": region.replicas},
            "pgdb": {"host": f"pg-{region.name}.example.internal", "password": f"pg-secret-{region.name}"},
            "redis": {"host": f"redis-{region.name}.example.internal", "auth": f"redis-secret-{region.name}"},
        },
    }


def make_state(env: EnvironmentSpec, region: RegionSpec, environment: str = "prod") -> RegionState:
    """A resolved state: its values redacted by the environment's rules, as the resolver leaves them."""
    release = make_release(env.version)
    files = (*env.values, f"environments/{environment}/values/{region.name}.yaml")
    values = redact(make_values(region, release), env.secrets)
    return RegionState(
        env=env,
        region=region,
        release=release,
        values=values,
        values_files=files,
        secret_paths=supplied_paths(values, env.secrets),
    )


def make_plan(
    *,
    environment: str = "prod",
    regions: Sequence[str] = ("westus2", "eastus", "centralus"),
    absent: Sequence[str] = (),
    base_version: str = "100.0.1000067",
    target_version: str = "100.0.1000076",
    release: str = "t100",
    namespace: str = "voice",
    tricky: bool = True,
    manual_backup: bool = False,
    pause: bool = True,
    urgent: bool = False,
) -> Plan:
    """A plan of ``environment``: ``regions`` in rollout order, the first one primary.

    Regions named in ``absent`` are removed (their steps go to ``plan.uninstall``,
    the primary last); the others are upgraded from ``base_version`` to
    ``target_version``. ``manual_backup`` makes the backup a manual step (argv None);
    the primary region, when it stays, gets a manual health check. ``pause`` puts a confirmation pause
    before each region's upgrade and uninstall.
    """
    base_env = make_env(environment=environment, version=base_version, release=release, namespace=namespace)
    env = make_env(environment=environment, version=target_version, release=release, namespace=namespace)
    changes = tuple(
        _change(name, wave, environment, base_env, env, primary=wave == 0, absent=name in absent)
        for wave, name in enumerate(regions)
    )
    present = [c for c in changes if c.change != "uninstall"]
    removed = [c for c in changes if c.change == "uninstall"]
    steps = _forward(environment, present, tricky=tricky, manual_backup=manual_backup, pause=pause)
    uninstall = _uninstall(removed, tricky=tricky, pause=pause)
    rollback = _rollback(environment, present, removed, tricky=tricky, pause=pause)
    risks = tuple(dict.fromkeys(s.risk for s in (*steps, *uninstall) if s.risk))
    return Plan(
        environment=environment,
        service="tenant",
        fingerprint=_fingerprint(environment, regions, absent, base_version, target_version, release, namespace),
        env=env,
        base_env=base_env,
        regions=changes,
        steps=steps,
        uninstall=uninstall,
        rollback=rollback,
        risks=risks,
        urgent=urgent,
        fast_path=tuple(FastRollback(c.name, helm_rollback(c.base)) for c in present if c.base is not None),
    )


def _fingerprint(*inputs: object) -> str:
    return hashlib.sha256(json.dumps(inputs, default=list).encode()).hexdigest()


def _change(
    name: str,
    wave: int,
    environment: str,
    base_env: EnvironmentSpec,
    env: EnvironmentSpec,
    *,
    primary: bool,
    absent: bool,
) -> RegionChange:
    region = make_region(name, environment=environment, primary=primary)
    base = make_state(base_env, region, environment)
    if absent:
        return RegionChange(
            name=name,
            primary=primary,
            change="uninstall",
            wave=wave,
            base=base,
            target=None,
            risks=(f"{name}: the release and its data are removed",),
        )
    target = make_state(env, region, environment)
    diff = tuple(
        DiffEntry(path=p, op="changed", old=base.release.image_tag, new=target.release.image_tag) for p in TAG_PATHS
    )
    diff += (DiffEntry(path="tenant.pgdb.password", op="changed", secret=True),)
    risks = (f"write degradation while {env.release}-0 restarts",) if primary else ()
    return RegionChange(
        name=name, primary=primary, change="upgrade", wave=wave, base=base, target=target, diff=diff, risks=risks
    )


def _helm_target(state: RegionState) -> tuple[str, ...]:
    return ("--kube-context", state.context, "-n", state.namespace)


def _kubectl(state: RegionState, *args: str) -> tuple[str, ...]:
    return ("kubectl", "--context", state.context, "-n", state.namespace, *args)


def _helm_upgrade(environment: str, state: RegionState, *extra: str) -> tuple[str, ...]:
    chart = state.env.chart
    return (
        "helm", "upgrade", "--install", state.release_name, f"{chart.repository}/{chart.name}",
        "--version", state.release.chart_version, *_helm_target(state),
        "-f", f"generated/{environment}/values/{state.name}.yaml", *extra, "--timeout", "900s",
    )  # fmt: skip


def _annotate(state: RegionState, tricky: bool, step_id: str) -> Step | None:
    if not tricky:
        return None
    argv = _kubectl(
        state,
        "annotate",
        f"statefulset/{state.release_name}",
        "--overwrite",
        f"rollplan.example.com/note={TRICKY_NOTE}",
        *TRICKY_WORDS,
    )
    return Step(
        id=step_id,
        phase="preflight",
        region=state.name,
        argv=argv,
        description=f"Record the change note on statefulset/{state.release_name} ({TRICKY_UNICODE})",
    )


def _forward(
    environment: str, present: list[RegionChange], *, tricky: bool, manual_backup: bool, pause: bool
) -> tuple[Step, ...]:
    steps: list[Step] = [
        Step(
            id=f"{c.name}/preflight",
            phase="preflight",
            region=c.name,
            argv=_kubectl(c.current, "auth", "can-i", "create", "statefulsets"),
            description=f"Check access to {c.current.context}",
        )
        for c in present
    ]
    for change in present:
        steps += _forward_region(environment, change, tricky=tricky, manual_backup=manual_backup, pause=pause)
    return tuple(steps)


def _forward_region(
    environment: str, change: RegionChange, *, tricky: bool, manual_backup: bool, pause: bool
) -> list[Step]:
    state = change.current
    steps: list[Step] = []
    if change.primary:
        backup = (
            None
            if manual_backup
            else _kubectl(
                state,
                "exec",
                "deploy/tenant-pg-tools",
                "--",
                "pg_dump",
                "--format=custom",
                f"--file=/backup/{state.release_name}-pre-upgrade.dump",
                f"tenant_{state.release_name}",
            )
        )
        steps.append(
            Step(
                id="backup",
                phase="backup",
                region=change.name,
                argv=backup,
                description=f"Back up the {state.release_name} database before the primary region",
            )
        )
    note = _annotate(state, tricky, f"{change.name}/annotate")
    if note is not None:
        steps.append(note)
    extra = ("--set-string", f"podAnnotations.note={TRICKY_NOTE}", "--description", TRICKY_UNICODE) if tricky else ()
    risk = change.risks[0] if change.risks else None
    steps += [
        Step(
            id=f"{change.name}/upgrade",
            phase="upgrade",
            region=change.name,
            argv=_helm_upgrade(environment, state, *extra),
            description=f"Upgrade {state.release_name} in {change.name} to {state.release.version}",
            risk=risk,
            pause=pause,
        ),
        Step(
            id=f"{change.name}/verify",
            phase="verify",
            region=change.name,
            argv=_kubectl(state, "rollout", "status", f"statefulset/{state.release_name}", "--timeout=900s"),
            description=f"Wait until statefulset/{state.release_name} has rolled out",
        ),
    ]
    if change.primary:
        steps.append(
            Step(
                id=f"{change.name}/health",
                phase="gate",
                region=change.name,
                argv=None,
                description=f"Check that the Tenant Service health metric in {change.name} is above 0.9",
            )
        )
    return steps


def _uninstall(removed: list[RegionChange], *, tricky: bool, pause: bool) -> tuple[Step, ...]:
    ordered = sorted(removed, key=lambda c: c.primary)  # the primary region goes last (C-8)
    steps: list[Step] = []
    for change in ordered:
        state = change.current
        description = ("--description", TRICKY_UNICODE) if tricky else ()
        steps += [
            Step(
                id=f"{change.name}/history",
                phase="preflight",
                region=change.name,
                argv=("helm", "history", state.release_name, *_helm_target(state), "--max", "5"),
                description=f"Show the release history of {state.release_name} in {change.name}",
            ),
            Step(
                id=f"{change.name}/uninstall",
                phase="uninstall",
                region=change.name,
                argv=("helm", "uninstall", state.release_name, *_helm_target(state), *description),
                description=f"Uninstall {state.release_name} from {change.name}",
                risk=change.risks[0] if change.risks else None,
                pause=pause,
            ),
            Step(
                id=f"{change.name}/delete-pvc",
                phase="uninstall",
                region=change.name,
                argv=_kubectl(state, "delete", "pvc", "-l", f"app.kubernetes.io/instance={state.release_name}"),
                description=f"Delete the volumes of {state.release_name} in {change.name}",
            ),
        ]
    return tuple(steps)


def _rollback(
    environment: str, present: list[RegionChange], removed: list[RegionChange], *, tricky: bool, pause: bool
) -> tuple[Step, ...]:
    steps: list[Step] = []
    for change in reversed(removed):
        state = change.current
        steps.append(
            Step(
                id=f"{change.name}/reinstall",
                phase="upgrade",
                region=change.name,
                argv=_helm_upgrade(environment, state),
                description=f"Reinstall {state.release_name} {state.release.version} in {change.name}",
                pause=pause,
            )
        )
    for position, change in enumerate(reversed(present)):
        state = change.current
        note = _annotate(state, tricky, f"{change.name}/rollback-annotate")
        steps += [note] if note is not None else []
        steps += [
            Step(
                id=f"{change.name}/rollback",
                phase="upgrade",
                region=change.name,
                argv=("helm", "rollback", state.release_name, *_helm_target(state), "--wait"),
                description=f"Roll {state.release_name} in {change.name} back to its previous revision",
                pause=pause and position > 0,
            ),
            Step(
                id=f"{change.name}/rollback-verify",
                phase="verify",
                region=change.name,
                argv=_kubectl(state, "rollout", "status", f"statefulset/{state.release_name}", "--timeout=900s"),
                description=f"Wait until statefulset/{state.release_name} has rolled back",
            ),
        ]
    return tuple(steps)
