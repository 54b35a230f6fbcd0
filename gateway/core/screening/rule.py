"""What a screening rule is: a name, what a hit does, the codes it can give (each with a Japanese
and an English summary and advice), and `check(subject, tools)`. Every door (the worker, the
policy's rule names, the web's advice, the API's codes) reads the rules through this shape."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from gateway.core.screening.subject import Subject, Tools


@dataclass(frozen=True)
class Code:
    """One reason a rule can give: what it means and what a person can do about it."""

    code: str
    summary_ja: str
    summary_en: str
    advice_ja: str
    advice_en: str


@dataclass(frozen=True)
class Hit:
    code: str
    message_ja: str
    message_en: str


@dataclass(frozen=True)
class Note:
    """A rule that passed but did something worth recording (e.g. prepended the cover sheet)."""

    code: str
    message_ja: str


@dataclass(frozen=True)
class Rule:
    name: str
    check: Callable[["Subject", "Tools"], "Hit | Note | None"]
    action: str  # block | hold: what a hit does to the job
    codes: tuple[Code, ...]
    # Runs even after a destination rule has stopped the job, so the submitter learns every
    # reason at once; it does nothing where what it needs is missing.
    about_content: bool = False
    # A destination rule whose hit nobody can lift while the message waits: the intake refuses
    # the recipient at RCPT.
    refused_at_rcpt: bool = False
