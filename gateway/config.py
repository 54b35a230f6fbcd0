"""Configuration: a TOML file whose every key has a default, so no file is needed at all."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from directory.profile import DidRange, PbxProfile, ProfileError
from gateway.adapters import ldap_config
from gateway.adapters.ldap_config import LdapConfig
from gateway.records.config import CoverSheetConfig, RecordsConfig

CONFIG_ENV = "FAXGATE_CONFIG"


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message names the file and key."""


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = "sqlite:///./faxgate.db"


@dataclass(frozen=True)
class PbxConfig:
    outside_line: str = "0"
    area_code: str = "03"
    local_dialing: bool = True
    extension_length: int = 4
    did_ranges: list = field(default_factory=list)


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "127.0.0.1"
    port: int = 2525
    domain: str = "fax.example.jp"
    tls_cert: str = ""  # PEM certificate and key: STARTTLS, and SMTP AUTH after it
    tls_key: str = ""
    max_message_mb: int = 25


@dataclass(frozen=True)
class HttpConfig:
    host: str = "127.0.0.1"
    port: int = 8025
    public_url: str = ""  # the address staff open, for links in notices; default http://host:port


@dataclass(frozen=True)
class RelayConfig:
    url: str = "smtp://127.0.0.1:2526"
    number_format: str = "e164"
    domain: str = ""  # right of @ in FAX=…@domain; default the relay host
    sender: str = ""  # envelope sender; default faxgate@<smtp domain>
    # Delivery status notifications from a mail-to-fax server, sent to this address at the
    # gateway's SMTP port, are read for the receiver ID (CSI); "" = the envelope sender above.
    report_address: str = ""
    # HylaFAX's transfer log (etc/xferfaxlog), when readable here: the worker follows it and
    # checks the receiver ID of every job it relayed. "" = not followed.
    hylafax_xferfaxlog: str = ""


@dataclass(frozen=True)
class MailConfig:
    url: str = ""  # smtp://host:port for notices to staff; "" logs them instead
    sender: str = ""
    privacy_office: str = ""  # addresses (comma-separated) told of every possible wrong send
    # A job's notice that the mail server does not take waits in the database and is tried
    # again after this many seconds, doubled at each try (at most an hour), then set aside.
    notice_retry_seconds: int = 60
    notice_tries: int = 20
    # Approvers told of a job waiting for them: "each" = a mail per job at once; "daily" = one
    # mail a day (at approver_digest_hour, office time) listing every job waiting for them. The
    # reminder before a job expires goes on its own either way; the web app always lists them.
    approver_mail: str = "each"
    approver_digest_hour: int = 8


@dataclass(frozen=True)
class PolicyConfig:
    file: str = ""  # "" = the shipped No. 371 policy


@dataclass(frozen=True)
class KeysConfig:
    """`[keys]`: the key-encryption key (KEK) that wraps every job's data key (encryption at rest)."""

    kek_file: str = ""  # "" = data-kek.key beside the records' signing key, made on first start
    kek_env: str = ""  # instead of the file: the variable holding the key(s), base64, current first
    # Instead of both: the KEK on a PKCS#11 token, the label of its AES key (made by `faxgate keys
    # rotate` or the token's tools); the data keys are wrapped on the token, the KEK never leaves it.
    pkcs11_key_label: str = ""
    # The token: "" = the same as [records] (module, token label, PIN file or PIN variable).
    pkcs11_module: str = ""
    pkcs11_token_label: str = ""
    pkcs11_pin_file: str = ""
    pkcs11_pin_env: str = ""


@dataclass(frozen=True)
class LoggingConfig:
    format: str = "auto"  # auto: readable on a terminal, JSON otherwise
    level: str = "info"


@dataclass(frozen=True)
class WorkerConfig:
    # A job a worker screens or sends is held under a lease it renews (every third of this);
    # another process takes the job over only once the lease has run out (its holder died).
    lease_seconds: int = 30


@dataclass(frozen=True)
class Config:
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    pbx: PbxConfig = field(default_factory=PbxConfig)
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    http: HttpConfig = field(default_factory=HttpConfig)
    relay: RelayConfig = field(default_factory=RelayConfig)
    mail: MailConfig = field(default_factory=MailConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    records: RecordsConfig = field(default_factory=RecordsConfig)
    coversheet: CoverSheetConfig = field(default_factory=CoverSheetConfig)
    keys: KeysConfig = field(default_factory=KeysConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    ldap: LdapConfig = field(default_factory=LdapConfig)
    worker: WorkerConfig = field(default_factory=WorkerConfig)
    source: str = "(defaults)"

    def pbx_profile(self) -> PbxProfile:
        try:
            return PbxProfile(
                outside_line=self.pbx.outside_line,
                area_code=self.pbx.area_code,
                local_dialing=self.pbx.local_dialing,
                extension_length=self.pbx.extension_length,
                did_ranges=tuple(DidRange(**did) for did in self.pbx.did_ranges),
            )
        except (ProfileError, TypeError) as exc:
            raise ConfigError(f"{self.source}: [pbx] {exc}") from exc


_CHOICES = {
    ("relay", "number_format"): {"e164", "national", "dial_string"},
    ("logging", "format"): {"auto", "json", "console"},
    ("logging", "level"): {"debug", "info", "warning", "error"},
}


def load_config(path: str | os.PathLike | None = None) -> Config:
    """Read ``path`` (or $FAXGATE_CONFIG); with neither, the built-in defaults."""
    path = path or os.environ.get(CONFIG_ENV)
    if not path:
        return Config()
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{file}: configuration file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    return _build(data, str(file))


def config_from_dict(data: dict[str, Any], source: str) -> Config:
    """A configuration handed over as plain data (e.g. to a child process), validated again."""
    return _build(data, source)


def _build(data: dict[str, Any], source: str) -> Config:
    sections = {f.name: f for f in fields(Config) if f.name != "source"}
    built: dict[str, Any] = {}
    for name, value in data.items():
        if name == "directory":  # its one key became the policy's: the audit and the screening share one rule
            raise ConfigError(f"{source}: [directory] stale_days is now the policy's [screening] stale_days "
                              "(one limit for the audit and the screening): move it to the policy file")
        if name not in sections:
            raise ConfigError(f"{source}: unknown section [{name}] (known: {', '.join(sorted(sections))})")
        if not isinstance(value, dict):
            raise ConfigError(f"{source}: [{name}] must be a table")
        built[name] = _section(sections[name].default_factory, name, value, source)
    config = Config(**built, source=source)
    config.pbx_profile()  # validate now, not at first use
    if config.records.checkpoint_every < 1 or config.records.checkpoint_seconds < 1:
        raise ConfigError(f"{source}: [records] checkpoint_every and checkpoint_seconds must be at least 1")
    if config.mail.notice_retry_seconds < 1 or config.mail.notice_tries < 1:
        raise ConfigError(f"{source}: [mail] notice_retry_seconds and notice_tries must be at least 1")
    if config.mail.approver_mail not in ("each", "daily") or not 0 <= config.mail.approver_digest_hour <= 23:
        raise ConfigError(f"{source}: [mail] approver_mail must be \"each\" or \"daily\" and "
                          "approver_digest_hour an hour from 0 to 23")
    if config.records.tsa_timeout_seconds < 1 or config.records.expiry_warning_days < 0:
        raise ConfigError(f"{source}: [records] tsa_timeout_seconds must be at least 1 and "
                          "expiry_warning_days not negative")
    if config.records.tsa_url and not config.records.tsa_url.startswith(("http://", "https://")):
        raise ConfigError(f"{source}: [records] tsa_url must be an http:// or https:// URL, "
                          f"not {config.records.tsa_url!r}")
    if config.records.pkcs11_module and not config.records.pkcs11_key_label:
        raise ConfigError(f"{source}: [records] pkcs11_key_label is needed with pkcs11_module")
    if config.worker.lease_seconds < 3:
        raise ConfigError(f"{source}: [worker] lease_seconds must be at least 3 (renewed every third)")
    if config.keys.pkcs11_key_label and (config.keys.kek_file or config.keys.kek_env):
        raise ConfigError(f"{source}: [keys] pkcs11_key_label, kek_file and kek_env are alternatives: set one")
    if config.keys.pkcs11_key_label and not (config.keys.pkcs11_module or config.records.pkcs11_module):
        raise ConfigError(f"{source}: [keys] pkcs11_key_label needs pkcs11_module (in [keys] or [records])")
    wrong = ldap_config.problems(config.ldap)
    if wrong:
        raise ConfigError(f"{source}: [ldap] " + "; ".join(wrong))
    return config


def _section(cls, name: str, values: dict[str, Any], source: str):
    defaults = cls()
    known = {f.name for f in fields(cls)}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"{source}: unknown key {key!r} in [{name}] (known: {', '.join(sorted(known))})")
        expected = type(getattr(defaults, key))
        if expected is int and isinstance(value, bool) or not isinstance(value, expected):
            raise ConfigError(
                f"{source}: [{name}] {key} must be {expected.__name__}, not {type(value).__name__} {value!r}"
            )
        choices = _CHOICES.get((name, key))
        if choices and value not in choices:
            raise ConfigError(f"{source}: [{name}] {key} must be one of {sorted(choices)}, not {value!r}")
    return cls(**values)
