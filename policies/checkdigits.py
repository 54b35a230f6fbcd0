"""Check digits of the numbers the recognizers meet: they tell an identifier from a random
run of digits (a roster's serial numbers, amounts, dates written without separators)."""

from __future__ import annotations


def my_number_check_digit(first11: str) -> int:
    """The check digit of the Individual Number (番号法施行令 第8条): for the first 11 digits
    P1..P11 counted from the right, Q = n+1 (n ≤ 6) or n−5 (n ≥ 7); r = Σ Pn·Qn mod 11;
    0 if r ≤ 1, else 11 − r."""
    total = 0
    for n, digit in enumerate(reversed(first11), start=1):
        total += int(digit) * (n + 1 if n <= 6 else n - 5)
    remainder = total % 11
    return 0 if remainder <= 1 else 11 - remainder


def is_my_number(digits: str) -> bool:
    return len(digits) == 12 and digits.isdigit() and my_number_check_digit(digits[:11]) == int(digits[11])


def corporate_number_check_digit(last12: str) -> int:
    """The leading check digit of the Corporate Number (法人番号): for the 12 base digits
    P1..P12 counted from the right, Q = 1 for odd n and 2 for even n; 9 − (Σ Pn·Qn mod 9)."""
    total = sum(int(d) * (1 if n % 2 else 2) for n, d in enumerate(reversed(last12), start=1))
    return 9 - total % 9


def is_corporate_number(digits: str) -> bool:
    return len(digits) == 13 and digits.isdigit() and corporate_number_check_digit(digits[1:]) == int(digits[0])


def luhn_valid(digits: str) -> bool:
    """The Luhn check every payment card number carries in its last digit."""
    if not digits.isdigit() or len(digits) < 2:
        return False
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0
