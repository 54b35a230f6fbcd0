"""Giving an in-house entry its inbox (庁内便) through the `faxgate` command line: it sends the
entry's faxes elsewhere, so it waits for a second administrator like a new number; an outside
entry or a department with nobody in faxgate cannot have one."""

from __future__ import annotations

import json

import pytest

from tests.e2e.test_directory_changes import faxgate  # noqa: F401  (a fixture: the CLI on the world's database)
from tests.support.harness import CHECKER, MAKER, api

pytestmark = pytest.mark.world(admins=(MAKER, CHECKER))


def _entry(faxgate, slot: int) -> dict:
    shown = faxgate("directory", "show", str(slot), "--json")
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


def test_an_inbox_waits_for_a_second_admin_and_only_for_an_in_house_section_with_users(world, faxgate):
    _, gateway, tokens, _, _ = world
    outside = faxgate("directory", "set", "1", "--inbox", "保健福祉課", "--by", MAKER)
    assert outside.returncode != 0 and "庁内（internal）の宛先にだけ" in outside.stderr
    nobody = faxgate("directory", "set", "4", "--inbox", "存在しない課", "--by", MAKER)
    assert nobody.returncode != 0 and "faxgate 利用者がいません" in nobody.stderr
    assert _entry(faxgate, 4)["inbox"] is None

    given = faxgate("directory", "set", "4", "--inbox", "区民課", "--by", MAKER)
    assert given.returncode == 0 and "承認待ち" in given.stdout, given.stderr
    change = _entry(faxgate, 4)["pending_change"]
    assert change is not None
    assert api(gateway, tokens[CHECKER]).post(f"/api/directory/changes/{change}/approve").status_code == 200
    entry = _entry(faxgate, 4)
    assert entry["inbox"] == "区民課" and entry["pending_change"] is None

    cleared = faxgate("directory", "set", "4", "--inbox", "", "--by", MAKER)
    assert cleared.returncode == 0 and "承認待ち" in cleared.stdout, cleared.stderr
