"""Shared by the gateway benchmarks (not a benchmark itself): a throwaway gateway on a seeded
database run as real `python -m gateway serve` processes, a device that submits one clean fax
per SMTP connection, and the figures."""

from __future__ import annotations

import email.policy
import json
import math
import os
import resource
import signal
import socket
import smtplib
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/bench_X.py` from anywhere
    sys.path.insert(0, str(ROOT))

from gateway.storage import db  # noqa: E402
from gateway.bootstrap import App  # noqa: E402
from gateway.config import load_config  # noqa: E402
from tests.support import docgen  # noqa: E402
from tests.support.harness import DOMAIN, fax_message, seed  # noqa: E402

# Speed dial 1 of the seeded directory (tests.support.harness.DIRECTORY_CSV): active and verified, so a
# clean page reaches awaiting_confirmation.
RECIPIENT = f"FAX=+81354321111@{DOMAIN}"
CLEAN_LINES = (
    "令和6年11月25日", "関係各位", "世田谷区 保健福祉政策部", "会議開催のお知らせ",
    "標記の件について、下記のとおり開催いたします。", "ご多忙のところ恐縮ですが、ご出席くださいますようお願いいたします。",
    "記", "1 日時 令和6年12月3日 午後2時から午後4時まで", "2 場所 第二庁舎 4階 会議室", "3 議題 地域包括ケアの推進について",
    "4 持ち物 事前に配布した資料", "出欠は11月29日までに担当課へお知らせください。", "以上",
)


def clean_fax(pages: int = 1) -> bytes:
    """A submission as a device sends it: a text PDF of `pages` notices with no personal data."""
    items = [(20.0, 25.0 + 12 * n, line, 16 if n == 3 else 11) for n, line in enumerate(CLEAN_LINES)]
    document = docgen.text_pdf([items] * pages)
    return fax_message(document, to=RECIPIENT).as_bytes(policy=email.policy.SMTP)


def send(port: int, payload: bytes) -> tuple[int, str]:
    """One device connection, one message; returns the final reply (an error becomes code 0)."""
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
            client.ehlo("mfd-bench")
            client.mail("sato@city.example.jp")
            client.rcpt(RECIPIENT)
            code, reply = client.data(payload)
            return code, reply.decode()
    except (OSError, smtplib.SMTPException) as exc:
        return 0, f"{type(exc).__name__}: {exc}"


def job_id_of(reply: str) -> str:
    return reply.rsplit(" ", 1)[1]


def write_config(directory: Path, database_url: str, smtp_port: int, http_port: int, mail_port: int, name: str) -> Path:
    """A config file for one gateway process; notices go to a real mail sink."""
    path = directory / f"{name}.toml"
    path.write_text(
        f'[database]\nurl = "{database_url}"\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\ndomain = "{DOMAIN}"\n'
        f'[http]\nhost = "127.0.0.1"\nport = {http_port}\n'
        f'[mail]\nurl = "smtp://127.0.0.1:{mail_port}"\n'
        '[logging]\nformat = "json"\nlevel = "info"\n',
        encoding="utf-8",
    )
    return path


def prepare_database(config: Path) -> None:
    """Schema (PostgreSQL on purpose, as `faxgate db upgrade`; SQLite on first use), staff and
    the directory."""
    app = App(load_config(config))
    if not app.config.database.url.startswith("sqlite"):
        db.upgrade(db.make_engine(app.config.database.url))
    seed(app)
    app.engine.dispose()


class ServeProcess:
    """`python -m gateway serve --only PARTS` with this tree first on the path; its log is kept.
    With `cpu`, the process and its children run on that core only (taskset)."""

    def __init__(self, config: Path, parts: str, log: Path, cpu: int | None = None):
        self.config, self.parts, self.log, self.cpu = config, parts, log, cpu
        self.port = load_config(config).smtp.port
        self.process: subprocess.Popen | None = None

    def start(self) -> "ServeProcess":
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
        with self.log.open("wb") as log:
            pin = ["taskset", "-c", str(self.cpu)] if self.cpu is not None else []  # taskset execs: same PID
            self.process = subprocess.Popen(
                [*pin, sys.executable, "-m", "gateway", "serve", "--only", self.parts, "--config", str(self.config)],
                stdout=subprocess.DEVNULL, stderr=log, env=env, cwd=self.config.parent)  # its own ./faxgate-keys
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"faxgate serve did not start; see {self.log}:\n{self.log.read_text()[-2000:]}")
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log_events(self, event: str) -> list[dict]:
        """The process's JSON log lines for one event (e.g. the worker's `screened`)."""
        found = []
        for line in self.log.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                if entry.get("event") == event:
                    found.append(entry)
        return found


def reader_engine(database_url: str):
    """A plain engine for the benchmark's own reads: not gateway.storage.db's, whose SQLite
    transactions take the write lock (BEGIN IMMEDIATE) and would compete with the gateway."""
    return create_engine(database_url)


def job_states(engine, ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    marks = ", ".join(f":id{n}" for n in range(len(ids)))
    with engine.connect() as connection:
        rows = connection.execute(text(f"SELECT id, state FROM jobs WHERE id IN ({marks})"),
                                  {f"id{n}": job_id for n, job_id in enumerate(ids)})
        return dict(rows.all())


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share 0.5 = median)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def tree_cpu(pid: int) -> dict[str, float]:
    """CPU seconds (user + system) of a process tree, from /proc, in four parts: the process
    itself, its finished children (tesseract, parsers in fresh interpreters), its document
    sandbox's zygote with the parser children it forked and reaped, and its other living
    descendants with what they reaped (its intake writer)."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    times: dict[int, tuple[float, float]] = {}
    zygotes = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if b"policies.documents.fork_server" in f.read():
                    zygotes.add(int(entry))
        except OSError:
            continue
        # after the command: state, ppid, …; utime, stime, cutime, cstime are fields 14–17 of stat
        children.setdefault(int(fields[1]), []).append(int(entry))
        times[int(entry)] = ((int(fields[11]) + int(fields[12])) / tick, (int(fields[13]) + int(fields[14])) / tick)
    own, finished = times.get(pid, (0.0, 0.0))
    parts = {"own": own, "finished children": finished, "fork server": 0.0, "living descendants": 0.0}
    todo = [(child, "fork server" if child in zygotes else "living descendants") for child in children.get(pid, [])]
    while todo:
        current, part = todo.pop()
        parts[part] += sum(times.get(current, (0.0, 0.0)))
        todo.extend((child, part) for child in children.get(current, []))
    return parts


def tree_cpu_seconds(pid: int) -> float:
    return sum(tree_cpu(pid).values())


def _machine_busy_seconds() -> float:
    """CPU time all cores spent on anything but idle and I/O wait since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in f.readline().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _own_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class CpuMeter:
    """Who kept the machine's cores busy during a measurement, in cores on average: the named
    process trees (the gateway, PostgreSQL), this benchmark (the devices, the poller, the mail
    sink) and other work: on a shared machine, the figure that says how noisy the run was."""

    def __init__(self, trees: dict[str, list[int]]):
        self.trees = trees

    def _sample(self) -> dict[str, float]:
        sample = {name: sum(tree_cpu_seconds(pid) for pid in pids) for name, pids in self.trees.items()}
        return {**sample, "benchmark": _own_seconds(), "machine": _machine_busy_seconds(), "wall": time.monotonic()}

    def __enter__(self) -> "CpuMeter":
        self.started = self._sample()
        return self

    def __exit__(self, *exc) -> None:
        ended = self._sample()
        self.seconds = {name: ended[name] - self.started[name] for name in ended}

    @property
    def wall(self) -> float:
        return self.seconds["wall"]

    def cores(self, name: str) -> float:
        return self.seconds[name] / self.wall

    def summary(self) -> str:
        ours = [*self.trees, "benchmark"]
        other = max(0.0, self.seconds["machine"] - sum(self.seconds[name] for name in ours))
        parts = [f"{name} {self.cores(name):.2f}" for name in ours]
        return (f"cores busy over {self.wall:.0f} s (of {len(os.sched_getaffinity(0))}): {', '.join(parts)}, "
                f"other work on the machine {other / self.wall:.2f}")
