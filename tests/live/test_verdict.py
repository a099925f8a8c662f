"""What a live check decides, per direction, for every state a release can be in."""

from __future__ import annotations

from typing import Any

import pytest

from compiler.live.fingerprint import ANY_CHART, Fingerprint, values_digest
from compiler.live.helm import LiveRelease
from compiler.live.verdict import Expected, Mode, classify, decide
from compiler.spec.models import Secrets

RULES = Secrets()
BASE_VALUES: dict[str, Any] = {"image": {"tag": "1"}}
TARGET_VALUES: dict[str, Any] = {"image": {"tag": "2"}}
BASE = Fingerprint("1.0", values_digest(BASE_VALUES, RULES))
TARGET = Fingerprint("2.0", values_digest(TARGET_VALUES, RULES))
UPGRADE = Expected("use1", "t100", BASE, TARGET)


def release(chart: str, values: dict[str, Any], status: str = "deployed") -> LiveRelease:
    return LiveRelease("tenant", chart, status, 2, values)


LIVE = {
    "base": release("1.0", BASE_VALUES),
    "target": release("2.0", TARGET_VALUES),
    "failed": release("2.0", TARGET_VALUES, "failed"),
    "patched": release("1.0", {"image": {"tag": "1"}, "extra": True}),
    "foreign": release("1.5", BASE_VALUES),
    "absent": None,
}


@pytest.mark.parametrize(("live", "forward", "rollback", "rollback_all"), [
    ("base", "proceed", "skip", "proceed"),
    ("target", "skip", "proceed", "proceed"),
    ("failed", "stop", "proceed", "proceed"),
    ("patched", "stop", "proceed", "proceed"),
    ("foreign", "stop", "stop", "stop"),
    ("absent", "stop", "stop", "stop"),
])  # fmt: skip
def test_verdict_upgrade_per_mode(live: str, forward: str, rollback: str, rollback_all: str) -> None:
    modes: tuple[Mode, ...] = ("forward", "rollback", "rollback-all")
    found = [decide(mode, UPGRADE, LIVE[live], RULES).action for mode in modes]
    assert found == [forward, rollback, rollback_all]


@pytest.mark.parametrize(("live", "forward", "rollback"), [
    ("absent", "proceed", "skip"), ("target", "skip", "proceed"), ("base", "stop", "stop"),
])  # fmt: skip
def test_verdict_install_expects_no_release(live: str, forward: str, rollback: str) -> None:
    install = Expected("use1", "t100", None, TARGET)
    assert [decide(m, install, LIVE[live], RULES).action for m in ("forward", "rollback")] == [forward, rollback]


@pytest.mark.parametrize(("live", "forward", "rollback"), [
    ("base", "proceed", "skip"), ("absent", "skip", "proceed"), ("foreign", "stop", "stop"),
])  # fmt: skip
def test_verdict_uninstall_expects_no_release_after(live: str, forward: str, rollback: str) -> None:
    uninstall = Expected("use1", "t100", BASE, None)
    assert [decide(m, uninstall, LIVE[live], RULES).action for m in ("forward", "rollback")] == [forward, rollback]


def test_verdict_stop_names_region_expectation_and_what_runs() -> None:
    verdict = decide("forward", UPGRADE, LIVE["foreign"], RULES)
    assert verdict.message.startswith("use1: release t100 runs chart 1.5, values ")
    assert f"its base (chart 1.0, values {BASE.values_sha256[:12]})" in verdict.message
    assert "stopping before use1 is touched" in verdict.message
    absent = decide("forward", Expected("use1", "t100", None, TARGET), LIVE["base"], RULES)
    assert "no release (an install)" in absent.message


def test_verdict_same_fingerprints_count_as_base() -> None:
    # Nothing tells the sides apart (a chart source change only): forward acts, and so does the full rollback.
    same = Expected("use1", "t100", BASE, BASE)
    assert classify(same, LIVE["base"], RULES) == "base"
    assert decide("forward", same, LIVE["base"], RULES).action == "proceed"


def test_verdict_chart_kept_in_the_repository_compares_values_only() -> None:
    base, target = Fingerprint(ANY_CHART, BASE.values_sha256), Fingerprint(ANY_CHART, TARGET.values_sha256)
    local = Expected("use1", "t100", base, target)
    assert classify(local, release("7.7", TARGET_VALUES), RULES) == "target"
    assert classify(local, release("7.7", {"other": 1}), RULES) == "between"


def test_verdict_uninstalled_with_history_counts_as_no_release() -> None:
    kept = release("2.0", TARGET_VALUES, "uninstalled")
    assert classify(UPGRADE, kept, RULES) == "absent"
    assert decide("forward", Expected("use1", "t100", None, TARGET), kept, RULES).action == "proceed"


@pytest.mark.parametrize(("live", "mode", "action"), [
    ("base", "forward", "stop"), ("target", "forward", "stop"), ("base", "rollback", "stop"),
    ("target", "rollback", "stop"), ("failed", "rollback", "stop"),
    ("base", "rollback-all", "proceed"), ("target", "rollback-all", "proceed"), ("absent", "forward", "stop"),
])  # fmt: skip
def test_verdict_a_region_scaled_to_zero_is_not_at_base(live: str, mode: Mode, action: str) -> None:
    # The stop before a database restore scales with kubectl: the helm release still looks like base or target.
    verdict = decide(mode, UPGRADE, LIVE[live], RULES, replicas=0)
    assert verdict.action == action
    if action == "stop" and live != "absent":
        assert "scaled to 0 replicas" in verdict.message and "scaled down by hand" in verdict.message
    running = decide(mode, UPGRADE, LIVE[live], RULES, replicas=3)
    assert running.action == decide(mode, UPGRADE, LIVE[live], RULES).action


def test_verdict_a_stopped_region_names_the_run_to_resume() -> None:
    expected = Expected("use1", "t100", BASE, TARGET, resume=("upgrade.sh", 7))
    verdict = decide("forward", expected, LIVE["base"], RULES, replicas=0)
    assert verdict.action == "stop"
    assert "an interrupted run of upgrade.sh stopped it for the database restore" in verdict.message
    assert "'upgrade.sh --from 7' (the restore; '--from 8' if that restore completed)" in verdict.message
    assert verdict.message.startswith("use1: release t100 runs chart 1.0")
