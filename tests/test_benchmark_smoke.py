"""The fleet benchmark runs end to end at a tiny size and ends with its one-line summary."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "fleet.py"
SUMMARY = re.compile(
    r"regions=(\d+) seconds=\d+\.\d+ floor_seconds=\d+\.\d+ ratio_to_floor=\d+\.\d+ peak_rss_mb=\d+\.\d+"
    r" check_seconds=\d+\.\d+ check_to_compile=\d+\.\d+"
)


def test_benchmark_fleet_small_run_ends_with_the_summary_line() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCHMARK), "--regions", "4", "--environments", "2"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    found = SUMMARY.fullmatch(lines[-1])
    assert found is not None, lines[-1]
    assert found.group(1) == "4"
    assert any(line.startswith("compile ") for line in lines[:-1]), "the table comes before the summary"


def test_benchmark_fleet_refuses_more_environments_than_regions() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCHMARK), "--regions", "2", "--environments", "3"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "--environments" in done.stderr
