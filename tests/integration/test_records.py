"""Signed transmission records, the signed directory audit report and signed audit-chain
checkpoints: validated with pyHanko's own validator (not just "a file exists"), broken by any
one changed byte, by an update appended after signing, by a foreign signing key; and a rewrite
of the whole audit table (every hash recomputed) caught by a checkpoint."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import json
import subprocess
import sys
import tomllib

import pypdfium2 as pdfium
import pytest
from click.testing import CliRunner
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import read_certification_data
from pyhanko.sign.validation.status import SignatureCoverageLevel
from sqlalchemy import select, text, update

from gateway.storage.repositories.audit import AuditRepository, GENESIS, event_hash
from gateway.records.certify import build_audit_report, build_record, make_checkpoint
from gateway.records.verify import embedded_facts, verify_checkpoint, verify_record
from gateway.records.facts import thumbnail
from gateway.core.coversheet import verification_code
from gateway.bootstrap import App
from gateway.services.record_facts import transmission_facts
from gateway.entrypoints.cli.records import records_group
from gateway.storage.tables import AuditEvent, AuditHead
from gateway.records.config import RecordsConfig
from gateway.records.pki import init_ca, load_certificates, validation_context
from gateway.records.keys.files import load_signing_key
from gateway.entrypoints.worker import Worker
from tests.support import docgen
from tests.support.harness import db_session, make_config, seed
from tests.support.jobs import approve, stored_job
from tests.support.paths import FIXTURES
from tests.support.records import NOW, sample_facts, text_of



@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    created = init_ca(tmp_path_factory.mktemp("keys"), organization="世田谷区")
    config = RecordsConfig(key_file=str(created.key), cert_file=str(created.cert), chain_file=str(created.ca_cert),
                           trust_root=str(created.ca_cert))
    return created, load_signing_key(config, environ={}).signer()


@pytest.fixture(scope="module")
def other_keys(tmp_path_factory):
    created = init_ca(tmp_path_factory.mktemp("other"), organization="よその組織")
    config = RecordsConfig(key_file=str(created.key), cert_file=str(created.cert), chain_file=str(created.ca_cert),
                           trust_root=str(created.ca_cert))
    return created, load_signing_key(config, environ={}).signer()


@pytest.fixture(scope="module")
def record(keys) -> bytes:
    return build_record(sample_facts(), keys[1], office="世田谷区役所")


# --- records ------------------------------------------------------------------------------------


def test_record_is_a_no_changes_certification_that_pyhankos_validator_accepts(keys, record):
    created, _ = keys
    reader = PdfFileReader(io.BytesIO(record))
    [signature] = reader.embedded_signatures
    status = validate_pdf_signature(signature, validation_context(load_certificates(str(created.ca_cert))))
    assert status.bottom_line and status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.docmdp_ok
    assert signature.docmdp_level == MDPPerm.NO_CHANGES
    assert read_certification_data(reader).permission == MDPPerm.NO_CHANGES

    ok, reason = verify_record(record, created.ca_cert)
    assert ok, reason
    assert "faxgate records (世田谷区)" in reason


def test_record_carries_the_facts_as_text_and_as_json(record):
    facts = sample_facts()
    shown = text_of(record)
    for expected in (facts.job_id, "送信済み", "sato@city.example.jp", "保健福祉課", "mfd-3f", "子ども家庭支援係",
                     "03-5432-1111", "0-03-5432-1111", facts.content_sha256, "0354321111", "suzuki", "承認者",
                     "personal_data", "山田 **", "250 2.0.0 Ok: queued as 4Xy", "1ページ", "3ページ",
                     verification_code(facts.job_id, facts.e164, facts.content_sha256)):
        assert expected in shown, expected
    embedded = embedded_facts(record)
    assert embedded == facts.to_json()
    assert embedded["confirmations"][1]["entered"] == "03-5432-1111"
    assert len(pdfium.PdfDocument(record)) == 2  # facts, then the page thumbnails


def test_record_document_information_names_faxgate(record):
    """The PDF library's placeholders ("anonymous", "unspecified") are not left in a signed record."""
    info = PdfFileReader(io.BytesIO(record)).trailer["/Info"]
    assert info["/Title"] == f"ファクス送信記録 {sample_facts().job_id}"
    assert info["/Author"] == info["/Creator"] == "faxgate"
    assert info["/Subject"] == ""


def flipped(data: bytes, at: int) -> bytes:
    changed = bytearray(data)
    changed[at] ^= 0x01
    return bytes(changed)


def test_any_one_byte_changed_fails_verification(keys, record):
    created, _ = keys
    reader = PdfFileReader(io.BytesIO(record))
    _, gap_start, gap_end, _ = (int(v) for v in reader.embedded_signatures[0].byte_range)
    hex_digits = record[gap_start + 1:gap_end - 1]
    der_end = gap_start + 1 + len(hex_digits.rstrip(b"0"))
    letter = gap_start + 1 + next(i for i, c in enumerate(hex_digits) if chr(c) in "ABCDEF")
    positions = set(range(0, len(record), max(1, len(record) // 150)))
    positions |= {0, 9, len(record) - 1, len(record) - 7,  # header, binary marker, %%EOF
                  gap_start - 1, gap_start, gap_start + 1, gap_start + 200,  # around /Contents <
                  der_end - 1, der_end + 1, gap_end - 2, gap_end - 1}  # the signature's end, its padding, ">"
    for at in sorted(positions):
        ok, reason = verify_record(flipped(record, at), created.ca_cert)
        assert not ok, f"byte {at} changed and still valid"
    # The same signature with one hex letter in lowercase: the bytes differ, the decoded value does not.
    lower = bytearray(record)
    lower[letter] = ord(chr(lower[letter]).lower())
    ok, reason = verify_record(bytes(lower), created.ca_cert)
    assert not ok and "signature container" in reason


def test_content_changed_inside_the_signed_range_is_a_digest_mismatch(keys, record):
    created, _ = keys
    at = record.index(b"/Creator")
    ok, reason = verify_record(record[:at] + b"/Creatar" + record[at + 8:], created.ca_cert)
    assert not ok and "digest mismatch" in reason


def test_an_update_appended_after_signing_fails(keys, record):
    created, _ = keys
    writer = IncrementalPdfFileWriter(io.BytesIO(record))
    writer.root["/Lang"] = generic.TextStringObject("en")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    changed = out.getvalue()
    assert changed.startswith(record) and len(changed) > len(record)
    ok, reason = verify_record(changed, created.ca_cert)
    assert not ok and "added" in reason


def test_a_record_signed_under_another_root_fails(keys, other_keys):
    created, _ = keys
    forged = build_record(sample_facts(1), other_keys[1])
    assert verify_record(forged, other_keys[0].ca_cert).ok
    ok, reason = verify_record(forged, created.ca_cert)
    assert not ok and "信頼の起点" in reason and "not trusted" in reason


def test_only_a_no_changes_certification_counts(keys):
    created, signer = keys
    approval = signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(docgen.text_pdf([[(20, 20, "記録", 12)]]))),
        signers.PdfSignatureMetadata(field_name="faxgate", md_algorithm="sha256"), signer=signer).getvalue()
    ok, reason = verify_record(approval, created.ca_cert)
    assert not ok and "DocMDP" in reason


@pytest.mark.parametrize("data, words", [
    (docgen.text_pdf([[(20, 20, "署名なし", 12)]]), "no signature"),
    (b"not a pdf at all", "not a readable PDF"),
    (b"", "not a readable PDF"),
])
def test_unsigned_or_unreadable_files(keys, data, words):
    ok, reason = verify_record(data, keys[0].ca_cert)
    assert not ok and words in reason


def test_truncated_record(keys, record):
    assert not verify_record(record[: len(record) // 2], keys[0].ca_cert).ok


def test_record_stays_verifiable_after_the_signing_certificate_expires(keys, record):
    ok, reason = verify_record(record, keys[0].ca_cert, at=NOW + dt.timedelta(days=11 * 365))
    assert ok, reason
    assert "expired" in reason and "signing time" in reason


def test_record_of_a_real_job_from_the_database(tmp_path, keys, fax, mail):
    app = App(make_config(tmp_path, fax.port, mail.port))
    seed(app)
    job_id = stored_job(app)
    approve(app, job_id)
    assert Worker(app).relay_one()
    with app.unit_of_work(read_only=True) as uow:
        job = uow.jobs.get(job_id)
        assert job.state == "sent"
        document = uow.jobs.document_of(job_id)
        facts = transmission_facts(uow, job)
    pages = app.load_document(document).pages
    facts = dataclasses.replace(facts, thumbnails=tuple(thumbnail(p.image, p.dpi) for p in pages))
    # The facts come from the job: each accepted confirmation with the number its person entered
    assert [(c.user, c.role, c.matched) for c in facts.confirmations] == [
        ("sato", "submitter", True), ("suzuki", "approver", True)]
    assert {c.entered for c in facts.confirmations} == {"0354321111"}
    assert facts.dial_string == "0-03-5432-1111" and facts.destination_name == "子ども家庭支援係"
    pdf = build_record(facts, keys[1])
    assert verify_record(pdf, keys[0].ca_cert).ok
    embedded = embedded_facts(pdf)
    assert embedded["job_id"] == job_id and embedded["state"] == "sent"
    assert embedded["content_sha256"] == hashlib.sha256(document).hexdigest()
    assert [c["user"] for c in embedded["confirmations"]] == ["sato", "suzuki"]
    shown = text_of(pdf)
    assert job_id in shown and "子ども家庭支援係" in shown and "送信済み" in shown


def test_directory_audit_report_is_signed(run_cli, keys):
    result = run_cli("directory", "audit", "--from-file", str(FIXTURES / "addressbooks" / "ricoh_addr.csv"),
                     "--json", "--as-of", "2026-11-23")
    report = json.loads(result.output)
    pdf = build_audit_report(report, keys[1], source="ricoh_addr.csv", as_of=dt.date(2026, 11, 23))
    ok, reason = verify_record(pdf, keys[0].ca_cert)
    assert ok, reason
    shown = text_of(pdf)
    assert "一斉点検報告書" in shown and "外線発信番号なし" in shown and "緊急通報・特番" in shown
    assert f"{report['entries']} 件" in shown
    embedded = embedded_facts(pdf)
    assert embedded["findings"] == report["findings"] and embedded["as_of"] == "2026-11-23"
    assert not verify_record(flipped(pdf, len(pdf) // 3), keys[0].ca_cert).ok


# --- audit chain checkpoints ---------------------------------------------------------------------


@pytest.fixture
def audit_app(tmp_path):
    app = App(make_config(tmp_path, 9, 9))
    with db_session(app) as session:
        for n in range(12):
            AuditRepository(session).append("user:sato", "job.confirm_attempt", f"job-{n}", f"attempt {n}", status=200)
    return app


def head_of(app) -> tuple[int, str]:
    with db_session(app) as session:
        head = session.get(AuditHead, 1)
        return head.last_id, head.last_hash


def stored_hash(app):
    def lookup(event_id: int) -> str | None:
        with db_session(app) as session:
            return session.scalar(select(AuditEvent.hash).where(AuditEvent.id == event_id))
    return lookup


def rewrite_chain_from(app, first_id: int, reason: str) -> None:
    """What someone who can write the whole table does: change one event and recompute every
    hash after it, and the head, so that the chain itself is consistent again."""
    with db_session(app) as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.id >= first_id).order_by(AuditEvent.id)).all()
        previous = session.scalar(select(AuditEvent.hash).where(AuditEvent.id == first_id - 1)) or GENESIS
        for event in events:
            if event.id == first_id:
                event.reason = reason
            event.prev_hash = previous
            event.hash = event_hash(event.id, event.at, event.actor, event.action, event.subject,
                                             event.reason, event.data, previous)
            previous = event.hash
        session.flush()
        session.execute(text("UPDATE audit_head SET last_hash = :h WHERE id = 1"), {"h": previous})


def test_checkpoint_catches_a_rewritten_chain(audit_app, keys):
    created, signer = keys
    last_id, last_hash = head_of(audit_app)
    checkpoint = make_checkpoint(last_id, last_hash, signer)
    verdict = verify_checkpoint(checkpoint, created.ca_cert, stored_hash(audit_app))
    assert verdict.ok and verdict.last_id == last_id == 12, verdict.reason

    rewrite_chain_from(audit_app, 5, "attempt 5 (rewritten)")
    with db_session(audit_app) as session:
        assert AuditRepository(session).verify().ok, "the rewrite is consistent: the chain alone cannot tell"
    verdict = verify_checkpoint(checkpoint, created.ca_cert, stored_hash(audit_app))
    assert not verdict.ok
    assert "rewritten" in verdict.reason and "12" in verdict.reason


def test_events_after_a_checkpoint_do_not_disturb_it(audit_app, keys):
    created, signer = keys
    checkpoint = make_checkpoint(*head_of(audit_app), signer)
    with db_session(audit_app) as session:
        AuditRepository(session).append("system:worker", "job.sent", "job-99", "")
    assert verify_checkpoint(checkpoint, created.ca_cert, stored_hash(audit_app)).ok


def test_checkpoint_catches_removed_events(audit_app, keys):
    created, signer = keys
    checkpoint = make_checkpoint(*head_of(audit_app), signer)
    with db_session(audit_app) as session:
        session.execute(text("DELETE FROM audit_events WHERE id > 10"))
    verdict = verify_checkpoint(checkpoint, created.ca_cert, stored_hash(audit_app))
    assert not verdict.ok and "missing" in verdict.reason


def test_checkpoint_forged_or_damaged(audit_app, keys, other_keys):
    created, signer = keys
    last_id, last_hash = head_of(audit_app)
    forged = make_checkpoint(last_id, last_hash, other_keys[1])
    verdict = verify_checkpoint(forged, created.ca_cert, stored_hash(audit_app))
    assert not verdict.ok and "not trusted" in verdict.reason
    genuine = make_checkpoint(last_id, last_hash, signer)
    # the signed payload edited to name another hash
    edited = genuine.replace(last_hash.encode(), ("0" * 64).encode())
    assert edited != genuine
    assert not verify_checkpoint(edited, created.ca_cert, stored_hash(audit_app)).ok
    assert not verify_checkpoint(b"\x30\x03\x02\x01\x00", created.ca_cert, stored_hash(audit_app)).ok


# --- the command line -------------------------------------------------------------------------


def invoke(*args: str):
    return CliRunner().invoke(records_group, list(args), catch_exceptions=False)


def test_records_verify_exit_codes(tmp_path, keys, other_keys, record, monkeypatch):
    monkeypatch.delenv("FAXGATE_CONFIG", raising=False)
    ca = str(keys[0].ca_cert)
    good = tmp_path / "record.pdf"
    good.write_bytes(record)
    bad = tmp_path / "altered.pdf"
    bad.write_bytes(flipped(record, len(record) // 2))

    result = invoke("verify", str(good), "--trust-root", ca)
    assert result.exit_code == 0 and result.output.startswith("ok: ")

    result = invoke("verify", str(bad), "--trust-root", ca)
    assert result.exit_code == 1 and "検証に失敗しました" in result.output

    result = invoke("verify", str(good), "--trust-root", str(other_keys[0].ca_cert))
    assert result.exit_code == 1 and "not trusted" in result.output

    result = invoke("verify", str(good), "--trust-root", str(tmp_path / "missing-ca.pem"))
    assert result.exit_code == 2 and "missing-ca.pem" in result.output

    assert invoke("verify", str(tmp_path / "no-such.pdf"), "--trust-root", ca).exit_code == 2

    result = invoke("verify", str(good), "--trust-root", ca, "--json")
    out = json.loads(result.output)
    assert result.exit_code == 0 and out["valid"] is True and out["record"]["job_id"] == sample_facts().job_id
    result = invoke("verify", str(bad), "--trust-root", ca, "--json")
    assert result.exit_code == 1 and json.loads(result.output)["valid"] is False


def test_init_ca_then_verify_with_the_default_configuration(tmp_path, monkeypatch):
    """A first install with no configuration file: init-ca writes where [records] looks by
    default, and `records verify` checks against that CA."""
    monkeypatch.delenv("FAXGATE_CONFIG", raising=False)
    monkeypatch.delenv("FAXGATE_SIGNING_PASSWORD", raising=False)
    monkeypatch.chdir(tmp_path)
    result = invoke("init-ca", "--organization", "世田谷区")
    assert result.exit_code == 0, result.output
    suggested = tomllib.loads(result.stdout)["records"]
    assert suggested["trust_root"].endswith("ca.pem")
    signer = load_signing_key(RecordsConfig(), environ={}).signer()
    (tmp_path / "record.pdf").write_bytes(build_record(sample_facts(1), signer))
    result = invoke("verify", "record.pdf")
    assert result.exit_code == 0, result.output

    again = invoke("init-ca")
    assert again.exit_code == 1 and "上書きしません" in again.output


def test_init_ca_encrypts_keys_with_the_password_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("FAXGATE_CONFIG", raising=False)
    monkeypatch.setenv("RECORDS_KEY_PASSWORD", "a long passphrase")
    result = invoke("init-ca", "--out", str(tmp_path / "keys"), "--password-env", "RECORDS_KEY_PASSWORD")
    assert result.exit_code == 0, result.output
    config = RecordsConfig(**tomllib.loads(result.stdout)["records"])
    assert config.password_env == "RECORDS_KEY_PASSWORD"
    assert b"ENCRYPTED" in (tmp_path / "keys" / "signing-key.pem").read_bytes()
    assert load_signing_key(config, environ={"RECORDS_KEY_PASSWORD": "a long passphrase"})


def test_audit_verify_checks_the_signed_checkpoints(tmp_path, mail):
    """Rewriting the whole chain consistently is still caught by the signed head."""
    config = make_config(tmp_path, mail.port, mail.port)
    config = dataclasses.replace(config, records=dataclasses.replace(config.records, checkpoint_every=1))
    app = App(config)
    seed(app)
    Worker(app).checkpoint_if_due()
    path = tmp_path / "c.toml"
    path.write_text(f'[database]\nurl = "{config.database.url}"\n[records]\ntrust_root = "{config.records.trust_root}"\n',
                    encoding="utf-8")
    verify = [sys.executable, "-m", "gateway", "--config", str(path), "audit", "verify"]
    ok = subprocess.run(verify, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and "1 signed checkpoint(s) valid" in ok.stdout, ok.stderr
    # Recompute every hash after an edit: the chain is consistent again, the checkpoint is not.
    with app.engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET reason = 'rewritten' WHERE id = 2"))
    with db_session(app) as session:
        previous = GENESIS
        for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
            event.prev_hash = previous
            event.hash = event_hash(event.id, event.at, event.actor, event.action, event.subject,
                                             event.reason, event.data, previous)
            previous = event.hash
        session.execute(update(AuditHead).values(last_hash=previous))
    caught = subprocess.run(verify, capture_output=True, text=True, timeout=60)
    assert caught.returncode == 1 and "checkpoint" in caught.stderr, caught.stdout + caught.stderr


def test_directory_audit_report_is_signed_and_verifies(tmp_path):
    keys = make_config(tmp_path, 1, 1).records
    config = tmp_path / "c.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path}/d.db"\n[records]\nkey_file = "{keys.key_file}"\n'
        f'cert_file = "{keys.cert_file}"\nchain_file = "{keys.chain_file}"\ntrust_root = "{keys.trust_root}"\n',
        encoding="utf-8")
    book = FIXTURES / "addressbooks" / "ricoh_addr.csv"
    report = tmp_path / "audit.pdf"

    def faxgate(*args):
        return subprocess.run([sys.executable, "-m", "gateway", "--config", str(config), *args],
                              capture_output=True, text=True, timeout=120)

    made = faxgate("directory", "audit", "--from-file", str(book), "--as-of", "2026-11-23", "--signed-pdf", str(report))
    assert made.returncode == 0, made.stderr
    assert faxgate("records", "verify", str(report)).returncode == 0
    report.write_bytes(report.read_bytes().replace(b"/Producer", b"/Producex", 1))
    assert faxgate("records", "verify", str(report)).returncode == 1
