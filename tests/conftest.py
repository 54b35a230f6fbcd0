"""Shared fixtures: a PBX profile, a fresh SQLite database per test, a real PostgreSQL server, the
two SMTP peers (the fax server and the office mail server), a real HylaFAX server, Chromium, and
the running gateway (`world`, its options in tests/support/world.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from directory.profile import PbxProfile
from gateway.entrypoints.cli.main import cli
from tests.support import pgserver
from tests.support.browser import chromium  # noqa: F401  (a fixture)
from tests.support.harness import CHECKER, MAKER, SmtpSink
from tests.support.hylafax_server import hylafax_queue, hylafax_server  # noqa: F401  (fixtures)
from tests.support.world import World, running_world, world_options


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


@pytest.fixture
def import_approved(run_cli):
    """Two administrators, and `directory import FILE` by one that the other approves: the
    entries are usable as after a real approval. Returns the import's JSON report."""
    for name in (MAKER, CHECKER):
        assert run_cli("users", "add", name, "--role", "admin", "--email", f"{name}@city.example.jp").exit_code == 0

    def run(path: str, *options: str) -> dict:
        result = run_cli("directory", "import", str(path), *options, "--by", MAKER, "--json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)
        if report["change"] is not None:
            approved = run_cli("directory", "approve", str(report["change"]), "--by", CHECKER)
            assert approved.exit_code == 0, approved.output
        return report

    return run


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server on loopback for this test session, stopped by its PID."""
    pgserver.require()
    with pgserver.PostgresServer() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server, request) -> str:
    """A fresh, empty database on the session's PostgreSQL server."""
    name = "t_" + request.node.name.lower().replace("[", "_").replace("]", "").replace("-", "_")[:50]
    return postgres_server.create_database(name)


@pytest.fixture
def fax() -> SmtpSink:
    """The mail-to-fax server the relay sends to: a real SMTP server on loopback."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def mail() -> SmtpSink:
    """The office mail server the notices go to: a real SMTP server on loopback."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def peers(fax, mail) -> tuple[SmtpSink, SmtpSink]:
    """Both SMTP peers: (the fax server, the office mail server)."""
    return fax, mail


@pytest.fixture
def world(request, tmp_path, fax, mail) -> World:
    """The running gateway on a fresh database with its people and both SMTP peers, configured by the
    test's `world` marks and indirect parameter (tests/support/world.py)."""
    with running_world(tmp_path, fax, mail, **world_options(request)) as running:
        yield running
