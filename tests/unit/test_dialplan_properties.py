"""Property: for every valid canonical number, the derived dial string read back through the
simulator reaches that same number with no problems, on every kind of site."""

from __future__ import annotations

import phonenumbers
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from directory.dialplan import DialStringError, dial_string_for, is_reachable, read_dial_string
from directory.profile import PbxProfile

JP_TYPES = sorted(phonenumbers.supported_types_for_region("JP"))
FOREIGN = ("US", "GB", "DE", "FR", "KR", "CN", "AU", "IT", "BR", "SG")

profiles = st.builds(
    PbxProfile,
    outside_line=st.sampled_from(["0", "9", "", "00", "8"]),
    area_code=st.sampled_from(["03", "06", "045", "0466", "01267"]),
    local_dialing=st.booleans(),
)


def _vary(region: str, number_type, digits: str) -> str | None:
    """An example number of the type with its tail replaced: many real numbers, all valid."""
    example = phonenumbers.example_number_for_type(region, number_type)
    if example is None:
        return None
    nsn = phonenumbers.national_significant_number(example)
    keep = max(1, len(nsn) - len(digits))
    candidate = phonenumbers.parse(f"+{example.country_code}{nsn[:keep]}{digits[: len(nsn) - keep]}")
    if not phonenumbers.is_valid_number(candidate):
        return None
    return phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.E164)


@st.composite
def japanese_numbers(draw):
    number_type = draw(st.sampled_from(JP_TYPES))
    number = _vary("JP", number_type, draw(st.text("0123456789", min_size=1, max_size=6)))
    assume(number is not None)
    # Only phonenumbers' withdrawn 10-digit 060 personal numbers are valid yet unreachable.
    if not is_reachable(number):
        assert number_type == phonenumbers.PhoneNumberType.PERSONAL_NUMBER and number.startswith("+8160")
        assume(False)
    return number


@st.composite
def foreign_numbers(draw):
    region = draw(st.sampled_from(FOREIGN))
    types = sorted(phonenumbers.supported_types_for_region(region))
    number = _vary(region, draw(st.sampled_from(types)), draw(st.text("0123456789", min_size=1, max_size=6)))
    assume(number is not None)
    return number


@settings(max_examples=400, deadline=None)
@given(number=japanese_numbers(), profile=profiles, pretty=st.booleans())
def test_derived_dial_string_reaches_the_japanese_number(number, profile, pretty):
    reading = read_dial_string(dial_string_for(number, profile, pretty=pretty), profile)
    assert reading.reaches == number
    assert reading.problems == ()
    assert not reading.blocked and reading.leftover == "" and reading.intended is None


@settings(max_examples=300, deadline=None)
@given(number=foreign_numbers(), profile=profiles)
def test_derived_dial_string_reaches_the_foreign_number(number, profile):
    reading = read_dial_string(dial_string_for(number, profile), profile)
    assert reading.reaches == number
    assert reading.number_class == "international"
    assert reading.problems == ("international",)
    assert not reading.blocked


@settings(max_examples=500, deadline=None)
@given(digits=st.text("0123456789-,p ", min_size=1, max_size=24), profile=profiles)
def test_any_dialable_string_is_read_consistently(digits, profile):
    try:
        reading = read_dial_string(digits, profile)
    except DialStringError:
        assume(False)
        return
    if reading.reaches is None and reading.number_class != "internal":
        assert reading.blocked
    if reading.leftover:
        assert "leftover_digits" in reading.problems and reading.blocked
    if reading.intended is not None:
        assert reading.blocked and reading.intended != reading.reaches
    assert reading.explanation.endswith("。")
