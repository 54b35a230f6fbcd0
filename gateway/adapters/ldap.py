"""Checking a password against the directory server (ldap3): bind as the person, read their
e-mail address and groups. The password is only ever handed to the server, never kept.

Whatever the person typed is escaped before it reaches a filter (RFC 4515) or a DN (RFC 4514),
so a name like ``*)(uid=*`` finds nobody rather than everybody. An empty password is refused
before any bind: to an LDAP server a simple bind with a DN and no password is an anonymous
bind, which succeeds (RFC 4513 5.1.2)."""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass

from ldap3 import BASE, NONE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn

from gateway.adapters.ldap_config import LdapConfig, normalize_dn

INVALID_CREDENTIALS = 49
NAME_MAX = 256


@dataclass(frozen=True)
class DirectoryAccount:
    name: str  # the name attribute (uid, sAMAccountName): the faxgate user name
    email: str | None
    dn: str
    groups: tuple[str, ...]  # normalized DNs


class DirectoryUnavailable(Exception):
    """The server could not be asked (down, too slow, TLS refused, service account refused):
    nobody signs in through it until it answers again."""


def user_filter(config: LdapConfig, name: str) -> str:
    return config.user_filter.replace("{name}", escape_filter_chars(name))


def user_dn(config: LdapConfig, name: str) -> str:
    return config.user_dn_template.replace("{name}", escape_rdn(name))


def group_filter(config: LdapConfig, dn: str) -> str:
    return config.group_filter.replace("{dn}", escape_filter_chars(dn))


class LdapDirectory:
    def __init__(self, config: LdapConfig):
        self.config = config

    def _server(self) -> Server:
        """Made for each sign-in, so a CA file fixed on disk counts at once (and a missing one
        is the server being unavailable, not a crash)."""
        tls = None
        if self.config.start_tls or self.config.url.startswith("ldaps://"):
            tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=self.config.ca_file or None)
        return Server(self.config.url, connect_timeout=self.config.timeout_seconds, tls=tls, get_info=NONE)

    def authenticate(self, name: str, password: str) -> DirectoryAccount | None:
        """The person's account when the password is theirs; None when the name or the password
        is wrong (the same answer for both); DirectoryUnavailable when the server cannot say."""
        if not name or not password or len(name) > NAME_MAX:
            return None
        try:
            server = self._server()
            if self.config.searches:
                return self._search_then_bind(server, name, password)
            return self._bind_directly(server, name, password)
        except LDAPException as exc:
            raise DirectoryUnavailable(f"{type(exc).__name__}: {exc}") from None

    def _connect(self, server: Server, dn: str, password: str) -> Connection | None:
        """A bound connection, or None for wrong credentials."""
        connection = Connection(server, user=dn, password=password, read_only=True, raise_exceptions=False,
                                receive_timeout=self.config.timeout_seconds)
        connection.open()
        if self.config.start_tls and not connection.start_tls():
            connection.unbind()
            raise DirectoryUnavailable(f"StartTLS refused: {connection.result}")
        if connection.bind():
            return connection
        code = connection.result.get("result")
        connection.unbind()
        if code == INVALID_CREDENTIALS:
            return None
        raise DirectoryUnavailable(f"bind answered {connection.result.get('description')}")

    def _bind_directly(self, server: Server, name: str, password: str) -> DirectoryAccount | None:
        dn = user_dn(self.config, name)
        connection = self._connect(server, dn, password)
        if connection is None:
            return None
        try:
            if not connection.search(dn, "(objectClass=*)", BASE, attributes=self._attributes()) or \
                    len(connection.entries) != 1:
                raise DirectoryUnavailable(f"cannot read own entry: {connection.result.get('description')}")
            return self._account(connection, connection.entries[0])
        finally:
            connection.unbind()

    def _search_then_bind(self, server: Server, name: str, password: str) -> DirectoryAccount | None:
        service_password = os.environ.get(self.config.bind_password_env, "")
        if not service_password:
            raise DirectoryUnavailable(f"the service account's password is not set (${self.config.bind_password_env})")
        service = self._connect(server, self.config.bind_dn, service_password)
        if service is None:
            raise DirectoryUnavailable("the service account's password was refused")
        try:
            found = service.search(self.config.user_base, user_filter(self.config, name), SUBTREE,
                                   attributes=self._attributes(), size_limit=2)
            if not found and service.result.get("description") not in ("success", "noSuchObject"):
                raise DirectoryUnavailable(f"search answered {service.result.get('description')}")
            if len(service.entries) != 1:  # nobody, or a filter that is not unique: nobody signs in
                return None
            entry = service.entries[0]
            person = self._connect(server, entry.entry_dn, password)
            if person is None:
                return None
            person.unbind()
            return self._account(service, entry)
        finally:
            service.unbind()

    def _attributes(self) -> list[str]:
        return [self.config.name_attribute, self.config.email_attribute]

    def _account(self, connection: Connection, entry) -> DirectoryAccount:
        """The entry's name, e-mail and groups (read with ``connection``)."""
        if not connection.search(self.config.group_base, group_filter(self.config, entry.entry_dn), SUBTREE,
                                 attributes=[]) and connection.result.get("description") != "success":
            raise DirectoryUnavailable(f"group search answered {connection.result.get('description')}")
        groups = tuple(normalize_dn(group.entry_dn) for group in connection.entries)
        return DirectoryAccount(_first(entry, self.config.name_attribute), _first(entry, self.config.email_attribute),
                                entry.entry_dn, groups)


def _first(entry, attribute: str) -> str | None:
    """The attribute's first value; attribute names are case-insensitive (sAMAccountName)."""
    values = next((v for k, v in entry.entry_attributes_as_dict.items() if k.lower() == attribute.lower()), None)
    return str(values[0]) if values else None
