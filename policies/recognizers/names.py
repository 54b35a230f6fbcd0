"""Names: the value after a name label (氏名, 申請者, 世帯主, フリガナ…), a name before 様 or 殿,
and anywhere else a name the morphological analyser's dictionary tags (policies.morphology):
a surname followed by a given name (山田花子, 二階堂 ゆうと), or a surname or given name
before an honorific (小鳥遊さん, 蓮くん).

A dictionary name is no resident's where the office's allow-list names the person (staff,
officials), on a contact line (担当: 佐藤), after a title held in office (区長, 医師,
代表取締役), in a representative's or contact's field, or on a short line that names an
organisation (a letterhead, a business card). A surname alone, with no given name and no
honorific (佐藤から電話), is not reported: too many surnames are places and words.
"""

from __future__ import annotations

import re

from rapidfuzz.distance import Levenshtein

from policies import morphology
from policies.allowlist import AllowList
from policies.fields import Field
from policies.labels import CATEGORY_OF_LABEL, ORGANISATION
from policies.layout import TextView
from policies.recognizers.base import MASK_CHARS, Hit, business_context, fields_of, on_contact_line
from policies.wordlists import DISEASES, DRUGS

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
# Placeholders before さん or 氏 in running text (＊＊さん, ■■ ■■氏): a name, masked.
_MASKED_BEFORE_HONORIFIC = re.compile(rf"[{re.escape(_MASKS)}]{{2,}}(?: [{re.escape(_MASKS)}]+)?(?= ?(?:さん|氏|君|くん|ちゃん))")
# Titles held in office: the name after one is an official's or a professional's, acting in office.
_TITLE_BEFORE = re.compile(
    r"(?:区長|市長|町長|村長|知事|副区長|副市長|教育長|課長|部長|係長|所長|室長|局長|院長|園長|校長|館長|理事長|会長|"
    r"社長|代表取締役|取締役|代表理事|理事|代表者|代表|医師|主治医|歯科医師|薬剤師|保健師|看護師|助産師|"
    r"社会福祉士|精神保健福祉士|介護支援専門員|ケアマネジャー|相談員|支援員|指導員|弁護士|司法書士|行政書士|"
    r"税理士|民生委員|児童委員|議員|委員長|委員|職員|教諭|担当者|担当)[\s:]*$"
)
# A dictionary name up to two kanji after a title, joined to them, is the titled person's: the
# dictionary reads a surname it does not know as a word (代表取締役氷室陽翔: 氷室 an ice room,
# 陽 + 翔 the name) or in pieces (霧島 misread 駿島: 駿 + 島ゆう), and the name it finds starts later.
_AFTER_TITLE = re.compile(_TITLE_BEFORE.pattern.removesuffix("$") + r"[\u4e00-\u9fff\u3005]{0,2}$")
# Fields whose value is the organisation's representative or its contact person.
_IN_OFFICE_FIELDS = frozenset(("代表者", "代表者名", "担当者", "担当", "発信者", "送信者", "作成者", "発信元", "送信元",
                               "会社名", "事業所名", "所属"))
_DICTIONARY_HONORIFICS = frozenset(("さん", "様", "さま", "氏", "君", "くん", "ちゃん", "殿"))
# A word after a surname that is a given name the dictionary does not tag (樹, ひなた, トメ):
# one or two kanji after a space, or two to four kana.
_GIVEN_LIKE = re.compile(r"[\u4e00-\u9fff\u3005]{1,2}|[\u3041-\u3096]{2,4}|[\u30a1-\u30fa\u30fc]{2,4}")
_PROSE = re.compile(r"[、。]")
_KANJI = re.compile(r"[\u4e00-\u9fff\u3005]+")
# The kanji or katakana written right after a name, with no space or particle between.
_JOINED_WORD = re.compile(r"[\u4e00-\u9fff\u3005\u30a1-\u30fa\u30fc]+")
_MEDICAL_WORDS = DISEASES | DRUGS


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
    hits.extend(Hit("name", m.start(), m.end(), masked=True) for m in _MASKED_BEFORE_HONORIFIC.finditer(view.text))
    for start, end in _dictionary_names(view.text):
        if not _in_office(view, fields, start, end, allow) and not _misread_medical_word(view.text, start, end):
            hits.append(Hit("name", start, end))
    return hits


def _misread_medical_word(text: str, start: int, end: int) -> bool:
    """A dictionary name that, with the word it is joined to, is a disease or medicine with at
    most a third of its characters misread: OCR made 関節リウマチ 関征リウマチ (関 + 征, a
    surname and a given name), which is the disease, not a person. A misread keeps some of the
    word's own characters in the name's place (関 of 関節): a whole name written before the word
    (林健関節リウマチ, two edits from it) stays a name, as does one beside it or not making it."""
    joined = _JOINED_WORD.match(text, end)
    if not joined:
        return False
    name, word = text[start:end], text[start:joined.end()]
    return any(Levenshtein.distance(word, known, score_cutoff=len(known) // 3) <= len(known) // 3
               and any(a == b for a, b in zip(name, known))
               for known in _MEDICAL_WORDS)


def _dictionary_names(text: str) -> list[tuple[int, int]]:
    spans = []
    offset = 0
    for line in text.split("\n"):
        words = [t for t in morphology.tokens(line) if t.surface.strip()]
        index = 0
        while index < len(words):
            word = words[index]
            after = words[index + 1] if index + 1 < len(words) else None
            if word.kind == morphology.SURNAME and after and _given_name(line, word, after):
                # A given name the dictionary splits (陽翔: 陽 + 翔, 進一郎: 進 + 一郎) runs on.
                index += 1
                while (index + 1 < len(words) and words[index + 1].kind and words[index + 1].start == words[index].end):
                    index += 1
                spans.append((offset + word.start, offset + words[index].end))
            elif word.kind and after and after.surface in _DICTIONARY_HONORIFICS:
                spans.append((offset + word.start, offset + word.end))
            elif word.kind == morphology.GIVEN and (start := _surname_before(words, index)) is not None:
                spans.append((offset + start, offset + word.end))
            index += 1
        offset += len(line) + 1
    return spans


def _surname_before(words: list[morphology.Token], index: int) -> int | None:
    """Where a surname the dictionary reads as a place or as pieces (千葉 修, 九条 蓮: 九 + 条)
    starts before the given name at `index`: two to four kanji, a proper noun or single kanji
    the dictionary could not join, a word of their own, at most a space before the given name."""
    last = index - 1
    if last < 0 or words[index].start - words[last].end > 1 or not _kanji_noun(words[last]):
        return None
    first = last
    while first > 0 and words[first - 1].end == words[first].start and _kanji_noun(words[first - 1]):
        first -= 1
    if first > 0 and words[first - 1].end == words[first].start and _KANJI.match(words[first - 1].surface[-1]):
        return None  # the tail of a longer word
    run = words[first:index]
    if not (len(run) == 1 and run[0].proper or len(run) > 1 and all(len(w.surface) == 1 for w in run)):
        return None  # 屋号 みどり, 長女 花子: a common noun before a given name
    surname = "".join(w.surface for w in run)
    if (not 2 <= len(surname) <= 4 or surname.endswith(_ROLE_ENDINGS) or _TITLE_BEFORE.search(surname)
            or surname in CATEGORY_OF_LABEL):
        return None  # a title, or a label before its answer (既往歴 有・無: 有 is a given name too)
    return words[first].start


def _kanji_noun(word: morphology.Token) -> bool:
    return word.noun and bool(_KANJI.fullmatch(word.surface))


def _given_name(line: str, surname: morphology.Token, word: morphology.Token) -> bool:
    spaced = word.start > surname.end
    if "\t" in line[surname.end:word.start]:
        return False  # the next cell holds something else
    if word.kind == morphology.GIVEN or word.kind == morphology.SURNAME and spaced:
        return True  # 西園寺 陽翔 is read 西園寺 + 陽 (a surname too) + 翔
    if word.kind or not word.noun or not _GIVEN_LIKE.fullmatch(word.surface) or word.surface.endswith(_ROLE_ENDINGS):
        return False
    return spaced or not _KANJI.match(word.surface)  # kanji right after a surname: a word (中村医院, 佐藤宅)


def _in_office(view: TextView, fields: list[Field], start: int, end: int, allow: AllowList) -> bool:
    """A dictionary name that is no resident's (see the module's docstring)."""
    if allow.allows_person(view.text[start:end]) or on_contact_line(view, start):
        return True
    line_start, line_end = view.line_bounds(view.line_number(start))
    if _AFTER_TITLE.search(view.text, max(line_start, start - 14), start):
        return True
    if any(f.category == "neutral" and f.label in _IN_OFFICE_FIELDS and f.start <= start < f.end for f in fields):
        return True
    line = view.text[line_start:line_end]
    return not _PROSE.search(line) and business_context(view, start, allow)


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
