"""Groups of devices sharing one book, and one entry at a time in a device's book (issue 15):
`devices add --book` puts devices in a group that dials one book; `directory set | verify |
retire | reactivate --device` change the entry in that device's book only, and `directory
changes` says which book a waiting change is in."""

from __future__ import annotations

import datetime as dt
import json

import pypdfium2
import pytest

from tests.support.harness import CHECKER, MAKER, make_config

HEADER = "slot,name,organization,fax,last_used,kind,extension,verified_on\n"
ROW = "1,子ども家庭支援係,世田谷区,{dial},{today},external,,{today}\n"


@pytest.fixture
def config_file(tmp_path):
    """The CLI's configuration with the test signing keys (the signed audit report needs them)."""
    keys = make_config(tmp_path, 1, 1).records
    path = tmp_path / "faxgate.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/faxgate.db"\n[records]\nkey_file = "{keys.key_file}"\n'
                    f'cert_file = "{keys.cert_file}"\nchain_file = "{keys.chain_file}"\n'
                    f'trust_root = "{keys.trust_root}"\n', encoding="utf-8")
    return path


@pytest.fixture
def city(run_cli, import_approved, tmp_path):
    """Two devices on the third floor sharing book `3f`, and tama's device with its own book; the
    same slot 1 imported into each book as that site dials it."""
    assert run_cli("sites", "add", "tama", "--outside-line", "9", "--area-code", "042").exit_code == 0
    for name, site, address, book in (("mfd-3f-a", "main", "10.0.0.1", "3f"), ("mfd-3f-b", "main", "10.0.0.2", "3f"),
                                      ("mfd-tama", "tama", "10.1.0.1", None)):
        options = ["--book", book] if book else []
        result = run_cli("devices", "add", name, "--site", site, "--address", address, *options)
        assert result.exit_code == 0, result.output
    today = dt.date.today().isoformat()
    for device, dial in (("mfd-3f-a", "0-03-5432-1111"), ("mfd-tama", "9-03-5432-1111")):
        path = tmp_path / f"{device}.csv"
        path.write_text(HEADER + ROW.format(dial=dial, today=today), encoding="utf-8")
        import_approved(path, "--device", device)


def show(run_cli, slot, device):
    result = run_cli("directory", "show", str(slot), "--device", device, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_devices_of_a_group_dial_one_book(run_cli, city):
    in_a, in_b = show(run_cli, 1, "mfd-3f-a"), show(run_cli, 1, "mfd-3f-b")
    assert in_b.pop("device") == "mfd-3f-b" and in_a.pop("device") == "mfd-3f-a"
    assert in_a == in_b and in_a["status"] == "active", "imported for one device of the group, dialled by both"
    assert in_a["dial_string"] == "0-03-5432-1111" and show(run_cli, 1, "mfd-tama")["dial_string"] == "9-03-5432-1111"
    assert run_cli("devices", "add", "mfd-x", "--site", "main", "--address", "10.0.0.9", "--book", " ").exit_code != 0


def test_one_entry_is_changed_in_the_named_device_s_book_only(run_cli, city):
    group_before = show(run_cli, 1, "mfd-3f-a")
    retired = run_cli("directory", "retire", "1", "--device", "mfd-tama", "--by", MAKER, "--note", "移転")
    assert retired.exit_code == 0, retired.output
    assert "[宛先表 mfd-tama]" in retired.output
    assert show(run_cli, 1, "mfd-tama")["status"] == "retired"
    assert show(run_cli, 1, "mfd-3f-a") == group_before, "the group's book is not touched"

    again = run_cli("directory", "reactivate", "1", "--device", "mfd-tama", "--by", MAKER)
    assert again.exit_code == 0, again.output
    change = show(run_cli, 1, "mfd-tama")["pending_change"]
    listed = run_cli("directory", "changes")
    assert f"変更 #{change}" in listed.output and "[宛先表 mfd-tama] 登録番号 1" in listed.output, listed.output
    assert run_cli("directory", "approve", str(change), "--by", CHECKER).exit_code == 0
    assert show(run_cli, 1, "mfd-tama")["status"] == "active"

    verified = run_cli("directory", "verify", "1", "--device", "mfd-3f-b", "--by", "佐藤", "--on", "2026-11-30")
    assert verified.exit_code == 0, verified.output
    assert show(run_cli, 1, "mfd-3f-a")["verified_by"] == "佐藤", "the group's one book"
    assert show(run_cli, 1, "mfd-tama")["verified_by"] != "佐藤"

    renamed = run_cli("directory", "set", "1", "--device", "mfd-tama", "--name", "子ども家庭支援係（多摩）", "--by", MAKER)
    assert renamed.exit_code == 0, renamed.output
    assert show(run_cli, 1, "mfd-tama")["name"] == "子ども家庭支援係（多摩）"
    assert show(run_cli, 1, "mfd-3f-a")["name"] == "子ども家庭支援係"


def test_without_device_nothing_is_guessed(run_cli, city):
    for command in (["retire", "1"], ["reactivate", "1"], ["set", "1", "--name", "x"]):
        result = run_cli("directory", *command, "--by", MAKER)
        assert result.exit_code != 0 and "--device" in result.output, (command, result.output)
    result = run_cli("directory", "verify", "1", "--by", "佐藤")
    assert result.exit_code != 0 and "--device" in result.output


def test_the_signed_audit_report_names_the_book_and_its_site(run_cli, city, tmp_path):
    report = tmp_path / "tama-audit.pdf"
    made = run_cli("directory", "audit", "--device", "mfd-tama", "--signed-pdf", str(report))
    assert made.exit_code == 0, made.output
    text = "".join(page.get_textpage().get_text_range() for page in pypdfium2.PdfDocument(str(report)))
    assert "機器 mfd-tama の宛先表" in text and "拠点 tama" in text, text[:400]
    assert run_cli("records", "verify", str(report)).exit_code == 0
