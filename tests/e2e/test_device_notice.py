"""The A4 notice for beside each MFD (countermeasure 6), from the configuration: `faxgate notice
print -o FILE.pdf` and the web app's link write a Japanese A4 PDF (IPAex embedded, its text
layer extracts back) naming this install's address form, web address, outside-line code,
approvers needed and whom to call."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest

from tests.support.web_support import browser, signed_in

A4_PT = (595.3, 841.9)


def _text(pdf: bytes) -> tuple[tuple[float, float], str]:
    document = pdfium.PdfDocument(pdf)
    assert len(document) == 1
    page = document[0]
    return page.get_size(), page.get_textpage().get_text_range().replace("\r\n", "").replace("\n", "")


def test_notice_print_writes_the_configured_facts(tmp_path, config_file, run_cli):
    policy = tmp_path / "policy.toml"
    policy.write_text("[confirmation]\napprovers = 2\njob_ttl_hours = 24\n", encoding="utf-8")
    config_file.write_text(config_file.read_text(encoding="utf-8") + (
        '[pbx]\noutside_line = "9"\narea_code = "042"\n'
        '[smtp]\ndomain = "fax.city.example.jp"\n'
        '[http]\npublic_url = "https://faxgate.city.example.jp"\n'
        '[coversheet]\noffice_name = "八王子市 福祉課"\nphone = "042-626-0000"\n'
        f'[policy]\nfile = "{policy}"\n'), encoding="utf-8")
    out = tmp_path / "notice.pdf"
    result = run_cli("notice", "print", "-o", str(out))
    assert result.exit_code == 0, result.output
    size, text = _text(out.read_bytes())
    assert abs(size[0] - A4_PT[0]) < 1 and abs(size[1] - A4_PT[1]) < 1, "A4"
    for fact in ("八王子市 福祉課", "電話 042-626-0000", "sd-12@fax.city.example.jp", "https://faxgate.city.example.jp/send",
                 "外線発信番号「9」", "承認者2名", "24 時間", "報告第371号"):
        assert fact in text, fact


@pytest.mark.world(people="web", doors="web")
def test_the_web_app_links_the_same_notice(world):
    sato = signed_in(world.port, "sato")
    assert 'href="/notice.pdf"' in sato.get("/send").text
    answer = sato.get("/notice.pdf")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    _, text = _text(answer.content)
    assert "sd-12@fax.example.jp" in text and "承認者1名" in text
    assert browser(world.port).get("/notice.pdf").status_code == 303, "not signed in: off to the login page"
