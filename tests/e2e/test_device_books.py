"""One book per device (issue 15): each device's speed dials are its own, read and written with
its site's PBX profile; importing one device's book never touches another's."""

from __future__ import annotations

import datetime as dt
import json

import pytest

HEADER = "slot,name,organization,fax,last_used,kind,extension,verified_on\n"


@pytest.fixture
def city(run_cli, tmp_path):
    """Site main (the `[pbx]` defaults: 0 / 03) with mfd-honcho, site tama (9 / 042) with mfd-tama."""
    assert run_cli("sites", "add", "tama", "--outside-line", "9", "--area-code", "042").exit_code == 0
    for name, site, address in (("mfd-honcho", "main", "10.0.0.1"), ("mfd-tama", "tama", "10.1.0.1")):
        assert run_cli("devices", "add", name, "--site", site, "--address", address).exit_code == 0

    def book(name: str, rows: str):
        path = tmp_path / f"{name}.csv"
        path.write_text(HEADER + rows.format(today=dt.date.today().isoformat()), encoding="utf-8")
        return path

    return book


def show(run_cli, slot, *options):
    result = run_cli("directory", "show", str(slot), *options, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_two_devices_books_are_imported_without_touching_each_other(run_cli, import_approved, city):
    # Each written as its own device dials: 0 + 03… at the ward office, 9 + 042… at tama.
    honcho = city("honcho", "1,子ども家庭支援係,世田谷区,0-03-5432-1111,{today},external,,{today}\n"
                            "2,町田保健所,東京都,0-042-722-1234,{today},external,,{today}\n")
    tama = city("tama", "1,町田保健所,東京都,9-042-722-1234,{today},external,,{today}\n")
    import_approved(honcho, "--device", "mfd-honcho")
    report = import_approved(tama, "--device", "mfd-tama")
    assert report["pending"] == 1 and report["site"] == "tama"

    at_honcho, at_tama = show(run_cli, 1, "--device", "mfd-honcho"), show(run_cli, 1, "--device", "mfd-tama")
    assert (at_honcho["e164"], at_honcho["status"], at_honcho["name"]) == ("+81354321111", "active", "子ども家庭支援係")
    assert (at_tama["e164"], at_tama["status"], at_tama["site"]) == ("+81427221234", "active", "tama"), \
        "read with tama's PBX: 9 is its outside line"
    assert at_tama["dial_string"] == "9-042-722-1234" and show(run_cli, 2, "--device", "mfd-honcho")[
        "dial_string"] == "0-042-722-1234", "the same destination, each device's own dial string"
    assert run_cli("directory", "show", "2", "--device", "mfd-tama").exit_code != 0, "not in tama's book"

    # Re-importing the ward office's book with slot 1 changed leaves tama's slot 1 as it was.
    before = show(run_cli, 1, "--device", "mfd-tama")
    changed = city("honcho2", "1,国保課,世田谷区,0-03-6000-1234,{today},external,,{today}\n")
    import_approved(changed, "--device", "mfd-honcho")
    assert show(run_cli, 1, "--device", "mfd-honcho")["e164"] == "+81360001234"
    assert show(run_cli, 1, "--device", "mfd-tama") == before

    # With several books, nothing is guessed.
    unsure = run_cli("directory", "show", "1", "--json")
    assert unsure.exit_code != 0 and "--device" in unsure.output


def test_export_derives_each_device_s_dial_strings_from_its_site(run_cli, import_approved, city, tmp_path):
    row = "5,町田保健所,東京都,{dial},{today},external,,{today}\n"
    import_approved(city("honcho", row.replace("{dial}", "0-042-722-1234")), "--device", "mfd-honcho")
    import_approved(city("tama", row.replace("{dial}", "9-042-722-1234")), "--device", "mfd-tama")
    for device, dial in (("mfd-honcho", "00427221234"), ("mfd-tama", "90427221234")):
        out = tmp_path / f"{device}-out.csv"
        result = run_cli("directory", "export", "--format", "generic", "--device", device, "-o", str(out), "--json")
        assert result.exit_code == 0, result.output
        lines = out.read_text(encoding="utf-8-sig").splitlines()
        header = lines[0].split(",")
        assert lines[1].split(",")[header.index("fax")] == dial, (device, lines)


def test_a_device_s_book_is_read_with_its_site_s_profile_on_import(run_cli, import_approved, city):
    """tama's string written as the ward office dials it lacks tama's outside line 9: it comes in
    for review, never active."""
    report = import_approved(city("tama", "1,子ども家庭支援係,世田谷区,0-03-5432-1111,{today},external,,{today}\n"),
                             "--device", "mfd-tama")
    assert [item["slot"] for item in report["needs_review"]] == [1]
    assert show(run_cli, 1, "--device", "mfd-tama")["status"] == "needs_review"


def test_without_devices_books_the_single_shared_book_is_used(run_cli, import_approved, tmp_path):
    path = tmp_path / "book.csv"
    path.write_text(HEADER + "1,子ども家庭支援係,世田谷区,0-03-5432-1111,,external,,\n", encoding="utf-8")
    import_approved(path)
    assert show(run_cli, 1)["e164"] == "+81354321111"
    assert run_cli("devices", "add", "mfd-1", "--address", "10.0.0.5").exit_code == 0
    assert show(run_cli, 1)["e164"] == "+81354321111", "the only device dials the shared book"
    assert show(run_cli, 1, "--device", "mfd-1")["e164"] == "+81354321111"
