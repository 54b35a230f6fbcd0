"""bench/bench_sites.py still runs end to end in its --quick mode (its figures are measured on
purpose and recorded in bench/RESULTS.md, never checked here)."""

from __future__ import annotations

from tests.e2e.test_bench_smoke import run_bench


def test_bench_sites():
    out = run_bench("bench_sites.py")
    assert "audit of every book: 20 books" in out and "across books" in out and "cached per directory version" in out
