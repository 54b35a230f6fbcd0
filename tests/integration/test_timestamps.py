"""RFC 3161 time stamps on record signatures (`[records] tsa_url`), against a real time-stamping
authority over HTTP on loopback (tests/support/tsa_server.py): the signature carries the TSA's token,
`faxgate records verify` validates it against the TSA's CA and reports it, a changed byte in
the token fails, a TSA nobody trusts fails; a TSA that does not answer stops signing with a
clear error and the worker signs the record once it answers again."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import socket

import pytest
from click.testing import CliRunner
from pyhanko.pdf_utils.reader import PdfFileReader
from sqlalchemy import select

from gateway.records.verify import _stamp_tokens, signature_time_stamp, verify_record
from gateway.records.certify import build_record
from gateway.bootstrap import App
from gateway.entrypoints.cli.main import cli
from gateway.storage.tables import Record
from gateway.records.keys.base import SigningKeyError
from gateway.records.pki import init_ca
from gateway.entrypoints.worker import Worker
from tests.support.harness import db_session, make_config, seed
from tests.support.jobs import stored_job
from tests.support.records import sample_facts
from tests.support.tsa_server import TSA_NAME, TsaServer

NOW = dt.datetime.now(dt.timezone.utc)


@pytest.fixture(scope="module")
def tsa(tmp_path_factory):
    server = TsaServer(tmp_path_factory.mktemp("tsa")).start()
    yield server
    server.stop()


@pytest.fixture
def app(tmp_path, tsa):
    created = init_ca(tmp_path / "keys", organization="世田谷区")
    config = make_config(tmp_path, 1, 1)
    records_config = dataclasses.replace(config.records, key_file=str(created.key), cert_file=str(created.cert),
                                         chain_file=str(created.ca_cert), trust_root=str(created.ca_cert),
                                         tsa_url=tsa.url, tsa_trust_root=str(tsa.ca_pem), tsa_timeout_seconds=5)
    return App(dataclasses.replace(config, records=records_config))


def stamped_record(app) -> bytes:
    with app.signing() as key:
        return build_record(sample_facts(1), key.signer(), timestamper=app.timestamper())


def config_file(app, tmp_path, **records_keys) -> str:
    keys = dataclasses.asdict(app.config.records) | records_keys
    path = tmp_path / "faxgate.toml"
    path.write_text("[records]\n" + "".join(f'{k} = "{v}"\n' for k, v in keys.items() if isinstance(v, str) and v),
                    encoding="utf-8")
    return str(path)


def faxgate(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_the_signature_carries_the_tsas_time_stamp_and_verify_reports_it(app, tsa, tmp_path):
    before = tsa.requests
    record = stamped_record(app)
    assert tsa.requests > before, "the TSA was asked"
    stamp = signature_time_stamp(record)
    assert stamp is not None and abs((stamp - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 120

    ok, reason = verify_record(record, app.config.records.trust_root, tsa_trust_root=tsa.ca_pem)
    assert ok and "time stamp" in reason and TSA_NAME in reason, reason
    path = tmp_path / "record.pdf"
    path.write_bytes(record)
    result = faxgate("--config", config_file(app, tmp_path), "records", "verify", str(path), "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["valid"] and dt.datetime.fromisoformat(out["timestamp"]) == stamp and TSA_NAME in out["reason"]


def test_a_time_stamp_from_a_tsa_not_trusted_fails(app, tsa, tmp_path):
    path = tmp_path / "record.pdf"
    path.write_bytes(stamped_record(app))
    # No tsa_trust_root: the TSA is checked against the records' own CA, which did not issue it.
    result = faxgate("--config", config_file(app, tmp_path, tsa_trust_root=""), "records", "verify", str(path))
    assert result.exit_code == 1
    assert f"TSA '{TSA_NAME}' is not trusted" in result.output and "tsa_trust_root" in result.output


def test_any_changed_byte_of_the_time_stamp_token_fails(app, tsa):
    record = stamped_record(app)
    signature = PdfFileReader(io.BytesIO(record)).embedded_signatures[0]
    [token] = _stamp_tokens(signature.signer_info)
    _, gap_start, gap_end, _ = (int(v) for v in signature.byte_range)
    raw = bytes.fromhex(record[gap_start + 1:gap_end - 1].decode())
    start = raw.index(token.dump())
    positions = range(start, start + len(token.dump()), max(1, len(token.dump()) // 120))
    for at in positions:
        hex_at = gap_start + 1 + 2 * at
        changed = bytearray(record)
        changed[hex_at] = ord("1") if changed[hex_at] != ord("1") else ord("2")  # still a hex digit
        ok, reason = verify_record(bytes(changed), app.config.records.trust_root, tsa_trust_root=tsa.ca_pem)
        assert not ok, f"time stamp byte {at - start} changed and still valid"


def test_after_the_signing_certificate_expires_the_time_stamp_dates_the_signature(app, tsa):
    record = stamped_record(app)
    later = NOW + dt.timedelta(days=11 * 365)  # the signing certificate (10 years) has expired, the TSA's not
    ok, reason = verify_record(record, app.config.records.trust_root, at=later, tsa_trust_root=tsa.ca_pem)
    assert ok and "validated at the time of the time stamp" in reason, reason


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_tsa_that_does_not_answer_stops_signing_and_the_worker_retries(app, tmp_path):
    port = free_port()
    down = App(dataclasses.replace(app.config, records=dataclasses.replace(
        app.config.records, tsa_url=f"http://127.0.0.1:{port}/tsa", tsa_trust_root="")))
    with pytest.raises(SigningKeyError) as caught:
        stamped_record(down)
    assert caught.value.code == "tsa_unavailable" and f"127.0.0.1:{port}" in str(caught.value)
    assert "タイムスタンプ局" in caught.value.message_ja

    seed(down)
    job_id = stored_job(down, state="rejected")
    worker = Worker(down)
    assert not worker.record_one(), "no record without the time stamp: fail closed"
    with db_session(down) as session:
        assert session.scalars(select(Record).where(Record.job_id == job_id)).first() is None
    assert not worker.record_one(), "paused for a minute after the failure"

    late = TsaServer(tmp_path, port=port).start()  # the TSA answers again
    try:
        worker.records_paused_until = 0.0  # the minute has passed
        assert worker.record_one()
    finally:
        late.stop()
    with db_session(down) as session:
        pdf = session.scalars(select(Record).where(Record.job_id == job_id)).one().pdf  # opened (sealed at rest)
    assert signature_time_stamp(pdf) is not None
    assert verify_record(pdf, down.config.records.trust_root, tsa_trust_root=late.ca_pem).ok
