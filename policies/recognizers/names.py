"""Names: the value after a name label (氏名, 申請者, 世帯主, フリガナ…), a name before 様 or 殿,
and a common surname before さん, 君, ちゃん or 氏 in running text.

Without a language model (GiNZA's weights are too heavy here) a bare name in running text
with no label and no honorific is not found; forms and letters, which are what offices fax,
almost always carry one or the other.
"""

from __future__ import annotations

import re

from policies.allowlist import AllowList
from policies.fields import Field
from policies.labels import ORGANISATION
from policies.layout import TextView
from policies.recognizers.base import MASK_CHARS, Hit, business_context, fields_of, on_contact_line
from policies.wordlists import SURNAMES

_NAME_CHARS = "\u4e00-\u9fff\u3005\u3006\u30f6\u3041-\u3096\u30a1-\u30fa\u30fcA-Za-z"
_MASKS = "".join(sorted(MASK_CHARS))
_NAME_TOKEN = re.compile(rf"[{_NAME_CHARS}{re.escape(_MASKS)}]+")
_HONORIFIC = r"(?:様|殿|さん|さま|君|くん|ちゃん|氏)"
_STOPS_AT = re.compile(rf"{_HONORIFIC}|[(,、。:\t\n]")

# Words that follow a name label but are no name: instructions, headings, other fields.
_NOT_NAME_PARTS = (
    "一覧", "名簿", "欄", "確認", "変更", "番号", "記入", "署名", "自署", "様式", "申請", "届出", "証明", "手続",
    "について", "事業", "制度", "窓口", "住所", "電話", "生年月日", "区分", "記載", "以下", "以上", "下記",
    "上記", "別紙", "同上", "同左", "不明", "未定", "該当", "代理人", "全員", "各位", "ください", "こと",
    "ため", "及び", "または", "記入例", "フリガナ", "ふりがな", "性別", "年齢", "押印", "捺印", "有無", "の方", "担当", "連絡", "提出", "内容", "氏名", "名前", "一同",
)
_NOT_NAMES = frozenset(("男", "女", "本人", "なし", "例", "印", "者", "様", "殿", "御中"))
_PARTICLES = tuple("をはがにのでとへもや")
# Before 様/殿, words that address a group or a role, not a person.
_GROUPS = frozenset((
    "皆", "皆さま", "皆さん", "各位", "お客", "客", "担当者", "ご担当者", "御担当者", "担当", "ご担当", "関係者",
    "利用者", "保護者", "家族", "ご家族", "申請者", "会員", "組合員", "住民", "区民", "市民", "町民", "村民",
    "県民", "都民", "来場者", "参加者", "受講者", "所有者", "代表者", "依頼者", "ご依頼者", "相談者", "患者",
    "お子", "お子さま", "ご本人", "本人", "先方", "貴殿", "あなた", "皆々", "関係各位", "ご利用者",
))
# Surnames end in 部 and 室 too (服部, 氷室): departments are recognised as organisations.
_ROLE_ENDINGS = ("長", "課", "係", "所", "局", "会", "社", "店", "センター", "御中", "役", "官", "員", "者", "担当")

_HONORIFIC_NAME = re.compile(
    rf"(?:^|(?<=[\s:\t]))(?P<name>[{_NAME_CHARS}{re.escape(_MASKS)}]{{1,10}}(?: [{_NAME_CHARS}{re.escape(_MASKS)}]{{1,10}})?)"
    r" ?(?:様|殿)(?![式方々子])",
    re.M,
)
_LONE_HONORIFIC = re.compile(r"^[ \t]*(様|殿)[ \t]*$", re.M)
_SURNAME_NAME = re.compile(
    "(?P<name>(?:" + "|".join(sorted(SURNAMES, key=len, reverse=True)) + r")(?: ?[\u4e00-\u9fff\u3041-\u3096\u30a1-\u30fa]{1,3})?)"
    r" ?(?:さん|君|くん|ちゃん|氏)(?![名])"
)


def find_names(view: TextView, fields: list[Field], allow: AllowList) -> list[Hit]:
    hits = []
    for field in fields_of(fields, "name"):
        hit = _labelled_name(view, field, allow)
        if hit:
            hits.append(hit)
    for match in _HONORIFIC_NAME.finditer(view.text):
        hit = _name_hit(view, match.start("name"), match.end("name"), allow, honorific=True)
        if hit and not business_context(view, match.start(), allow) and not on_contact_line(view, match.start()):
            hits.append(hit)
    for match in _LONE_HONORIFIC.finditer(view.text):
        # 様 alone on its line: the name before it was blacked out (OCR does not see the bar).
        hits.append(Hit("name", match.start(1), match.end(1), masked=True))
    for match in _SURNAME_NAME.finditer(view.text):
        if on_contact_line(view, match.start()) or business_context(view, match.start(), allow):
            continue
        if allow.allows_person(match.group("name")):
            continue
        hits.append(Hit("name", match.start("name"), match.end("name")))
    return hits


def _labelled_name(view: TextView, field: Field, allow: AllowList) -> Hit | None:
    value = view.text[field.start:field.end]
    stop = _STOPS_AT.search(value)
    value = value[: stop.start()] if stop else value
    end = field.start
    tokens = 0
    for token in re.finditer(r"[^ ]+", value):
        if tokens == 3 or not _NAME_TOKEN.fullmatch(token.group(0)):
            break
        end = field.start + token.end()
        tokens += 1
    return _name_hit(view, field.start, end, allow, honorific=False)


def _name_hit(view: TextView, start: int, end: int, allow: AllowList, honorific: bool) -> Hit | None:
    name = view.text[start:end]
    compact = name.replace(" ", "")
    if not compact:
        return None
    letters = sum(1 for c in compact if c not in MASK_CHARS)
    if letters < 2:
        # Nothing readable: a masked name (■■ ■■ 様), or not a name at all.
        return Hit("name", start, end, masked=True) if len(compact) - letters >= 2 else None
    if compact in _NOT_NAMES or compact.startswith(_PARTICLES) or any(w in compact for w in _NOT_NAME_PARTS):
        return None
    if honorific and (compact in _GROUPS or compact.endswith(_ROLE_ENDINGS) or ORGANISATION.search(name)):
        return None
    if len(compact) > 20 or allow.allows_person(name):
        return None
    return Hit("name", start, end)
