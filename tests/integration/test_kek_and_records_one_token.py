"""The key-encryption key and the records' signing key on one PKCS#11 token (a real SoftHSM2
token): a PKCS#11 token is logged in once per process, so whichever opens second must not fail
on being logged in already. The gateway stores a job sealed under the token's KEK, and the
worker then signs its record with the token's signing key."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from gateway.bootstrap import App
from gateway.config import KeysConfig
from gateway.entrypoints.worker import Worker
from gateway.records.config import RecordsConfig
from gateway.records.pki import init_ca, issue, load_certificates
from gateway.storage.tables import Record
from tests.support import softhsm
from tests.support.harness import db_session, make_config, seed
from tests.support.jobs import stored_job

pkcs11 = pytest.importorskip("pkcs11", reason="python-pkcs11 not installed (pip install -e '.[test]')")
from pkcs11 import Attribute, KeyType  # noqa: E402
from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters  # noqa: E402

from tests.integration.test_pkcs11 import _certificate_object  # noqa: E402

TOKEN, PIN, SO_PIN = "faxgate-both", "6620-1934", "55119922"
NOW = dt.datetime.now(dt.timezone.utc)


@pytest.fixture(scope="module")
def records(tmp_path_factory) -> RecordsConfig:
    if not softhsm.available():
        pytest.skip("SoftHSM2 not installed (apt-get install softhsm2)")
    softhsm.init_token(TOKEN, SO_PIN, PIN)
    created = init_ca(tmp_path_factory.mktemp("ca") / "ca", organization="世田谷区")
    ca_key = serialization.load_pem_private_key(created.ca_key.read_bytes(), None)
    [ca_cert] = load_certificates(str(created.ca_cert))
    with pkcs11.lib(softhsm.MODULE).get_token(token_label=TOKEN).open(rw=True, user_pin=PIN) as session:
        parameters = session.create_domain_parameters(
            KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True)
        public, _ = parameters.generate_keypair(store=True, label="signing", id=b"\x01")
        on_token = serialization.load_der_public_key(encode_ec_public_key(public))
        certificate = issue(ca_key, ca_cert, on_token, "faxgate records (one token)", "世田谷区",
                            NOW - dt.timedelta(hours=1), 365)
        _certificate_object(session, certificate, "signing", b"\x01")
    return RecordsConfig(pkcs11_module=softhsm.MODULE, pkcs11_token_label=TOKEN, pkcs11_key_label="signing",
                         chain_file=str(created.ca_cert), trust_root=str(created.ca_cert), checkpoint_every=1)


def test_the_job_is_sealed_and_its_record_signed_on_one_token(records, tmp_path, monkeypatch):
    monkeypatch.setenv("FAXGATE_PKCS11_PIN", PIN)  # one PIN variable for both, from [records]
    app = App(dataclasses.replace(make_config(tmp_path, 1, 1), records=records,
                                  keys=KeysConfig(pkcs11_key_label="data-kek")))
    seed(app)
    job_id = stored_job(app, state="rejected")  # the KEK's session logs the process in first
    assert app.keyring().source == f"PKCS#11 {TOKEN}/data-kek"
    assert Worker(app).record_one(), "the record was signed on the token that is logged in already"
    with db_session(app) as session:
        assert session.scalars(select(Record).where(Record.job_id == job_id)).one().pdf.startswith(b"%PDF")
    app.token_keyring.close()
