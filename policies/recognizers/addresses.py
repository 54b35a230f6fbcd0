"""Home addresses: the value after an address label when it reaches a block number (a town
alone, or a form's pre-printed 世田谷区, identifies nobody), and in running text a
prefecture or municipality followed by a town and block numbers. Addresses on a line that
names an organisation, the office's own addresses, and — on pages about no individual —
labelled company addresses and the addresses on a list of facilities are business details."""

from __future__ import annotations

import re

from policies.allowlist import AllowList
from policies.fields import Field
from policies.layout import TextView
from policies.recognizers.base import Hit, business_context, count_masks, field_containing, fields_of, on_contact_line
from policies.wordlists import PREFECTURES

_BLOCK = r"\d+\s*(?:丁目|番地|番|号|-|の)\s*\d+(?:\s*(?:番地|番|号|-|の)\s*\d+)*\s*(?:号|番地?)?"
_HAS_BLOCK = re.compile(r"\d+\s*(?:丁目|番地|番|号|-|の)|\d{1,4}$")
# Labels of an organisation's address (所在地), a workplace (勤務先) or a notice's venue
# (会場, 場所): not a home.
_BUSINESS_LABELS = frozenset(("所在地", "本社", "会社名", "事業所名", "勤務先", "学校名", "送信元", "発信元", "場所", "会場",
                              "開催場所", "開催会場", "集合場所", "実施場所", "会場住所"))
# A page that lists facilities or venues (施設一覧, 会場のご案内, 避難所一覧): on a page about no
# individual, the addresses on it are the facilities' however they are named (ひだまり, 〇〇の家).
_FACILITY_LIST = re.compile(r"(?:施設|会場|避難所|窓口|拠点|事業所|相談所|医療機関|店舗|取扱所|投票所)(?:等|の)?"
                            r"(?:一覧|ご案内|案内|リスト|所在地|マップ)")
_PLACE_LETTERS = re.compile(r"[\u4e00-\u9fff\u3041-\u30ff]{2}")
_STARTS_WITH_BLOCK = re.compile(r"\s*" + _BLOCK)
_ADDRESS = re.compile(
    r"(?:(?:" + "|".join(PREFECTURES) + r")[^\s\t\n、。,]{0,8}?(?:市|区|町|村|郡)"
    r"|(?<![\u4e00-\u9fff])[\u4e00-\u9fff]{2,5}(?:市|区|町|村))"
    r"[\u4e00-\u9fff\u3041-\u30ffヶケ]{1,12}?[ \t]?" + _BLOCK
)


def find_addresses(view: TextView, fields: list[Field], allow: AllowList, personal_page: bool) -> list[Hit]:
    hits = []
    for field in fields_of(fields, "address"):
        start, end = field.start, field.end
        value = view.text[start:end]
        # An address names a place and reaches a block number, maybe on the next line.
        if _PLACE_LETTERS.search(value) and not _HAS_BLOCK.search(value):
            end = _continuation(view, end)
        if end is None or not _PLACE_LETTERS.search(value):
            if count_masks(value) >= 2:
                hits.append(Hit("address", start, field.end, masked=True))
            continue
        if allow.allows_address(view.text[start:end]):
            continue
        if not personal_page and business_context(view, start, allow, lines_before=2, lines_after=1):
            continue
        hits.append(Hit("address", start, end))
    facility_list = not personal_page and bool(_FACILITY_LIST.search(view.text))
    for match in _ADDRESS.finditer(view.text):
        if facility_list or allow.allows_address(match.group(0)) or on_contact_line(view, match.start()):
            continue
        end = match.start() + len(match.group(0).rstrip())  # the block number's \s* may reach the next line
        field = field_containing(fields, match.start(), end)
        if field is not None and field.label in _BUSINESS_LABELS:
            continue
        if business_context(view, match.start(), allow, lines_before=2, lines_after=1):
            continue
        hits.append(Hit("address", match.start(), end))
    return hits


def _continuation(view: TextView, end: int) -> int | None:
    """An address broken over two lines: block numbers at the start of the next line."""
    line = view.line_number(end)
    if line + 1 >= len(view.line_starts):
        return None
    start, line_end = view.line_bounds(line + 1)
    match = _STARTS_WITH_BLOCK.match(view.text, start, line_end)
    return match.end() if match else None
