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


@dataclass(frozen=True)
class CoverSheetConfig:
    """`[coversheet]`: the sending office as printed on every cover sheet."""

    office_name: str = ""  # e.g. 世田谷区 保健福祉政策部
    address: str = ""
    phone: str = ""
    fax: str = ""  # the office's own fax number: printed, and never taken for a destination
    footer: str = ""  # free text at the bottom (e.g. office hours)
