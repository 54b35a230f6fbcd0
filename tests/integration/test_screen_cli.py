"""`faxgate scan FILE… [--json]` (gateway/entrypoints/cli/scan.py), driven through click's CliRunner."""

from __future__ import annotations

import json

from click.testing import CliRunner

from gateway.entrypoints.cli.scan import scan_command
from tests.support import docgen
from tests.support.corpus import require_ocr_and_fonts

require_ocr_and_fonts()

FORM = [(20, 25, "利用申請書", 16), (20, 45, "氏名 山田 太郎", 12), (20, 60, "携帯 080-2222-3333", 12)]
CLEAN = [(20, 25, "会議資料の送付", 16), (20, 45, "担当: 保健福祉課 佐藤", 12)]


def scan(*args: str):
    return CliRunner().invoke(scan_command, list(args), catch_exceptions=False)


def write(tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_json_is_one_object_per_file_in_order(tmp_path):
    files = [
        write(tmp_path, "form.pdf", docgen.text_pdf([FORM])),
        write(tmp_path, "clean.tif", docgen.fax_tiff([docgen.render_text_image(CLEAN)])),
        write(tmp_path, "locked.pdf", docgen.encrypted_pdf()),
    ]
    result = scan(*files, "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert [item["file"] for item in body] == files
    assert [item["verdict"] for item in body] == ["block", "pass", "hold"]
    for item in body:
        assert {"file", "verdict", "pages", "findings", "seconds"} <= set(item)
        for finding in item["findings"]:
            assert set(finding) == {"page", "category", "sensitive", "masked", "text", "bbox", "source"}
    form = body[0]
    assert form["pages"] == 1 and {f["category"] for f in form["findings"]} == {"name", "phone"}
    assert all(f["source"] == "text" and not f["masked"] for f in form["findings"])
    assert body[1]["findings"] == [] and body[1]["pages"] == 1
    assert body[2]["hold"]["code"] == "encrypted" and body[2]["pages"] == 0
    assert "山田 太郎" not in result.output and "2222-3333" not in result.output


def test_readable_table_in_japanese(tmp_path):
    result = scan(write(tmp_path, "form.pdf", docgen.text_pdf([FORM])), write(tmp_path, "locked.pdf", docgen.encrypted_pdf()))
    assert result.exit_code == 0
    assert "判定: 送信不可" in result.output and "氏名" in result.output and "電話番号" in result.output
    assert "未マスク（送信不可）" in result.output and "テキスト" in result.output
    assert "保留" in result.output and "パスワード" in result.output


def test_settings_file_sets_the_office_allow_list_and_policy(tmp_path):
    form = write(tmp_path, "form.pdf", docgen.text_pdf([FORM]))
    settings = tmp_path / "screening.toml"
    settings.write_text('[office]\nnumbers = ["080-2222-3333"]\n[categories]\nname = "extra_approver"\n', encoding="utf-8")
    body = json.loads(scan(form, "--json", "--settings", str(settings)).output)
    assert body[0]["verdict"] == "pass" and body[0]["extra_approvers"] == 1
    assert [f["category"] for f in body[0]["findings"]] == ["name"]


def test_usage_errors_exit_2(tmp_path):
    missing = scan(str(tmp_path / "nowhere.pdf"))
    assert missing.exit_code == 2 and "nowhere.pdf" in missing.output
    assert scan().exit_code == 2
    bad = tmp_path / "bad.toml"
    bad.write_text('[categories]\nname = "sometimes"\n', encoding="utf-8")
    result = scan(write(tmp_path, "form.pdf", docgen.text_pdf([FORM])), "--settings", str(bad))
    assert result.exit_code == 2 and "sometimes" in result.output


def test_standard_resolution_option(tmp_path):
    body = json.loads(scan(write(tmp_path, "form.pdf", docgen.text_pdf([FORM])), "--json", "--resolution", "standard").output)
    assert body[0]["verdict"] == "block"
    assert max(f["bbox"][3] for f in body[0]["findings"]) < docgen.page_pixels(dpi=(204, 98))[1]


def test_accepts_the_config_option(tmp_path, config_file):
    result = scan("--config", str(config_file), write(tmp_path, "clean.pdf", docgen.text_pdf([CLEAN])), "--json")
    assert result.exit_code == 0 and json.loads(result.output)[0]["verdict"] == "pass"
