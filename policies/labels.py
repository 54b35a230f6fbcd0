"""The labels forms put before a value, by what the value is.

Labels are matched on normalised text (NFKC: ＴＥＬ is TEL). A label only counts where a label
can stand: at the start of a line or cell, or after a space, punctuation, a digit, the
particle の (母の氏名) or the polite お/ご (ご連絡先), never inside a word (代表者氏名 is not 氏名; カタカナ is not カナ;
そばアレルギー is a value, not the label アレルギー).
"""

from __future__ import annotations

import re

from rapidfuzz.distance import Levenshtein

# Identifying data: the value after these labels identifies a person.
PERSONAL_LABELS: dict[str, tuple[str, ...]] = {
    "name": (
        "氏名", "お名前", "名前", "申請者氏名", "申請者名", "申請者", "世帯主氏名", "世帯主名", "世帯主",
        "患者氏名", "患者名", "対象者氏名", "対象者名", "対象者", "利用者氏名", "利用者名", "保護者氏名",
        "保護者名", "児童氏名", "児童名", "本人氏名", "届出人氏名", "届出人", "被保険者氏名", "受給者氏名",
        "受給者名", "母氏名", "母親氏名", "父氏名", "父親氏名", "子の氏名", "子氏名", "配偶者氏名",
        "相談者氏名", "相談者名", "相談者", "請求者氏名", "請求者", "依頼者氏名", "宛名",
        "被扶養者氏名", "入所者氏名", "契約者氏名", "フリガナ", "ふりがな", "カナ氏名", "氏名カナ",
        "氏名(カナ)", "カナ", "Name", "NAME",
    ),
    "birth_date": ("生年月日", "誕生日", "出生日", "出生年月日", "生年"),
    "address": (
        "住所", "現住所", "住居", "居所", "自宅住所", "住民票住所", "送付先住所", "送付先", "本籍地", "本籍",
        "住所地", "お住まい", "Address",
    ),
    "phone": (
        "電話番号", "電話", "TEL", "Tel", "tel", "携帯電話番号", "携帯電話", "携帯番号", "携帯", "自宅電話番号",
        "自宅電話", "自宅", "連絡先電話番号", "連絡先", "緊急連絡先", "日中連絡先", "Phone",
    ),
    "email": ("メールアドレス", "電子メール", "メール", "E-mail", "e-mail", "Email", "EMAIL", "Mail", "mail"),
    "my_number": ("個人番号", "マイナンバー", "個人番号(マイナンバー)"),
    "drivers_license": ("運転免許証番号", "運転免許番号", "免許証番号", "免許番号", "運転免許証"),
    "passport": ("旅券番号", "パスポート番号", "旅券", "パスポート", "Passport No.", "Passport"),
    "residence_card": ("在留カード番号", "在留カード", "特別永住者証明書番号"),
    "pension_number": ("基礎年金番号", "年金番号", "年金手帳番号", "年金手帳の番号"),
    "insurance_number": (
        "被保険者番号", "被保険者証番号", "被保険者証の番号", "保険証番号", "保険証記号番号", "記号番号",
        "記号・番号", "介護保険被保険者番号", "受給者番号", "受給者証番号",
    ),
    "resident_code": ("住民票コード",),
    "addressee_number": ("宛名番号", "宛名コード", "個人コード", "住民番号"),
    "bank_account": ("口座番号", "振込先口座", "口座"),
    "credit_card": ("クレジットカード番号", "カード番号"),
}

# Sensitive data (要配慮個人情報): a value after these labels reveals it.
SENSITIVE_LABELS: dict[str, tuple[str, ...]] = {
    "health": (
        "病名", "傷病名", "診断名", "既往歴・アレルギー", "疾病名", "疾患名", "疾病", "疾患", "既往歴", "既往症", "病歴", "現病歴",
        "主訴", "症状", "アレルギー", "アレルギーの有無", "食物アレルギー", "服薬", "服薬状況", "服用中の薬",
        "内服薬", "常用薬", "処方", "処方薬", "通院先", "通院歴", "入院歴", "主治医", "治療内容", "治療歴",
        "妊娠週数", "妊娠", "出産予定日", "分娩予定日", "健康状態", "感染症", "検査結果", "病状",
    ),
    "disability": (
        "障害者手帳", "身体障害者手帳", "療育手帳", "精神障害者保健福祉手帳", "障害の内容", "障害名", "障害等級",
        "障害の状況", "障がいの状況", "障がいの内容", "障害支援区分", "要介護度", "要介護状態区分", "要支援",
    ),
    "criminal_record": ("犯罪歴", "前科", "犯歴", "刑罰歴"),
    "belief": ("信条", "宗教", "信仰", "支持政党"),
    "race": ("人種", "民族"),
    "social_status": ("社会的身分", "門地"),
    "crime_victim": ("被害状況", "被害の状況", "被害内容", "被害の内容", "被害事実", "犯罪被害", "被害届"),
    "criminal_proceedings": ("逮捕歴", "補導歴", "非行歴", "保護処分", "処分歴", "事件の概要", "事件の内容", "係属事件"),
    "nationality": ("国籍",),
    "domestic_violence": ("DV被害", "DVの有無", "DV", "配偶者等からの暴力", "配偶者からの暴力", "配偶者暴力", "支援措置"),
}

# Labels whose value is none of the above: they end the value before them on a line
# (氏名 山田太郎 性別 男), and some of them say the value is not personal (担当, 所在地).
NEUTRAL_LABELS = (
    "性別", "年齢", "続柄", "職業", "勤務先", "勤務先電話", "学校名", "備考", "日付", "記入日", "申請日",
    "提出日", "受付日", "作成日", "送信日", "件名", "宛先", "送信先", "送信元", "発信元", "担当者", "担当",
    "発信者", "送信者", "作成者", "記入者", "枚数", "送信枚数", "FAX", "Fax", "fax", "ファクス", "ファックス",
    "郵便番号", "理由", "申請理由", "世帯構成", "家族構成", "所属", "会社名", "事業所名", "所在地",
    "本社", "代表者", "代表者名", "代表電話", "署名", "人数", "金額", "合計",
    "品名", "数量", "単価", "支払期限", "登録番号", "法人番号", "振込先", "銀行名", "支店名", "口座名義",
    "内容", "用件", "通信欄", "No.", "番号", "期間", "時間", "場所", "対象", "有効期限", "交付日",
    "会場", "開催場所", "開催会場", "集合場所", "実施場所", "会場住所",
)

# Labels that name the office's own contact person: the value is staff, not a resident.
CONTACT_LABELS = ("担当者", "担当", "発信者", "送信者", "作成者", "発信元", "送信元", "連絡担当")

CATEGORY_OF_LABEL: dict[str, str] = {}
for _category, _labels in {**PERSONAL_LABELS, **SENSITIVE_LABELS}.items():
    for _label in _labels:
        CATEGORY_OF_LABEL.setdefault(_label, _category)
for _label in NEUTRAL_LABELS:
    CATEGORY_OF_LABEL.setdefault(_label, "neutral")

# Single characters (年 月 日 印) are too common inside values to be read as labels.
_WORDS = sorted((label for label in CATEGORY_OF_LABEL if len(label) > 1), key=len, reverse=True)
LABEL = re.compile(
    r"(?<![\u4e00-\u9fff\u3005\u30a0-\u30ffA-Za-z\u3041-\u3049\u304b-\u3053\u3055-\u306d\u306f-\u309f])(?:"
    + "|".join(re.escape(w) for w in _WORDS) + r")(?![A-Za-z])"
)

# Kinds of organisation: a line that names one holds business details, not a resident's.
ORGANISATION = re.compile(
    r"株式会社|有限会社|合同会社|合資会社|合名会社|\(株\)|\(有\)|㈱|㈲|社団法人|財団法人|医療法人|社会福祉法人|"
    r"学校法人|宗教法人|NPO法人|特定非営利活動法人|独立行政法人|協同組合|組合|役所|役場|県庁|都庁|府庁|道庁|"
    r"区長|市長|町長|村長|知事|センター|事務所|営業所|出張所|支所|本社|支社|支店|工場|病院|医院|クリニック|"
    r"診療所|薬局|保健所|学校|大学|幼稚園|保育園|保育所|協会|連合会|委員会|御中|Co\.|Ltd|Inc|Corp|"
    # Public facilities, where a notice sends people: a venue's address is no one's home.
    r"会館|ホール|公民館|図書館|体育館|児童館|集会所|庁舎|総合支所|"
    # Units of an organisation. Surnames end in 室 and 部 too (氷室, 服部, 長谷部): a unit needs
    # two kanji before 課 係 局 署 班 室, and 部 a word that says what the department does.
    r"[\u4e00-\u9fff]{2,12}(?<!号)(?:課|係|局|署|班|室)(?=$|[\s\t(:：\-]|TEL|Tel|電話|FAX|Fax)|"
    r"(?:営業|総務|経理|人事|企画|管理|開発|技術|製造|保健|福祉|医療|健康|子ども|若者|生活|経済|都市|環境|教育|"
    r"政策|推進|支援|事業|業務|広報|財務|法務|情報)[\u4e00-\u9fff・]{0,8}部(?=$|[\s\t(:：\-]|TEL|Tel|電話|FAX|Fax)"
)

# OCR misreads a printed label now and then (フリガナ read ウリガナ, or リガみE on a JPEG scan):
# a cell that is a label of four characters or more with at most half of them wrong, and
# no digit in it, is that label — not the value of the label above it.
_FUZZY_LABELS = tuple(label for label in _WORDS if len(label) >= 4 and not label.isascii())
_JAPANESE = re.compile(r"[\u3041-\u30ff\u4e00-\u9fff・]")


def misread_label(cell: str) -> bool:
    if any(c.isdigit() for c in cell):
        return False
    letters = "".join(_JAPANESE.findall(cell))
    if len(letters) < 3 or len(cell.replace(" ", "")) - len(letters) > 1:
        return False  # one stray Latin letter or mark at most (the edge of a box read as E or l)
    return any(abs(len(label) - len(letters)) <= 1 and _near(letters, label) for label in _FUZZY_LABELS)


def _near(letters: str, label: str) -> bool:
    """At most half the label's characters inserted, deleted or replaced (Levenshtein)."""
    most = len(label) // 2
    return Levenshtein.distance(letters, label, score_cutoff=most) <= most

