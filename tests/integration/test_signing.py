"""The gateway's signing key: first install, loading from PEM/DER and PKCS#12, and a clear
error (Japanese and English, naming the file) for every way a key cannot be used."""

from __future__ import annotations

import datetime as dt
import stat
import tomllib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12

from gateway.records import pki as signing
from gateway.records.config import DEFAULT_DIR, RecordsConfig
from gateway.records.keys.base import SigningKeyError
from gateway.records.pki import init_ca
from gateway.records.keys.files import load_signing_key

NOW = dt.datetime.now(dt.timezone.utc)


def pem_config(created: signing.FirstInstall, **changes) -> RecordsConfig:
    base = dict(key_file=str(created.key), cert_file=str(created.cert), chain_file=str(created.ca_cert),
                trust_root=str(created.ca_cert))
    return RecordsConfig(**{**base, **changes})


def error_of(config: RecordsConfig, environ: dict | None = None, now: dt.datetime | None = None) -> SigningKeyError:
    with pytest.raises(SigningKeyError) as caught:
        load_signing_key(config, environ={} if environ is None else environ, now=now)
    return caught.value


@pytest.fixture
def created(tmp_path) -> signing.FirstInstall:
    return init_ca(tmp_path / "keys", organization="世田谷区")


def test_first_install_writes_a_ca_and_a_key_that_load(created):
    for path in (created.ca_key, created.key):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = load_signing_key(pem_config(created), environ={})
    assert "世田谷区" in key.subject
    assert [c.subject for c in key.chain] == [signing.load_certificates(str(created.ca_cert))[0].subject]
    assert key.signer().signing_cert.subject.native["common_name"] == "faxgate records (世田谷区)"
    suggested = tomllib.loads(created.config_toml())["records"]
    assert load_signing_key(RecordsConfig(**suggested), environ={}).certificate == key.certificate


def test_first_install_never_overwrites(created):
    with pytest.raises(SigningKeyError) as caught:
        init_ca(created.directory)
    assert caught.value.code == "exists"
    assert str(created.directory) in str(caught.value)


def test_the_defaults_are_where_init_ca_writes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    init_ca(DEFAULT_DIR)
    assert load_signing_key(RecordsConfig(), environ={}).certificate is not None


def test_missing_key_file_names_the_file(created):
    error = error_of(pem_config(created, key_file=str(created.directory / "nothing.pem")))
    assert error.code == "missing_file"
    assert "nothing.pem" in error.message_ja and "nothing.pem" in error.message_en
    assert "署名鍵" in error.message_ja and "Signing key file not found" in error.message_en


def test_missing_trust_root_is_reported_as_such(created):
    error = error_of(pem_config(created, trust_root=str(created.directory / "no-ca.pem")))
    assert error.code == "missing_file" and "信頼の起点" in error.message_ja


def test_nothing_configured(created):
    error = error_of(RecordsConfig(key_file="", cert_file="", pkcs12_file=""))
    assert error.code == "not_configured"
    assert "init-ca" in error.message_en


def test_a_file_that_is_not_a_key_or_certificate(created, tmp_path):
    junk = tmp_path / "junk.pem"
    junk.write_bytes(b"-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")
    assert error_of(pem_config(created, key_file=str(junk))).code == "unreadable"
    assert error_of(pem_config(created, cert_file=str(junk))).code == "unreadable"


def test_encrypted_key_needs_the_right_password(tmp_path):
    created = init_ca(tmp_path / "keys", password=b"correct horse", password_env="FAXGATE_SIGNING_PASSWORD")
    assert "password_env" in tomllib.loads(created.config_toml())["records"]
    config = pem_config(created)
    missing = error_of(config, environ={})
    assert missing.code == "password_required" and "FAXGATE_SIGNING_PASSWORD" in missing.message_ja
    wrong = error_of(config, environ={"FAXGATE_SIGNING_PASSWORD": "battery staple"})
    assert wrong.code == "wrong_password"
    assert "パスワードが違います" in wrong.message_ja and "Wrong password" in wrong.message_en
    assert load_signing_key(config, environ={"FAXGATE_SIGNING_PASSWORD": "correct horse"})


def test_a_password_for_an_unencrypted_key_is_not_needed(created):
    assert load_signing_key(pem_config(created), environ={"FAXGATE_SIGNING_PASSWORD": "unused"})


def test_der_key_and_certificate(created, tmp_path):
    key = serialization.load_pem_private_key(created.key.read_bytes(), None)
    certificate = signing.load_certificates(str(created.cert))[0]
    (tmp_path / "key.der").write_bytes(key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (tmp_path / "cert.der").write_bytes(certificate.public_bytes(serialization.Encoding.DER))
    loaded = load_signing_key(pem_config(created, key_file=str(tmp_path / "key.der"), cert_file=str(tmp_path / "cert.der")),
                              environ={})
    assert loaded.certificate == certificate


def pkcs12_file(created, path, password: bytes | None):
    key = serialization.load_pem_private_key(created.key.read_bytes(), None)
    certificate = signing.load_certificates(str(created.cert))[0]
    ca = signing.load_certificates(str(created.ca_cert))
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"faxgate", key, certificate, ca, encryption))
    return str(path)


def test_pkcs12(created, tmp_path):
    config = RecordsConfig(pkcs12_file=pkcs12_file(created, tmp_path / "gateway.p12", b"p12 secret"),
                           trust_root=str(created.ca_cert), password_env="P12_PASSWORD")
    loaded = load_signing_key(config, environ={"P12_PASSWORD": "p12 secret"})
    assert len(loaded.chain) == 1
    assert error_of(config, environ={}).code == "password_required"
    wrong = error_of(config, environ={"P12_PASSWORD": "guess"})
    assert wrong.code == "wrong_password" and "gateway.p12" in wrong.message_en
    damaged = tmp_path / "damaged.p12"
    damaged.write_bytes(b"\x30\x82\x01\x00" + b"\x00" * 40)
    assert error_of(RecordsConfig(pkcs12_file=str(damaged), trust_root="")).code == "unreadable"


def test_key_and_certificate_of_different_pairs(created, tmp_path):
    other = init_ca(tmp_path / "other")
    error = error_of(pem_config(created, key_file=str(other.key)))
    assert error.code == "mismatch"
    assert str(other.key) in error.message_ja and str(created.cert) in error.message_en


def issued(tmp_path, name: str, not_before: dt.datetime, days: int,
           usage: x509.KeyUsage | None = None) -> tuple[str, str, str]:
    """A key and certificate from a fresh CA, written as PEM files: (key, cert, ca). With
    `usage`, the certificate carries that key usage instead of the document-signing one."""
    ca_key, ca_cert = signing.make_ca("test", NOW - dt.timedelta(days=3650))
    key = ec.generate_private_key(ec.SECP256R1())
    if usage is None:
        certificate = signing.issue(ca_key, ca_cert, key.public_key(), name, "test", not_before, days)
    else:
        subject = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, name)])
        certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_cert.subject)
                       .public_key(key.public_key()).serial_number(x509.random_serial_number())
                       .not_valid_before(not_before).not_valid_after(not_before + dt.timedelta(days=days))
                       .add_extension(usage, critical=True).sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    paths = (tmp_path / f"{name}-key.pem", tmp_path / f"{name}-cert.pem", tmp_path / f"{name}-ca.pem")
    paths[0].write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    paths[1].write_bytes(certificate.public_bytes(pem))
    paths[2].write_bytes(ca_cert.public_bytes(pem))
    return tuple(str(p) for p in paths)


def test_expired_and_not_yet_valid_certificates(tmp_path):
    key, cert, ca = issued(tmp_path, "old", NOW - dt.timedelta(days=400), 365)
    expired = error_of(RecordsConfig(key_file=key, cert_file=cert, chain_file=ca, trust_root=ca))
    assert expired.code == "expired"
    assert "有効期限が切れています" in expired.message_ja and "expired on" in expired.message_en and "old-cert.pem" in expired.message_en
    key, cert, ca = issued(tmp_path, "future", NOW + dt.timedelta(days=10), 365)
    assert error_of(RecordsConfig(key_file=key, cert_file=cert, chain_file=ca, trust_root=ca)).code == "not_yet_valid"


def test_certificate_not_for_signing(tmp_path):
    tls_only = x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=True,
                             data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                             encipher_only=False, decipher_only=False)
    key, cert, ca = issued(tmp_path, "tls", NOW - dt.timedelta(days=1), 365, usage=tls_only)
    error = error_of(RecordsConfig(key_file=key, cert_file=cert, chain_file=ca, trust_root=ca))
    assert error.code == "key_usage"


def test_certificate_from_another_ca_than_the_trust_root(created, tmp_path):
    other = init_ca(tmp_path / "other")
    error = error_of(pem_config(created, trust_root=str(other.ca_cert)))
    assert error.code == "not_trusted"
    assert "信頼の起点" in error.message_ja and "would fail verification" in error.message_en


def test_unreadable_for_lack_of_permission(created, monkeypatch):
    def refuse(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(signing.Path, "read_bytes", refuse)
    error = error_of(pem_config(created))
    assert error.code == "no_permission" and str(created.key) in error.message_ja


def test_only_the_issuers_on_the_path_are_kept(created, tmp_path):
    """A chain file with duplicates and a stranger's CA: signatures carry the path only, and
    the record made with the key verifies."""
    from gateway.records.certify import build_record
    from gateway.records.verify import verify_record
    from tests.support.records import sample_facts

    stranger = init_ca(tmp_path / "stranger")
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(stranger.ca_cert.read_bytes() + created.ca_cert.read_bytes() + created.ca_cert.read_bytes())
    key = load_signing_key(pem_config(created, chain_file=str(bundle)), environ={})
    assert key.chain == tuple(signing.load_certificates(str(created.ca_cert)))
    pdf = build_record(sample_facts(1), key.signer())
    assert verify_record(pdf, created.ca_cert).ok
