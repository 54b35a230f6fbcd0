"""Shared fixtures: a PBX profile, a fresh SQLite database per test, a real PostgreSQL server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from directory.profile import PbxProfile
from gateway.cli import cli

FIXTURES = Path(__file__).parent / "fixtures"
PG_BIN = Path("/usr/lib/postgresql/15/bin")


@pytest.fixture
def tokyo() -> PbxProfile:
    """The No. 371 site: outside-line code 0, Tokyo area code 03."""
    return PbxProfile(outside_line="0", area_code="03")


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "faxgate.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/faxgate.db"\n', encoding="utf-8")
    return path


@pytest.fixture
def run_cli(config_file: Path):
    """Invoke `faxgate …` in-process against the test's own database."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(cli, ["--config", str(config_file), *args], input=input, catch_exceptions=False)

    return run


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server on loopback for this test session, stopped by its PID."""
    if not (PG_BIN / "initdb").exists():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed; .ci/run must install it")
        pytest.skip("PostgreSQL server binaries not installed (apt-get install postgresql)")
    # pytest's tmp dirs are private to root; the postgres user needs a directory of its own.
    base = Path(tempfile.mkdtemp(prefix="faxgate-pg-"))
    data = base / "data"
    as_postgres = []
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*as_postgres, str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "faxgate"],
        check=True, capture_output=True,
    )
    port = _free_port()
    server = subprocess.Popen(
        [*as_postgres, str(PG_BIN / "postgres"), "-D", str(data), "-p", str(port), "-k", str(base), "-h", "127.0.0.1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while subprocess.run([str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)], capture_output=True).returncode:
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            pytest.fail("PostgreSQL did not start within 30 s")
        time.sleep(0.2)
    yield f"postgresql+psycopg://faxgate@127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=30)
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server, request) -> str:
    """A fresh, empty database on the session's PostgreSQL server."""
    import psycopg

    name = "t_" + request.node.name.lower().replace("[", "_").replace("]", "").replace("-", "_")[:50]
    admin = postgres_server.replace("postgresql+psycopg", "postgresql") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{postgres_server}/{name}"
