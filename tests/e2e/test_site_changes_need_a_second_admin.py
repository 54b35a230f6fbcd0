"""A change to how a site's numbers are read waits for a second administrator (issue 15), as a
change to where a speed dial goes does: until approved, the site reads as before."""

from __future__ import annotations

import json

from tests.support.harness import CHECKER, MAKER


def reading(run_cli, dial):
    return json.loads(run_cli("dial", "explain", dial, "--site", "tama", "--json").output)


def test_a_site_change_waits_for_another_admin(run_cli):
    for name in (MAKER, CHECKER):
        assert run_cli("users", "add", name, "--role", "admin", "--email", f"{name}@city.example.jp").exit_code == 0
    assert run_cli("users", "add", "sato", "--role", "staff", "--email", "sato@city.example.jp").exit_code == 0
    assert run_cli("sites", "add", "tama", "--outside-line", "9", "--area-code", "042").exit_code == 0
    assert reading(run_cli, "9-042-722-1234")["blocked"] is False

    refused = run_cli("sites", "set", "tama", "--outside-line", "0", "--by", "sato")
    assert refused.exit_code != 0
    assert run_cli("sites", "set", "tama", "--outside-line", "0", "--by", MAKER).exit_code == 0
    [tama] = [s for s in json.loads(run_cli("sites", "list", "--json").output) if s["name"] == "tama"]
    assert tama["outside_line"] == "9" and tama["pending_change"]["outside_line"] == "0"
    assert reading(run_cli, "9-042-722-1234")["blocked"] is False, "read as before until approved"

    own = run_cli("sites", "approve", "tama", "--by", MAKER)
    assert own.exit_code != 0 and "自分が出した変更" in own.output
    assert run_cli("sites", "approve", "tama", "--by", CHECKER).exit_code == 0
    assert reading(run_cli, "9-042-722-1234")["blocked"] is True, "9 is no outside line any more"
    assert reading(run_cli, "0-042-722-1234")["reaches"] == "+81427221234"
    again = run_cli("sites", "approve", "tama", "--by", CHECKER)
    assert again.exit_code != 0 and "承認待ちの変更はありません" in again.output

    assert run_cli("sites", "set", "tama", "--area-code", "03", "--by", MAKER).exit_code == 0
    assert run_cli("sites", "reject", "tama", "--by", CHECKER, "--reason", "違う拠点").exit_code == 0
    [tama] = [s for s in json.loads(run_cli("sites", "list", "--json").output) if s["name"] == "tama"]
    assert (tama["area_code"], tama["pending_change"]) == ("042", None)
