"""Plan one environment: region changes, blocking rules, forward, uninstall and rollback steps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from compiler.errors import Location, PlanBlocked, Problem
from compiler.plan import argv, downgrade, guard, riskrefs, rules
from compiler.plan.assess import Assessment, assess
from compiler.plan.diff import Signals, values_diff
from compiler.plan.masked import masked_base_risks, pasted_secret_risks
from compiler.plan.model import FastRollback, Plan, PrimaryMove, RegionChange, RegionState, Step
from compiler.plan.rollout import consumers_of, waits_for
from compiler.plan.steps import Side, StepList, stop_region, uninstall_region
from compiler.profiles.base import Profile
from compiler.profiles.registry import profile_for
from compiler.repo import layout
from compiler.resolve.secrets import merged_rules
from compiler.resolve.states import plan_states
from compiler.resolve.values import leaf_paths
from compiler.spec.load import LoadedEnvironment, Specs
from compiler.spec.models import ReleaseNote, Secrets


@dataclass(frozen=True)
class EnvInputs:
    """Both sides of one environment. ``base`` is None when the environment is new."""

    name: str
    target: LoadedEnvironment
    target_specs: Specs
    base: LoadedEnvironment | None
    base_specs: Specs | None


@dataclass(frozen=True)
class Region:
    """A region change plus what the rules derived from it."""

    change: RegionChange
    sig: Signals | None
    notes: tuple[ReleaseNote, ...]
    profile: Profile


def plan_environment(inputs: EnvInputs, fingerprint: str) -> Plan:
    """The plan of one environment; raises PlanBlocked when policy or prerequisites forbid it."""
    env = inputs.target.spec
    notes = inputs.target_specs.release_notes.get(env.service, {})
    redaction = merged_rules(env.secrets, inputs.base.spec.secrets if inputs.base else None)
    resolved = plan_states(inputs.target, inputs.target_specs, inputs.base, inputs.base_specs, redaction)
    target, base = resolved.target, resolved.base
    found_env = assess(inputs.target, target, inputs.base, base, notes)
    order = _order(inputs, base, found_env.move)
    profile = profile_for(env.service)
    found = [_region(profile, n, wave, base.get(n), target.get(n), notes, found_env) for wave, n in enumerate(order)]
    secrets = guard.plan_rules(env, inputs.base.spec if inputs.base else None)
    regions = [replace(r, change=guard.with_prints(r.change, secrets)) for r in found if r is not None]
    loud = _check(inputs, regions, notes, found_env.problems)
    moving = [r for r in regions if r.change.change not in ("noop", "downgrade")]
    urgent = any(n.critical_security_fix for r in moving for n in r.notes[-1:])
    steps, uninstall, rollback = guard.with_resume([
        ("upgrade.sh", _forward(inputs.name, regions, found_env, secrets)),
        ("uninstall.sh", _uninstall(regions, secrets)),
        ("rollback.sh", _rollback(inputs.name, regions, found_env, secrets)),
    ])  # fmt: skip
    env_risks = [
        *riskrefs.environment_risks(found_env, env.backup, steps, uninstall),
        *found_env.risks,
        *loud,
        *inputs.target.overridden,
        *masked_base_risks(inputs.base, {s.region for s in rollback if s.region and s.argv}),
        *pasted_secret_risks(inputs.target, resolved.pasted),
    ]
    return Plan(
        environment=inputs.name,
        service=env.service,
        fingerprint=fingerprint,
        env=env,
        base_env=inputs.base.spec if inputs.base else None,
        regions=riskrefs.region_changes([r.change for r in regions], found_env, rollback),
        steps=steps,
        uninstall=uninstall,
        rollback=rollback,
        risks=tuple(env_risks),
        urgent=urgent,
        irreversible=found_env.migrated,
        primary_move=found_env.move,
        restored_before=found_env.restore_from,
        fast_path=_fast_path(regions, found_env),
        releases=_releases(regions),
        waits=waits_for(inputs.name, inputs.target_specs),
        consumers=consumers_of(inputs.name, inputs.target_specs),
    )


def _releases(regions: list[Region]) -> tuple[ReleaseNote, ...]:
    """Every release some changing region passes through, oldest first: what the reviewer reads the notes of."""
    passed = {n.version: n for r in regions if r.change.change != "noop" for n in r.notes}
    return tuple(sorted(passed.values(), key=lambda note: (note.released, note.version)))


def _migrations(passed: tuple[ReleaseNote, ...]) -> tuple[str, ...]:
    return tuple(n.version for n in passed if n.database_migration != "none")


def _fast_path(regions: list[Region], found: Assessment) -> tuple[FastRollback, ...]:
    """``helm rollback`` of each region changed in place; none when the database is migrated or restored.

    A previous helm revision cannot undo a database change: only the full rollback can.
    """
    if found.migrated or found.restore_from:
        return ()
    changed = (r.change for r in regions if r.change.change != "noop")
    return tuple(FastRollback(c.name, argv.helm_rollback(c.base)) for c in changed if c.base and c.target)


def _order(inputs: EnvInputs, base: Mapping[str, RegionState], move: PrimaryMove | None) -> list[str]:
    """Rollout order of every region known on either side (removed region files go last).

    When the primary moves, the old primary follows the new one directly: the
    two disagree on the master until both have changed.
    """
    order = rules.rollout_order(inputs.target.spec, inputs.target.regions)
    if move is not None and move.source in order:
        order.remove(move.source)
        order.insert(order.index(move.destination) + 1, move.source)
    return order + sorted(n for n in base if n not in order)


def _between(notes: Mapping[str, ReleaseNote], old: str | None, new: str) -> tuple[ReleaseNote, ...]:
    """Releases after ``old`` up to and including ``new``, by date: what an upgrade goes through."""
    ordered = rules.releases_by_date(notes)
    versions = [n.version for n in ordered]
    end = versions.index(new) + 1 if new in versions else len(versions)
    start = versions.index(old) + 1 if old in versions else end - 1
    return tuple(ordered[max(0, min(start, end - 1)) : end])


def _region(
    profile: Profile,
    name: str,
    wave: int,
    base: RegionState | None,
    target: RegionState | None,
    notes: Mapping[str, ReleaseNote],
    found: Assessment,
) -> Region | None:
    if base is None and target is None:
        return None
    primary = (target or base).region.primary  # type: ignore[union-attr]
    if target is None:
        assert base is not None
        change = RegionChange(name, primary, "uninstall", wave, base, None, (), ("data loss: release removed",))
        return Region(change, None, (), profile)
    if base is None:
        passed = _between(notes, None, target.release.version)
        risks = rules.note_risks(passed[-1], {p for p, _ in leaf_paths(target.values)}) if passed else []
        change = RegionChange(
            name, primary, "install", wave, None, target, (), tuple(risks), migrations=_migrations(passed)
        )
        return Region(change, None, passed, profile)
    return _existing(profile, name, primary, wave, base, target, notes, going_back=found.downgrade(base, target))


def _existing(
    profile: Profile,
    name: str,
    primary: bool,
    wave: int,
    base: RegionState,
    target: RegionState,
    notes: Mapping[str, ReleaseNote],
    *,
    going_back: bool,
) -> Region:
    diff = values_diff(base.values, target.values)
    sig = profile.signals(diff, target.env) if diff else None
    release_changed = base.release != target.release
    chart = target.env.chart.model_copy(update={"version": None})
    source_changed = chart != base.env.chart.model_copy(update={"version": None})
    kind = rules.classify(
        release_changed=release_changed,
        chart_changed=base.release.chart_version != target.release.chart_version or source_changed,
        tags_only=sig is not None and sig.tags_only,
        other_changed=(sig is not None and not sig.tags_only) or source_changed,
    )
    if going_back:
        kind = "downgrade"
    passed = _between(notes, base.release.version, target.release.version) if release_changed and not going_back else ()
    risks: list[str] = [downgrade.risk(base.release, target.release)] if going_back else []
    if kind != "noop":
        replicas = min(base.region.replicas, target.region.replicas)
        risks.append(profile.degradation_risk(target.release_name, replicas, sig))
        paths = {p for p, _ in leaf_paths(target.values)}
        for note in passed:
            risks += rules.note_risks(note, paths, target=note is passed[-1])
        if sig is not None:
            risks += profile.signal_risks(sig, target.release_name)
            risks += rules.secret_value_risks(sig)
    migrations = _migrations(passed) if kind != "noop" else ()
    change = RegionChange(
        name, primary, kind, wave, base, target, diff, tuple(dict.fromkeys(risks)), migrations=migrations
    )
    return Region(change, sig, passed, profile)


def _check(
    inputs: EnvInputs, regions: list[Region], notes: Mapping[str, ReleaseNote], blocking: tuple[Problem, ...]
) -> list[str]:
    """Blocking rules: N-2 support window, third-party prerequisites, and ``blocking`` from the environment rules.

    The first two read release notes: a service without them (notes are optional for some) has
    neither rule. Returns the loud risks.
    """
    base = inputs.base
    if base is not None and base.spec.service != inputs.target.spec.service:
        where = inputs.target.locate(inputs.target.spec_file, ["service"])
        message = (
            f"service changes from {base.spec.service} to {inputs.target.spec.service}: the deployed regions were "
            "planned under the other profile; uninstall them first (state: absent), then switch the service"
        )
        raise PlanBlocked([Problem(where, "service", message)])
    problems: list[Problem] = list(blocking)
    risks: list[str] = []
    loaded = inputs.target
    for region in regions if notes else []:
        change = region.change
        if change.target is None or change.change == "noop":
            continue
        if change.base is None or change.base.release != change.target.release:
            found, loud = _support(loaded, change, notes)
            problems += found
            risks += loud
        region_file = loaded.region_files[change.name]
        note = notes[change.target.release.version]
        supplied = inputs.target_specs.links.supplied.get(inputs.name, {}).get(change.name, {})
        # A component another environment provides is checked against its target at loading (spec/provides.py).
        unsupplied = note.model_copy(update={"requires": {c: v for c, v in note.requires.items() if c not in supplied}})
        for problem in rules.check_prerequisites(change.target.region, unsupplied, Location(region_file)):
            where = loaded.locate(region_file, problem.path.split("."))
            problems.append(Problem(where, problem.path, problem.message))
    if problems:
        raise PlanBlocked(list(dict.fromkeys(problems)))
    return list(dict.fromkeys(risks))


def _support(
    loaded: LoadedEnvironment, change: RegionChange, notes: Mapping[str, ReleaseNote]
) -> tuple[list[Problem], list[str]]:
    """The N-2 rule for one region. Going back to an older release (a rollback) is never blocked by it."""
    assert change.target is not None
    pinned = change.target.region.pin is not None
    file = loaded.region_files[change.name] if pinned else loaded.spec_file
    field = "pin.version" if pinned else "version"
    where = loaded.locate(file, field.split("."))
    version = change.target.release.version
    found, loud = rules.check_support(version, notes, loaded.spec, where, field)
    base = change.base.release.version if change.base else None
    if found and base is not None and base in notes and notes[version].released < notes[base].released:
        return [], [f"DOWNGRADE of {change.name} to {version}, outside the vendor's N-2 support window"]
    if pinned:
        found = [Problem(p.location, p.path, f"region {change.name}: {p.message}") for p in found]
    return found, loud


def _forward(env_name: str, regions: list[Region], found: Assessment, secrets: Secrets) -> list[Step]:
    sl = StepList(prefix="")
    changing = [r for r in regions if r.change.change in ("install", "upgrade", "downgrade", "image-only", "config")]
    deployed = any(r.change.base is not None for r in regions)
    backed_up = False
    if found.restore_from and changing:
        # Every region is checked before the first is stopped: the restore that follows concerns them all.
        for region in changing:
            guard.live_check(sl, region.profile, region.change, "forward", secrets)
        first = changing[0]
        _backup(sl, first.profile, first.change.current, first.change.name if first.change.primary else None)
        backed_up = True
        downgrade.stop_and_restore(sl, first.profile, [r.change for r in regions], found.restore_from)
    for index, region in enumerate(changing):
        change, state = region.change, region.change.current
        if not found.restore_from:
            # Before the backup too: a rerun must not back up a database the primary already migrated.
            guard.live_check(sl, region.profile, change, "forward", secrets)
        if not backed_up and deployed and (change.base is not None or found.move is not None):
            _backup(sl, region.profile, state, change.name if change.primary and found.move is None else None)
            backed_up = True
        _preflight(sl, region.profile, change)
        region.profile.before_apply(sl, state, region.sig, "new")
        before = _side(env_name, change.base, rollback=True) if change.base else None
        to = _side(env_name, state, rollback=False)
        image_only = change.change == "image-only"
        region.profile.apply_state(sl, to, region.sig, image_only=image_only, what=_describe(change), before=before,
                                   which="new", stopped=bool(found.restore_from))  # fmt: skip
        _provisioning(sl, region)
        pause = state.env.rollout.pause_between_regions
        moving_primary = found.move is not None and change.name == found.move.destination
        if pause and index < len(changing) - 1 and not moving_primary:
            sl.add("gate", change.name, argv.sleep(pause), f"wait {pause}s before the next region", slug="pause")
    if found.restore_from and changing:
        downgrade.restart_unchanged(sl, changing[0].profile, [r.change for r in regions])
    return sl.steps


def _side(env_name: str, state: RegionState, *, rollback: bool) -> Side:
    """A state and its files: the base's values for a rollback, and a secrets file when a store supplies values."""
    values = (layout.rollback_values_file if rollback else layout.values_file)(env_name, state.name)
    secrets_file = layout.base_secrets_file if rollback else layout.secrets_file
    secrets = secrets_file(env_name, state.name) if state.secret_paths else None
    return Side(state, values, secrets)


def _provisioning(sl: StepList, region: Region) -> None:
    """A release that requires provisioning changes gets a manual step once its region is verified."""
    if not region.change.primary:
        return
    for note in region.notes:
        if note.provisioning_changes:
            sl.add("gate", region.change.name, None,
                   f"release {note.version} requires provisioning changes: apply them now as its release note "
                   "describes, then continue", slug="provisioning", pause=True)  # fmt: skip


def _backup(sl: StepList, profile: Profile, state: RegionState, region: str | None) -> None:
    command = state.env.backup.command
    if command is None and not profile.manual_backup:
        return
    sl.add(
        "backup", region, command,
        profile.backup_description()
        + ("" if command else " (manual: take and verify a backup, then continue)"),
        slug="database-backup", pause=command is None,
    )  # fmt: skip


def _preflight(sl: StepList, profile: Profile, change: RegionChange) -> None:
    state = change.current
    if change.base is None:
        sl.add(
            "preflight",
            change.name,
            argv.can_install(state, profile.installs(state)),
            profile.install_preflight(state),
            slug="preflight",
        )
        return
    sl.add(
        "preflight",
        change.name,
        argv.helm_history(state),
        f"show the deployed revisions of {state.release_name} (the fast-path rollback target)",
        slug="preflight",
    )


def _describe(change: RegionChange) -> str:
    to = change.current.release
    if change.base is None:
        return f"install {to.version} (chart {to.chart_version}) in {change.name}"
    frm = change.base.release
    if change.change == "config":
        return f"apply the changed values in {change.name} (release {to.version} unchanged)"
    return (
        f"{change.change} {change.name}: {frm.version} → {to.version} (chart {frm.chart_version} → {to.chart_version})"
    )


def _uninstall(regions: list[Region], secrets: Secrets) -> list[Step]:
    sl = StepList(prefix="uninstall-")
    removed = [r for r in regions if r.change.change == "uninstall"]
    removed.sort(key=lambda r: (r.change.primary, -r.change.wave))
    for region in removed:
        state = region.change.current
        guard.live_check(sl, region.profile, region.change, "forward", secrets)
        if region.change.primary:
            _backup(sl, region.profile, state, region.change.name)
        uninstall_region(sl, region.profile, region.change, state.env.rollout.verify_timeout)
    return sl.steps


def _rollback(env_name: str, regions: list[Region], found: Assessment, secrets: Secrets) -> list[Step]:
    """Back to the base state. Every running region stops while the database is restored, unchanged ones too.

    Undoing a downgrade across an irreversible migration runs that migration again: it is
    an upgrade, so it takes a backup and goes primary first, as the forward rules say.
    """
    sl = StepList(prefix="rollback-")
    changed = [r for r in regions if r.change.change != "noop"]
    irreversible = found.migrated
    if irreversible:
        # Every region is checked before the first is stopped: the restore that follows concerns them all.
        for region in changed:
            guard.live_check(sl, region.profile, region.change, "rollback-all", secrets)
        for region in regions:
            if region.change.target is not None:
                why = "no writes may reach the database while it is restored"
                stop_region(sl, region.profile, region.change.target, why)
        _restore(sl, changed[0].profile, changed[0].change.current, irreversible)
        downgrade.restart_unchanged(sl, changed[0].profile, [r.change for r in regions])
    forward = [r for r in changed if r.change.change != "uninstall"]
    removed = sorted(
        (r for r in changed if r.change.change == "uninstall"), key=lambda r: (r.change.primary, -r.change.wave)
    )
    if found.restore_from and forward:
        first = forward[0].change
        _backup(sl, forward[0].profile, first.current, first.name if first.primary else None)
        ordered = [*reversed(removed), *forward]
    else:
        ordered = [*reversed(removed), *reversed(forward)]
    for region in ordered:
        if not irreversible:
            guard.live_check(sl, region.profile, region.change, "rollback", secrets)
        _rollback_region(sl, env_name, region)
    return sl.steps


def _restore(sl: StepList, profile: Profile, state: RegionState, versions: tuple[str, ...]) -> None:
    command = state.env.backup.restore_command
    sl.add(
        "restore", None, command,
        profile.restore_description(versions),
        slug="database-restore", pause=True, risk="writes made since the backup are lost",
    )  # fmt: skip


def _rollback_region(sl: StepList, env_name: str, region: Region) -> None:
    change = region.change
    if change.base is None:
        assert change.target is not None
        uninstall_region(sl, region.profile, change, change.target.env.rollout.verify_timeout)
        return
    base = change.base
    region.profile.before_apply(sl, base, region.sig, "previous")
    if change.change == "uninstall":
        sl.add("preflight", change.name, argv.can_install(base, region.profile.installs(base)),
               f"check that {base.context} lets us reinstall in {base.namespace}", slug="preflight")  # fmt: skip
    what = f"restore {change.name} to {base.release.version} (chart {base.release.chart_version}) and its values"
    before = _side(env_name, change.target, rollback=False) if change.target else None
    to = _side(env_name, base, rollback=True)
    image_only = change.change == "image-only"
    region.profile.apply_state(sl, to, region.sig, image_only=image_only, what=what, before=before, which="previous")
