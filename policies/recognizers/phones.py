"""Private phone numbers, found with phonenumbers' matcher on normalised text.

Mobile and IP (050) numbers are a person's. A fixed-line number is a person's on a page
about an individual, unless the line says whose it is otherwise: an organisation, the
contact person (担当), a fax label. Free-dial and navigation numbers never are. The office's
own numbers and the directory's destinations are allowed outright.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import PhoneNumberType

from policies.allowlist import AllowList
from policies.layout import TextView
from policies.recognizers.base import Hit, business_context, on_contact_line

_PRIVATE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.VOIP, PhoneNumberType.PAGER}
_FIXED_TYPES = {PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE, PhoneNumberType.UNKNOWN}
_FAX_LABEL = re.compile(r"(?:FAX|Fax|fax|ファクス|ファックス|ﾌｧｯｸｽ|ファクシミリ)\s*(?:番号)?\s*[:.]?\s*$")
# Words that say the number is the person's own, whatever else the line holds.
_PRIVATE = re.compile(r"携帯|自宅|緊急連絡先|日中連絡先|本人")


def find_phones(view: TextView, allow: AllowList, personal_page: bool) -> list[Hit]:
    hits = []
    for match in phonenumbers.PhoneNumberMatcher(view.text, "JP", leniency=phonenumbers.Leniency.VALID):
        start, end = match.start, match.end
        number = match.number
        kind = phonenumbers.number_type(number)
        if kind not in _PRIVATE_TYPES and kind not in _FIXED_TYPES:
            continue  # free dial, navi dial, premium: a business's by definition
        if allow.allows_number(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)):
            continue
        line_start, _ = view.line_bounds(view.line_number(start))
        before = view.text[max(line_start, start - 12):start]
        if _FAX_LABEL.search(before) or on_contact_line(view, start):
            continue
        if not _PRIVATE.search(view.text, line_start, start):
            if business_context(view, start, allow):
                continue
            if kind in _FIXED_TYPES and (not personal_page or business_context(view, start, allow, lines_before=2)):
                continue
        hits.append(Hit("phone", start, end))
    return hits
