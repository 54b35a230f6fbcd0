"""The `[ldap]` configuration section (a directory server, OpenLDAP or Active Directory, as the
source of staff accounts) and the plain rule that turns a person's groups into a faxgate role,
department and privacy officer.

    [ldap]
    url = "ldap://ad.city.example.jp"          # or ldaps://…:636; "" = no directory server
    start_tls = true
    ca_file = "/etc/faxgate/city-ca.pem"       # verifies the server's certificate
    # Either bind directly with a DN made from the name typed at sign-in …
    user_dn_template = "uid={name},ou=people,dc=city,dc=example,dc=jp"
    # … or find the person with a service account first (Active Directory):
    bind_dn = "cn=faxgate,ou=services,dc=city,dc=example,dc=jp"
    bind_password_env = "FAXGATE_LDAP_PASSWORD"
    user_base = "ou=people,dc=city,dc=example,dc=jp"
    user_filter = "(sAMAccountName={name})"
    group_base = "ou=groups,dc=city,dc=example,dc=jp"
    [[ldap.groups]]                            # first group that gives a role decides it
    group = "cn=fax-approvers-hoken,ou=groups,dc=city,dc=example,dc=jp"
    role = "approver"
    department = "保健福祉課"
    [[ldap.groups]]
    group = "cn=privacy-officers,ou=groups,dc=city,dc=example,dc=jp"
    privacy_officer = true
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

# ldap3 (~70 ms) and gateway.services.users are imported where used, not here: every command reads the
# configuration, and most never need a directory server.
_GROUP_KEYS = {"group", "role", "department", "privacy_officer"}


@dataclass(frozen=True)
class GroupRule:
    group: str  # the group's DN, normalized (see normalize_dn)
    role: str = ""  # "" = this group gives no role
    department: str = ""
    privacy_officer: bool = False


@dataclass(frozen=True)
class LdapConfig:
    url: str = ""
    start_tls: bool = False
    ca_file: str = ""  # PEM CA certificates; "" = the system's
    timeout_seconds: int = 5  # connecting, and each answer
    user_dn_template: str = ""
    bind_dn: str = ""
    bind_password_env: str = "FAXGATE_LDAP_PASSWORD"  # the variable holding the service account's password
    user_base: str = ""
    user_filter: str = "(uid={name})"
    name_attribute: str = "uid"  # AD: sAMAccountName
    email_attribute: str = "mail"
    group_base: str = ""
    group_filter: str = "(member={dn})"  # AD with nested groups: (member:1.2.840.113556.1.4.1941:={dn})
    groups: list = field(default_factory=list)

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    @property
    def searches(self) -> bool:
        """Search-then-bind with the service account, rather than a DN made from the name."""
        return not self.user_dn_template

    def rules(self) -> tuple[GroupRule, ...]:
        return tuple(GroupRule(normalize_dn(g["group"]), g.get("role", ""), g.get("department", ""),
                               g.get("privacy_officer", False)) for g in self.groups)


def normalize_dn(dn: str) -> str:
    """A DN as compared: attribute names and values lower-cased, no spaces around separators
    (directory servers compare these case-insensitively)."""
    from ldap3.utils.dn import parse_dn

    return ",".join(f"{attr.strip().lower()}={value.strip().lower()}" for attr, value, _sep in parse_dn(dn, strip=True))


def problems(config: LdapConfig) -> list[str]:
    """What is wrong with an [ldap] section, each naming the key; empty when usable."""
    if not config.enabled:
        return []
    from ldap3.core.exceptions import LDAPInvalidDnError
    from ldap3.utils.dn import parse_dn

    from gateway.core.access import ROLES

    found = []
    if not config.url.startswith(("ldap://", "ldaps://")):
        found.append(f"url must start with ldap:// or ldaps://, not {config.url!r}")
    if config.start_tls and config.url.startswith("ldaps://"):
        found.append("start_tls is for ldap:// (ldaps:// is TLS already)")
    if not 1 <= config.timeout_seconds <= 60:
        found.append("timeout_seconds must be between 1 and 60")
    if config.user_dn_template:
        if "{name}" not in config.user_dn_template:
            found.append("user_dn_template must contain {name}")
    elif not (config.bind_dn and config.user_base):
        found.append("give user_dn_template, or bind_dn and user_base (search with a service account)")
    if config.searches and "{name}" not in config.user_filter:
        found.append("user_filter must contain {name}")
    if "{dn}" not in config.group_filter:
        found.append("group_filter must contain {dn}")
    if not config.group_base:
        found.append("group_base is needed: the groups decide who may use faxgate")
    if not config.groups:
        found.append("no [[ldap.groups]]: nobody would get a role")
    for number, rule in enumerate(config.groups, start=1):
        where = f"[[ldap.groups]] #{number}"
        if not isinstance(rule, dict):
            found.append(f"{where} must be a table")
            continue
        unknown = set(rule) - _GROUP_KEYS
        if unknown:
            found.append(f"{where}: unknown keys {sorted(unknown)} (known: {sorted(_GROUP_KEYS)})")
        group = rule.get("group")
        try:
            if not isinstance(group, str) or not parse_dn(group, strip=True):
                raise LDAPInvalidDnError(group)
        except LDAPInvalidDnError:
            found.append(f"{where}: group must be a group's DN, not {group!r}")
        if rule.get("role", "") not in ("", *ROLES):
            found.append(f"{where}: role must be one of {', '.join(ROLES)}")
        if not isinstance(rule.get("department", ""), str) or not isinstance(rule.get("privacy_officer", False), bool):
            found.append(f"{where}: department is text and privacy_officer true or false")
        if not rule.get("role") and not rule.get("privacy_officer"):
            found.append(f"{where}: give a role or privacy_officer = true")
    return found


@dataclass(frozen=True)
class Membership:
    role: str
    department: str
    privacy_officer: bool


def membership(groups: Iterable[str], rules: tuple[GroupRule, ...]) -> Membership | None:
    """What a person with these groups (normalized DNs) is in faxgate, or None when no group
    gives them a role (they may not use faxgate). The rules are read in the configured order:
    the first matching rule with a role decides the role, the first with a department the
    department. A privacy officer must be an approver (they confirm as one)."""
    mine = set(groups)
    matching = [rule for rule in rules if rule.group in mine]
    role = next((rule.role for rule in matching if rule.role), None)
    if role is None:
        return None
    department = next((rule.department for rule in matching if rule.department), "")
    officer = role == "approver" and any(rule.privacy_officer for rule in matching)
    return Membership(role, department, officer)
