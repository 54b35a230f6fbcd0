"""Sensitive data (要配慮個人情報, and the 条例要配慮個人情報 of the municipality's ordinance): the
value after a medical, disability, criminal-record, belief, race, social-status, crime-victim,
criminal-proceedings (or the ordinance's: nationality, DV) label, and — on a page that
concerns an individual — the words that reveal them in running text (a disease or medicine,
被害届, 逮捕, 保護観察, DV, ベトナム国籍). A "none" answer (なし, 特になし, 特記事項なし,
ありません; OCR may space it out: な し) and a form's printed choices (有・無) reveal nothing.

Ordinance categories are looked for only where the municipality's ordinance names them
(`ordinance`, from the settings' `ordinance_sensitive`)."""

from __future__ import annotations

import re

from policies.categories import ORDINANCE
from policies.fields import Field
from policies.labels import SENSITIVE_LABELS
from policies.layout import TextView
from policies.recognizers.base import Hit, fields_of, is_placeholder
from policies.wordlists import DISEASES, DRUGS, SENSITIVE_WORDS

_NONE = re.compile(r"[:・/]*(?:特に|特記事項|特記)?(?:なし|無し|無い|ない|無|ナシ|ありません|有りません|該当なし|該当無し|"
                   r"該当しない|非該当|いいえ|-+)(?:\(\))?[。.]*")
_CHOICES = re.compile(r"[\s□☐()]*(?:有|あり|はい)[\s・/|□☐()]*(?:無|なし|いいえ)[\s□☐()]*")
_WORDS = {"health": DISEASES | DRUGS, **SENSITIVE_WORDS}
_WORD = re.compile("|".join(f"(?P<{category}>{'|'.join(sorted(map(re.escape, words), key=len, reverse=True))})"
                            for category, words in _WORDS.items()))
# A nationality in running text: ベトナム国籍, 中国籍, 外国籍 (a 多国籍企業 is no person's).
_NATIONALITY = re.compile(r"(?<![\u30a1-\u30fa\u30fc\u4e00-\u9fff])(?!多国籍)[\u30a1-\u30fa\u30fc\u4e00-\u9fff]{1,10}?国籍"
                          r"(?!欄|を問わ|不問)")
_MAX_VALUE = 80


def find_sensitive(view: TextView, fields: list[Field], concerns_individual: bool,
                   ordinance: frozenset[str] = frozenset()) -> list[Hit]:
    wanted = (set(SENSITIVE_LABELS) - ORDINANCE) | (ORDINANCE & ordinance)
    hits = []
    answered_none = []  # labels whose answer reveals nothing (DV 有・無, 被害状況 特になし)
    for field in fields_of(fields, *wanted):
        end = min(field.end, field.start + _MAX_VALUE)
        value = view.text[field.start:end]
        if _NONE.fullmatch(re.sub(r"\s", "", value)) or _CHOICES.fullmatch(value):
            answered_none.append((field.label_start, field.label_end))
            continue
        hits.append(Hit(field.category, field.start, end, masked=is_placeholder(value)))
    if concerns_individual:
        for match in _WORD.finditer(view.text):
            if match.lastgroup in wanted and not any(s <= match.start() and match.end() <= e for s, e in answered_none):
                hits.append(Hit(match.lastgroup, match.start(), match.end()))
        if "nationality" in wanted:
            hits.extend(Hit("nationality", m.start(), m.end()) for m in _NATIONALITY.finditer(view.text))
    return hits
