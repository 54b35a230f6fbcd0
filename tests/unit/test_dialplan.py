"""The dial-string reader against the facts of ../shared/domain/dialing.md."""

from __future__ import annotations

import pytest

from directory.dialplan import DialStringError, dial_string_for, extension_for, national_digits, read_dial_string
from directory.profile import DidRange, PbxProfile, ProfileError


def read(dial: str, **profile):
    return read_dial_string(dial, PbxProfile(**profile))


def test_correct_speed_dial_reaches_the_number(tokyo):
    r = read_dial_string("0-03-5432-1111", tokyo)
    assert (r.outside_line, r.number_class, r.reaches, r.leftover, r.intended, r.problems) == (
        "0", "geographic", "+81354321111", "", None, ()
    )
    assert not r.blocked


def test_report_371_failure_reaches_a_local_wrong_number(tokyo):
    r = read_dial_string("03-5432-1111", tokyo)
    assert r.reaches == "+81335432111"
    assert r.leftover == "1"
    assert r.intended == "+81354321111"
    assert set(r.problems) == {"missing_outside_line", "leftover_digits"}
    assert r.blocked
    assert "03-3543-2111" in r.explanation and "03-5432-1111" in r.explanation


def test_117_service_is_blocked(tokyo):
    r = read_dial_string("0117-555-1234", tokyo)
    assert r.number_class == "service"
    assert r.reaches is None
    assert "emergency_or_service_number" in r.problems
    assert r.blocked
    assert "117" in r.explanation and "時報" in r.explanation


@pytest.mark.parametrize("dial,cls", [("0110", "emergency"), ("0-118", "emergency"), ("0119", "emergency"), ("0-104", "service"), ("0171", "service")])
def test_every_1xy_number_is_blocked(tokyo, dial, cls):
    r = read_dial_string(dial, tokyo)
    assert (r.number_class, r.reaches, r.blocked) == (cls, None, True)
    assert "emergency_or_service_number" in r.problems


@pytest.mark.parametrize("dial,service", [("110", "警察"), ("119", "消防・救急")])
def test_an_emergency_number_without_the_outside_line_code_is_named_as_such(tokyo, dial, service):
    """Not a short extension: the PBX puts emergency calls through without the 0."""
    r = read_dial_string(dial, tokyo)
    assert (r.number_class, r.problems, r.blocked) == ("emergency", ("emergency_or_service_number",), True)
    assert f"緊急通報番号「{dial}」（{service}）" in r.explanation


def test_incomplete_number_reaches_nothing(tokyo):
    r = read_dial_string("0-0466-22-1", tokyo)
    assert (r.number_class, r.reaches, r.problems, r.blocked) == ("incomplete", None, ("incomplete",), True)


@pytest.mark.parametrize(
    "dial,cls,reaches",
    [
        ("0-090-8765-4321", "mobile", "+819087654321"),
        ("0-070-1234-5678", "mobile", "+817012345678"),
        ("0-050-1234-5678", "ip", "+815012345678"),
        ("0-0120-444-555", "toll_free", "+81120444555"),
        ("0-0800-123-4567", "toll_free", "+818001234567"),
        ("0-0570-012-345", "navi_dial", "+81570012345"),
        ("0-020-1234-5678", "pager", "+812012345678"),
        ("0-0990-123-456", "premium", "+81990123456"),
        ("0-0037-612-345", "toll_free", "+810037612345"),
        ("0-06-6543-2100", "geographic", "+81665432100"),
        ("0-0466-22-1234", "geographic", "+81466221234"),
    ],
)
def test_number_classes(tokyo, dial, cls, reaches):
    r = read_dial_string(dial, tokyo)
    assert (r.number_class, r.reaches, r.problems, r.blocked) == (cls, reaches, (), False)


def test_caller_id_prefixes(tokyo):
    sent = read_dial_string("0-186-06-6543-2100", tokyo)
    assert (sent.caller_id, sent.reaches, sent.problems) == ("186", "+81665432100", ())
    withheld = read_dial_string("0-184-06-6543-2100", tokyo)
    assert (withheld.caller_id, withheld.problems, withheld.blocked) == ("184", ("caller_id_withheld",), False)


def test_carrier_code_before_national_and_international(tokyo):
    national = read_dial_string("0-0036-03-5432-1111", tokyo)
    assert (national.carrier, national.reaches, national.problems) == ("0036", "+81354321111", ("carrier_code",))
    kddi = read_dial_string("0-001-010-1-202-555-0123", tokyo)
    assert (kddi.carrier, kddi.number_class, kddi.reaches) == ("001", "international", "+12025550123")
    assert set(kddi.problems) == {"carrier_code", "international"}
    assert not kddi.blocked


def test_carrier_code_not_followed_by_zero_is_invalid(tokyo):
    r = read_dial_string("0-0036-5432-1111", tokyo)
    assert r.reaches is None and "invalid_number" in r.problems and r.blocked


def test_international_with_leftover(tokyo):
    r = read_dial_string("0-010-1-202-555-01239", tokyo)
    assert (r.number_class, r.reaches, r.leftover) == ("international", "+12025550123", "9")
    assert "leftover_digits" in r.problems and r.blocked


def test_local_call_uses_the_site_area_code():
    assert read("0-5432-1111", area_code="03").reaches == "+81354321111"
    assert read("0-22-1234", area_code="0466").reaches == "+81466221234"
    # Yokohama (045): 7-digit local numbers, so the same digits reach another number.
    r = read("0-5432-1111", area_code="045")
    assert (r.reaches, r.leftover) == ("+81455432111", "1")


def test_local_dialing_disallowed_is_invalid():
    r = read("0-5432-1111", area_code="03", local_dialing=False)
    assert r.reaches is None and "invalid_number" in r.problems


def test_leftover_digits_are_a_problem_without_intent(tokyo):
    r = read_dial_string("0-03-5432-11112", tokyo)
    assert (r.reaches, r.leftover, r.intended) == ("+81354321111", "2", None)
    assert r.problems == ("leftover_digits",) and r.blocked


def test_mobile_without_outside_line_is_the_371_case(tokyo):
    r = read_dial_string("090-8765-4321", tokyo)
    assert r.intended == "+819087654321"
    assert r.reaches != r.intended and "missing_outside_line" in r.problems


def test_outside_line_nine_and_missing_code_goes_to_an_extension():
    r = read("03-5432-1111", outside_line="9")
    assert (r.number_class, r.extension, r.reaches) == ("internal", "0354", None)
    assert r.intended == "+81354321111"
    assert {"missing_outside_line", "leftover_digits"} <= set(r.problems)
    ok = read("9-03-5432-1111", outside_line="9")
    assert (ok.outside_line, ok.reaches, ok.problems) == ("9", "+81354321111", ())


def test_internal_extension(tokyo):
    r = read_dial_string("2345", tokyo)
    assert (r.number_class, r.extension, r.reaches, r.problems, r.blocked) == ("internal", "2345", None, (), False)
    assert read_dial_string("234", tokyo).problems == ("incomplete",)


def test_direct_line_reads_the_whole_string():
    r = read("03-5432-1111", outside_line="")
    assert (r.outside_line, r.reaches, r.problems) == ("", "+81354321111", ())
    # A speed dial carried over from a PBX keeps its outside 0 on a direct line: nothing is reached.
    moved = read("0-03-5432-1111", outside_line="")
    assert moved.blocked and moved.intended == "+81354321111"
    assert "missing_outside_line" not in moved.problems


def test_separators_pauses_and_full_width_are_cosmetic(tokyo):
    for dial in ("0,03-5432-1111", "0p(03)5432 1111", "０－０３－５４３２－１１１１", "0ー03ー5432ー1111", "0w0354321111"):
        assert read_dial_string(dial, tokyo).reaches == "+81354321111", dial


@pytest.mark.parametrize("dial", ["03-5432-111x", "+81354321111", "03.5432.1111", "", "---", "0-03-5432-1111\n"])
def test_undialable_characters_are_refused(tokyo, dial):
    with pytest.raises(DialStringError):
        read_dial_string(dial, tokyo)


def test_json_shape(tokyo):
    data = read_dial_string("03-5432-1111", tokyo).to_json()
    assert {"dial", "outside_line", "caller_id", "carrier", "number_class", "reaches", "leftover", "intended",
            "problems", "blocked", "explanation"} <= set(data)
    assert data["dial"] == "03-5432-1111" and data["problems"] == ["missing_outside_line", "leftover_digits"]


def test_dial_string_for_profiles():
    assert dial_string_for("+81354321111", PbxProfile()) == "0-03-5432-1111"
    assert dial_string_for("+81354321111", PbxProfile(), pretty=False) == "00354321111"
    assert dial_string_for("+81354321111", PbxProfile(outside_line="9")) == "9-03-5432-1111"
    assert dial_string_for("+81354321111", PbxProfile(outside_line="")) == "03-5432-1111"
    assert dial_string_for("+12025550123", PbxProfile()) == "0-010-1-2025550123"
    with pytest.raises(ValueError):
        dial_string_for("+8135432111", PbxProfile())


def test_extension_for_in_house_numbers():
    profile = PbxProfile(did_ranges=(DidRange(prefix="+8135432", extension_prefix=""),))
    assert extension_for("+81354321111", profile) == "1111"
    assert extension_for("+81354331111", profile) is None
    two = PbxProfile(extension_length=4, did_ranges=(DidRange(prefix="+81354321", extension_prefix="5"),))
    assert extension_for("+81354321234", two) == "5234"


@pytest.mark.parametrize(
    "settings",
    [{"outside_line": "x"}, {"area_code": "3"}, {"area_code": "0312345"}, {"extension_length": 1},
     {"did_ranges": (DidRange(prefix="8135"),)}],
)
def test_profile_validation(settings):
    with pytest.raises(ProfileError):
        PbxProfile(**settings)


@pytest.mark.parametrize("e164, digits", [
    ("+81354321111", "0354321111"),
    ("+819012345678", "09012345678"),
    ("+12025550123", "01012025550123"),
    (None, ""),
])
def test_national_digits_as_dialled_from_a_japanese_line(e164, digits):
    assert national_digits(e164) == digits
