"""Page previews: the stored document rendered by policies.documents.load (in its limited child process)
at fax resolution, black and white as the fax carries it, findings outlined in red; and
thumbnails of them, too small to read (so gateway.services.page_views never counts one as a page seen)."""

from __future__ import annotations

import io
import json
import threading
from collections import OrderedDict
from contextlib import AbstractContextManager
from typing import Callable

from PIL import Image, ImageDraw

from gateway.services.cover_sheet import NUMBER_AREA_MM
from gateway.records.pdfdraw import A4_MM
from gateway.storage.uow import UnitOfWork

HIGHLIGHT = (220, 0, 0)
HIGHLIGHT_WIDTH = 5
THUMBNAIL_WIDTH = 160  # pixels: an A4 page at about 19 dpi, where body text cannot be read


def render_pages(document, findings: list[dict], hide_cover_number: bool = False) -> list[bytes]:
    """PNGs of the pages; with ``hide_cover_number``, page 1 (faxgate's own cover sheet) has the
    destination's number blacked out, for someone who must still re-enter it blind."""
    pngs = []
    for page in document.pages:
        image: Image.Image = page.bilevel()
        if hide_cover_number and page.number == 1:
            image = _without_cover_number(image, page.dpi)
        boxes = [f["bbox"] for f in findings if f.get("page") == page.number and f.get("bbox")]
        if boxes:
            image = image.convert("RGB")
            draw = ImageDraw.Draw(image)
            for left, top, right, bottom in boxes:
                pad = HIGHLIGHT_WIDTH * 2
                draw.rectangle([left - pad, top - pad, right + pad, bottom + pad], outline=HIGHLIGHT, width=HIGHLIGHT_WIDTH)
        out = io.BytesIO()
        image.save(out, format="PNG")
        pngs.append(out.getvalue())
    return pngs


def _without_cover_number(image: Image.Image, dpi: tuple[int, int]) -> Image.Image:
    """The sheet is A4 at the page's resolution, centred where a fax TIFF's page is wider."""
    per_mm_x, per_mm_y = dpi[0] / 25.4, dpi[1] / 25.4
    offset = max(0.0, (image.width - A4_MM[0] * per_mm_x) / 2)
    left, top, right, bottom = NUMBER_AREA_MM
    image = image.copy()
    ImageDraw.Draw(image).rectangle([offset + left * per_mm_x, top * per_mm_y, offset + right * per_mm_x,
                                     bottom * per_mm_y], fill=0)
    return image


def thumbnail(png: bytes) -> bytes:
    image = Image.open(io.BytesIO(png)).convert("RGB")  # keeps the red outlines of findings
    image.thumbnail((THUMBNAIL_WIDTH, THUMBNAIL_WIDTH * 2))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


class PagesGone(Exception):
    """The job's pages are no longer shown: its document was purged, or its previews' retention
    period (the policy's [retention] preview_days) is over."""

    message_ja = "保存期間を過ぎたため、このジョブのページは表示できません"
    message_en = "the retention period is over: this job's pages are no longer shown"


def check_pages_shown(state: str, ended_at, policy, now) -> None:
    """Raises PagesGone when the policy no longer shows the pages of a job in `state` since `ended_at`."""
    if not policy.retention.previews_shown(state, ended_at, now):
        raise PagesGone()


class PagePreviews:
    """Rendered pages of the last few documents: a browser asks for every page of a job at
    once, and rendering starts a child process, so each document is rendered once."""

    def __init__(self, load_document: Callable[[bytes], object], capacity: int = 8):
        self._load_document = load_document
        self._capacity = capacity
        self._rendered: OrderedDict[tuple, list[bytes]] = OrderedDict()
        self._guard = threading.Lock()
        self._rendering: dict[tuple, threading.Lock] = {}

    def of_job(self, unit_of_work: Callable[..., AbstractContextManager[UnitOfWork]], job_id: str,
               content_sha256: str, findings: list[dict], hide_cover_number: bool) -> list[bytes]:
        """The pages of a stored job (see pages), its document read only when not rendered yet."""
        def fetch_document() -> bytes:
            with unit_of_work(read_only=True) as uow:
                document = uow.jobs.document_of(job_id)
            if document is None:  # purged (gateway.services.retention)
                raise PagesGone()
            return document

        key = (job_id, content_sha256, json.dumps(findings, sort_keys=True, ensure_ascii=False), hide_cover_number)
        return self.pages(key, fetch_document, findings, hide_cover_number)

    def pages(self, key: tuple, fetch_document: Callable[[], bytes], findings: list[dict],
              hide_cover_number: bool = False) -> list[bytes]:
        """PNGs of every page (see render_pages). ``key`` names the content (job, hash, findings,
        whether the number is hidden); raises policies.documents.model.DocumentUnreadable when the
        document cannot be rendered."""
        with self._guard:
            if key in self._rendered:
                self._rendered.move_to_end(key)
                return self._rendered[key]
            lock = self._rendering.setdefault(key, threading.Lock())
        with lock:
            with self._guard:
                if key in self._rendered:
                    return self._rendered[key]
            try:
                pngs = render_pages(self._load_document(fetch_document()), findings, hide_cover_number)
                with self._guard:
                    self._rendered[key] = pngs
                    while len(self._rendered) > self._capacity:
                        self._rendered.popitem(last=False)
                return pngs
            finally:
                with self._guard:
                    self._rendering.pop(key, None)
