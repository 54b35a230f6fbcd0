"""Whether a wrong send must be reported to the Personal Information Protection Commission,
and by when: the Act on the Protection of Personal Information art. 68 and its enforcement
rules 43 (what is reportable) and 44 (preliminary report "promptly", final report within 30
days of learning of it, 60 for item 3). Plain domain code: facts in, assessment out.

Masked values on the sent pages were not disclosed, so only unmasked findings count.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from policies.categories import NAMES_JA

# Rule 43 item 2: data whose misuse can cause financial damage.
FINANCIAL = frozenset({"bank_account", "credit_card"})
# Categories that single out one person: the estimate of how many persons the pages concern
# counts the distinct values of the most numerous of them.
PERSON_KEYS = ("name", "my_number", "resident_code", "addressee_number", "insurance_number", "pension_number",
               "passport", "drivers_license", "residence_card")
PERSONS_THRESHOLD = 100  # item 4: more than 100 persons
FINAL_DAYS, FINAL_DAYS_MALICIOUS = 30, 60


@dataclass(frozen=True)
class Exposure:
    """What the sent pages disclosed, from the job's screening findings."""

    categories: frozenset[str]
    sensitive: frozenset[str]
    persons_estimate: int

    @classmethod
    def from_findings(cls, findings: list[dict]) -> Exposure:
        shown = [f for f in findings if not f.get("masked")]
        categories = frozenset(f["category"] for f in shown)
        sensitive = frozenset(f["category"] for f in shown if f.get("sensitive"))
        distinct = {key: {f.get("text", "") for f in shown if f["category"] == key} for key in PERSON_KEYS}
        persons = max((len(values) for values in distinct.values()), default=0)
        if persons == 0 and categories:
            persons = 1  # personal data about someone, though the pages do not name them
        return cls(categories, sensitive, persons)


@dataclass(frozen=True)
class Item:
    number: int
    applies: bool
    why_ja: str


@dataclass(frozen=True)
class Assessment:
    items: tuple[Item, ...]
    learned_on: dt.date
    preliminary_due: dt.date
    final_due: dt.date
    overdue: tuple[str, ...] = field(default=())

    @property
    def reportable(self) -> bool:
        return any(item.applies for item in self.items)

    @property
    def applicable(self) -> list[int]:
        return [item.number for item in self.items if item.applies]


def assess(
    exposure: Exposure,
    *,
    persons: int,
    malicious: bool,
    financial_risk: bool | None,
    ordinance_categories: frozenset[str],
    learned_on: dt.date,
    preliminary_due: dt.date | None,
    preliminary_days: int,
    today: dt.date | None = None,
    preliminary_done: bool = False,
    final_done: bool = False,
) -> Assessment:
    """`persons`, `malicious` and `financial_risk` are the office's judgement (financial_risk
    None: judged from the categories); `preliminary_due` the date the office set, else
    `preliminary_days` after learning of it ("promptly": the PPC guidelines read 3-5 days)."""
    financial = _names(exposure.categories & FINANCIAL)
    ordinance = _names(exposure.categories & ordinance_categories)
    item2 = bool(financial) if financial_risk is None else financial_risk
    items = (
        Item(1, bool(exposure.sensitive),
             f"要配慮個人情報（{'、'.join(_names(exposure.sensitive))}）が含まれる" if exposure.sensitive
             else "要配慮個人情報は見つかっていない"),
        Item(2, item2,
             f"財産的被害のおそれがある情報（{'、'.join(financial)}）が含まれる" if item2 and financial
             else "財産的被害のおそれがあると判断された" if item2 else "財産的被害のおそれがある情報は見つかっていない"),
        Item(3, malicious, "不正の目的によるおそれがあると判断された" if malicious else "誤送信であり、不正の目的によるものではない"),
        Item(4, persons > PERSONS_THRESHOLD, f"本人の数は{persons}人（100人を超える場合に該当）"),
        Item(5, bool(ordinance),
             f"条例要配慮個人情報（{'、'.join(ordinance)}）が含まれる" if ordinance else "条例要配慮個人情報は見つかっていない"),
    )
    final_due = learned_on + dt.timedelta(days=FINAL_DAYS_MALICIOUS if malicious else FINAL_DAYS)
    preliminary = preliminary_due or learned_on + dt.timedelta(days=preliminary_days)
    overdue: list[str] = []
    if today is not None and any(item.applies for item in items):
        if not preliminary_done and today > preliminary:
            overdue.append("preliminary")
        if not final_done and today > final_due:
            overdue.append("final")
    return Assessment(items, learned_on, preliminary, final_due, tuple(overdue))


def _names(categories) -> list[str]:
    return [NAMES_JA.get(c, c) for c in sorted(categories)]


def reminders_due(assessment: Assessment, today: dt.date, *, preliminary_done: bool, final_done: bool,
                  warn_days: int = 2) -> list[tuple[str, dt.date]]:
    """The reports whose deadline is within `warn_days` (or past) and not yet filed."""
    if not assessment.reportable:
        return []
    due = []
    if not preliminary_done and (assessment.preliminary_due - today).days <= warn_days:
        due.append(("preliminary", assessment.preliminary_due))
    if not final_done and (assessment.final_due - today).days <= warn_days:
        due.append(("final", assessment.final_due))
    return due
