"""A throwaway real PostgreSQL server on loopback (initdb in a temporary directory), stopped by
its PID: the test session's database and the benchmarks' scale-out cluster."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def require() -> None:
    """Skip the calling test without the server binaries (Debian `postgresql`); fail instead on
    CI, where .ci/run must have installed them."""
    import pytest

    if not (PG_BIN / "initdb").exists():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed; .ci/run must install it")
        pytest.skip("PostgreSQL server binaries not installed (apt-get install postgresql)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """``with PostgresServer() as server:`` a fresh cluster; ``server.url`` is its SQLAlchemy URL
    without a database name (user ``faxgate``, trust authentication)."""

    def __init__(self):
        self.base: Path | None = None
        self.process: subprocess.Popen | None = None
        self.url = ""

    def __enter__(self) -> "PostgresServer":
        # pytest's and mkdtemp's directories are private to root; the postgres user needs its own.
        self.base = Path(tempfile.mkdtemp(prefix="faxgate-pg-"))
        data = self.base / "data"
        as_postgres = []
        if os.geteuid() == 0:  # root cannot run initdb
            shutil.chown(self.base, "postgres")
            as_postgres = ["runuser", "-u", "postgres", "--"]
        try:
            subprocess.run([*as_postgres, str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "faxgate"],
                           check=True, capture_output=True)
            port = _free_port()
            self.process = subprocess.Popen(
                [*as_postgres, str(PG_BIN / "postgres"), "-D", str(data), "-p", str(port), "-k", str(self.base),
                 "-h", "127.0.0.1"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            deadline = time.monotonic() + 30
            while subprocess.run([str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                                 capture_output=True).returncode:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("PostgreSQL did not start within 30 s")
                time.sleep(0.2)
        except BaseException:
            self.__exit__()
            raise
        self.url = f"postgresql+psycopg://faxgate@127.0.0.1:{port}"
        return self

    def create_database(self, name: str) -> str:
        """A fresh, empty database (dropped first if it exists); returns its URL."""
        import psycopg

        admin = self.url.replace("postgresql+psycopg", "postgresql") + "/postgres"
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')
        return f"{self.url}/{name}"

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            self.process = None
        if self.base is not None:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None
