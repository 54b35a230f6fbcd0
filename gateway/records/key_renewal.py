"""Renewing the records' signing key (`faxgate records renew-key`).

Trust is anchored in the CA, not in one signing certificate: a record or audit checkpoint
carries the certificate that signed it, so everything signed before a renewal still verifies
against the same `trust_root` (validated at its signing time once the old certificate has
expired). A renewal therefore only has to put a new key and certificate where `[records]`
looks, without a moment where the gateway sees a half-written file:

- `renew_from_local_ca`: a new key and certificate from the local CA of `records init-ca`
  (its key, kept offline after install, is brought back for this).
- `install_pkcs12`: a PKCS#12 issued by the office's CA; refused unless its certificate
  chains to the trust root (a new CA's certificate is added to the trust_root file first, the
  old one stays in it so older records keep verifying).

The previous certificate is kept in `retired/` next to the configured certificate, for
auditors; the previous private key is not kept (a retired key left on disk could sign
back-dated records). A hardware key is renewed with the token's own tools.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gateway.records.config import CA_KEY_FILE, RecordsConfig
from gateway.records.keys.base import (
    SigningKeyError,
    password_from_env,
    read_key_file,
    utcnow,
)
from gateway.records.keys.files import (
    certificate_key_der,
    load_pkcs12,
    load_private_key,
    public_key_der,
)
from gateway.records.pki import (
    check_certificate,
    issue,
    load_certificates,
    parse_certificates,
)

RETIRED_DIR = "retired"


@dataclass(frozen=True)
class Renewed:
    certificate: x509.Certificate
    retired: Path | None  # where the previous certificate was kept (None: there was none to keep)


def default_ca_key(config: RecordsConfig) -> Path:
    """Where `records init-ca` put the CA key: next to the trust root."""
    return Path(config.trust_root).parent / CA_KEY_FILE


def renew_from_local_ca(config: RecordsConfig, ca_key_path: str | os.PathLike, environ: Mapping[str, str] = os.environ,
                        now: dt.datetime | None = None, days: int = 10 * 365) -> Renewed:
    """A new ECDSA P-256 key and a certificate for it from the local CA, written over
    `key_file` and `cert_file` (encrypted with the password in `password_env` when it is set)."""
    _refuse_other_modes(config, pkcs12_hint=True)
    now = now or utcnow()
    password = password_from_env(config.password_env, environ)
    ca_key = load_private_key(os.fspath(ca_key_path), password, config.password_env, what="ca_key")
    candidates = load_certificates(config.trust_root) + (
        load_certificates(config.chain_file, "chain") if config.chain_file else [])
    ca_cert = next((c for c in candidates if certificate_key_der(c) == public_key_der(ca_key)), None)
    if ca_cert is None:
        raise SigningKeyError("ca_key_mismatch", key=os.fspath(ca_key_path), root=config.trust_root)
    key = ec.generate_private_key(ec.SECP256R1())
    name, organization = _names(config, ca_cert)
    # Backdated a little, as at init-ca, for a verifier whose clock is behind.
    certificate = issue(ca_key, ca_cert, key.public_key(), name, organization, now - dt.timedelta(hours=1), days)
    check_certificate(certificate, candidates, config, config.cert_file, now)
    retired = _retire(config.cert_file, lambda data: parse_certificates(data, config.cert_file, "cert")[0])
    _write_pair(config, key, [certificate], password)
    return Renewed(certificate, retired)


def install_pkcs12(config: RecordsConfig, source: str | os.PathLike, environ: Mapping[str, str] = os.environ,
                   now: dt.datetime | None = None) -> Renewed:
    """A PKCS#12 from the office's CA (its password in `password_env`) put where `[records]`
    looks: copied over `pkcs12_file`, or split into `key_file` and `cert_file`."""
    _refuse_other_modes(config, pkcs12_hint=False)
    now = now or utcnow()
    source = os.fspath(source)
    password = password_from_env(config.password_env, environ)
    key, certificate, chain = load_pkcs12(source, password, config.password_env)
    if public_key_der(key) != certificate_key_der(certificate):
        raise SigningKeyError("mismatch", key=source, cert=source)
    extra = load_certificates(config.chain_file, "chain") if config.chain_file and not config.pkcs12_file else []
    path = check_certificate(certificate, list(chain) + extra, config, source, now)
    if config.pkcs12_file:
        retired = _retire(config.pkcs12_file, lambda data: _old_pkcs12_certificate(config, environ))
        _replace(Path(config.pkcs12_file), read_key_file(source, "pkcs12"), 0o600)
    else:
        retired = _retire(config.cert_file, lambda data: parse_certificates(data, config.cert_file, "cert")[0])
        # Intermediates the chain file lacks travel in the certificate file, after the certificate.
        _write_pair(config, key, [certificate] + [c for c in path if c not in extra and not _self_signed(c)], password)
    return Renewed(certificate, retired)


def _refuse_other_modes(config: RecordsConfig, pkcs12_hint: bool) -> None:
    if config.pkcs11_module:
        raise SigningKeyError("renew_mode", mode="ハードウェア鍵（PKCS#11）", mode_en="a hardware key (PKCS#11)",
                              hint="鍵と証明書はトークンの管理ツールで更新してください。",
                              hint_en="Renew the key and certificate with the token's own tools.")
    if pkcs12_hint and config.pkcs12_file:
        raise SigningKeyError("renew_mode", mode="PKCS#12 ファイル", mode_en="a PKCS#12 file",
                              hint="CA が発行した新しい PKCS#12 を --pkcs12 で指定してください。",
                              hint_en="Give the new PKCS#12 issued by the CA with --pkcs12.")
    if not config.pkcs12_file and not (config.key_file and config.cert_file):
        raise SigningKeyError("not_configured")


def _names(config: RecordsConfig, ca_cert: x509.Certificate) -> tuple[str, str]:
    """The current certificate's names when it can be read (the signer's name stays the same
    across renewals), else the ones init-ca gives."""
    try:
        subject = parse_certificates(read_key_file(config.cert_file, "cert"), config.cert_file, "cert")[0].subject
    except SigningKeyError:
        subject = None
    organization = _attribute(ca_cert.subject, NameOID.ORGANIZATION_NAME) or "faxgate"
    if subject is not None and _attribute(subject, NameOID.COMMON_NAME):
        return _attribute(subject, NameOID.COMMON_NAME), _attribute(subject, NameOID.ORGANIZATION_NAME) or organization
    return f"faxgate records ({organization})", organization


def _attribute(name: x509.Name, oid) -> str:
    found = name.get_attributes_for_oid(oid)
    return str(found[0].value) if found else ""


def _self_signed(certificate: x509.Certificate) -> bool:
    return certificate.issuer == certificate.subject


def _old_pkcs12_certificate(config: RecordsConfig, environ: Mapping[str, str]) -> x509.Certificate:
    _, certificate, _ = load_pkcs12(config.pkcs12_file, password_from_env(config.password_env, environ),
                                    config.password_env)
    return certificate


def _retire(path: str, certificate_of) -> Path | None:
    """Keep the certificate now at `path` in retired/<stem>-<serial>.pem; None when there is
    none (a first key) or it cannot be read (every record it signed carries it anyway)."""
    file = Path(path)
    try:
        certificate = certificate_of(file.read_bytes())
    except (OSError, SigningKeyError):
        return None
    directory = file.parent / RETIRED_DIR
    directory.mkdir(mode=0o755, exist_ok=True)
    kept = directory / f"{file.stem}-{certificate.serial_number:x}.pem"
    if not kept.exists():
        _replace(kept, certificate.public_bytes(serialization.Encoding.PEM), 0o644)
    return kept


def _write_pair(config: RecordsConfig, key, certificates: list[x509.Certificate], password: bytes | None) -> None:
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    pem = serialization.Encoding.PEM
    # Key first: a reader between the two renames sees a key and certificate that do not
    # match, a SigningKeyError the worker retries a minute later; never a wrong signature.
    _replace(Path(config.key_file), key.private_bytes(pem, serialization.PrivateFormat.PKCS8, encryption), 0o600)
    _replace(Path(config.cert_file), b"".join(c.public_bytes(pem) for c in certificates), 0o644)


def _replace(path: Path, data: bytes, mode: int) -> None:
    """Write `data` to a new file beside `path` and rename it over `path` (atomic)."""
    temporary = path.with_name(f".{path.name}.new-{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
