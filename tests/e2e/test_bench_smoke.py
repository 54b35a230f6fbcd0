"""Every benchmark script runs in its --quick mode, so none of them rots. These check that each
script still works end to end and prints its figures, never the figures themselves: those are
measured on purpose and recorded in bench/RESULTS.md."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support import pgserver
from tests.support.corpus import require_ocr_and_fonts
from tests.support.paths import REPO


def run_bench(script: str, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)}
    result = subprocess.run([sys.executable, str(REPO / "bench" / script), "--quick", *args], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_bench_directory():
    out = run_bench("bench_directory.py")
    assert "strings/s" in out and "audit of 1,000 entries" in out and "peak RSS" in out


def test_bench_intake():
    out = run_bench("bench_intake.py")
    assert "bare aiosmtpd" in out and "ratio:" in out and " 0 errors" in out


def test_bench_screening():
    require_ocr_and_fonts()
    out = run_bench("bench_screening.py")
    assert "| text_pdf |" in out and "peak RSS" in out and "not as labelled" not in out


def test_bench_names():
    out = run_bench("bench_names.py")
    assert "sudachi:" in out and "recall prose" in out and "must-pass documents with a name found" in out


def test_bench_latency():
    out = run_bench("bench_latency.py")
    assert "accepted (250): 10; refused: 0" in out and "p95" in out
    assert "10 awaiting_confirmation, 0 blocked, 0 not screened" in out


def test_bench_scaleout():
    pgserver.require()
    out = run_bench("bench_scaleout.py")
    assert out.count("exactly once: yes") == 2 and "ratio 2 processes / 1:" in out
