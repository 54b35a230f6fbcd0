"""`faxgate sites add/list`, `dial explain --site` and `devices add --site` (issue 15): the same
dial string read differently at two sites; `[pbx]` becomes site `main`; no sites, no change."""

from __future__ import annotations

import json


def explain(run_cli, dial, *options):
    result = run_cli("dial", "explain", dial, *options, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_without_sites_nothing_changes(run_cli):
    listed = run_cli("sites", "list", "--json")
    assert listed.exit_code == 0 and json.loads(listed.output) == []
    assert run_cli("devices", "add", "mfd-1", "--address", "10.0.0.5").exit_code == 0, "no --site needed"
    assert explain(run_cli, "0-03-5432-1111")["reaches"] == "+81354321111"


def test_the_first_site_stores_pbx_as_main_and_the_devices_registered_so_far_with_it(run_cli):
    assert run_cli("devices", "add", "mfd-old", "--address", "10.0.0.5").exit_code == 0
    added = run_cli("sites", "add", "tama", "--outside-line", "9", "--area-code", "042")
    assert added.exit_code == 0, added.output
    sites = {s["name"]: s for s in json.loads(run_cli("sites", "list", "--json").output)}
    assert set(sites) == {"main", "tama"}
    assert (sites["main"]["outside_line"], sites["main"]["area_code"]) == ("0", "03"), "the [pbx] defaults"
    assert (sites["tama"]["outside_line"], sites["tama"]["area_code"]) == ("9", "042")
    # From now on a device needs a site that exists.
    missing = run_cli("devices", "add", "mfd-new", "--address", "10.0.0.6")
    assert missing.exit_code != 0 and "--site" in missing.output
    unknown = run_cli("devices", "add", "mfd-new", "--address", "10.0.0.6", "--site", "setagaya")
    assert unknown.exit_code != 0 and "拠点 setagaya は登録されていません" in unknown.output
    assert run_cli("devices", "add", "mfd-new", "--address", "10.0.0.6", "--site", "tama").exit_code == 0
    again = run_cli("sites", "add", "tama", "--outside-line", "0", "--area-code", "03")
    assert again.exit_code != 0 and "登録済み" in again.output


def test_the_same_dial_string_is_read_differently_at_two_sites(run_cli):
    assert run_cli("sites", "add", "tama", "--outside-line", "9", "--area-code", "042").exit_code == 0
    at_main, at_tama = (explain(run_cli, "9-722-1234", "--site", site) for site in ("main", "tama"))
    assert at_main["site"] == "main" and at_tama["site"] == "tama"
    # At tama the PBX takes 9 and the exchange reads a local 042 number.
    assert (at_tama["outside_line"], at_tama["reaches"], at_tama["blocked"]) == ("9", "+81427221234", False)
    # At main (outside line 0, area 03) the string has no outside line: never dialled.
    assert at_main["reaches"] != "+81427221234" and at_main["blocked"] is True
    assert "missing_outside_line" in at_main["problems"]

    # The No. 371 string, read at each: at main the outside 0 is missing; at tama it is a
    # national call that never leaves the PBX (no 9).
    main_371, tama_371 = (explain(run_cli, "0-03-5432-1111", "--site", site) for site in ("main", "tama"))
    assert (main_371["reaches"], main_371["blocked"]) == ("+81354321111", False)
    assert tama_371["blocked"] is True and tama_371["outside_line"] == ""

    text = run_cli("dial", "explain", "9-722-1234", "--site", "tama")
    assert text.exit_code == 0 and text.output.startswith("拠点: tama")
    unknown = run_cli("dial", "explain", "9-722-1234", "--site", "nowhere")
    assert unknown.exit_code == 2 and "拠点 nowhere は登録されていません" in unknown.output


def test_a_site_that_cannot_describe_a_pbx_is_refused(run_cli):
    bad = run_cli("sites", "add", "tama", "--outside-line", "9", "--area-code", "42")
    assert bad.exit_code == 2 and "area_code" in bad.output
    assert json.loads(run_cli("sites", "list", "--json").output) == []
    name = run_cli("sites", "add", "多摩", "--outside-line", "9", "--area-code", "042")
    assert name.exit_code != 0 and "拠点名" in name.output
