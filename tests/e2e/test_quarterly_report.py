"""The quarterly report (issue 19): `faxgate stats report --quarter` writes the privacy office's
figures of the jobs this test made as a signed PDF in Japanese, with the figures also inside as
JSON; `faxgate records verify` accepts it, and refuses it once a byte is changed."""

from __future__ import annotations

import subprocess
import sys

import pypdfium2
import pytest

from gateway.entrypoints.web.core import office_today
from gateway.records.verify import embedded_facts
from tests.support import docgen
from tests.support.harness import fax_message, queued_id, submit, wait_state
from tests.support.web_support import CLEAN_PAGES, PERSONAL_PAGES

pytestmark = pytest.mark.world(people="web")


def test_the_quarterly_report_is_signed_and_counts_the_jobs_made(world, tmp_path):
    app, gateway = world.app, world.gateway
    for pages, state in ((CLEAN_PAGES, "awaiting_confirmation"), (PERSONAL_PAGES, "blocked")):
        job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(pages))))
        assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == state
    keys = app.config.records
    config = tmp_path / "faxgate.toml"
    config.write_text(f'[database]\nurl = "{app.config.database.url}"\n[keys]\nkek_file = "{app.kek_file}"\n'
                      f'[records]\nkey_file = "{keys.key_file}"\ncert_file = "{keys.cert_file}"\n'
                      f'chain_file = "{keys.chain_file}"\ntrust_root = "{keys.trust_root}"\n', encoding="utf-8")

    def faxgate(*args):
        return subprocess.run([sys.executable, "-m", "gateway", "--config", str(config), *args],
                              capture_output=True, text=True, timeout=120)

    today = office_today()
    quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    report = tmp_path / "report.pdf"
    made = faxgate("stats", "report", "--quarter", quarter, "-o", str(report))
    assert made.returncode == 0, made.stderr
    assert "受付 2 件" in made.stdout and "止めた 1 件" in made.stdout, made.stdout

    document = pypdfium2.PdfDocument(str(report))
    text = "".join(page.get_textpage().get_text_range() for page in document)
    for words in ("実施状況報告書", "受け付けたファクス", "月別", "所属別", "保健福祉課", "止めた理由別", "personal_data"):
        assert words in text, words
    facts = embedded_facts(report.read_bytes())
    assert (facts["kind"], facts["totals"]["received"], facts["totals"]["blocked"]) == ("faxgate.statistics-report/1", 2, 1)
    assert "personal_data" in facts["blocked"] and facts["by_department"]["保健福祉課"]["received"] == 2
    document.close()

    assert faxgate("records", "verify", str(report)).returncode == 0
    report.write_bytes(report.read_bytes().replace(b"/Producer", b"/Producex", 1))
    assert faxgate("records", "verify", str(report)).returncode == 1
    assert faxgate("stats", "report", "--quarter", "2026-Q5", "-o", str(report)).returncode != 0
