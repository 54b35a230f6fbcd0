"""The categories of personal data faxgate reports, their names for people, and how a value
is shown to them (never whole)."""

from __future__ import annotations

from policies.labels import PERSONAL_LABELS, SENSITIVE_LABELS

# category → what approval screens and the CLI call it
NAMES_JA = {
    "name": "氏名",
    "birth_date": "生年月日",
    "address": "住所",
    "phone": "電話番号",
    "email": "メールアドレス",
    "my_number": "個人番号",
    "drivers_license": "運転免許証番号",
    "passport": "旅券番号",
    "residence_card": "在留カード番号",
    "pension_number": "基礎年金番号",
    "insurance_number": "被保険者番号",
    "resident_code": "住民票コード",
    "addressee_number": "宛名番号",
    "bank_account": "口座番号",
    "credit_card": "クレジットカード番号",
    "health": "病歴・健康（要配慮）",
    "disability": "障害（要配慮）",
    "criminal_record": "犯罪歴（要配慮）",
    "belief": "信条（要配慮）",
    "race": "人種（要配慮）",
    "social_status": "社会的身分（要配慮）",
    "crime_victim": "犯罪被害（要配慮）",
    "criminal_proceedings": "刑事・少年保護事件の手続（要配慮）",
    # 条例要配慮個人情報: what a municipality's ordinance adds (settings: ordinance_sensitive)
    "nationality": "国籍（条例要配慮）",
    "domestic_violence": "配偶者等からの暴力（条例要配慮）",
}
IDENTIFYING = frozenset(PERSONAL_LABELS)
SENSITIVE = frozenset(SENSITIVE_LABELS)
# The categories an ordinance may make sensitive (条例要配慮個人情報, 個人情報保護法 第60条第5項);
# a municipality lists those its ordinance names, Setagaya's (国籍, DV) by default.
ORDINANCE = frozenset(("nationality", "domestic_violence"))
DEFAULT_ORDINANCE = ("nationality", "domestic_violence")
assert IDENTIFYING | SENSITIVE == set(NAMES_JA)


def hide_middle(value: str) -> str:
    """The value with its middle hidden, safe for approval screens, notices and logs:
    a quarter at each end stays (at most 3 characters), the rest becomes ＊."""
    value = " ".join(value.split())
    if len(value) <= 2:
        return "＊" * len(value)
    keep = min(3, max(1, len(value) // 4))
    return value[:keep] + "＊" * (len(value) - 2 * keep) + value[-keep:]
