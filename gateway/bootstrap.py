"""The composition root: builds faxgate's parts from the configuration, once, on demand."""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from contextlib import contextmanager
from functools import cached_property

from directory.profile import PbxProfile
from gateway.storage import db, kek
from gateway.config import Config
from gateway.core.coversheet import addressee_mismatch, cover_number_matches
from gateway.adapters.ldap import LdapDirectory
from gateway.core.message import MessageLimits
from gateway.adapters.metrics import Metrics
from gateway.adapters.notices import Notifier
from gateway.core.policy_file import Policy, load_policy
from gateway.adapters.relay import Relay, parse_relay_url
from gateway.adapters.relay_hylafax import HylafaxRelay
from gateway.adapters.relay_smtp import SmtpRelay
from gateway.storage.uow import UnitOfWork
from gateway.services import leases
from policies.documents.load import load_document
from policies.documents.model import PageLimits
from policies.settings import ScreenSettings


class App:
    # The signing key is looked at again at most this often for /readyz; sooner while it cannot
    # be used, so readiness comes back soon after the key is fixed.
    SIGNING_CHECK_SECONDS = 600
    SIGNING_RECHECK_SECONDS = 10

    # The key-encryption key is checked again (file, and that it is this database's) this often.
    KEK_CHECK_SECONDS = 5

    def __init__(self, config: Config):
        self.config = config
        self._signing_checked: tuple[float, object, tuple[str, str] | None] = (float("-inf"), None, None)
        self._keyring: tuple[object, kek.Keyring] | None = None  # (what it was read from, the keyring)
        self._keyring_lock = threading.Lock()
        self._kek_checked: tuple[float, kek.AtRestKeyError | None] = (float("-inf"), None)

    @cached_property
    def profile(self) -> PbxProfile:
        return self.config.pbx_profile()

    @cached_property
    def policy(self) -> Policy:
        return load_policy(self.config.policy.file or None)

    @cached_property
    def message_limits(self) -> MessageLimits:
        return MessageLimits(max_message_bytes=self.config.smtp.max_message_mb * 1024 * 1024)

    @cached_property
    def page_limits(self) -> PageLimits:
        return PageLimits()

    @cached_property
    def screen_settings(self) -> ScreenSettings:
        return dataclasses.replace(self.policy.screening, limits=self.page_limits)

    def load_document(self, data: bytes, resolution: str = "fine"):
        return load_document(data, self.page_limits, resolution)

    @property
    def public_url(self) -> str:
        return self.config.http.public_url or f"http://{self.config.http.host}:{self.config.http.port}"

    @cached_property
    def metrics(self) -> Metrics:
        return Metrics()

    @cached_property
    def directory_server(self) -> LdapDirectory | None:
        """Where staff sign in when [ldap] names a server; None: local passwords only."""
        return LdapDirectory(self.config.ldap) if self.config.ldap.enabled else None

    @cached_property
    def notifier(self) -> Notifier:
        sender = self.config.mail.sender or f"faxgate@{self.config.smtp.domain}"
        return Notifier(self.config.mail.url, sender, self.public_url)

    @property
    def relay_sender(self) -> str:
        return self.config.relay.sender or f"faxgate@{self.config.smtp.domain}"

    @property
    def report_address(self) -> str:
        """Where the fax server's delivery status notifications come back to (the intake reads them)."""
        return (self.config.relay.report_address or self.relay_sender).lower()

    @cached_property
    def relay(self) -> Relay:
        scheme, host, port = parse_relay_url(self.config.relay.url)
        if scheme == "hylafax":
            return HylafaxRelay(host, port)
        return SmtpRelay(host, port, self.relay_sender, self.config.relay.domain or host)

    @contextmanager
    def signing(self):
        """The records' signing key for one signing session (files, or a hardware token whose
        session closes after); loaded on use so a key problem only stops record signing (with
        its clear SigningKeyError), never intake or screening."""
        from gateway.records.keys.source import open_signing  # pyHanko is slow to import: only where used

        with open_signing(self.config.records) as key:
            yield key

    def timestamper(self):
        """The RFC 3161 time stamper for record signatures, or None (`[records] tsa_url`)."""
        from gateway.records.timestamps import timestamper

        return timestamper(self.config.records)

    def signing_expiry_warning(self) -> tuple[str, str] | None:
        """(Japanese, English) when the signing certificate expires within `[records]
        expiry_warning_days`."""
        return self._signing_check()[1]

    def signing_problem(self):
        """The SigningKeyError that keeps records from being signed now, or None."""
        return self._signing_check()[0]

    def _signing_check(self):
        checked_at, problem, warning = self._signing_checked
        every = self.SIGNING_RECHECK_SECONDS if problem else self.SIGNING_CHECK_SECONDS
        if time.monotonic() - checked_at < every:
            return problem, warning
        from gateway.records.keys.base import SigningKeyError
        from gateway.records.pki import expiry_warning

        try:
            with self.signing() as key:
                problem, warning = None, expiry_warning(key.certificate, self.config.records.expiry_warning_days)
        except SigningKeyError as exc:
            problem, warning = exc, None
        self._signing_checked = (time.monotonic(), problem, warning)
        return problem, warning

    def check_cover(self, text, e164, *, dial_string=None, confident=True):
        own = [self.config.coversheet.fax] if self.config.coversheet.fax else []
        return cover_number_matches(text, e164, dial_string=dial_string, own_numbers=own, confident=confident)

    def check_addressee(self, text, entry_name, entry_organization, *, confident=True):
        """The office's own names are never a wrong addressee (a paper addressed to it, passed on)."""
        own = (self.config.coversheet.office_name, *self.policy.screening.allow.organisations)
        return addressee_mismatch(text, entry_name, entry_organization, own_names=[n for n in own if n],
                                  confident=confident)

    @cached_property
    def engine(self):
        engine = db.make_engine(self.config.database.url)
        db.ensure_schema(engine)
        return engine

    def unit_of_work(self, dry_run: bool = False, read_only: bool = False) -> UnitOfWork:
        """One transaction (gateway.storage.uow): committed when the block ends, rolled back if
        it raises or with ``dry_run``; ``read_only`` never takes SQLite's write lock."""
        return UnitOfWork(self.engine, dry_run=dry_run, read_only=read_only, keyring=self.keyring)

    # -- encryption at rest: the key-encryption key

    @property
    def kek_file(self) -> str:
        """Where the KEK file is: `[keys] kek_file`, or beside the records' signing key."""
        return self.config.keys.kek_file or os.path.join(os.path.dirname(self.config.records.key_file), "data-kek.key")

    @cached_property
    def token_keyring(self):
        """The KEK on a PKCS#11 token (`[keys] pkcs11_key_label`), or None; its token settings
        not given in [keys] are the records' token's."""
        keys, records = self.config.keys, self.config.records
        if not keys.pkcs11_key_label:
            return None
        from gateway.storage import kek_token  # needs python-pkcs11: only when configured

        pin_file = keys.pkcs11_pin_file or (records.pkcs11_pin_file if not keys.pkcs11_pin_env else "")
        return kek_token.TokenKeyring(kek_token.TokenSettings(
            module=keys.pkcs11_module or records.pkcs11_module,
            token_label=keys.pkcs11_token_label or records.pkcs11_token_label, key_label=keys.pkcs11_key_label,
            pin=kek_token.pin_reader(pin_file, keys.pkcs11_pin_env or records.pkcs11_pin_env)))

    def keyring(self) -> kek.Keyring:
        """The KEK(s), read again whenever the file changed (after `faxgate keys rotate`). Raises
        kek.AtRestKeyError when missing, unreadable or not this database's (fail closed). The
        embedded default's first start (no file, no data key yet) makes the file."""
        if self.token_keyring is not None:
            return self._token_keyring()
        variable = self.config.keys.kek_env
        try:
            stamp = ("env", variable) if variable else ("file", os.stat(self.kek_file).st_mtime_ns)
        except FileNotFoundError:
            stamp = None
        with self._keyring_lock:
            if stamp is not None and self._keyring and self._keyring[0] == stamp:
                return self._keyring[1]
            keyring = kek.read_env(variable) if variable else self._read_or_make_kek_file()
            self._check_kek(keyring)
            if stamp is None:
                stamp = ("file", os.stat(self.kek_file).st_mtime_ns)
            self._keyring = (stamp, keyring)
            return keyring

    def _token_keyring(self):
        """The keys on the token, listed again after each check (at_rest_problem); with none
        labelled and no data key yet (a first start), the first one is made on the token."""
        with self._keyring_lock:
            if self._keyring is not None:
                return self._keyring[1]
            token = self.token_keyring
            try:
                token.refreshed()
            except kek.AtRestKeyError as exc:
                with self.unit_of_work(read_only=True) as uow:
                    in_use = uow.data_keys.newest_kek()
                if exc.code != "pkcs11_no_key" or in_use is not None:
                    raise
                token.add_key()
            self._check_kek(token)
            self._keyring = (("pkcs11",), token)
            return token

    def _read_or_make_kek_file(self) -> kek.Keyring:
        path = self.kek_file
        if not os.path.exists(path):
            with self.unit_of_work(read_only=True) as uow:
                in_use = uow.data_keys.newest_kek()
            if in_use is not None:  # a new key could open none of the data: never made silently
                raise kek.AtRestKeyError("missing_file", path=path)
            try:
                kek.write_file(path, (kek.new_key(),), create=True)
            except kek.AtRestKeyError as exc:
                if exc.code != "exists":  # another process of this install made it a moment ago
                    raise
        return kek.read_file(path)

    def _check_kek(self, keyring: kek.Keyring) -> None:
        """The keyring must hold the KEK the database is being written with."""
        with self.unit_of_work(read_only=True) as uow:
            in_use = uow.data_keys.newest_kek()
        if in_use is not None and in_use not in keyring.ids:
            raise kek.AtRestKeyError("wrong_key", source=keyring.source, want=in_use)

    def at_rest_problem(self) -> kek.AtRestKeyError | None:
        """Why nothing can be stored or read now (the KEK), or None; looked at again every
        KEK_CHECK_SECONDS, so a fixed key is noticed soon and a key removed or replaced too."""
        checked_at, problem = self._kek_checked
        if time.monotonic() - checked_at < self.KEK_CHECK_SECONDS:
            return problem
        with self._keyring_lock:
            self._keyring = None  # read it again, and check it against the database
        try:
            self.keyring()
            problem = None
        except kek.AtRestKeyError as exc:
            problem = exc
        self._kek_checked = (time.monotonic(), problem)
        return problem

    @cached_property
    def lease_owner(self) -> str:
        """This process's name on the jobs it screens or sends (services.leases)."""
        return leases.new_owner()

    def lease(self) -> leases.Lease:
        """A lease of this process on a job from now for [worker] lease_seconds."""
        return leases.lease(self.lease_owner, self.config.worker.lease_seconds)

