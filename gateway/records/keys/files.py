"""The records' signing key from files: PEM/DER key, certificate and chain, or one PKCS#12 file. The
password comes from an environment variable, never from the config file."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass

from asn1crypto import keys as asn1_keys
from asn1crypto import pkcs12 as asn1_pkcs12
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from gateway.records.config import (
    RecordsConfig,
)
from gateway.records.keys.base import (
    SigningKeyError,
    password_from_env,
    read_key_file,
    utcnow,
)
from gateway.records.pki import (
    as_asn1,
    check_certificate,
    load_certificates,
    parse_certificates,
)


@dataclass(frozen=True)
class SigningKey:
    private_key: object  # a cryptography private key
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]

    @property
    def subject(self) -> str:
        return self.certificate.subject.rfc4514_string()

    @property
    def source(self) -> str:
        return "file"

    def signer(self) -> SimpleSigner:
        """A pyHanko signer for this key (what records.py signs with)."""
        der_key = self.private_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        registry = SimpleCertificateStore()
        registry.register_multiple([as_asn1(c) for c in self.chain])
        return SimpleSigner(signing_cert=as_asn1(self.certificate), signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
                            cert_registry=registry)


def load_signing_key(config: RecordsConfig, environ: Mapping[str, str] = os.environ,
                     now: dt.datetime | None = None) -> SigningKey:
    """The configured key, checked: files present, password right, key and certificate a pair,
    certificate valid now and for signing, chain leading to the trust root (when configured)."""
    now = now or utcnow()
    password = password_from_env(config.password_env, environ)
    if config.pkcs12_file:
        key, certificate, chain = load_pkcs12(config.pkcs12_file, password, config.password_env)
        cert_path = key_path = config.pkcs12_file
    elif config.key_file and config.cert_file:
        key_path, cert_path = config.key_file, config.cert_file
        key = load_private_key(key_path, password, config.password_env)
        certificates = parse_certificates(read_key_file(cert_path, "cert"), cert_path, "cert")
        certificate = certificates[0]
        chain = certificates[1:] + (load_certificates(config.chain_file, "chain") if config.chain_file else [])
    else:
        raise SigningKeyError("not_configured")
    if public_key_der(key) != certificate_key_der(certificate):
        raise SigningKeyError("mismatch", key=key_path, cert=cert_path)
    return SigningKey(key, certificate, check_certificate(certificate, chain, config, cert_path, now))



def public_key_der(key) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def certificate_key_der(certificate: x509.Certificate) -> bytes:
    return certificate.public_key().public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)


def load_private_key(path: str, password: bytes | None, env: str, what: str = "key"):
    data = read_key_file(path, what)
    load = serialization.load_pem_private_key if b"-----BEGIN" in data else serialization.load_der_private_key
    try:
        return load(data, password)
    except TypeError:
        # cryptography's TypeError means the key is encrypted but no password was given, or
        # the other way round: a password set for a key that has none is simply not needed.
        if password is None:
            raise SigningKeyError("password_required", env=env, path=path) from None
        try:
            return load(data, None)
        except (TypeError, ValueError):
            raise SigningKeyError("unreadable", what=what, path=path) from None
    except ValueError:
        if password is not None and _looks_encrypted(data):
            raise SigningKeyError("wrong_password", env=env, path=path) from None
        raise SigningKeyError("unreadable", what=what, path=path) from None


def _looks_encrypted(data: bytes) -> bool:
    if b"-----BEGIN" in data:
        return b"ENCRYPTED" in data
    try:  # DER: an EncryptedPrivateKeyInfo parses as one
        asn1_keys.EncryptedPrivateKeyInfo.load(data).native
    except ValueError:
        return False
    return True


def load_pkcs12(path: str, password: bytes | None, env: str):
    data = read_key_file(path, "pkcs12")
    try:
        key, certificate, chain = pkcs12.load_key_and_certificates(data, password)
    except ValueError:
        # cryptography says "invalid password or PKCS12 data": a file that parses as PKCS#12
        # is intact, so it was the password.
        try:
            asn1_pkcs12.Pfx.load(data).native
        except ValueError:
            raise SigningKeyError("unreadable", what="pkcs12", path=path) from None
        raise SigningKeyError("password_required" if password is None else "wrong_password", env=env, path=path) from None
    if key is None or certificate is None:
        raise SigningKeyError("unreadable", what="pkcs12", path=path)
    return key, certificate, list(chain)
