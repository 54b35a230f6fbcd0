"""The policy file (TOML): what blocks, what needs approval, time limits. Validated with errors
that name the file and key; its version (label + content hash) is bound into confirmations."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from gateway.core.in_house import InHouse, InHouseError
from gateway.core.retention import Retention, retention_from_table
from gateway.core.screening.chain import RULE_NAMES
from policies.categories import NAMES_JA
from policies.settings import ScreenSettings, settings_from_table

DEFAULT_POLICY = Path(__file__).with_name("default_policy.toml")


class PolicyError(ValueError):
    pass


@dataclass(frozen=True)
class Policy:
    """What the city enforces. `screening` (the `[personal_data]` table: per-category actions,
    the office allow-list, OCR, municipality identifiers) is part of the policy, so changing it
    is a new policy version too."""

    version: str
    broadcast: bool
    stale_days: int
    shadow: frozenset[str]
    approvers: int
    confirmation_ttl_hours: float
    job_ttl_hours: float
    max_attempts: int
    backoff_seconds: tuple[int, ...]
    screening: ScreenSettings = field(default_factory=ScreenSettings)
    preliminary_days: int = 3
    reminder_days: int = 2
    ordinance_sensitive: frozenset[str] = frozenset()
    cover_prepend: str = "never"  # always | never | when_missing: faxgate's own cover sheet as page 1
    retention: Retention = field(default_factory=Retention)  # how long each kind of content is kept
    record_thumbnails: str = "masked"  # masked | none: the page thumbnails in signed records
    in_house: InHouse = field(default_factory=InHouse)  # 庁内便: what goes to a section's inbox instead of the fax


COVER_PREPEND = ("always", "never", "when_missing")
RECORD_THUMBNAILS = ("masked", "none")


_SCHEMA = {
    "intake": {"broadcast": bool},
    "screening": {"stale_days": int, "shadow": list},
    "confirmation": {"approvers": int, "confirmation_ttl_hours": (int, float), "job_ttl_hours": (int, float)},
    "relay": {"max_attempts": int, "backoff_seconds": list},
    "incidents": {"preliminary_days": int, "reminder_days": int, "ordinance_sensitive": list},
    "coversheet": {"prepend": str},
    "records": {"thumbnails": str},
    "in_house": {"inbox_for": list, "inbox_always": list, "inbox_remind_hours": (int, float)},
}


def load_policy(path: str | Path | None = None) -> Policy:
    file = Path(path) if path else DEFAULT_POLICY
    try:
        raw = file.read_bytes()
        data = tomllib.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise PolicyError(f"{file}: policy file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{file}: not valid TOML: {exc}") from None
    values: dict = {}
    screening = ScreenSettings()
    retention = None
    for key, value in data.items():
        if key == "retention":
            if not isinstance(value, dict):
                raise PolicyError(f"{file}: [retention] must be a table")
            try:
                retention = retention_from_table(value)
            except (ValueError, TypeError) as exc:
                raise PolicyError(f"{file}: [retention] {exc}") from None
            continue
        if key == "personal_data":
            try:
                screening = settings_from_table(value)
            except (ValueError, TypeError) as exc:
                raise PolicyError(f"{file}: [personal_data] {exc}") from None
            continue
        if key == "version":
            if not isinstance(value, str) or not value:
                raise PolicyError(f"{file}: version must be a non-empty string")
            continue
        if key not in _SCHEMA or not isinstance(value, dict):
            raise PolicyError(f"{file}: unknown section [{key}] (known: {', '.join(_SCHEMA)}, personal_data)")
        for name, item in value.items():
            expected = _SCHEMA[key].get(name)
            if expected is None:
                raise PolicyError(f"{file}: unknown key {name!r} in [{key}]")
            if isinstance(item, bool) and expected is not bool or not isinstance(item, expected):
                raise PolicyError(f"{file}: [{key}] {name} has the wrong type ({type(item).__name__})")
            values[name] = item
    defaults = tomllib.loads(DEFAULT_POLICY.read_text(encoding="utf-8")) if file != DEFAULT_POLICY else data
    merged = {name: item for section in _SCHEMA for name, item in defaults.get(section, {}).items()} | values
    unknown_rules = set(merged["shadow"]) - set(RULE_NAMES)
    if unknown_rules:
        raise PolicyError(f"{file}: [screening] shadow names unknown rules: {', '.join(sorted(unknown_rules))}")
    if merged["approvers"] < 1:
        raise PolicyError(f"{file}: [confirmation] approvers must be at least 1 (two people check every fax)")
    if merged["max_attempts"] < 1 or not merged["backoff_seconds"] or any(
        not isinstance(s, int) or s < 0 for s in merged["backoff_seconds"]
    ):
        raise PolicyError(f"{file}: [relay] max_attempts ≥ 1 and backoff_seconds a list of seconds")
    unknown_categories = set(merged["ordinance_sensitive"]) - set(NAMES_JA)
    if unknown_categories:
        raise PolicyError(f"{file}: [incidents] ordinance_sensitive names unknown categories: "
                          f"{', '.join(sorted(map(str, unknown_categories)))} (known: {', '.join(NAMES_JA)})")
    if merged["preliminary_days"] < 0 or merged["reminder_days"] < 0:
        raise PolicyError(f"{file}: [incidents] preliminary_days and reminder_days are days, 0 or more")
    if merged["prepend"] not in COVER_PREPEND:
        raise PolicyError(f"{file}: [coversheet] prepend must be one of {', '.join(COVER_PREPEND)}, "
                          f"not {merged['prepend']!r}")
    if merged["thumbnails"] not in RECORD_THUMBNAILS:
        raise PolicyError(f"{file}: [records] thumbnails must be one of {', '.join(RECORD_THUMBNAILS)}, "
                          f"not {merged['thumbnails']!r}")
    try:
        in_house = InHouse.of(merged["inbox_for"], merged["inbox_always"], merged["inbox_remind_hours"])
    except InHouseError as exc:
        raise PolicyError(f"{file}: [in_house] {exc}") from None
    if retention is None:  # not in this file: the shipped defaults
        retention = retention_from_table(defaults.get("retention", {}))
    label = data.get("version", "custom")
    return Policy(
        version=f"{label}+{hashlib.sha256(raw).hexdigest()[:12]}",
        broadcast=merged["broadcast"],
        stale_days=merged["stale_days"],
        shadow=frozenset(merged["shadow"]),
        approvers=merged["approvers"],
        confirmation_ttl_hours=float(merged["confirmation_ttl_hours"]),
        job_ttl_hours=float(merged["job_ttl_hours"]),
        max_attempts=merged["max_attempts"],
        backoff_seconds=tuple(merged["backoff_seconds"]),
        screening=screening,
        preliminary_days=merged["preliminary_days"],
        reminder_days=merged["reminder_days"],
        # What screening counts as 条例要配慮 is reportable under rule 43 item 5 too.
        ordinance_sensitive=frozenset(merged["ordinance_sensitive"]) | screening.ordinance_sensitive,
        cover_prepend=merged["prepend"],
        retention=retention,
        record_thumbnails=merged["thumbnails"],
        in_house=in_house,
    )
