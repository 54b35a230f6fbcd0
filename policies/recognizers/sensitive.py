"""Sensitive data (要配慮個人情報): the value after a medical, disability, criminal-record,
belief or race label, and — on a page that concerns an individual — disease and medicine
names in running text. A "none" answer (なし, 特になし, 特記事項なし, ありません; OCR may
space it out: な し) and a form's printed choices (有・無) reveal nothing."""

from __future__ import annotations

import re

from policies.fields import Field
from policies.labels import SENSITIVE_LABELS
from policies.layout import TextView
from policies.recognizers.base import Hit, fields_of, is_placeholder
from policies.wordlists import DISEASES, DRUGS

_NONE = re.compile(r"[:・/]*(?:特に|特記事項|特記)?(?:なし|無し|無い|ない|無|ナシ|ありません|有りません|該当なし|該当無し|"
                   r"該当しない|非該当|いいえ|-+)(?:\(\))?[。.]*")
_CHOICES = re.compile(r"[\s□☐()]*(?:有|あり|はい)[\s・/|□☐()]*(?:無|なし|いいえ)[\s□☐()]*")
_WORDS = re.compile("|".join(sorted(map(re.escape, DISEASES | DRUGS), key=len, reverse=True)))
_MAX_VALUE = 80


def find_sensitive(view: TextView, fields: list[Field], concerns_individual: bool) -> list[Hit]:
    hits = []
    for field in fields_of(fields, *SENSITIVE_LABELS):
        end = min(field.end, field.start + _MAX_VALUE)
        value = view.text[field.start:end]
        if _NONE.fullmatch(re.sub(r"\s", "", value)) or _CHOICES.fullmatch(value):
            continue
        hits.append(Hit(field.category, field.start, end, masked=is_placeholder(value)))
    if concerns_individual:
        for match in _WORDS.finditer(view.text):
            hits.append(Hit("health", match.start(), match.end()))
    return hits
