"""What is not personal data at this office: its own name, address, numbers and staff, the
destinations in its approved directory. Set per office (see `policies.settings`); blocking
these would cause the approval fatigue that makes people route around the gateway."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import phonenumbers

from policies.textnorm import normalise


def phone_key(number: str) -> str | None:
    """E.164 of a Japanese phone or fax number in any common spelling, or None."""
    try:
        parsed = phonenumbers.parse(normalise(number).text, "JP")
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def text_key(text: str) -> str:
    """Text as compared: normalised, without spaces, dashes or punctuation."""
    return re.sub(r"[\s\-‐・.,、。()]", "", normalise(text).text)


def _address_key(text: str) -> str:
    """Block numbers written 3丁目12番5号, 3-12-5 or 三丁目十二番五号 compare equal."""
    key = re.sub(r"[\s・.,、。()]", "", normalise(text).text)
    key = re.sub(r"(\d+)(?:丁目|番地|番|号|の)", r"\1-", key)
    return re.sub(r"-+", "-", key).strip("-")


@dataclass(frozen=True)
class AllowList:
    organisations: tuple[str, ...] = ()  # the office's and directory destinations' names
    addresses: tuple[str, ...] = ()  # the office's addresses
    numbers: tuple[str, ...] = ()  # the office's and directory destinations' phone and fax numbers
    staff: tuple[str, ...] = ()  # staff who may appear as the contact person
    email_domains: tuple[str, ...] = ()  # the office's mail domains (city.example.lg.jp)
    bank_accounts: tuple[str, ...] = ()  # the office's own accounts (payment instructions)
    _number_keys: frozenset[str] = field(init=False, repr=False, compare=False)
    _staff_keys: frozenset[str] = field(init=False, repr=False, compare=False)
    _address_keys: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _organisation_keys: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        for name in ("organisations", "addresses", "numbers", "staff", "email_domains", "bank_accounts"):
            value = getattr(self, name)
            if isinstance(value, str) or not all(isinstance(item, str) for item in value):
                raise ValueError(f"AllowList.{name} must be a list of strings")
            object.__setattr__(self, name, tuple(value))
        object.__setattr__(self, "_number_keys", frozenset(k for k in map(phone_key, self.numbers) if k))
        object.__setattr__(self, "_staff_keys", frozenset(text_key(s) for s in self.staff if text_key(s)))
        object.__setattr__(self, "_address_keys", tuple(k for k in map(_address_key, self.addresses) if len(k) >= 4))
        object.__setattr__(self, "_organisation_keys", tuple(k for k in map(text_key, self.organisations) if len(k) >= 2))

    def with_directory(self, numbers: tuple[str, ...] = (), organisations: tuple[str, ...] = ()) -> "AllowList":
        """This list plus the approved directory's destinations."""
        return AllowList(self.organisations + tuple(organisations), self.addresses, self.numbers + tuple(numbers),
                         self.staff, self.email_domains, self.bank_accounts)

    def allows_number(self, e164: str) -> bool:
        return e164 in self._number_keys

    def allows_person(self, name: str) -> bool:
        key = text_key(name)
        return bool(key) and any(key == staff or key in staff or staff in key for staff in self._staff_keys
                                 if min(len(key), len(staff)) >= 2)

    def allows_address(self, address: str) -> bool:
        key = _address_key(address)
        return any(known in key or (len(key) >= 6 and key in known) for known in self._address_keys)

    def names_organisation(self, text: str) -> bool:
        """Whether `text` (a line) names one of the allowed organisations."""
        key = text_key(text)
        return any(organisation in key for organisation in self._organisation_keys)

    def allows_email(self, address: str) -> bool:
        domain = address.rsplit("@", 1)[-1].lower()
        return any(domain == d.lower() or domain.endswith("." + d.lower()) for d in self.email_domains)

    def allows_account(self, digits: str) -> bool:
        return any(re.sub(r"\D", "", account).endswith(digits) for account in self.bank_accounts if digits)
