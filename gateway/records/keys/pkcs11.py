"""The records' signing key on a hardware token (PKCS#11: an HSM, a smart card, SoftHSM).

`[records] pkcs11_module` names the token's library; the key is found by its label on the
token (`pkcs11_token_label`, `pkcs11_key_label`) and its certificate by label too
(`pkcs11_cert_label`), the CA certificates above it come from `chain_file`. The PIN comes
from `pkcs11_pin_file` or the variable `pkcs11_pin_env`, never from the configuration file.

Opening checks everything a signature depends on, so a wrong setting is a clear
`SigningKeyError` at once, not a record that fails verification later: the module, the token,
the PIN, both objects, the certificate (valid, for signing, under the trust root) and, with
one signature over a probe, that the key on the token is the certificate's key. Signing then
goes through pyHanko's PKCS11Signer; the private key never leaves the token.

Needs python-pkcs11 (the optional extra "hsm").
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pkcs11
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pkcs11 import Attribute, ObjectClass
from pkcs11.exceptions import PinIncorrect, PinLocked, PKCS11Error, UserAlreadyLoggedIn
from pyhanko.config.pkcs11 import TokenCriteria
from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

from gateway.records.config import RecordsConfig
from gateway.records.keys.base import SigningKeyError, read_key_file
from gateway.records.pki import as_asn1, check_certificate, load_certificates

_PROBE = b"faxgate: does the key on the token belong to this certificate?"


@dataclass
class HardwareKey:
    session: pkcs11.Session
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    key_label: str
    cert_label: str
    token: str

    @property
    def subject(self) -> str:
        return self.certificate.subject.rfc4514_string()

    @property
    def source(self) -> str:
        return f"pkcs11:{self.token}/{self.key_label}"

    def signer(self) -> PKCS11Signer:
        # The certificate by label, as checked at opening: pyHanko given it as an object would
        # put it into the signature twice. Many tokens (SoftHSM among them) offer ECDSA only on
        # a digest computed outside.
        return PKCS11Signer(self.session, key_label=self.key_label, cert_label=self.cert_label,
                            ca_chain=[as_asn1(c) for c in self.chain],
                            use_raw_mechanism=isinstance(self.certificate.public_key(), ec.EllipticCurvePublicKey))

    def close(self) -> None:
        self.session.close()


def pin_of(config: RecordsConfig, environ: Mapping[str, str]) -> tuple[str, str]:
    """The PIN and where it came from (for messages, never the PIN itself)."""
    if config.pkcs11_pin_file:
        pin = read_key_file(config.pkcs11_pin_file, "pin_file").decode("utf-8", "replace").strip()
        if pin:
            return pin, config.pkcs11_pin_file
    elif config.pkcs11_pin_env and environ.get(config.pkcs11_pin_env):
        return environ[config.pkcs11_pin_env], f"${config.pkcs11_pin_env}"
    raise SigningKeyError("pkcs11_pin_missing", env=config.pkcs11_pin_env or "FAXGATE_PKCS11_PIN")


def open_hardware_key(config: RecordsConfig, environ: Mapping[str, str], now: dt.datetime) -> HardwareKey:
    module, token = config.pkcs11_module, config.pkcs11_token_label or "(最初のトークン)"
    pin, source = pin_of(config, environ)
    if not Path(module).is_file():
        raise SigningKeyError("missing_file", what="pkcs11_module", path=module)
    criteria = TokenCriteria(label=config.pkcs11_token_label or None)
    try:
        try:
            session = open_pkcs11_session(module, token_criteria=criteria, user_pin=pin)
        except UserAlreadyLoggedIn:  # the key-encryption key on the same token logged this process in
            session = open_pkcs11_session(module, token_criteria=criteria)
    except PinIncorrect:
        raise SigningKeyError("pkcs11_pin_incorrect", token=token, source=source) from None
    except PinLocked:
        raise SigningKeyError("pkcs11_pin_locked", token=token) from None
    except PKCS11Error as exc:
        if "No token" in str(exc):
            raise SigningKeyError("pkcs11_token", token=token, module=module) from None
        raise SigningKeyError("pkcs11_error", detail=type(exc).__name__, module=module) from None
    except (RuntimeError, OSError) as exc:  # the library does not load, or loads another one already
        raise SigningKeyError("pkcs11_error", detail=f"{type(exc).__name__}: {exc}"[:200], module=module) from None
    try:
        cert_label = config.pkcs11_cert_label or config.pkcs11_key_label
        certificate = _certificate(session, cert_label, token)
        chain = load_certificates(config.chain_file, "chain") if config.chain_file else []
        path = check_certificate(certificate, chain, config, f"PKCS#11 {token}/{cert_label}", now)
        key = HardwareKey(session, certificate, path, config.pkcs11_key_label, cert_label, config.pkcs11_token_label)
        _prove(key, token, module)
        return key
    except BaseException:
        session.close()
        raise


def _certificate(session: pkcs11.Session, label: str, token: str) -> x509.Certificate:
    found = list(session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: label}))
    if len(found) != 1:
        raise SigningKeyError("pkcs11_object", token=token, what="certificate", label=label)
    try:
        return x509.load_der_x509_certificate(bytes(found[0][Attribute.VALUE]))
    except ValueError:
        raise SigningKeyError("unreadable", what="cert", path=f"PKCS#11 {token}/{label}") from None


def _prove(key: HardwareKey, token: str, module: str) -> None:
    """One signature over a probe, checked with the certificate's public key."""
    try:
        signature = asyncio.run(key.signer().async_sign_raw(_PROBE, "sha256"))
    except PKCS11Error as exc:
        if "private key" in str(exc):  # pyHanko found none, or several, with the label
            raise SigningKeyError("pkcs11_object", token=token, what="private_key", label=key.key_label) from None
        raise SigningKeyError("pkcs11_error", detail=f"{type(exc).__name__} {exc}".strip(), module=module) from None
    public = key.certificate.public_key()
    try:
        if isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, _PROBE, ec.ECDSA(hashes.SHA256()))
        elif isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, _PROBE, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise SigningKeyError("mismatch", key=f"PKCS#11 {token}/{key.key_label}",
                              cert=f"PKCS#11 {token}/{key.certificate.subject.rfc4514_string()}") from None

