"""Renewing the signing key (`faxgate records renew-key`): records and audit checkpoints signed
before the renewal keep verifying against the same CA, the new key signs from the next record
on, the previous certificate is kept and its key is not; a key of another CA, an expired
signer, a CA key that is not the trust root's, each get a clear message. Expiry is warned of
(`records status`, /readyz) before the date."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import subprocess
import sys

import httpx
import pytest
import structlog
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12

from gateway.storage.repositories.audit import AuditRepository
from gateway.records.certify import build_record
from gateway.records.verify import verify_record
from gateway.bootstrap import App
from gateway.entrypoints.cli.main import cli
from gateway.config import Config, DatabaseConfig, HttpConfig
from gateway.records.config import RecordsConfig
from gateway.entrypoints.serve import BackgroundGateway
from gateway.records.keys.files import SigningKey, load_signing_key
from gateway.records.keys.base import SigningKeyError
from gateway.records.keys.source import open_signing
from gateway.records.pki import init_ca, issue, load_certificates
from gateway.entrypoints import worker as worker_module
from gateway.entrypoints.worker import Worker
from tests.support.harness import db_session, seed
from tests.support.jobs import stored_job
from tests.support.records import sample_facts

NOW = dt.datetime.now(dt.timezone.utc)


@pytest.fixture
def install(tmp_path, monkeypatch):
    """A first install (`records init-ca`) and a configuration file pointing at it."""
    monkeypatch.delenv("FAXGATE_CONFIG", raising=False)
    monkeypatch.delenv("FAXGATE_SIGNING_PASSWORD", raising=False)
    created = init_ca(tmp_path / "keys", organization="世田谷区")
    config_file = tmp_path / "faxgate.toml"
    config_file.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/faxgate.db"\n' + created.config_toml(),
                           encoding="utf-8")
    config = RecordsConfig(key_file=str(created.key), cert_file=str(created.cert), chain_file=str(created.ca_cert),
                           trust_root=str(created.ca_cert))
    return created, config, config_file


def faxgate(config_file, *args: str):
    return CliRunner().invoke(cli, ["--config", str(config_file), *args], catch_exceptions=False)


def signed_record(config: RecordsConfig, pages: int = 1) -> bytes:
    with open_signing(config, environ={}) as key:
        return build_record(sample_facts(pages), key.signer())


def test_records_and_checkpoints_signed_before_a_renewal_still_verify(install, tmp_path):
    created, config, config_file = install
    old_certificate = load_signing_key(config, environ={}).certificate
    old_key_pem = created.key.read_bytes()
    before = tmp_path / "before.pdf"
    before.write_bytes(signed_record(config))
    app = App(dataclasses.replace(Config(database=DatabaseConfig(url=f"sqlite:///{tmp_path}/faxgate.db")),
                                  records=dataclasses.replace(config, checkpoint_every=1)))
    with db_session(app) as session:
        AuditRepository(session).append("user:sato", "job.confirm_attempt", "job-1", "before the renewal")
    Worker(app).checkpoint_if_due()

    renewed = faxgate(config_file, "records", "renew-key")
    assert renewed.exit_code == 0, renewed.output
    new_certificate = load_signing_key(config, environ={}).certificate
    assert new_certificate.serial_number != old_certificate.serial_number
    assert new_certificate.subject == old_certificate.subject, "the signer keeps its name"
    assert created.key.read_bytes() != old_key_pem and old_key_pem not in b"".join(
        p.read_bytes() for p in created.directory.rglob("*") if p.is_file()), "the old key is not kept"
    kept = created.directory / "retired" / f"signing-cert-{old_certificate.serial_number:x}.pem"
    assert load_certificates(str(kept)) == [old_certificate]
    assert str(kept) in renewed.output

    after = tmp_path / "after.pdf"
    after.write_bytes(signed_record(config, pages=2))
    with db_session(app) as session:
        AuditRepository(session).append("user:sato", "job.confirm_attempt", "job-2", "after the renewal")
    Worker(app).checkpoint_if_due()

    for path, certificate in ((before, old_certificate), (after, new_certificate)):
        verified = faxgate(config_file, "records", "verify", str(path), "--json")
        assert verified.exit_code == 0, verified.output
        assert json.loads(verified.output)["valid"] is True
    # A real `faxgate audit verify`: both checkpoints, one signed by each key, valid.
    audit = subprocess.run([sys.executable, "-m", "gateway", "--config", str(config_file), "audit", "verify"],
                           capture_output=True, text=True, timeout=120)
    assert audit.returncode == 0 and "2 signed checkpoint(s) valid" in audit.stdout, audit.stdout + audit.stderr


def test_a_record_signed_under_another_ca_names_the_foreign_issuer(install, tmp_path):
    _, _, config_file = install
    other = init_ca(tmp_path / "other", organization="よその組織")
    foreign = tmp_path / "foreign.pdf"
    foreign.write_bytes(signed_record(RecordsConfig(key_file=str(other.key), cert_file=str(other.cert),
                                                    chain_file=str(other.ca_cert), trust_root=str(other.ca_cert))))
    result = faxgate(config_file, "records", "verify", str(foreign))
    assert result.exit_code == 1
    assert "faxgate local CA (よその組織)" in result.output and "another CA" in result.output
    assert "別の CA の鍵で署名されています" in result.output and "faxgate local CA (世田谷区)" in result.output


def test_a_signer_whose_certificate_had_expired_when_it_signed_is_refused_by_name(install):
    created, config, _ = install
    ca_key = serialization.load_pem_private_key(created.ca_key.read_bytes(), None)
    [ca_cert] = load_certificates(str(created.ca_cert))
    key = ec.generate_private_key(ec.SECP256R1())
    stale = issue(ca_key, ca_cert, key.public_key(), "faxgate records (期限切れ)", "世田谷区",
                  NOW - dt.timedelta(days=30), 10)
    record = build_record(sample_facts(1), SigningKey(key, stale, (ca_cert,)).signer())
    ok, reason = verify_record(record, created.ca_cert)
    expired_on = stale.not_valid_after_utc.date().isoformat()
    assert not ok and "expired on" in reason and expired_on in reason
    assert "faxgate records (期限切れ)" in reason and "有効期限が切れて" in reason


def test_records_of_a_key_that_expired_after_a_renewal_verify_at_their_signing_time(install, tmp_path):
    created, config, config_file = install
    assert faxgate(config_file, "records", "renew-key", "--days", "2").exit_code == 0
    short_lived = signed_record(config)
    assert faxgate(config_file, "records", "renew-key").exit_code == 0
    later = NOW + dt.timedelta(days=5)
    ok, reason = verify_record(short_lived, created.ca_cert, at=later)
    assert ok and "expired" in reason and "signing time" in reason, reason
    assert verify_record(signed_record(config), created.ca_cert, at=later).ok


def test_renewal_with_a_ca_key_that_is_not_the_trust_roots_changes_nothing(install, tmp_path):
    created, _, config_file = install
    other = init_ca(tmp_path / "other")
    before = (created.key.read_bytes(), created.cert.read_bytes())
    result = faxgate(config_file, "records", "renew-key", "--ca-key", str(other.ca_key))
    assert result.exit_code == 1 and "CA key belongs to none" in result.output and str(other.ca_key) in result.output
    assert (created.key.read_bytes(), created.cert.read_bytes()) == before
    missing = faxgate(config_file, "records", "renew-key", "--ca-key", str(tmp_path / "nowhere.pem"))
    assert missing.exit_code == 1 and "nowhere.pem" in missing.output


def p12_from(ca_key_path, ca_cert_path, password: bytes, common_name: str) -> bytes:
    ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), None)
    [ca_cert] = load_certificates(str(ca_cert_path))
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = issue(ca_key, ca_cert, key.public_key(), common_name, "世田谷区", NOW - dt.timedelta(hours=1), 365)
    return pkcs12.serialize_key_and_certificates(b"records", key, certificate, [ca_cert],
                                                 serialization.BestAvailableEncryption(password))


def test_a_pkcs12_from_the_office_ca_is_installed_and_one_from_elsewhere_refused(install, tmp_path, monkeypatch):
    created, config, config_file = install
    monkeypatch.setenv("FAXGATE_SIGNING_PASSWORD", "office p12 password")
    issued = tmp_path / "issued.p12"
    issued.write_bytes(p12_from(created.ca_key, created.ca_cert, b"office p12 password", "faxgate records (庁内CA)"))
    other = init_ca(tmp_path / "other", organization="よその組織")
    foreign = tmp_path / "foreign.p12"
    foreign.write_bytes(p12_from(other.ca_key, other.ca_cert, b"office p12 password", "faxgate records (よそ)"))

    refused = faxgate(config_file, "records", "renew-key", "--pkcs12", str(foreign))
    assert refused.exit_code == 1 and "does not chain to the trust root" in refused.output
    installed = faxgate(config_file, "records", "renew-key", "--pkcs12", str(issued))
    assert installed.exit_code == 0, installed.output
    environ = {"FAXGATE_SIGNING_PASSWORD": "office p12 password"}
    key = load_signing_key(config, environ=environ)
    assert "CN=faxgate records (庁内CA)" in key.certificate.subject.rfc4514_string()
    assert b"ENCRYPTED" in created.key.read_bytes(), "the key is stored encrypted with the configured password"
    with open_signing(config, environ=environ) as signing:
        record = build_record(sample_facts(1), signing.signer())
    assert verify_record(record, created.ca_cert).ok


def test_expiry_is_warned_of_before_the_date(install, tmp_path, monkeypatch):
    created, config, config_file = install
    quiet = faxgate(config_file, "records", "status", "--json")
    assert quiet.exit_code == 0 and json.loads(quiet.output)["warning"] is None
    assert faxgate(config_file, "records", "renew-key", "--days", "20").exit_code == 0
    status = faxgate(config_file, "records", "status")
    assert status.exit_code == 0 and "警告" in status.output and "renew-key" in status.output
    assert "鍵の保管場所: file" in status.output

    app = App(Config(database=DatabaseConfig(url=f"sqlite:///{tmp_path}/faxgate.db"), records=config,
                     http=HttpConfig(host="127.0.0.1", port=0)))
    with BackgroundGateway(app, smtp=False, worker=False) as gateway:
        answer = httpx.get(f"http://127.0.0.1:{gateway.http_port}/readyz", timeout=30)
    ready = answer.json()
    assert answer.status_code == 200 and ready["status"] == "ready" and "expires on" in ready["warnings"][0]
    assert app.signing_expiry_warning()[1] == ready["warnings"][0]

    seed(app)
    stored_job(app, state="rejected")
    # The worker's log, captured whatever level another test's configuration left behind.
    captured = structlog.testing.CapturingLogger()
    monkeypatch.setattr(worker_module, "log", structlog.wrap_logger(captured, processors=[],
                                                                    wrapper_class=structlog.BoundLogger))
    assert Worker(app).record_one(), "a certificate about to expire still signs"
    [warning] = [c for c in captured.calls if c.kwargs.get("event") == "signing_certificate_expires"]
    assert warning.method_name == "warning" and "renew-key" in warning.kwargs["message"]


def test_status_of_a_key_that_cannot_be_used(install):
    created, _, config_file = install
    created.cert.write_bytes(b"not a certificate")
    result = faxgate(config_file, "records", "status")
    assert result.exit_code == 1 and "cannot sign" in result.output and str(created.cert) in result.output
    with pytest.raises(SigningKeyError):
        load_signing_key(RecordsConfig(key_file=str(created.key), cert_file=str(created.cert)), environ={})
