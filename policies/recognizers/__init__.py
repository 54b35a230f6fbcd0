"""Recognizers for every category of personal data in `shared/domain/personal-data.md`.

`recognize` reads one page's text (a `TextView`) and returns hits with spans in its
normalised text. Order matters: whether a fixed-line phone number or a labelled address
is a resident's depends on whether the page concerns an individual at all (a name, a date
of birth or an identity number on it, or just their labels, masked or empty), and disease
names in running text count only on a page where something identifying was found.
"""

from __future__ import annotations

from policies.allowlist import AllowList
from policies.categories import DEFAULT_ORDINANCE
from policies.fields import find_fields
from policies.layout import TextView
from policies.recognizers.addresses import find_addresses
from policies.recognizers.base import HIDDEN, MASK_CHARS, Hit
from policies.recognizers.birth_dates import find_birth_dates
from policies.recognizers.emails import find_emails
from policies.recognizers.names import find_names
from policies.recognizers.numbers import IdentifierPattern, find_numbers
from policies.recognizers.phones import find_phones
from policies.recognizers.sensitive import find_sensitive

__all__ = ["HIDDEN", "MASK_CHARS", "Hit", "IdentifierPattern", "recognize"]


def recognize(view: TextView, allow: AllowList = AllowList(), extra: tuple[IdentifierPattern, ...] = (),
              ordinance: frozenset[str] = frozenset(DEFAULT_ORDINANCE)) -> list[Hit]:
    """`ordinance`: the 条例要配慮個人情報 categories (policies.categories.ORDINANCE) the
    municipality's ordinance names."""
    fields = find_fields(view)
    about_person = find_names(view, fields, allow) + find_birth_dates(view, fields) + find_numbers(view, fields, allow, extra)
    personal_page = bool(about_person) or any(f.category in _ABOUT_A_PERSON for f in fields)
    contact = find_addresses(view, fields, allow, personal_page) + find_phones(view, allow, personal_page)
    contact += find_emails(view, allow)
    hits = about_person + contact
    hits += find_sensitive(view, fields, concerns_individual=bool(hits), ordinance=ordinance)
    return _without_overlaps(hits)


def _without_overlaps(hits: list[Hit]) -> list[Hit]:
    """One hit per value: of overlapping hits in one category the unmasked, then the longest,
    is kept; an identity number inside a longer one (a My Number read as a card) goes."""
    ordered = sorted(hits, key=lambda h: (h.masked, -(h.end - h.start), h.start))
    kept: list[Hit] = []
    for hit in ordered:
        if any(k.start < hit.end and hit.start < k.end and (k.category == hit.category or _same_number(k, hit))
               for k in kept):
            continue
        kept.append(hit)
    return sorted(kept, key=lambda h: (h.start, h.category))


# Labels that only a record about an individual carries (business papers have addresses,
# phone numbers and mail addresses too).
_ABOUT_A_PERSON = frozenset((
    "name", "birth_date", "my_number", "drivers_license", "passport", "residence_card", "pension_number",
    "insurance_number", "resident_code", "addressee_number",
))
_NUMBER_CATEGORIES = frozenset((
    "my_number", "drivers_license", "passport", "residence_card", "pension_number", "insurance_number",
    "resident_code", "addressee_number", "bank_account", "credit_card", "phone",
))


def _same_number(a: Hit, b: Hit) -> bool:
    return a.category in _NUMBER_CATEGORIES and b.category in _NUMBER_CATEGORIES
