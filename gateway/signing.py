"""The gateway's signing key and certificate, and the trust root its records are checked against.

The key is loaded once, when the application is composed, from PEM/DER files (key,
certificate, optional chain) or from one PKCS#12 file; its password comes from an environment
variable, never from the config file. Every way loading can go wrong is a `SigningKeyError`
whose message names the file and says in Japanese and English what to do, because a gateway
that cannot sign must not be left to fail later, on the first finished job.

`init_ca` is the first install: a local CA (the trust root) and a signing key issued by it;
gateway.key_renewal issues the next one. Signing goes through pyHanko's `Signer`:
`open_signing` yields the configured key for one signing session, from files or from a
hardware token (gateway.signing_pkcs11), and `timestamper` the RFC 3161 time-stamping
authority's client when one is configured.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import pkcs12 as asn1_pkcs12
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.sign.signers import SimpleSigner
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from gateway.records_config import CA_FILE, CA_KEY_FILE, CERT_FILE, KEY_FILE, RecordsConfig


_MESSAGES = {
    "not_configured": (
        "署名鍵が設定されていません。[records] の key_file と cert_file（または pkcs12_file）を設定するか、"
        "`faxgate records init-ca` で作成してください。",
        "No signing key is configured: set [records] key_file and cert_file (or pkcs12_file), "
        "or create one with `faxgate records init-ca`.",
    ),
    "missing_file": (
        "{what}のファイルが見つかりません: {path}",
        "{what_en} file not found: {path}",
    ),
    "unreadable": (
        "{what}のファイルを読み込めません（形式が違うか壊れています）: {path}",
        "{what_en} file cannot be read (wrong format or damaged): {path}",
    ),
    "no_permission": (
        "{what}のファイルを読む権限がありません（faxgate を動かす利用者に読み取りを許可してください）: {path}",
        "No permission to read this file ({what_en}); let the user running faxgate read it: {path}",
    ),
    "password_required": (
        "署名鍵はパスワードで保護されていますが、環境変数 {env} が設定されていません: {path}",
        "The signing key is password-protected but the environment variable {env} is not set: {path}",
    ),
    "wrong_password": (
        "署名鍵のパスワードが違います（環境変数 {env} の値を確認してください）: {path}",
        "Wrong password for the signing key (check the environment variable {env}): {path}",
    ),
    "mismatch": (
        "署名鍵と証明書が対応していません（別の鍵の証明書です）: 鍵 {key} / 証明書 {cert}",
        "The signing key and the certificate do not belong together (the certificate is for another key): "
        "key {key} / certificate {cert}",
    ),
    "expired": (
        "署名用証明書の有効期限が切れています（{date} まで）: {path}。新しい証明書を発行してください。",
        "The signing certificate expired on {date}: {path}. Issue a new certificate.",
    ),
    "not_yet_valid": (
        "署名用証明書はまだ有効になっていません（{date} から）: {path}。サーバーの時刻も確認してください。",
        "The signing certificate is not valid before {date}: {path}. Check the server's clock too.",
    ),
    "key_usage": (
        "この証明書は文書への署名に使えません（鍵用途に digitalSignature も nonRepudiation もありません）: {path}",
        "This certificate may not sign documents (its key usage has neither digitalSignature nor "
        "nonRepudiation): {path}",
    ),
    "not_trusted": (
        "署名用証明書が信頼の起点（trust_root）につながりません: {path} / {root}。"
        "この鍵で作った記録は検証に失敗します。",
        "The signing certificate does not chain to the trust root: {path} / {root}. "
        "Records signed with it would fail verification.",
    ),
    "exists": (
        "ファイルがすでにあるため作成しません（上書きしません）: {path}",
        "Not created because the file already exists (nothing is overwritten): {path}",
    ),
    "tsa_unavailable": (
        "タイムスタンプ局（TSA）から時刻証明を得られないため、記録に署名できません（後で再試行します）: {url}（{detail}）",
        "No time stamp from the time-stamping authority, so records cannot be signed now (retried later): "
        "{url} ({detail})",
    ),
    "pkcs11_pin_missing": (
        "ハードウェア鍵（PKCS#11）の PIN がありません。環境変数 {env} か [records] pkcs11_pin_file を設定してください。",
        "No PIN for the hardware key (PKCS#11): set the environment variable {env} or [records] pkcs11_pin_file.",
    ),
    "pkcs11_pin_incorrect": (
        "ハードウェア鍵のトークン「{token}」の PIN が違います（{source} を確認してください）。"
        "何度も間違えるとトークンがロックされます。",
        "Wrong PIN for the hardware key's token '{token}' (check {source}). Repeated wrong PINs lock the token.",
    ),
    "pkcs11_pin_locked": (
        "ハードウェア鍵のトークン「{token}」の PIN がロックされています。トークンの管理者に解除を依頼してください。",
        "The PIN of the hardware key's token '{token}' is locked; the token's administrator must unlock it.",
    ),
    "pkcs11_token": (
        "ハードウェア鍵のトークン「{token}」が見つかりません（接続とラベルを確認してください）: {module}",
        "The hardware key's token '{token}' was not found (check that it is connected and its label): {module}",
    ),
    "pkcs11_object": (
        "ハードウェア鍵のトークン「{token}」に{what}「{label}」がありません（またはラベルが重複しています）。",
        "The hardware key's token '{token}' holds no {what_en} labelled '{label}' (or more than one).",
    ),
    "pkcs11_error": (
        "ハードウェア鍵（PKCS#11）を使えません: {detail}（{module}）",
        "The hardware key (PKCS#11) cannot be used: {detail} ({module})",
    ),
    "pkcs11_unavailable": (
        "ハードウェア鍵を使うには python-pkcs11 が必要です（pip install 'faxgate[hsm]'）。",
        "Signing with a hardware key needs python-pkcs11 (pip install 'faxgate[hsm]').",
    ),
    "ca_key_mismatch": (
        "CA の鍵が信頼の起点の CA 証明書のどれとも対応していません: 鍵 {key} / 信頼の起点 {root}",
        "The CA key belongs to none of the CA certificates of the trust root: key {key} / trust root {root}",
    ),
    "renew_mode": (
        "{mode}を使う設定では、この方法で鍵を更新できません。{hint}",
        "The key cannot be renewed this way while [records] uses {mode_en}. {hint_en}",
    ),
}
_WHAT = {
    "key": ("署名鍵", "Signing key"),
    "cert": ("署名用証明書", "Signing certificate"),
    "chain": ("中間証明書", "Certificate chain"),
    "pkcs12": ("PKCS#12", "PKCS#12"),
    "trust_root": ("信頼の起点（CA証明書）", "Trust root (CA certificate)"),
    "pin_file": ("PIN", "PIN"),
    "pkcs11_module": ("PKCS#11 モジュール", "PKCS#11 module"),
    "ca_key": ("CA の鍵", "CA key"),
    "private_key": ("秘密鍵", "private key"),
    "certificate": ("証明書", "certificate"),
}


class SigningKeyError(Exception):
    """Records cannot be signed now: the key, its certificate, the token or the time-stamping
    authority. `code` is one of the keys of _MESSAGES."""

    def __init__(self, code: str, **facts):
        self.code, self.facts = code, facts
        if "what" in facts:
            facts = {**facts, "what": _WHAT[facts["what"]][0], "what_en": _WHAT[facts["what"]][1]}
        ja, en = _MESSAGES[code]
        self.message_ja, self.message_en = ja.format(**facts), en.format(**facts)
        super().__init__(f"{self.message_ja} / {self.message_en}")


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
        registry.register_multiple([_asn1(c) for c in self.chain])
        return SimpleSigner(signing_cert=_asn1(self.certificate), signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
                            cert_registry=registry)


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise SigningKeyError("missing_file", what=what, path=path) from None
    except PermissionError:
        raise SigningKeyError("no_permission", what=what, path=path) from None
    except IsADirectoryError:
        raise SigningKeyError("unreadable", what=what, path=path) from None


def _certificates(data: bytes, path: str, what: str) -> list[x509.Certificate]:
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
    return _certificates(_read(path, what), path, what)


def load_signing_key(config: RecordsConfig, environ: Mapping[str, str] = os.environ,
                     now: dt.datetime | None = None) -> SigningKey:
    """The configured key, checked: files present, password right, key and certificate a pair,
    certificate valid now and for signing, chain leading to the trust root (when configured)."""
    now = now or _utcnow()
    password = password_from_env(config.password_env, environ)
    if config.pkcs12_file:
        key, certificate, chain = load_pkcs12(config.pkcs12_file, password, config.password_env)
        cert_path = key_path = config.pkcs12_file
    elif config.key_file and config.cert_file:
        key_path, cert_path = config.key_file, config.cert_file
        key = load_private_key(key_path, password, config.password_env)
        certificates = _certificates(_read(cert_path, "cert"), cert_path, "cert")
        certificate = certificates[0]
        chain = certificates[1:] + (load_certificates(config.chain_file, "chain") if config.chain_file else [])
    else:
        raise SigningKeyError("not_configured")
    if _public(key) != _public_of_cert(certificate):
        raise SigningKeyError("mismatch", key=key_path, cert=cert_path)
    return SigningKey(key, certificate, check_certificate(certificate, chain, config, cert_path, now))


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


@contextmanager
def open_signing(config: RecordsConfig, environ: Mapping[str, str] = os.environ,
                 now: dt.datetime | None = None) -> Iterator:
    """The configured key for one signing session, checked like `load_signing_key`: a
    `SigningKey` from files, or a `HardwareKey` on a PKCS#11 token whose session is closed
    when the block ends. Either has `.certificate`, `.chain`, `.source` and `.signer()`."""
    if not config.pkcs11_module:
        yield load_signing_key(config, environ, now)
        return
    try:
        from gateway.signing_pkcs11 import open_hardware_key
    except ImportError:  # python-pkcs11 is the optional extra "hsm"
        raise SigningKeyError("pkcs11_unavailable") from None
    key = open_hardware_key(config, environ, now or _utcnow())
    try:
        yield key
    finally:
        key.close()


def timestamper(config: RecordsConfig):
    """pyHanko's RFC 3161 client for `[records] tsa_url`, or None when none is configured."""
    if not config.tsa_url:
        return None
    from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper

    return RequestsHTTPTimeStamper(config.tsa_url, timeout=config.tsa_timeout_seconds)


def expiry_warning(certificate: x509.Certificate, days: int, now: dt.datetime | None = None) -> tuple[str, str] | None:
    """(Japanese, English) when the signing certificate expires within `days`, else None."""
    now = now or _utcnow()
    left = certificate.not_valid_after_utc - now
    if left > dt.timedelta(days=days):
        return None
    day = certificate.not_valid_after_utc.date().isoformat()
    return (f"署名用証明書の有効期限が近づいています（{day} まで、残り {max(0, left.days)} 日）。"
            "`faxgate records renew-key` で更新してください。",
            f"The signing certificate expires on {day} ({max(0, left.days)} days left): renew it with "
            "`faxgate records renew-key`.")


def password_from_env(variable: str, environ: Mapping[str, str] = os.environ) -> bytes | None:
    """The key password held in `variable`; None when the name or the value is empty."""
    value = environ.get(variable, "") if variable else ""
    return value.encode() or None


def _public(key) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _public_of_cert(certificate: x509.Certificate) -> bytes:
    return certificate.public_key().public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)


def load_private_key(path: str, password: bytes | None, env: str, what: str = "key"):
    data = _read(path, what)
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
    data = _read(path, "pkcs12")
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
    return ValidationContext(trust_roots=[_asn1(c) for c in trust_roots], allow_fetching=False,
                             revocation_mode="soft-fail", moment=moment)


# Either key usage makes a document signature (digitalSignature is what most issued
# certificates carry; nonRepudiation is what pyHanko expects by default).
KEY_USAGE = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False)


# --- first install ----------------------------------------------------------------------------


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
    now = now or _utcnow()
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
