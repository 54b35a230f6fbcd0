"""The `[records]` and `[coversheet]` configuration sections, kept apart from the code that uses
them: gateway.config imports this on every command, and pyHanko (behind signing and records)
takes ~0.6 s to import."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_DIR = "./faxgate-keys"
CA_FILE, CA_KEY_FILE, KEY_FILE, CERT_FILE = "ca.pem", "ca-key.pem", "signing-key.pem", "signing-cert.pem"


@dataclass(frozen=True)
class RecordsConfig:
    """`[records]`: where the signing key lives and what records are checked against. The
    defaults are the files `faxgate records init-ca` writes into ./faxgate-keys."""

    key_file: str = f"{DEFAULT_DIR}/{KEY_FILE}"  # PEM or DER private key
    cert_file: str = f"{DEFAULT_DIR}/{CERT_FILE}"  # its certificate
    chain_file: str = f"{DEFAULT_DIR}/{CA_FILE}"  # PEM: the CA certificates above it ("" = none)
    pkcs12_file: str = ""  # instead of the three above: one .p12/.pfx with key, certificate and chain
    password_env: str = "FAXGATE_SIGNING_PASSWORD"  # variable holding the key's password; unset = none
    trust_root: str = f"{DEFAULT_DIR}/{CA_FILE}"  # CA certificate(s) every record must chain to
    checkpoint_every: int = 1000  # audit events between two signed checkpoints of the chain head
    checkpoint_seconds: int = 300  # and at the latest this long after the first event no checkpoint covers
    head_file: str = ""  # each checkpoint also appended here, beyond the database owner's reach ("" = none)
    expiry_warning_days: int = 60  # warn (log, /readyz, `records status`) this long before the certificate expires
    # RFC 3161 time stamps on every record signature: a time that does not rest on the gateway's clock.
    tsa_url: str = ""  # the time-stamping authority (http:// or https://); "" = none
    tsa_timeout_seconds: int = 10
    tsa_trust_root: str = ""  # CA certificate(s) of the TSA; "" = trust_root
    # A hardware key (PKCS#11: HSM, smart card) instead of the files above. The PIN comes from
    # the environment variable or the file named here, never from this file.
    pkcs11_module: str = ""  # the token's PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so
    pkcs11_token_label: str = ""  # "" = the first token present
    pkcs11_key_label: str = ""  # the private key's label (CKA_LABEL)
    pkcs11_cert_label: str = ""  # its certificate's label on the token; "" = the key label
    pkcs11_pin_env: str = "FAXGATE_PKCS11_PIN"
    pkcs11_pin_file: str = ""  # a file holding the PIN (read at each use; takes precedence over the variable)


@dataclass(frozen=True)
class CoverSheetConfig:
    """`[coversheet]`: the sending office as printed on every cover sheet."""

    office_name: str = ""  # e.g. 世田谷区 保健福祉政策部
    address: str = ""
    phone: str = ""
    fax: str = ""  # the office's own fax number: printed, and never taken for a destination
    footer: str = ""  # free text at the bottom (e.g. office hours)
