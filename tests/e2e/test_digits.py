"""Digits from other scripts (issue 17, point 6), through every door: full-width forms are read as a
Japanese office types them, digits of other scripts (Arabic-Indic, Devanagari, superscripts) are
refused with the same clear reason. Real SMTP client, the CLI, the web confirmation, an import."""

from __future__ import annotations

import email.policy
import json
import smtplib

import pytest

from gateway.entrypoints.serve import BackgroundGateway
from gateway.bootstrap import App
from gateway.storage.tables import Job
from tests.support import docgen
from tests.support.harness import db_session, DOMAIN, fax_message, make_config, queued_id, seed
from tests.support.web_support import page_csrf, signed_in, stored_job

REFUSED_JA = "半角・全角の数字ではありません"


@pytest.fixture
def gateway(tmp_path, peers):
    app = App(make_config(tmp_path, peers[0].port, peers[1].port))
    seed(app)
    with BackgroundGateway(app, http=False, worker=False) as running:
        yield app, running


def _send(port: int, to: str) -> tuple[tuple[int, str], tuple[int, str] | None]:
    """RCPT and, when accepted, DATA from a device that writes the address in UTF-8 (SMTPUTF8)."""
    message = fax_message(docgen.text_pdf([[(20, 20, "送付のご案内", 16)]]), to=to)
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo("mfd-3f.city.example.jp")
        client.mail("sato@city.example.jp", options=["SMTPUTF8"])
        code, text = client.rcpt(to)
        if code != 250:
            return (code, text.decode()), None
        code_data, text_data = client.data(message.as_bytes(policy=email.policy.SMTPUTF8))
        return (code, text.decode()), (code_data, text_data.decode())


@pytest.mark.parametrize("local", [
    "FAX=０３５４３２１１１１",  # refused before: the national form was ASCII only
    "FAX=＋８１３５４３２１１１１",  # refused before: ＋ was not +
    "FAX=+８１３５４３２１１１１",
    "０３－５４３２－１１１１",
    "DIAL=０－０３－５４３２－１１１１",
    "sd-０１",
])
def test_full_width_digits_at_rcpt_reach_the_number_they_spell(gateway, local):
    app, running = gateway
    rcpt, data = _send(running.smtp_port, f"{local}@{DOMAIN}")
    assert rcpt[0] == 250, rcpt
    job_id = queued_id(data)
    with db_session(app) as session:
        job = session.get(Job, job_id)
        assert job.destination_input.isascii(), "stored as the device dials it"
        assert job.e164 in ("+81354321111", None)  # a speed dial is looked up at screening


@pytest.mark.parametrize("local", [
    "FAX=+٨١٣٥٤٣٢١١١١",  # Arabic-Indic: phonenumbers reads it as +81354321111
    "FAX=+८१३५४३२११११",  # Devanagari
    "sd-١",  # int('١') == 1: slot 1 before
    "DIAL=0-03-5432-111¹",  # superscript: NFKC made it 1
    "FAX=03-5432-111①",
])
def test_digits_of_other_scripts_at_rcpt_are_refused_with_the_reason(gateway, local):
    app, running = gateway
    (code, text), data = _send(running.smtp_port, f"{local}@{DOMAIN}")
    assert code == 501 and data is None, text
    english, japanese = text.split("\n")
    assert "5.1.3" in english and "is not a digit 0-9" in english
    assert REFUSED_JA in japanese
    with db_session(app) as session:
        assert session.query(Job).count() == 0


def test_the_cli_reads_full_width_and_refuses_other_scripts(run_cli, import_approved, tmp_path):
    explained = run_cli("dial", "explain", "０－０３－５４３２－１１１１", "--json")
    assert explained.exit_code == 0 and json.loads(explained.output)["reaches"] == "+81354321111"
    for foreign in ("0-03-5432-111²", "٠-٠٣-٥٤٣٢-١١١١", "0-03-5432-१११1"):
        refused = run_cli("dial", "explain", foreign)
        assert refused.exit_code == 2 and REFUSED_JA in refused.output, (foreign, refused.output)

    book = tmp_path / "book.csv"
    book.write_text("slot,name,fax,last_used\n1,子ども家庭支援係,0-03-5432-1111,\n", encoding="utf-8")
    import_approved(str(book))
    changed = run_cli("directory", "set", "1", "--fax", "0-03-5432-111²", "--by", "yamada")
    assert changed.exit_code != 0 and REFUSED_JA in changed.output, changed.output
    shown = json.loads(run_cli("directory", "show", "1", "--json").output)
    assert shown["e164"] == "+81354321111" and shown["pending_change"] is None


def test_an_import_reads_full_width_and_refuses_other_scripts_by_line(run_cli, tmp_path):
    assert run_cli("users", "add", "yamada", "--role", "admin", "--email", "yamada@city.example.jp").exit_code == 0
    book = tmp_path / "book.csv"
    book.write_text("slot,name,fax,last_used\n"
                    "１,子ども家庭支援係,０－０３－５４３２－１１１１,\n"
                    "2,国保課,٠-٠٣-٥٤٣٢-٢٢٢٢,\n", encoding="utf-8")
    refused = json.loads(run_cli("directory", "import", str(book), "--by", "yamada", "--json").output)
    assert [e["line"] for e in refused["errors"]] == [3] and REFUSED_JA in refused["errors"][0]["message"]
    book.write_text("slot,name,fax,last_used\n１,子ども家庭支援係,０－０３－５４３２－１１１１,\n", encoding="utf-8")
    imported = json.loads(run_cli("directory", "import", str(book), "--by", "yamada", "--json").output)
    assert imported["errors"] == [] and imported["created"] == [1]
    shown = json.loads(run_cli("directory", "show", "1", "--json").output)
    assert shown["source_dial"] == "0-03-5432-1111", "stored as the device dials it"


@pytest.mark.world(people="web", doors="web")
def test_confirmation_reads_full_width_and_refuses_other_scripts(world):
    app, port = world.app, world.port
    job_id = stored_job(app)
    submitter = signed_in(port, "sato")
    for page in (1, 2):
        assert submitter.get(f"/jobs/{job_id}/pages/{page}.png").status_code == 200
    token = page_csrf(submitter)
    # +81354321111 in Arabic-Indic digits: phonenumbers took it for the destination.
    foreign = submitter.post(f"/jobs/{job_id}/confirm", data={"csrf_token": token, "number": "+٨١٣٥٤٣٢١١١١"})
    assert foreign.status_code == 400 and REFUSED_JA in foreign.text
    typed = submitter.post(f"/jobs/{job_id}/confirm", data={"csrf_token": token, "number": "＋８１　３　５４３２　１１１１"})
    assert typed.status_code == 303 and typed.headers["location"].endswith("notice=confirmed")
