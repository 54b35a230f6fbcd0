"""The privacy office's view (`GET /api/stats`, the web page 統計): per office month and
department, what faxgate let through and what it stopped. A job counts in the month (office
time) it was received; a destination refused at once (RCPT 550, an upload's slot) in the month
it was refused.

Near misses (ヒヤリハット) are the wrong numbers caught at the directory: destinations refused at
once and jobs blocked by a destination rule (not in the directory, undialable, retired, stale …),
plus, counted apart, numbers re-entered at confirmation that were not the destination."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from gateway.core.office_time import OFFICE_TIME, in_office_time
from gateway.core.screening import code_of
from gateway.core.screening.rules import CHAIN
from gateway.services.confirm import MASKED_IDENTITY

# The codes of the rules about where the fax goes (not about the document).
DESTINATION_CODES = frozenset(code.code for rule in CHAIN if not rule.about_content for code in rule.codes) - {
    "cover_sheet_failed"}  # faxgate could not add its cover sheet: not a wrong number
MASKED_PREFIX = MASKED_IDENTITY.split("{", 1)[0]  # how a masked resend names its origin
COVER_CODES = frozenset({"cover_number_mismatch"})
ADDRESSEE_CODES = frozenset({"addressee_mismatch"})
# The counters of each month and department, in the order the CSV and the tables show them.
COUNTERS = ("received", "sent", "blocked", "near_misses", "refused_at_directory", "destination_blocks",
            "confirmations_refused", "wrong_number_entries", "cover_mismatches", "addressee_mismatches",
            "masked_resends", "in_house_deliveries", "incidents")
MAX_DAYS = 5 * 366
# The counters as the report to the council names them.
LABELS_JA = {
    "received": "受け付けたファクス", "sent": "送信したファクス", "blocked": "送信前に止めたファクス",
    "near_misses": "ヒヤリハット（宛先表で止めた誤った宛先）", "refused_at_directory": "宛先表にない宛先として即時に拒否",
    "destination_blocks": "宛先の理由で止めたファクス", "confirmations_refused": "確認で送信を取りやめたもの",
    "wrong_number_entries": "確認時に誤った番号が入力された回数", "cover_mismatches": "送付状の番号の不一致",
    "addressee_mismatches": "宛名の不一致", "masked_resends": "黒塗りして送り直したもの",
    "in_house_deliveries": "ファクスに代えて庁内便で届けたもの", "incidents": "誤送信事案",
}


class PeriodError(ValueError):
    """A period that cannot be read; the message is Japanese, for the page and the API."""


@dataclass
class Tally:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    blocked_by: dict[str, int] = field(default_factory=dict)

    def add(self, other: Tally) -> None:
        for name, value in other.counts.items():
            self.counts[name] += value
        for code, value in other.blocked_by.items():
            self.blocked_by[code] = self.blocked_by.get(code, 0) + value

    def as_json(self) -> dict:
        return {**self.counts, "blocked_by": dict(sorted(self.blocked_by.items()))}


@dataclass(frozen=True)
class Report:
    start: dt.date
    end: dt.date  # inclusive
    cells: dict[tuple[str, str], Tally]  # (month YYYY-MM, department) → tally

    def total(self) -> Tally:
        return self._sum(lambda key: True)

    def months(self) -> list[str]:
        return _months(self.start, self.end)

    def departments(self) -> list[str]:
        return sorted({department for _, department in self.cells})

    def month(self, month: str) -> Tally:
        return self._sum(lambda key: key[0] == month)

    def department(self, department: str) -> Tally:
        return self._sum(lambda key: key[1] == department)

    def _sum(self, wanted) -> Tally:
        total = Tally()
        for key, tally in self.cells.items():
            if wanted(key):
                total.add(tally)
        return total

    def as_json(self) -> dict:
        total = self.total()
        return {
            "from": self.start.isoformat(), "to": self.end.isoformat(),
            **total.counts, "blocked": dict(sorted(total.blocked_by.items())),
            "by_department": {d: self.department(d).as_json() for d in self.departments()},
            "by_month": {m: self.month(m).as_json() for m in self.months()},
            "rows": [{"month": m, "department": d, **t.as_json()} for (m, d), t in sorted(self.cells.items())],
        }


def quarter(text: str) -> tuple[dt.date, dt.date]:
    """`2026-Q3` (calendar quarters: Q1 is January to March) as its first and last day."""
    match = re.fullmatch(r"(\d{4})-?Q([1-4])", text.strip(), re.IGNORECASE)
    if not match:
        raise PeriodError("四半期は 2026-Q3 の形式で指定してください（Q1 は 1〜3 月）")
    year, number = int(match[1]), int(match[2])
    first = dt.date(year, 3 * number - 2, 1)
    after = dt.date(year + (number == 4), 1 if number == 4 else 3 * number + 1, 1)
    return first, after - dt.timedelta(days=1)


def reasons_ja(report: Report) -> dict[str, str]:
    """The block codes of `report` with the summary their rule gives in Japanese."""
    return {code: code_of(code).summary_ja or code for code in report.total().blocked_by}


def period(start: str | None, end: str | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """The period asked for (YYYY-MM-DD, both days included); by default the twelve months up to today."""
    try:
        last = dt.date.fromisoformat(end) if end else today
        first = dt.date.fromisoformat(start) if start else (last.replace(day=1) - dt.timedelta(days=335)).replace(day=1)
    except ValueError:
        raise PeriodError("期間は YYYY-MM-DD の形式で指定してください") from None
    if first > last:
        raise PeriodError("期間の開始日が終了日より後になっています")
    if (last - first).days > MAX_DAYS:
        raise PeriodError("期間は5年以内で指定してください")
    return first, last


def report(uow, first: dt.date, last: dt.date) -> Report:
    start = dt.datetime.combine(first, dt.time(), OFFICE_TIME).astimezone(dt.timezone.utc)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), OFFICE_TIME).astimezone(dt.timezone.utc)
    cells: dict[tuple[str, str], Tally] = {}

    def cell(at: dt.datetime, department: str) -> Tally:
        return cells.setdefault((in_office_time(at).strftime("%Y-%m"), department), Tally())

    for job in uow.statistics.jobs(start, end):
        tally, codes = cell(job.created_at, job.department), set(job.reason_codes)
        counts = tally.counts
        counts["received"] += 1
        counts["sent"] += job.state == "sent" and job.route != "inbox"
        counts["in_house_deliveries"] += job.state == "sent" and job.route == "inbox"
        if job.was_blocked:
            counts["blocked"] += 1
            for code in codes:
                tally.blocked_by[code] = tally.blocked_by.get(code, 0) + 1
            destination = bool(codes & DESTINATION_CODES)
            counts["destination_blocks"] += destination
            counts["near_misses"] += destination
            counts["cover_mismatches"] += bool(codes & COVER_CODES)
            counts["addressee_mismatches"] += bool(codes & ADDRESSEE_CODES)
        counts["confirmations_refused"] += job.rejected_by_person
        counts["wrong_number_entries"] += job.wrong_numbers
        counts["masked_resends"] += job.identity_source.startswith(MASKED_PREFIX)
        counts["incidents"] += job.incidents
    for at, department, _code in uow.statistics.refused(start, end):
        counts = cell(at, department).counts
        counts["refused_at_directory"] += 1
        counts["near_misses"] += 1
    return Report(first, last, cells)


def _months(first: dt.date, last: dt.date) -> list[str]:
    months, day = [], first.replace(day=1)
    while day <= last:
        months.append(day.strftime("%Y-%m"))
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return months
