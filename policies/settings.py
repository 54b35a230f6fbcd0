"""How an office screens: its allow-list, what each category of personal data does to a job,
the resolution pages are judged at, the limits, OCR. Every setting has a default, so
`ScreenSettings()` screens with the shipped policy and an empty allow-list.

`settings_from_table` reads the same settings from a TOML table (a section of a config
file, or a file of its own for `faxgate scan --settings`):

    resolution = "fine"              # or "standard": judge pages as a standard-mode fax
    time_limit_seconds = 300
    privacy_officer_for = ["masked", "sensitive"]   # findings for which a privacy officer approves
    ordinance_sensitive = ["nationality", "domestic_violence"]   # 条例要配慮個人情報 (Setagaya's, the default)
    [categories]                     # block | extra_approver | allow
    health = "extra_approver"
    [office]
    organisations = ["世田谷区 保健福祉課"]
    addresses = ["東京都世田谷区世田谷4-21-27"]
    numbers = ["03-5432-1111", "03-5432-1112"]
    staff = ["佐藤 一郎"]
    email_domains = ["city.setagaya.example.jp"]
    bank_accounts = []
    [ocr]
    timeout_seconds = 60
    min_confidence = 60
    [[identifiers]]                  # a municipality's own numbers
    category = "addressee_number"
    labels = ["宛名番号"]
    value = '\\d{10}'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from policies.allowlist import AllowList
from policies.categories import DEFAULT_ORDINANCE, IDENTIFYING, NAMES_JA, ORDINANCE, SENSITIVE
from policies.ocr import OcrSettings
from policies.documents.model import DPI, PageLimits
from policies.recognizers import IdentifierPattern

ACTIONS = ("block", "extra_approver", "allow")
# What in a job's findings makes a privacy officer one of its approvers: any masked value, any
# sensitive category (要配慮個人情報), or a category by name.
PRIVACY_OFFICER_TRIGGERS = ("masked", "sensitive")
# Identifiers block unless masked. Sensitive data on its own, with every identifier masked,
# identifies nobody (personal-data.md); it needs one more approver. Next to an unmasked
# identifier it blocks (see policies.screen).
DEFAULT_ACTIONS = MappingProxyType({**{c: "block" for c in IDENTIFYING}, **{c: "extra_approver" for c in SENSITIVE}})


@dataclass(frozen=True)
class ScreenSettings:
    allow: AllowList = AllowList()
    categories: Mapping[str, str] = field(default_factory=dict)  # category → action; others: DEFAULT_ACTIONS
    resolution: str = "fine"
    limits: PageLimits = PageLimits()
    ocr: OcrSettings = OcrSettings()
    identifiers: tuple[IdentifierPattern, ...] = ()
    time_limit_seconds: float = 300.0  # the whole document, OCR included
    privacy_officer_for: tuple[str, ...] = ()  # PRIVACY_OFFICER_TRIGGERS or category names
    # What the municipality's ordinance makes sensitive (条例要配慮個人情報): of ORDINANCE
    ordinance_sensitive: frozenset[str] = frozenset(DEFAULT_ORDINANCE)
    _actions: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        if self.resolution not in DPI:
            raise ValueError(f"resolution must be one of {sorted(DPI)}, not {self.resolution!r}")
        unknown = set(self.categories) - set(NAMES_JA)
        if unknown:
            raise ValueError(f"unknown categories: {', '.join(sorted(unknown))} (known: {', '.join(NAMES_JA)})")
        wrong = {c: a for c, a in self.categories.items() if a not in ACTIONS}
        if wrong:
            raise ValueError(f"category actions must be one of {ACTIONS}: {wrong}")
        if not (0 < self.time_limit_seconds < 86400):
            raise ValueError("time_limit_seconds must be between 0 and 86400")
        if isinstance(self.privacy_officer_for, str):
            raise ValueError("privacy_officer_for must be a list")
        triggers = set(self.privacy_officer_for) - set(PRIVACY_OFFICER_TRIGGERS) - set(NAMES_JA)
        if triggers:
            raise ValueError(f"privacy_officer_for: unknown {', '.join(sorted(map(str, triggers)))} "
                             f"(known: {', '.join(PRIVACY_OFFICER_TRIGGERS)} or a category: {', '.join(NAMES_JA)})")
        if isinstance(self.ordinance_sensitive, str):
            raise ValueError("ordinance_sensitive must be a list")
        not_ordinance = set(self.ordinance_sensitive) - ORDINANCE
        if not_ordinance:
            raise ValueError(f"ordinance_sensitive: unknown {', '.join(sorted(map(str, not_ordinance)))} "
                             f"(known: {', '.join(sorted(ORDINANCE))})")
        object.__setattr__(self, "ordinance_sensitive", frozenset(self.ordinance_sensitive))
        object.__setattr__(self, "identifiers", tuple(self.identifiers))
        object.__setattr__(self, "privacy_officer_for", tuple(self.privacy_officer_for))
        object.__setattr__(self, "_actions", MappingProxyType({**DEFAULT_ACTIONS, **self.categories}))

    def action(self, category: str) -> str:
        return self._actions[category]

    def needs_privacy_officer(self, category: str, sensitive: bool, masked: bool) -> bool:
        """Whether a finding like this makes a privacy officer one of the job's approvers."""
        triggers = self.privacy_officer_for
        return (masked and "masked" in triggers) or (sensitive and "sensitive" in triggers) or category in triggers

    def with_directory(self, numbers=(), organisations=()) -> "ScreenSettings":
        """These settings with the approved directory's destinations allowed too."""
        return dataclasses.replace(self, allow=self.allow.with_directory(tuple(numbers), tuple(organisations)))


_TOP_KEYS = {"resolution", "time_limit_seconds", "categories", "office", "ocr", "identifiers", "privacy_officer_for",
             "ordinance_sensitive"}


def settings_from_table(table: Mapping) -> ScreenSettings:
    """ScreenSettings from a parsed TOML table; ValueError names the key that is wrong."""
    unknown = set(table) - _TOP_KEYS
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)} (known: {sorted(_TOP_KEYS)})")
    values: dict = {}
    if "resolution" in table:
        values["resolution"] = table["resolution"]
    if "time_limit_seconds" in table:
        values["time_limit_seconds"] = _number(table["time_limit_seconds"], "time_limit_seconds")
    if "categories" in table:
        values["categories"] = dict(_table(table["categories"], "categories"))
    if "privacy_officer_for" in table:
        if not isinstance(table["privacy_officer_for"], list):
            raise ValueError("privacy_officer_for must be a list")
        values["privacy_officer_for"] = tuple(table["privacy_officer_for"])
    if "ordinance_sensitive" in table:
        if not isinstance(table["ordinance_sensitive"], list):
            raise ValueError("ordinance_sensitive must be a list")
        values["ordinance_sensitive"] = frozenset(table["ordinance_sensitive"])
    if "office" in table:
        values["allow"] = AllowList(**_fields_of(AllowList, _table(table["office"], "office"), "office"))
    if "ocr" in table:
        values["ocr"] = OcrSettings(**_fields_of(OcrSettings, _table(table["ocr"], "ocr"), "ocr"))
    if "identifiers" in table:
        if not isinstance(table["identifiers"], list):
            raise ValueError("identifiers must be an array of tables")
        values["identifiers"] = tuple(
            IdentifierPattern(**_fields_of(IdentifierPattern, _table(item, "identifiers"), "identifiers"))
            for item in table["identifiers"]
        )
    return ScreenSettings(**values)


def _table(value, name: str) -> Mapping:
    if not isinstance(value, Mapping):
        raise ValueError(f"{name} must be a table")
    return value


def _number(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number")
    return float(value)


def _fields_of(cls, table: Mapping, name: str) -> dict:
    known = {f.name for f in dataclasses.fields(cls) if f.init}
    unknown = set(table) - known
    if unknown:
        raise ValueError(f"[{name}] unknown keys {sorted(unknown)} (known: {sorted(known)})")
    return {key: tuple(value) if isinstance(value, list) else value for key, value in table.items()}
