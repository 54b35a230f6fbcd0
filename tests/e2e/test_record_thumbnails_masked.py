"""Records without personal data where they need none (issue 16): the signed record of a job
whose pages carry personal data keeps its findings (middle hidden), but its page thumbnail is
blacked out where the data was found; with the policy's `[records] thumbnails = "none"` the
record holds no image of the pages at all."""

from __future__ import annotations

import time

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from gateway.records.facts import SCREENING_DPI, THUMBNAIL_WIDTH
from tests.support import docgen
from tests.support.harness import fax_message, queued_id, submit, wait_state

PAGES = [[(20, 20, "産後ケア事業 利用申請書", 14), (20, 60, "生年月日 昭和60年4月1日", 14), (20, 100, "既往歴: 喘息", 14)]]
NO_THUMBNAILS = 'version = "t"\n[records]\nthumbnails = "none"\n'


def _record(app, job_id: str) -> bytes:
    deadline = time.monotonic() + 60
    while True:
        with app.unit_of_work(read_only=True) as uow:
            record = uow.records.latest_for_job(job_id)
            if record is not None:
                return record.pdf
        assert time.monotonic() < deadline, "no signed record"
        time.sleep(0.2)


def _images(pdf: bytes) -> list:
    document = pdfium.PdfDocument(pdf)
    found = []
    for page in document:
        for item in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=5):
            found.append(item.get_bitmap(render=False).to_pil().convert("L"))
    return found


def _blocked_with_findings(world):
    app, gateway = world.app, world.gateway
    job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(PAGES))))
    assert wait_state(app, job_id, {"blocked"}) == "blocked"
    with app.unit_of_work(read_only=True) as uow:
        findings = uow.jobs.get(job_id).findings
    assert findings and all(f["bbox"] for f in findings)
    return app, job_id, findings


def test_the_record_thumbnail_is_black_where_personal_data_was_found(world):
    app, job_id, findings = _blocked_with_findings(world)
    [thumb] = [image for image in _images(_record(app, job_id)) if image.width == THUMBNAIL_WIDTH]
    scale = THUMBNAIL_WIDTH / docgen.page_pixels()[0]
    for finding in findings:
        left, top, right, bottom = finding["bbox"]
        # The thumbnail has square pixels: y in it scales like x (fine pixels are near square).
        y_scale = scale * SCREENING_DPI[0] / SCREENING_DPI[1]
        box = (round(left * scale) + 1, round(top * y_scale) + 1, round(right * scale) - 1, round(bottom * y_scale) - 1)
        region = thumb.crop(box)
        assert region.getextrema()[1] < 64, (finding["category"], box, "the value still shows")
    # The rest of the page is still there to see (the title line is not masked).
    title = thumb.crop((round(20 * 8.03 * scale), round(14 * 7.7 * scale), round(60 * 8.03 * scale),
                        round(21 * 7.7 * scale)))
    assert title.getextrema()[0] < 128 < title.getextrema()[1], "unmasked text is still drawn"


@pytest.mark.parametrize("world", [NO_THUMBNAILS], indirect=True)
def test_the_policy_can_leave_thumbnails_out(world):
    app, job_id, _ = _blocked_with_findings(world)
    assert [image for image in _images(_record(app, job_id)) if image.width == THUMBNAIL_WIDTH] == []
