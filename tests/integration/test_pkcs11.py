"""The signing key on a hardware token, through PKCS#11, against a real SoftHSM2 token set up
in a temporary directory: the key is generated on the token (it never leaves it), its
certificate comes from the local test CA; the worker signs a record and an audit checkpoint
through the gateway's own signing path and `faxgate records verify` / `audit verify` accept
them. A wrong PIN, no PIN, a wrong label and a certificate of another key are clear errors."""

from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from gateway.bootstrap import App
from gateway.storage.tables import Record
from gateway.records.config import RecordsConfig
from gateway.records.keys.base import SigningKeyError
from gateway.records.keys.source import open_signing
from gateway.records.pki import init_ca, issue, load_certificates
from gateway.entrypoints.worker import Worker
from tests.support import softhsm
from tests.support.harness import db_session, make_config, seed
from tests.support.jobs import stored_job

pkcs11 = pytest.importorskip("pkcs11", reason="python-pkcs11 not installed (pip install -e '.[test]')")
from pkcs11 import Attribute, CertificateType, KeyType, ObjectClass  # noqa: E402
from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters  # noqa: E402

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN, PIN, SO_PIN = "faxgate-records", "4821-7306", "91827364"
KEY_LABEL = "records-signing"
NOW = dt.datetime.now(dt.timezone.utc)


def _certificate_object(session, certificate, label: str, object_id: bytes) -> None:
    session.create_object({
        Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
        Attribute.TOKEN: True, Attribute.LABEL: label, Attribute.ID: object_id,
        Attribute.SUBJECT: certificate.subject.public_bytes(),
        Attribute.VALUE: certificate.public_bytes(serialization.Encoding.DER),
    })


@pytest.fixture(scope="module")
def token(tmp_path_factory) -> RecordsConfig:
    if not softhsm.available():
        pytest.skip("SoftHSM2 not installed (apt-get install softhsm2)")
    # One token directory for the process (tests.support.softhsm): the gateway's signing path
    # and the `faxgate` child processes below see this token.
    softhsm.init_token(TOKEN, SO_PIN, PIN)
    directory = tmp_path_factory.mktemp("softhsm")
    created = init_ca(directory / "ca", organization="世田谷区")
    ca_key = serialization.load_pem_private_key(created.ca_key.read_bytes(), None)
    [ca_cert] = load_certificates(str(created.ca_cert))
    with pkcs11.lib(MODULE).get_token(token_label=TOKEN).open(rw=True, user_pin=PIN) as session:
        parameters = session.create_domain_parameters(
            KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True)
        public, _ = parameters.generate_keypair(store=True, label=KEY_LABEL, id=b"\x01")
        on_token = serialization.load_der_public_key(encode_ec_public_key(public))
        certificate = issue(ca_key, ca_cert, on_token, "faxgate records (HSM)", "世田谷区", NOW - dt.timedelta(hours=1), 365)
        _certificate_object(session, certificate, KEY_LABEL, b"\x01")
        # A certificate of another key, for the mismatch check.
        stranger = issue(ca_key, ca_cert, ec.generate_private_key(ec.SECP256R1()).public_key(), "someone else",
                         "世田谷区", NOW - dt.timedelta(hours=1), 365)
        _certificate_object(session, stranger, "someone-else", b"\x02")
    return RecordsConfig(pkcs11_module=MODULE, pkcs11_token_label=TOKEN, pkcs11_key_label=KEY_LABEL,
                         chain_file=str(created.ca_cert), trust_root=str(created.ca_cert), checkpoint_every=1)


def error_of(config: RecordsConfig, environ: dict) -> SigningKeyError:
    with pytest.raises(SigningKeyError) as caught:
        with open_signing(config, environ=environ):
            pass
    return caught.value


def faxgate(config_file: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gateway", "--config", str(config_file), *args],
                          capture_output=True, text=True, timeout=120)


def test_the_worker_signs_on_the_token_and_the_record_and_checkpoint_verify(token, tmp_path, monkeypatch):
    monkeypatch.setenv("FAXGATE_PKCS11_PIN", PIN)
    base = make_config(tmp_path, 1, 1)
    app = App(dataclasses.replace(base, records=token))
    seed(app)
    job_id = stored_job(app, state="rejected")
    worker = Worker(app)
    assert worker.record_one()
    worker.checkpoint_if_due()
    with db_session(app) as session:
        pdf = session.scalars(select(Record).where(Record.job_id == job_id)).one().pdf  # opened (sealed at rest)
    record = tmp_path / "record.pdf"
    record.write_bytes(pdf)

    config_file = tmp_path / "faxgate.toml"
    config_file.write_text(f'[database]\nurl = "{base.database.url}"\n[records]\ntrust_root = "{token.trust_root}"\n',
                           encoding="utf-8")
    verified = faxgate(config_file, "records", "verify", str(record))
    assert verified.returncode == 0 and "faxgate records (HSM)" in verified.stdout, verified.stdout + verified.stderr
    audit = faxgate(config_file, "audit", "verify")
    assert audit.returncode == 0 and "1 signed checkpoint(s) valid" in audit.stdout, audit.stdout + audit.stderr


def test_records_status_names_the_token(token, tmp_path):
    pin_file = tmp_path / "pin"
    pin_file.write_text(PIN + "\n", encoding="utf-8")
    config_file = tmp_path / "faxgate.toml"
    config_file.write_text(
        f'[records]\npkcs11_module = "{MODULE}"\npkcs11_token_label = "{TOKEN}"\npkcs11_key_label = "{KEY_LABEL}"\n'
        f'pkcs11_pin_file = "{pin_file}"\nchain_file = "{token.chain_file}"\ntrust_root = "{token.trust_root}"\n',
        encoding="utf-8")
    status = faxgate(config_file, "records", "status")
    assert status.returncode == 0, status.stderr
    assert f"pkcs11:{TOKEN}/{KEY_LABEL}" in status.stdout and "faxgate records (HSM)" in status.stdout
    renew = faxgate(config_file, "records", "renew-key")
    assert renew.returncode == 1 and "token's own tools" in renew.stderr


def test_a_wrong_pin_is_a_clear_error(token):
    error = error_of(token, {"FAXGATE_PKCS11_PIN": "0000-0000"})
    assert error.code == "pkcs11_pin_incorrect"
    assert TOKEN in str(error) and "$FAXGATE_PKCS11_PIN" in str(error) and "PIN が違います" in error.message_ja
    assert "0000-0000" not in str(error), "the PIN itself is never shown"
    assert error_of(token, {}).code == "pkcs11_pin_missing"


def test_wrong_labels_and_a_certificate_of_another_key(token):
    environ = {"FAXGATE_PKCS11_PIN": PIN}
    error = error_of(dataclasses.replace(token, pkcs11_token_label="no-such-token"), environ)
    assert error.code == "pkcs11_token" and "no-such-token" in str(error)
    error = error_of(dataclasses.replace(token, pkcs11_key_label="no-such-key", pkcs11_cert_label=KEY_LABEL), environ)
    assert error.code == "pkcs11_object" and "private key labelled 'no-such-key'" in error.message_en
    error = error_of(dataclasses.replace(token, pkcs11_cert_label="no-such-cert"), environ)
    assert error.code == "pkcs11_object" and "certificate labelled 'no-such-cert'" in error.message_en
    error = error_of(dataclasses.replace(token, pkcs11_cert_label="someone-else"), environ)
    assert error.code == "mismatch" and "do not belong together" in error.message_en
    error = error_of(dataclasses.replace(token, pkcs11_module="/nowhere/libpkcs11.so"), environ)
    assert error.code == "missing_file" and "/nowhere/libpkcs11.so" in str(error)
