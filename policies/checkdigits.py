"""Check digits of the numbers the recognizers meet: they tell an identifier from a random
run of digits (a roster's serial numbers, amounts, dates written without separators).

python-stdnum computes them: the Individual Number (番号法施行令 第8条, `stdnum.jp.in_`), the
Corporate Number (法人番号, `stdnum.jp.cn`) and the Luhn digit of payment cards
(`stdnum.luhn`). No maintained library checks the other Japanese identifiers (a driving
licence's check digit is not published; pension, passport and residence card numbers have
none that can be verified from the number alone), so those are found by their labels.
"""

from __future__ import annotations

from stdnum import luhn
from stdnum.jp import cn, in_


def my_number_check_digit(first11: str) -> int:
    return int(in_.calc_check_digit(first11))


def is_my_number(digits: str) -> bool:
    return len(digits) == 12 and digits.isdigit() and in_.is_valid(digits)


def corporate_number_check_digit(last12: str) -> int:
    """The Corporate Number's check digit comes first, computed from the 12 digits after it."""
    return int(cn.calc_check_digit(last12))


def is_corporate_number(digits: str) -> bool:
    return len(digits) == 13 and digits.isdigit() and cn.is_valid(digits)


def luhn_valid(digits: str) -> bool:
    """The Luhn check every payment card number carries in its last digit."""
    return len(digits) >= 2 and digits.isdigit() and luhn.is_valid(digits)
