"""E-mail addresses. The top-level domain must be a real one (a bundled list: no look-ups).
Free-mail and carrier addresses are always a person's; others are business details when the
mailbox names a function (info@, soumu@) or the line names an organisation or the contact
person. The office's own domains are allowed."""

from __future__ import annotations

import re

from policies.allowlist import AllowList
from policies.layout import TextView
from policies.recognizers.base import Hit, business_context, on_contact_line
from policies.wordlists import FREE_MAIL_DOMAINS, ROLE_MAILBOXES, TOP_LEVEL_DOMAINS

_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*@(?:[A-Za-z0-9\-]+\.)+(?P<tld>[A-Za-z]{2,})(?![A-Za-z0-9\-])")


def find_emails(view: TextView, allow: AllowList) -> list[Hit]:
    hits = []
    for match in _EMAIL.finditer(view.text):
        address = match.group(0)
        if not _known_tld(match.group("tld").lower()) or allow.allows_email(address):
            continue
        mailbox, domain = address.lower().rsplit("@", 1)
        if on_contact_line(view, match.start()):
            continue
        if domain not in FREE_MAIL_DOMAINS:
            if re.split(r"[._+\-]", mailbox)[0] in ROLE_MAILBOXES:
                continue
            if business_context(view, match.start(), allow, lines_before=2):
                continue
        hits.append(Hit("email", match.start(), match.end()))
    return hits


def _known_tld(label: str) -> bool:
    """A real top-level domain; also one whose dot OCR lost (ne.jp read as neJp)."""
    return label in TOP_LEVEL_DOMAINS or any(label.endswith(tld) for tld in ("jp", "com", "net", "org"))
