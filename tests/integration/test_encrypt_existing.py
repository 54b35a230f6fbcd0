"""An install upgraded to encryption at rest (issue 16): rows stored in the clear before (message,
document, findings, signed record; no data key) stay readable, and `faxgate keys encrypt-existing`
seals them once, audited; the values read are the same, the stored bytes no longer are, and a
second run finds nothing to do."""

from __future__ import annotations

import dataclasses
import json

from click.testing import CliRunner
from sqlalchemy import select, text

from gateway.bootstrap import App
from gateway.config import KeysConfig
from gateway.entrypoints.cli.main import cli
from gateway.storage.tables import AuditEvent, DataKey, Job, JobBlob, Record
from tests.support import docgen
from tests.support.harness import make_config, seed
from tests.support.jobs import stored_job

FINDINGS = [{"page": 1, "category": "phone", "text": "090-****-4321", "bbox": [1, 2, 3, 4], "masked": False}]


def test_rows_stored_in_the_clear_are_sealed_once(tmp_path, fax, mail):
    config = dataclasses.replace(make_config(tmp_path, fax.port, mail.port),
                                 keys=KeysConfig(kek_file=str(tmp_path / "data-kek.key")))
    app = App(config)
    seed(app)
    job_id = stored_job(app, state="sent")
    document, record_pdf = docgen.text_pdf([[(20, 20, "以前の文書", 14)]]), docgen.text_pdf([[(20, 20, "記録", 14)]])
    with app.unit_of_work() as uow:  # as the release before stored them: plain bytes, no data key
        uow.session.execute(text("DELETE FROM data_keys"))
        uow.session.execute(text("UPDATE job_blobs SET message = :m, document = :d WHERE job_id = :i"),
                            {"m": b"From: sato\r\n\r\nplain message", "d": document, "i": job_id})
        uow.session.execute(text("UPDATE jobs SET findings = :f WHERE id = :i"), {"f": json.dumps(FINDINGS), "i": job_id})
        uow.session.execute(text("INSERT INTO records (kind, job_id, state, pdf, sha256, created_at) "
                                 "VALUES ('transmission', :i, 'sent', :p, 'x', '2025-01-01 00:00:00')"),
                            {"i": job_id, "p": record_pdf})

    def stored():
        with app.unit_of_work(read_only=True) as uow:
            blob, job = uow.session.get(JobBlob, job_id), uow.session.get(Job, job_id)
            record = uow.session.scalars(select(Record)).one()
            return ((bytes(blob.stored_message), bytes(blob.stored_document), job.stored_findings,
                     bytes(record.stored_pdf)), (blob.message, blob.document, job.findings, record.pdf))

    before, read_before = stored()
    assert before[1] == document and before[2] == FINDINGS, "in the clear, and readable as it is"
    assert read_before == (b"From: sato\r\n\r\nplain message", document, FINDINGS, record_pdf)

    config_file = tmp_path / "faxgate.toml"
    config_file.write_text(f'[database]\nurl = "{config.database.url}"\n[keys]\nkek_file = "{config.keys.kek_file}"\n',
                           encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config_file), "keys", "encrypt-existing"], catch_exceptions=False)
    assert result.exit_code == 0 and "ok: 3 row(s) sealed" in result.output, result.output

    after, read_after = stored()
    assert read_after == read_before, "the same values are read"
    assert all(value[:4] == b"FGE1" for value in (after[0], after[1], after[3])) and after[2].startswith("FGE1:")
    assert document not in after[1] and b"plain message" not in after[0]
    with app.unit_of_work(read_only=True) as uow:
        assert uow.session.get(DataKey, job_id) is not None
        [event] = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "keys.encrypted_existing"))
        assert event.data["rows"] == 3
    again = CliRunner().invoke(cli, ["--config", str(config_file), "keys", "encrypt-existing"], catch_exceptions=False)
    assert "ok: 0 row(s) sealed" in again.output
