"""A real HylaFAX server (faxq + hfaxd, no modem) on loopback for relay tests.

Jobs wait in the send queue and are never dialled, so a test sees exactly what a relay handed
over. The daemons run on a private copy of the Debian spool (``-q``), so the session starts with
an empty queue and leaves the system's spool alone. Needs root and the Debian packages
hylafax-server and hylafax-client (see ../shared/domain/hylafax.md).
"""

from __future__ import annotations

import ftplib
import io
import os
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import pytest

SBIN = Path("/usr/sbin")
SYSTEM_SPOOL = Path("/var/spool/hylafax")
SYSTEM_CONFIG = Path("/etc/hylafax")
QUEUE_DIRS = ("sendq", "docq", "doneq", "tmp", "client")
START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0


class HylafaxServer(NamedTuple):
    host: str
    port: int

    @contextmanager
    def session(self):
        """A logged-in client connection (hosts.hfaxd trusts 127.0.0.1: no password)."""
        with ftplib.FTP(timeout=10) as ftp:
            ftp.connect(self.host, self.port)
            ftp.voidcmd("USER faxgate")
            yield ftp

    def job_ids(self) -> list[str]:
        with self.session() as ftp:
            return self._job_ids(ftp)

    def queued_jobs(self) -> list[dict]:
        """Every job in the send queue, as the server reports it."""
        with self.session() as ftp:
            return [self._job(ftp, job_id) for job_id in self._job_ids(ftp)]

    def job(self, job_id: str) -> dict:
        with self.session() as ftp:
            return self._job(ftp, job_id)

    @staticmethod
    def _job_ids(ftp: ftplib.FTP) -> list[str]:
        ftp.voidcmd('JOBFMT "%j"')
        lines: list[str] = []
        ftp.retrlines("LIST sendq", lines.append)
        return sorted(line.strip() for line in lines if line.strip())

    @staticmethod
    def _job(ftp: ftplib.FTP, job_id: str) -> dict:
        ftp.voidcmd(f"JOB {job_id}")

        def value(name: str) -> str:
            return ftp.voidcmd(f"JPARM {name}")[4:].strip()

        # "213-PDF docq/doc3.ps.3" lines, then "213 End of documents."
        documents = [line[4:].split(" ", 1) for line in ftp.voidcmd("JPARM DOCUMENT").splitlines()
                     if line.startswith("213-")]
        return {"id": job_id, "dial_string": value("DIALSTRING"), "state": value("STATE"),
                "sender": value("FROMUSER"), "documents": [{"type": kind, "path": path} for kind, path in documents]}

    def wait_scheduled(self, job_id: str, timeout: float = 10.0) -> dict:
        """The job once faxq has taken it: JSUBM leaves it SUSPENDED until faxq reads the queue file."""
        deadline = time.monotonic() + timeout
        while (job := self.job(job_id))["state"] == "SUSPENDED":
            if time.monotonic() > deadline:
                pytest.fail(f"faxq did not schedule job {job_id} within {timeout} s: {job}")
            time.sleep(0.05)
        return job

    def fetch_document(self, path: str) -> bytes:
        """The stored document byte for byte (path as listed, e.g. docq/doc3.ps.3)."""
        buffer = io.BytesIO()
        with self.session() as ftp:
            ftp.retrbinary(f"RETR {path}", buffer.write)
        return buffer.getvalue()

    def clear_queue(self, timeout: float = 10.0) -> None:
        """Remove every job. hfaxd deletes only suspended jobs, faxq suspends them after JSUSP
        is answered, and an hfaxd session re-reads a job only when its file's mtime moves on a
        whole second: so each round is a fresh session, and refusals are retried until the
        deadline."""
        deadline = time.monotonic() + timeout
        while job_ids := self.job_ids():
            if time.monotonic() > deadline:
                pytest.fail(f"could not empty the HylaFAX queue within {timeout} s: {job_ids}")
            with self.session() as ftp:
                for command in (f"{verb} {job_id}" for job_id in job_ids for verb in ("JSUSP", "JDELE")):
                    try:
                        ftp.voidcmd(command)
                    except ftplib.error_perm:
                        pass  # already suspended, or not yet: the next round sees
            time.sleep(0.05)


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; .ci/run must provide it")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _private_spool(base: Path) -> Path:
    """A copy of the installed spool (owners kept: the daemons run as uucp) without its queues."""
    spool = base / "spool"
    subprocess.run(["cp", "-a", str(SYSTEM_SPOOL), str(spool)], check=True, capture_output=True)
    for fifo in spool.glob("FIFO*"):
        fifo.unlink()
    for name in QUEUE_DIRS:
        for entry in (spool / name).iterdir():
            entry.unlink()
    # Debian's systemd unit bind-mounts /etc/hylafax here; without systemd it must be copied.
    subprocess.run(["cp", "-a", f"{SYSTEM_CONFIG}/.", str(spool / "etc")], check=True, capture_output=True)
    hosts = spool / "etc" / "hosts.hfaxd"
    hosts.write_text("127.0.0.1:21::\n", encoding="ascii")  # any user from loopback, no password
    shutil.chown(hosts, "uucp", "uucp")
    hosts.chmod(0o600)
    return spool


def _scheduler_running(server: HylafaxServer) -> bool:
    try:
        with server.session() as ftp:
            lines: list[str] = []
            ftp.retrlines("LIST status", lines.append)
    except (OSError, EOFError, ftplib.Error):
        return False
    return any(line.endswith(": Running") for line in lines)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)


@pytest.fixture(scope="session")
def hylafax_server():
    """faxq and hfaxd on a free loopback port for this test session, stopped by their PIDs."""
    if not ((SBIN / "faxq").exists() and (SBIN / "hfaxd").exists() and SYSTEM_SPOOL.is_dir()):
        _unavailable("HylaFAX is not installed (apt-get install hylafax-server hylafax-client)")
    if os.geteuid() != 0:
        _unavailable("the HylaFAX daemons must be started as root")
    base = Path(tempfile.mkdtemp(prefix="faxgate-hylafax-"))
    base.chmod(0o755)  # the daemons drop to uucp and must reach the spool inside
    server = HylafaxServer("127.0.0.1", _free_port())
    processes: list[subprocess.Popen] = []
    try:
        spool = _private_spool(base)
        daemons = {
            "faxq": [str(SBIN / "faxq"), "-q", str(spool), "-D"],
            "hfaxd": [str(SBIN / "hfaxd"), "-q", str(spool), "-d", "-l", server.host, "-i", str(server.port)],
        }
        for name, command in daemons.items():
            with (base / f"{name}.log").open("wb") as log:
                processes.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + START_TIMEOUT
        while not _scheduler_running(server):
            if time.monotonic() > deadline or any(process.poll() is not None for process in processes):
                output = {name: (base / f"{name}.log").read_text(errors="replace") for name in daemons}
                pytest.fail(f"HylaFAX did not start within {START_TIMEOUT} s: {output}")
            time.sleep(0.05)
        yield server
    finally:
        for process in reversed(processes):
            _stop(process)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def hylafax_queue(hylafax_server: HylafaxServer) -> HylafaxServer:
    """The session's server with an empty send queue."""
    hylafax_server.clear_queue()
    return hylafax_server
