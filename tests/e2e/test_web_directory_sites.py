"""The web app's directory pages show one device's book with its site's reading (issue 15):
whose book, which site's PBX, and that device's own dial strings."""

from __future__ import annotations

import datetime as dt

import pytest

from directory import changes
from directory.entries import apply_import
from directory.formats.reading import read_book
from directory.importer import plan_import
from directory.profile import PbxProfile
from directory.sites import Site
from gateway.services.jobs import utcnow
from gateway.services.sites import add_site
from tests.support.web_support import signed_in

pytestmark = pytest.mark.world(people="web", doors="web")
TAMA = PbxProfile(outside_line="9", area_code="042")


def test_the_directory_pages_say_whose_book_and_which_site_s_reading(world):
    app = world.app
    today = dt.date.today().isoformat()
    with app.unit_of_work() as uow:
        add_site(uow, Site("tama", TAMA), app.profile, "test")
        uow.users.add_device(name="mfd-tama", addresses=["10.1.0.1/32"], site="tama", book="mfd-tama")
        data = ("slot,name,organization,fax,last_used,kind,extension,verified_on\n"
                f"3,町田保健所,東京都,9-042-722-1234,{today},external,,{today}\n").encode()
        result = apply_import(uow.in_book("mfd-tama"), plan_import(read_book(data, "generic"), TAMA), "user:a", "t")
        assert changes.settle(uow, result.change, "user:b", True, True, "", utcnow()).status == 200
    admin = signed_in(world.port, "yamada")

    page = admin.get("/directory?device=mfd-tama")
    assert page.status_code == 200
    assert "機器 mfd-tama の宛先表です。" in page.text and "拠点 tama の PBX で読んでいます。" in page.text
    assert "9-042-722-1234" in page.text and "子ども家庭支援係" not in page.text, "only tama's book"
    assert 'href="/directory/entries/3?device=mfd-tama"' in page.text
    entry = admin.get("/directory/entries/3?device=mfd-tama")
    assert entry.status_code == 200 and "町田保健所" in entry.text and "拠点 tama の PBX" in entry.text
    assert "拠点 tama の PBX" in admin.get("/directory/audit?device=mfd-tama").text

    shared = admin.get("/directory")
    assert "共用の宛先表です。" in shared.text and "拠点 main の PBX で読んでいます。" in shared.text
    assert "0-03-5432-1111" in shared.text and "町田保健所" not in shared.text
    assert admin.get("/directory?device=nowhere").status_code == 404
