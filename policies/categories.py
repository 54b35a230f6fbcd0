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
}
IDENTIFYING = frozenset(PERSONAL_LABELS)
SENSITIVE = frozenset(SENSITIVE_LABELS)
assert IDENTIFYING | SENSITIVE == set(NAMES_JA)


def hide_middle(value: str) -> str:
    """The value with its middle hidden, safe for approval screens, notices and logs:
    a quarter at each end stays (at most 3 characters), the rest becomes ＊."""
    value = " ".join(value.split())
    if len(value) <= 2:
        return "＊" * len(value)
    keep = min(3, max(1, len(value) // 4))
    return value[:keep] + "＊" * (len(value) - 2 * keep) + value[-keep:]
