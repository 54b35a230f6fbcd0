"""The audit across every device's book on a fixture city of several sites (issue 15): the same
destination under different slots, one slot reaching different numbers on two devices, a number
one book has corrected and another still dials; per device and across all books."""

from __future__ import annotations

import datetime as dt
import json

import pytest

HEADER = "slot,name,organization,fax,last_used,kind,extension,verified_on\n"
# Site, outside line, area code; devices per site.
CITY = {"main": ("0", "03", ["mfd-honcho-2f", "mfd-honcho-3f"]), "tama": ("9", "042", ["mfd-tama"]),
        "kita": ("", "03", ["mfd-kita"])}


@pytest.fixture
def city(run_cli, import_approved, tmp_path):
    for site, (outside, area, _) in CITY.items():
        if site != "main":
            assert run_cli("sites", "add", site, "--outside-line", outside, "--area-code", area).exit_code == 0
    n = 0
    for site, (_, _, devices) in CITY.items():
        for device in devices:
            n += 1
            assert run_cli("devices", "add", device, "--site", site, "--address", f"10.0.0.{n}").exit_code == 0
    today = dt.date.today().isoformat()

    def load(device, rows):
        path = tmp_path / f"{device}-{len(rows)}.csv"
        path.write_text(HEADER + "".join(f"{slot},{name},,{dial},{today},external,,{today}\n"
                                         for slot, name, dial in rows), encoding="utf-8")
        import_approved(path, "--device", device)

    # The health centre's fax moved from 03-5432-1111 to 03-5432-1119: 2F corrected it, 3F and
    # kita still dial the old number. Each device writes the dial string its own PBX needs.
    load("mfd-honcho-2f", [(1, "保健センター", "0-03-5432-1111"), (2, "町田保健所", "0-042-722-1234")])
    load("mfd-honcho-2f", [(1, "保健センター", "0-03-5432-1119"), (2, "町田保健所", "0-042-722-1234")])
    load("mfd-honcho-3f", [(1, "保健センター", "0-03-5432-1111"), (3, "町田保健所", "0-042-722-1234")])
    load("mfd-tama", [(2, "町田保健所", "9-042-722-1234"), (1, "多摩の登録", "9-042-722-9999")])
    load("mfd-kita", [(7, "保健センター", "03-5432-1111")])


def audit(run_cli, *options):
    result = run_cli("directory", "audit", *options, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def codes(findings):
    return {(f["code"], f["number"], tuple((p["device"], p["slot"]) for p in f["places"])) for f in findings}


def test_across_every_book(run_cli, city):
    report = audit(run_cli, "--all-books")
    assert {b["device"]: b["site"] for b in report["books"]} == {
        "mfd-honcho-2f": "main", "mfd-honcho-3f": "main", "mfd-tama": "tama", "mfd-kita": "kita"}
    assert all("PBX で読む" in b["reading"] for b in report["books"])
    found = codes(report["across"])
    # 町田保健所 is slot 2 on 2F and tama, slot 3 on 3F.
    assert ("same_destination_different_slots", "+81427221234",
            (("mfd-honcho-2f", 2), ("mfd-honcho-3f", 3), ("mfd-tama", 2))) in found
    # Slot 1: the health centre's new number on 2F, its old one on 3F, another number at tama.
    assert ("slot_differs_between_books", None,
            (("mfd-honcho-2f", 1), ("mfd-honcho-3f", 1), ("mfd-tama", 1))) in found
    # 3F and kita still dial what 2F corrected away from.
    assert ("corrected_elsewhere", "+81354321111", (("mfd-honcho-3f", 1), ("mfd-honcho-2f", 1))) in found
    assert ("corrected_elsewhere", "+81354321111", (("mfd-kita", 7), ("mfd-honcho-2f", 1))) in found
    assert not any(code == "corrected_elsewhere" and places[0][0] == "mfd-tama" for code, _, places in found)
    # Each book is also audited alone, with its own site's reading: kita is a direct line.
    kita = next(b for b in report["books"] if b["device"] == "mfd-kita")
    assert kita["entries"] == 1 and not any(f["code"] == "missing_outside_line" for f in kita["findings"])


def test_per_device(run_cli, city):
    tama = audit(run_cli, "--device", "mfd-tama")
    assert (tama["device"], tama["site"], tama["entries"]) == ("mfd-tama", "tama", 2)
    assert {f["code"] for f in tama["across"]} == {"same_destination_different_slots", "slot_differs_between_books"}
    kita = audit(run_cli, "--device", "mfd-kita")
    assert {f["code"] for f in kita["across"]} == {"corrected_elsewhere", "same_destination_different_slots"}
    text = run_cli("directory", "audit", "--device", "mfd-kita")
    assert "機器 mfd-kita の宛先表（拠点 kita の PBX で読む）" in text.output and "他の機器で訂正済み" in text.output
