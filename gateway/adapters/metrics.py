"""What this process did, counted for Prometheus: screening time and relay results. State that
lives in the database (jobs by state, queue ages) is read at scrape time instead (gateway.entrypoints.http.health);
these counts are per process, so they start at zero when it starts, as Prometheus expects."""

from __future__ import annotations

import threading

# Seconds: a text PDF screens in well under a second, an OCR page takes ~1.5 s, a long scan minutes.
SCREENING_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
RELAY_RESULTS = ("sent", "retry", "failed", "delivery_unknown")


class Histogram:
    def __init__(self, name: str, help_text: str, buckets: tuple[float, ...]):
        self.name, self.help_text, self.buckets = name, help_text, buckets
        self.counts = [0] * len(buckets)
        self.total, self.sum = 0, 0.0
        self.lock = threading.Lock()

    def observe(self, value: float) -> None:
        with self.lock:
            for index, bound in enumerate(self.buckets):
                if value <= bound:
                    self.counts[index] += 1
            self.total += 1
            self.sum += value

    def render(self) -> list[str]:
        with self.lock:
            counts, total, summed = list(self.counts), self.total, self.sum
        lines = [f"# HELP {self.name} {self.help_text}", f"# TYPE {self.name} histogram"]
        lines += [f'{self.name}_bucket{{le="{bound:g}"}} {count}' for bound, count in zip(self.buckets, counts)]
        lines += [f'{self.name}_bucket{{le="+Inf"}} {total}', f"{self.name}_sum {summed:.6f}", f"{self.name}_count {total}"]
        return lines


class LabelledCounter:
    """A counter per value of one label; every known value is shown from the start (at 0), so
    rate() and alerts work before the first event."""

    def __init__(self, name: str, help_text: str, label: str, values: tuple[str, ...]):
        self.name, self.help_text, self.label = name, help_text, label
        self.values = dict.fromkeys(values, 0)
        self.lock = threading.Lock()

    def inc(self, value: str) -> None:
        with self.lock:
            self.values[value] += 1  # an unknown value is a programming error: KeyError

    def render(self) -> list[str]:
        with self.lock:
            values = dict(self.values)
        lines = [f"# HELP {self.name} {self.help_text}", f"# TYPE {self.name} counter"]
        lines += [f'{self.name}{{{self.label}="{value}"}} {count}' for value, count in values.items()]
        return lines


class Metrics:
    def __init__(self):
        self.screening_seconds = Histogram(
            "faxgate_screening_seconds", "Time the worker spent screening one job (this process).", SCREENING_BUCKETS)
        self.relay_results = LabelledCounter(
            "faxgate_relay_results_total", "Hand-overs to the fax server by result (this process).", "result",
            RELAY_RESULTS)

    def render(self) -> list[str]:
        return self.screening_seconds.render() + self.relay_results.render()
