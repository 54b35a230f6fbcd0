"""Shared fixtures: a PBX profile, a fresh SQLite database per test, a real PostgreSQL server,
and two SMTP peers (the fax server and the staff mail server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from directory.profile import PbxProfile
from gateway.cli import cli
from tests import pgserver
from tests.harness import SmtpSink

FIXTURES = Path(__file__).parent / "fixtures"


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


MAKER, CHECKER = "yamada", "kimura"  # the two administrators of the directory tests


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
def peers():
    """A mail-to-fax server and the office mail server, both real SMTP servers on loopback."""
    fax, mail = SmtpSink().start(), SmtpSink().start()
    yield fax, mail
    fax.stop()
    mail.stop()
