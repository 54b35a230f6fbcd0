"""The composition root: builds faxgate's parts from the configuration, once, on demand."""

from __future__ import annotations

import dataclasses
import time
from contextlib import contextmanager
from functools import cached_property
from typing import Iterator

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from directory.profile import PbxProfile
from gateway import db
from gateway.config import Config
from gateway.coversheet import addressee_mismatch, cover_number_matches
from gateway.ldap_client import LdapDirectory
from gateway.message import MessageLimits
from gateway.metrics import Metrics
from gateway.notices import Notifier
from gateway.policy import Policy, load_policy
from gateway.relay import Relay, parse_relay_url
from gateway.relay_hylafax import HylafaxRelay
from gateway.relay_smtp import SmtpRelay
from policies.pages import PageLimits, load_document
from policies.settings import ScreenSettings


class App:
    # The signing key is looked at again at most this often for /readyz; sooner while it cannot
    # be used, so readiness comes back soon after the key is fixed.
    SIGNING_CHECK_SECONDS = 600
    SIGNING_RECHECK_SECONDS = 10

    def __init__(self, config: Config):
        self.config = config
        self._signing_checked: tuple[float, object, tuple[str, str] | None] = (float("-inf"), None, None)

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
        from gateway.signing import open_signing  # pyHanko is slow to import: only where used

        with open_signing(self.config.records) as key:
            yield key

    def timestamper(self):
        """The RFC 3161 time stamper for record signatures, or None (`[records] tsa_url`)."""
        from gateway.signing import timestamper

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
        from gateway.signing import SigningKeyError, expiry_warning

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
    def engine(self) -> Engine:
        engine = db.make_engine(self.config.database.url)
        db.ensure_schema(engine)
        return engine

    @contextmanager
    def session(self, dry_run: bool = False) -> Iterator[Session]:
        """One unit of work: committed when the block ends (rolled back if it raises, or when
        ``dry_run`` asks to see the effect without keeping it)."""
        with db.session_factory(self.engine)() as session:
            with session.begin() as transaction:
                yield session
                if dry_run:
                    transaction.rollback()
