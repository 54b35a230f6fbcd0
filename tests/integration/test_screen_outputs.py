"""policies.screen results as the gateway uses them: the JSON shape, per-category policy and
extra approvers, the office allow-list, settings from TOML, highlight images and the
auto-masked document."""

from __future__ import annotations

import io
import tomllib

import pypdfium2 as pdfium
import pytest
from PIL import Image

from policies.allowlist import AllowList
from policies.highlight import MASKED_COLOUR, UNMASKED_COLOUR, auto_mask, highlight_png
from policies.screen import ScreenSettings, load_for_screening, screen_document, screen_loaded
from policies.settings import settings_from_table
from tests.support import docgen
from tests.support.corpus import OFFICE_FAX, OFFICE_NAME, OFFICE_STAFF, OFFICE_TEL, require_ocr_and_fonts

require_ocr_and_fonts()

FORM = [
    (20, 25, "利用申請書", 16),
    (20, 45, "氏名 山田 太郎", 12),
    (20, 60, "電話 090-1234-5678", 12),
    (20, 75, "既往歴 気管支喘息", 12),
]
COVER = [
    (20, 25, "FAX送信票", 16),
    (20, 45, "宛先: 株式会社ケアサポート世田谷 御中  FAX 03-6805-1234", 11),
    (20, 60, f"送信元: {OFFICE_NAME}", 11),
    (20, 70, f"TEL {OFFICE_TEL}  FAX {OFFICE_FAX}", 11),
    (20, 80, f"担当: {OFFICE_STAFF[0]}  携帯 080-2222-3333", 11),
]


@pytest.fixture(scope="module")
def form() -> bytes:
    return docgen.text_pdf([FORM])


def test_json_has_exactly_the_interface_keys(form):
    result = screen_document(form)
    body = result.to_json()
    assert body["verdict"] == "block" and body["pages"] == 1 and body["hold"] is None
    assert isinstance(body["seconds"], float) and body["extra_approvers"] == 0
    for finding in body["findings"]:
        assert set(finding) == {"page", "category", "sensitive", "masked", "text", "bbox", "source"}
        assert isinstance(finding["bbox"], list) and len(finding["bbox"]) == 4
        assert all(isinstance(v, int) for v in finding["bbox"])
    assert "山田 太郎" not in str(body) and "1234-5678" not in str(body), "values never appear whole"


def test_a_document_loaded_once_screens_the_same(form):
    """The gateway loads a document for other rules (the cover sheet) and screens those pages."""
    document = load_for_screening(form)
    assert screen_loaded(document).findings == screen_document(form).findings


def test_explanations_say_where_and_what_to_do_instead(form):
    ja, en = screen_document(form).explanation()
    assert "1ページの氏名（山＊＊＊郎）" in ja and "郵送・手渡し" in ja and "黒塗り" in ja
    assert "name on page 1" in en
    ja, en = screen_document(docgen.encrypted_pdf()).explanation()
    assert "パスワード" in ja and "password" in en
    masked = docgen.boxed_pdf([FORM], covered={(0, 1), (0, 2)})
    assert "承認者を1人追加" in screen_document(masked).explanation()[0]


def test_category_policy_allow_and_extra_approver():
    allow_phone = ScreenSettings(categories={"phone": "allow", "name": "extra_approver"})
    result = screen_document(docgen.text_pdf([FORM[:3]]), allow_phone)
    assert result.verdict == "pass" and result.extra_approvers == 1
    assert {f.category: f.action for f in result.findings} == {"name": "extra_approver", "phone": "allow"}
    strict = ScreenSettings(categories={"health": "block"})
    masked_form = docgen.boxed_pdf([FORM], covered={(0, 1), (0, 2)})
    assert screen_document(masked_form).verdict == "pass"
    assert screen_document(masked_form, strict).verdict == "block"


def test_the_policy_names_the_findings_that_need_a_privacy_officer():
    masked_form = docgen.boxed_pdf([FORM], covered={(0, 1), (0, 2)})  # name and phone boxed, health readable
    assert not screen_document(masked_form).needs_privacy_officer, "off unless the policy asks"
    for triggers in (["masked"], ["sensitive"], ["health"], ["masked", "sensitive"]):
        result = screen_document(masked_form, ScreenSettings(privacy_officer_for=tuple(triggers)))
        assert result.verdict == "pass" and result.needs_privacy_officer, triggers
        assert result.to_json()["needs_privacy_officer"] is True
    assert not screen_document(masked_form, ScreenSettings(privacy_officer_for=("my_number",))).needs_privacy_officer
    clean = docgen.text_pdf([[(20, 25, "会議のご案内", 16)]])
    assert not screen_document(clean, ScreenSettings(privacy_officer_for=("masked", "sensitive"))).needs_privacy_officer
    blocked = screen_document(docgen.text_pdf([FORM]), ScreenSettings(privacy_officer_for=("sensitive",)))
    assert blocked.verdict == "block" and not blocked.needs_privacy_officer, "a stopped job needs no approver"


def test_sensitive_data_next_to_a_readable_identifier_blocks(form):
    result = screen_document(form, ScreenSettings(categories={"health": "allow", "name": "extra_approver"}))
    assert next(f for f in result.findings if f.category == "health").action == "block"
    assert result.verdict == "block"
    only_allowed = ScreenSettings(categories={"health": "allow", "name": "allow", "phone": "allow"})
    assert screen_document(form, only_allowed).verdict == "pass"


def test_the_office_allow_list_keeps_its_own_details_out():
    data = docgen.text_pdf([COVER])
    office = ScreenSettings(allow=AllowList(organisations=(OFFICE_NAME,), numbers=(OFFICE_TEL, OFFICE_FAX),
                                            staff=OFFICE_STAFF))
    assert screen_document(data, office).verdict == "pass"
    # The staff member's mobile is on a contact line (担当) and passes even without the list;
    # directory numbers are allowed through with_directory.
    assert screen_document(data).verdict == "pass"
    mobile = docgen.text_pdf([[(20, 30, "至急ご連絡ください 080-2222-3333", 12)]])
    assert screen_document(mobile).verdict == "block"
    assert screen_document(mobile, office.with_directory(numbers=["080-2222-3333"])).verdict == "pass"


def test_settings_from_toml():
    table = tomllib.loads("""
resolution = "standard"
time_limit_seconds = 120
privacy_officer_for = ["masked", "disability"]
[categories]
health = "block"
[office]
organisations = ["世田谷区 保健福祉課"]
numbers = ["03-5432-2941"]
staff = ["佐藤 一郎"]
[ocr]
timeout_seconds = 30
min_confidence = 80
[[identifiers]]
category = "addressee_number"
labels = ["世帯番号"]
value = '\\d{8}'
""")
    settings = settings_from_table(table)
    assert settings.resolution == "standard" and settings.time_limit_seconds == 120
    assert settings.action("health") == "block" and settings.action("name") == "block"
    assert settings.action("disability") == "extra_approver"
    assert settings.allow.allows_number("+81354322941") and settings.allow.allows_person("佐藤一郎")
    assert settings.ocr.timeout_seconds == 30 and settings.ocr.min_confidence == 80
    assert settings.identifiers[0].labels == ("世帯番号",)
    assert settings.privacy_officer_for == ("masked", "disability")
    assert settings_from_table({}) == ScreenSettings()


@pytest.mark.parametrize("table, wrong", [
    ({"colour": "red"}, "colour"),
    ({"categories": {"name": "ignore"}}, "ignore"),
    ({"categories": {"shoe_size": "block"}}, "shoe_size"),
    ({"office": {"phones": ["03"]}}, "phones"),
    ({"office": {"numbers": "03-5432-2941"}}, "numbers"),
    ({"ocr": {"min_confidence": 120}}, "min_confidence"),
    ({"resolution": "superfine"}, "superfine"),
    ({"privacy_officer_for": ["unmasked"]}, "unmasked"),
    ({"privacy_officer_for": "masked"}, "privacy_officer_for must be a list"),
    ({"identifiers": [{"category": "name", "labels": ["("], "value": "x"}]}, ""),
])
def test_bad_settings_name_what_is_wrong(table, wrong):
    with pytest.raises(Exception) as caught:
        settings_from_table(table)
    assert wrong in str(caught.value)


def test_highlight_png_draws_boxes_around_findings(form):
    result = screen_document(form)
    png = highlight_png(form, result.findings, 1)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == docgen.page_pixels()
    phone = next(f for f in result.findings if f.category == "phone")
    left, top, right, bottom = phone.bbox
    assert image.getpixel((left - 5, (top + bottom) // 2)) == UNMASKED_COLOUR
    assert image.getpixel(((left + right) // 2, top - 5)) == UNMASKED_COLOUR
    masked = [dict(f.to_json(), masked=True) for f in result.findings]  # the stored JSON form works too
    image = Image.open(io.BytesIO(highlight_png(form, masked, 1)))
    assert image.getpixel((left - 4, (top + bottom) // 2)) == MASKED_COLOUR
    with pytest.raises(IndexError):
        highlight_png(form, result.findings, 2)


def test_auto_mask_burns_boxes_in_and_leaves_no_text(form):
    result = screen_document(form)
    masked = auto_mask(form, [f for f in result.findings if f.category != "health"])
    pdf = pdfium.PdfDocument(masked)
    assert len(pdf) == 1 and pdf[0].get_textpage().get_text_range() == ""
    assert pdf[0].get_size() == pytest.approx((595.3, 841.9), abs=1)
    assert b"\xe5\xb1\xb1" not in masked and "山田".encode("utf-16-be") not in masked
    pdf.close()
    again = screen_document(masked)
    assert again.verdict == "pass", again.findings
    assert {f.category for f in again.findings if not f.masked} == {"health"}
    assert again.extra_approvers == 1
