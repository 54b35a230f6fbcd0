"""Two-person confirmation (countermeasures 4 and 5 of report No. 371), as plain rules.

The submitter re-enters the destination first; then approvers other than the submitter, one
confirmation each, re-enter it blind. Each confirmation is bound to the job's content hash,
destination, directory entry version and policy version: a change to any voids it.

Both people confirm blind: the number is shown only to someone whose confirmation of it still
counts, or once the job can never be confirmed again (number_shown_to; hide_number takes it out
of any text), and only after they have looked at every page (pages_seen).

A job whose findings ask for a privacy officer (see policies.settings, privacy_officer_for)
is approved only when one of its approvers is a privacy officer; an approver who is not one
is not asked for a confirmation that would not bring the job closer to approval.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

import phonenumbers

from directory.dialplan import DialStringError, dial_digits, national_digits
from directory.digits import ForeignDigitError, ascii_digits
from gateway.core.states import CONFIRMATIONS_OVER, JobState


@dataclass(frozen=True)
class Binding:
    content_sha256: str
    e164: str
    entry_version: int | None
    policy_version: str | None


@dataclass(frozen=True)
class Given:
    user_id: int
    role: str  # submitter | approver
    binding: Binding
    at: dt.datetime
    privacy_officer: bool = False  # whether the person who gave it is a privacy officer now


@dataclass(frozen=True)
class Person:
    user_id: int
    role: str  # staff | approver | admin | auditor
    department: str
    privacy_officer: bool = False


@dataclass(frozen=True)
class Needs:
    """What a job needs before it may be sent, beside the submitter's own confirmation."""

    approvers: int
    privacy_officer: bool = False


@dataclass(frozen=True)
class Outstanding:
    """What is still missing among the valid confirmations."""

    submitter: bool
    approvers: int
    privacy_officer: bool

    @property
    def nothing(self) -> bool:
        return not self.submitter and self.approvers <= 0 and not self.privacy_officer

    def wants_approver(self, privacy_officer: bool) -> bool:
        """Whether one more approver's confirmation, from a privacy officer or not, is needed.
        While a privacy officer's is missing, the last approver place is kept for one."""
        if self.privacy_officer:
            return privacy_officer or self.approvers > 1
        return self.approvers > 0


@dataclass(frozen=True)
class Decision:
    status: int  # 200 accepted | 403 may not confirm | 409 conflict | 422 number mismatch
    message_ja: str
    as_role: str | None = None
    code: str | None = None  # a machine-readable reason where the status alone is ambiguous


PAGES_NOT_VIEWED = "pages_not_viewed"


def number_matches(entered: str, e164: str | None, dial_string: str | None) -> bool:
    """Any common way of writing the same number: 03-5432-1111, 0354321111, +81 3 5432 1111,
    or the dial string itself (0-03-5432-1111; for an in-house destination, its extension)."""
    try:
        text = ascii_digits(entered.strip())  # ＋８１… as +81…; phonenumbers would also read ٨١ as 81
    except ForeignDigitError:
        return False
    if text.startswith("+"):
        try:
            parsed = phonenumbers.parse(text, None)
        except phonenumbers.NumberParseException:
            return False
        return bool(e164) and phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == e164
    try:
        digits = dial_digits(text)
    except DialStringError:
        return False
    return digits in number_forms(e164, dial_string)


def number_forms(e164: str | None, dial_string: str | None) -> set[str]:
    """The digits of every way the destination is written: E.164 without '+', national, dial string."""
    national = national_digits(e164) if e164 and e164.startswith("+81") else None
    return {e164 and e164[1:], national, re.sub(r"\D", "", dial_string or "")} - {None, ""}


def number_shown_to(user_id: int | None, state: str, given: list[Given], binding: Binding, now: dt.datetime,
                    ttl_hours: float, keeps_records: bool = False) -> bool:
    """Whether the destination's number may be shown to this person: to someone whose own
    confirmation of this destination still counts (they typed it themselves), and once nobody
    can confirm the job any more, to whoever typed it then and to those who keep the records
    (admins, auditors, privacy officers). An approver who never typed it does not learn it from an
    ended job either: the next fax to the same entry must still be re-entered from its document."""
    if any(g.user_id == user_id for g in valid_confirmations(given, binding, now, ttl_hours)):
        return True
    if state in CONFIRMATIONS_OVER:
        return keeps_records or any(g.user_id == user_id and g.binding == binding for g in given)
    return False


# A run of digits with the separators numbers are written with (also full-width ones).
_NUMBER_LIKE = re.compile(r"[+＋]?[0-9０-９](?:[-‐－ー()（） ]?[0-9０-９])*")
_LONG_FORM = 6  # shorter forms (extensions) are hidden only where they stand alone


def hide_number(text: str, forms: set[str]) -> str:
    """``text`` with every way of writing the destination (``forms``: see number_forms) replaced
    by "＊＊＊": screening reasons, rule results and relay answers quote it. A long form is hidden
    wherever it stands in a run of digits, and so is a long part of it (5432-1111)."""
    def names_destination(digits: str) -> bool:
        return any(digits == form or (len(form) >= _LONG_FORM and (form in digits or (len(digits) >= _LONG_FORM
                                                                                      and digits in form)))
                   for form in forms)

    def hidden(match: re.Match) -> str:
        digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", match.group()))
        return "＊＊＊" if names_destination(digits) else match.group()
    return _NUMBER_LIKE.sub(hidden, text)


def valid_confirmations(given: list[Given], binding: Binding, now: dt.datetime, ttl_hours: float) -> list[Given]:
    limit = dt.timedelta(hours=ttl_hours)
    return [g for g in given if g.binding == binding and now - g.at <= limit]


def outstanding(valid: list[Given], needs: Needs) -> Outstanding:
    """What ``valid`` (see valid_confirmations) still lacks."""
    approvers = [g for g in valid if g.role == "approver"]
    return Outstanding(
        submitter=not any(g.role == "submitter" for g in valid),
        approvers=needs.approvers - len({g.user_id for g in approvers}),
        privacy_officer=needs.privacy_officer and not any(g.privacy_officer for g in approvers),
    )


# Re-entry is a check, not a guessing game: after this many wrong numbers on one job a person may
# not confirm it (a number with a known prefix could otherwise be tried at 50 a second).
MAX_WRONG_NUMBERS = 5
TOO_MANY_WRONG_NUMBERS = "too_many_wrong_numbers"
NUMBER_MISMATCH_JA = "入力した番号が送信先と一致しません。宛先を確かめてください（報告第371号の誤送信防止）"


def decide(
    *,
    state: str,
    submitter_id: int | None,
    job_department: str,
    binding: Binding,
    given: list[Given],
    person: Person,
    number_ok: bool,
    pages_seen: bool,
    now: dt.datetime,
    ttl_hours: float,
    needs: Needs,
    wrong_numbers: int = 0,
) -> Decision:
    if state != JobState.AWAITING_CONFIRMATION:
        return Decision(409, f"この送信は確認待ちではありません（状態: {state}）")
    valid = valid_confirmations(given, binding, now, ttl_hours)
    submitter_done = any(g.role == "submitter" for g in valid)
    if person.user_id == submitter_id:
        if submitter_done:
            return Decision(409, "依頼者の確認は済んでいます。承認者の確認を待っています")
        as_role = "submitter"
    else:
        if person.role != "approver":
            return Decision(403, "承認者の権限がないため確認できません")
        if person.department != job_department:
            return Decision(403, "他の部署の送信は確認できません")
        if not submitter_done:
            return Decision(409, "先に依頼者本人が宛先を再入力して確認してください")
        if any(g.user_id == person.user_id for g in valid):
            return Decision(409, "この送信はすでに確認済みです。別の承認者の確認が必要です")
        if not outstanding(valid, needs).wants_approver(person.privacy_officer):
            return Decision(409, "この送信には個人情報保護責任者の確認が必要です。ほかの承認者の確認はそろっています")
        as_role = "approver"
    if not pages_seen:
        return Decision(409, "確認の前に文書の全ページを表示して見てください", code=PAGES_NOT_VIEWED)
    if wrong_numbers >= MAX_WRONG_NUMBERS:
        return Decision(403, f"番号を{MAX_WRONG_NUMBERS}回続けて間違えたため、この送信はあなたには確認できません。"
                             "宛先を確かめて送信し直すか、別の承認者に依頼してください", code=TOO_MANY_WRONG_NUMBERS)
    if not number_ok:
        return Decision(422, NUMBER_MISMATCH_JA)
    return Decision(200, "確認しました", as_role)


def is_approved(given: list[Given], binding: Binding, now: dt.datetime, ttl_hours: float, needs: Needs) -> bool:
    return outstanding(valid_confirmations(given, binding, now, ttl_hours), needs).nothing
