"""The certificates around the records' key: checking a signing certificate against the trust root,
pyHanko's validation context, and the first install's local CA (`init_ca`; gateway.records.key_renewal
issues the next certificate)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko_certvalidator import ValidationContext

from gateway.records.config import (
    CA_FILE,
    CA_KEY_FILE,
    CERT_FILE,
    KEY_FILE,
    RecordsConfig,
)
from gateway.records.keys.base import (
    SigningKeyError,
    password_from_env,
    read_key_file,
    utcnow,
)


def as_asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def parse_certificates(data: bytes, path: str, what: str) -> list[x509.Certificate]:
    try:
        if b"-----BEGIN" in data:
            found = x509.load_pem_x509_certificates(data)
        else:
            found = [x509.load_der_x509_certificate(data)]
    except ValueError:
        raise SigningKeyError("unreadable", what=what, path=path) from None
    return found


def load_certificates(path: str, what: str = "trust_root") -> list[x509.Certificate]:
    """Every certificate in a PEM file (or the one in a DER file)."""
    return parse_certificates(read_key_file(path, what), path, what)


def check_certificate(certificate: x509.Certificate, chain: Sequence[x509.Certificate], config: RecordsConfig,
                      cert_path: str, now: dt.datetime) -> tuple[x509.Certificate, ...]:
    """A signing certificate valid now and for signing, leading to the trust root (when one is
    configured) through `chain`: the issuers on the way up, nearest first."""
    if now > certificate.not_valid_after_utc:
        raise SigningKeyError("expired", date=certificate.not_valid_after_utc.date().isoformat(), path=cert_path)
    if now < certificate.not_valid_before_utc:
        raise SigningKeyError("not_yet_valid", date=certificate.not_valid_before_utc.isoformat(), path=cert_path)
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is not None and not (usage.digital_signature or usage.content_commitment):
        raise SigningKeyError("key_usage", path=cert_path)
    # Only the issuers on the way up go into signatures: verify_record accepts no certificate
    # in a signature that is not on the validated path (so no byte of it goes unchecked).
    path = _issuers(certificate, list(chain))
    if config.trust_root:
        roots = load_certificates(config.trust_root)
        top = path[-1] if path else certificate
        if top not in roots and not any(_issued_by(top, root) for root in roots):
            raise SigningKeyError("not_trusted", path=cert_path, root=config.trust_root)
    return tuple(path)


def expiry_warning(certificate: x509.Certificate, days: int, now: dt.datetime | None = None) -> tuple[str, str] | None:
    """(Japanese, English) when the signing certificate expires within `days`, else None."""
    now = now or utcnow()
    left = certificate.not_valid_after_utc - now
    if left > dt.timedelta(days=days):
        return None
    day = certificate.not_valid_after_utc.date().isoformat()
    return (f"署名用証明書の有効期限が近づいています（{day} まで、残り {max(0, left.days)} 日）。"
            "`faxgate records renew-key` で更新してください。",
            f"The signing certificate expires on {day} ({max(0, left.days)} days left): renew it with "
            "`faxgate records renew-key`.")


def _issuers(certificate: x509.Certificate, candidates: list[x509.Certificate]) -> list[x509.Certificate]:
    """The issuers of `certificate` among `candidates`, nearest first, up to a self-signed root
    or the last one found. Duplicates and certificates off the path are left out."""
    path, current = [], certificate
    while not _issued_by(current, current):
        issuer = next((c for c in candidates if c != current and c not in path and _issued_by(current, c)), None)
        if issuer is None:
            break
        path.append(issuer)
        current = issuer
    return path


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def validation_context(trust_roots: Sequence[x509.Certificate], moment: dt.datetime | None = None) -> ValidationContext:
    """pyHanko's validation context for records: only these roots, no network (a local CA
    publishes no revocation lists; nothing is fetched at run time)."""
    return ValidationContext(trust_roots=[as_asn1(c) for c in trust_roots], allow_fetching=False,
                             revocation_mode="soft-fail", moment=moment)


# Either key usage makes a document signature (digitalSignature is what most issued
# certificates carry; nonRepudiation is what pyHanko expects by default).
KEY_USAGE = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False)


@dataclass(frozen=True)
class FirstInstall:
    directory: Path
    ca_cert: Path
    ca_key: Path
    key: Path
    cert: Path
    password_env: str | None  # the variable whose value encrypts the keys, None = unencrypted

    def config_toml(self) -> str:
        lines = ["[records]", f'key_file = "{self.key}"', f'cert_file = "{self.cert}"',
                 f'chain_file = "{self.ca_cert}"', f'trust_root = "{self.ca_cert}"']
        if self.password_env:
            lines.append(f'password_env = "{self.password_env}"')
        return "\n".join(lines) + "\n"


def _name(common_name: str, organization: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization)])


def _key_usage(**allowed: bool) -> x509.KeyUsage:
    flags = dict(digital_signature=False, content_commitment=False, key_encipherment=False,
                 data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                 encipher_only=False, decipher_only=False)
    return x509.KeyUsage(**{**flags, **allowed})


def issue(ca_key, ca_cert: x509.Certificate, public_key, common_name: str, organization: str,
          not_before: dt.datetime, days: int) -> x509.Certificate:
    """A document-signing certificate from the local CA."""
    return (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organization))
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def make_ca(organization: str, not_before: dt.datetime, days: int = 20 * 365):
    """A self-signed CA (key, certificate) that may issue end certificates only."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(f"faxgate local CA ({organization})", organization)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def init_ca(out_dir: str | os.PathLike, organization: str = "faxgate", password: bytes | None = None,
            password_env: str | None = None, now: dt.datetime | None = None,
            signing_days: int = 10 * 365) -> FirstInstall:
    """Create a local CA and a signing key issued by it in `out_dir`: ca.pem (the trust root,
    to be handed to whoever verifies records), ca-key.pem (keep offline after install: it is
    needed only to issue the next signing certificate), signing-key.pem, signing-cert.pem.
    Keys are ECDSA P-256, files 0600, encrypted when `password` is given. Existing files are
    never overwritten. `password_env` only goes into the suggested config."""
    now = now or utcnow()
    directory = Path(out_dir)
    paths = {name: directory / name for name in (CA_FILE, CA_KEY_FILE, KEY_FILE, CERT_FILE)}
    for path in paths.values():
        if path.exists():
            raise SigningKeyError("exists", path=str(path))
    directory.mkdir(parents=True, exist_ok=True)
    # Backdated a little so a record signed right away validates on a machine whose clock is behind.
    not_before = now - dt.timedelta(hours=1)
    ca_key, ca_cert = make_ca(organization, not_before)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = issue(ca_key, ca_cert, key.public_key(), f"faxgate records ({organization})", organization,
                 not_before, signing_days)
    encryption = (serialization.BestAvailableEncryption(password) if password
                  else serialization.NoEncryption())
    pem = serialization.Encoding.PEM
    _write_new(paths[CA_FILE], ca_cert.public_bytes(pem), 0o644)
    _write_new(paths[CA_KEY_FILE], ca_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, encryption), 0o600)
    _write_new(paths[KEY_FILE], key.private_bytes(pem, serialization.PrivateFormat.PKCS8, encryption), 0o600)
    _write_new(paths[CERT_FILE], cert.public_bytes(pem), 0o644)
    return FirstInstall(directory, paths[CA_FILE], paths[CA_KEY_FILE], paths[KEY_FILE], paths[CERT_FILE],
                        password_env if password else None)


def _write_new(path: Path, data: bytes, mode: int) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise SigningKeyError("exists", path=str(path)) from None
    with os.fdopen(fd, "wb") as file:
        file.write(data)


# The [records] keys that say where the signing key is: left at their defaults, none is configured.
_KEY_LOCATION = ("key_file", "cert_file", "chain_file", "pkcs12_file", "trust_root", "pkcs11_module")


def first_start_keys(config: RecordsConfig, organization: str = "faxgate",
                     environ: Mapping[str, str] = os.environ) -> FirstInstall | None:
    """The embedded default's first start (as `faxgate records init-ca`): when no key is
    configured and none of the default files exist yet, create the local CA and signing key
    where the defaults point, encrypted when `password_env` holds a password, so records are
    never silently missing. None when a key is configured or already there (a configured key
    that cannot be used is reported by `open_signing`, never replaced)."""
    defaults = RecordsConfig()
    if any(getattr(config, name) != getattr(defaults, name) for name in _KEY_LOCATION):
        return None
    directory = Path(config.key_file).parent
    if any((directory / name).exists() for name in (CA_FILE, CA_KEY_FILE, KEY_FILE, CERT_FILE)):
        return None
    try:
        return init_ca(directory, organization=organization,
                       password=password_from_env(config.password_env, environ), password_env=config.password_env)
    except SigningKeyError as exc:
        if exc.code == "exists":  # another process of this install made them a moment ago
            return None
        raise
