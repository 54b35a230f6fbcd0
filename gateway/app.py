"""The composition root: builds faxgate's parts from the configuration, once, on demand."""

from __future__ import annotations

import dataclasses
from contextlib import contextmanager
from functools import cached_property
from typing import Iterator

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from directory.profile import PbxProfile
from gateway import db
from gateway.config import Config
from gateway.coversheet import cover_number_matches
from gateway.ldap_client import LdapDirectory
from gateway.message import MessageLimits
from gateway.notices import Notifier
from gateway.policy import Policy, load_policy
from gateway.relay import Relay, parse_relay_url
from gateway.relay_hylafax import HylafaxRelay
from gateway.relay_smtp import SmtpRelay
from policies.pages import PageLimits, load_document
from policies.settings import ScreenSettings


class App:
    def __init__(self, config: Config):
        self.config = config

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
    def directory_server(self) -> LdapDirectory | None:
        """Where staff sign in when [ldap] names a server; None: local passwords only."""
        return LdapDirectory(self.config.ldap) if self.config.ldap.enabled else None

    @cached_property
    def notifier(self) -> Notifier:
        sender = self.config.mail.sender or f"faxgate@{self.config.smtp.domain}"
        return Notifier(self.config.mail.url, sender, self.public_url)

    @cached_property
    def relay(self) -> Relay:
        scheme, host, port = parse_relay_url(self.config.relay.url)
        if scheme == "hylafax":
            return HylafaxRelay(host, port)
        sender = self.config.relay.sender or f"faxgate@{self.config.smtp.domain}"
        return SmtpRelay(host, port, sender, self.config.relay.domain or host)

    def signing_key(self):
        """The records' signing key; loaded on use so a missing key only stops record signing
        (with its clear error), never intake or screening."""
        from gateway.signing import load_signing_key  # pyHanko is slow to import: only where used

        return load_signing_key(self.config.records)

    def check_cover(self, text, image, e164, *, dial_string=None):
        own = [self.config.coversheet.fax] if self.config.coversheet.fax else []
        return cover_number_matches(text, image, e164, dial_string=dial_string, own_numbers=own)

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
