"""Untrusted fax documents (PDF, TIFF) loaded safely, as pages the way the fax will carry them.

`load_document` parses in the document sandbox (policies.documents.sandbox: a child process
under resource limits and a wall-clock timeout). The child renders every page at
fax resolution (fine 204×196 dpi, standard 204×98) as an 8-bit grey image, and for PDFs
extracts the text layer with a box per character in page-image pixels; the parent never
parses anything itself and checks every page against the limits before using it.
"""

from __future__ import annotations

import array
import json
import sys
import time

from PIL import Image

from policies.documents import render_pdf, render_tiff, sandbox
from policies.documents.model import DPI, Document, DocumentUnreadable, Page, PageLimits, RenderedPage, TextChar
from policies.documents.render_pdf import MAX_CHARS_PER_PAGE
from policies.documents.sniff import sniff

__all__ = ["load_document"]

_ENTRY = "policies.documents.load:_child_entry"


def load_document(data: bytes, limits: PageLimits = PageLimits(), resolution: str = "fine") -> Document:
    """Parse `data` (PDF or TIFF) in a separate, limited process; return its pages at fax
    resolution ('fine' 204×196 dpi or 'standard' 204×98). Raises DocumentUnreadable.

    Blocking (a few ms to fork the sandbox's child, then a few ms per page; a process's first
    document also starts the sandbox's zygote, ~0.1-0.2 s): from asyncio code run it in a thread
    (`asyncio.to_thread`). Safe to call from several threads at once."""
    return _load(data, limits, resolution)


def _load(data: bytes, limits: PageLimits, resolution: str, fault: str | None = None) -> Document:
    """`load_document`, with a `fault` the child acts out after applying its limits (tests
    only): 'hang', 'segfault', 'memory', 'garbage'."""
    if resolution not in DPI:
        raise ValueError(f"resolution must be one of {sorted(DPI)}, not {resolution!r}")
    kind = sniff(data)
    if kind is None:
        raise DocumentUnreadable("not_pdf_or_tiff", "no PDF or TIFF signature")
    header = {
        "kind": kind,
        "resolution": resolution,
        "max_pages": limits.max_pages,
        "max_pixels_per_page": limits.max_pixels_per_page,
        "timeout_seconds": limits.timeout_seconds,
        "memory_mb": limits.memory_mb,
        "max_image_pixels": limits.max_image_pixels,
        "fault": fault,
    }
    largest = max(limits.max_pixels_per_page, 16 * MAX_CHARS_PER_PAGE) + 65536
    with sandbox.run(_ENTRY, header, data, limits, max_frame=largest) as frames:
        return _collect(frames, kind, resolution, limits)


def _collect(frames, kind: str, resolution: str, limits: PageLimits) -> Document:
    """The pages from the child's frames, each checked against the limits, until its 'done'."""
    pages: list[Page] = []
    while True:
        tag, payload = next(frames)
        if tag == b"D":
            if not pages:
                raise DocumentUnreadable("broken", "no pages")
            return Document(kind=kind, pages=pages, resolution=resolution)
        if tag != b"P":
            raise DocumentUnreadable("crashed", f"unexpected frame {tag!r} from the parser process")
        meta = json.loads(payload)
        number, width, height, n_chars = (int(meta[k]) for k in ("number", "width", "height", "chars"))
        dpi = (int(meta["dpi"][0]), int(meta["dpi"][1]))
        if number != len(pages) + 1 or number > limits.max_pages or dpi != DPI[resolution]:
            raise DocumentUnreadable("crashed", "inconsistent page from the parser process")
        if not (0 < width * height <= limits.max_pixels_per_page):
            raise DocumentUnreadable("too_many_pixels", f"page {number}: {width}x{height} px", page=number)
        if n_chars > MAX_CHARS_PER_PAGE:
            raise DocumentUnreadable("crashed", "text layer over the limit from the parser process")
        text = chars = None
        if n_chars >= 0:
            text_tag, text_bytes = next(frames)
            box_tag, box_bytes = next(frames)
            boxes = array.array("f")
            boxes.frombytes(box_bytes)
            text = text_bytes.decode("utf-32-le")
            if (text_tag, box_tag) != (b"T", b"B") or len(text) != n_chars or len(boxes) != 4 * n_chars:
                raise DocumentUnreadable("crashed", "inconsistent text layer from the parser process")
            if sys.byteorder != "little":
                boxes.byteswap()
            chars = [TextChar(text[i], *boxes[4 * i : 4 * i + 4]) for i in range(n_chars)]
        image_tag, raw = next(frames)
        if image_tag != b"I" or len(raw) != width * height:
            raise DocumentUnreadable("crashed", "page image of the wrong size from the parser process")
        image = Image.frombuffer("L", (width, height), raw, "raw", "L", 0, 1)  # no copy: Pillow copies on write
        text_image = None
        accounted = bool(meta.get("text_accounts_for_ink")) and chars is not None
        if chars is not None and not accounted:
            text_tag, raw = next(frames)
            if text_tag != b"J" or len(raw) != (width + 7) // 8 * height:
                raise DocumentUnreadable("crashed", "text-layer image of the wrong size from the parser process")
            text_image = Image.frombytes("1", (width, height), bytes(raw))
        pages.append(Page(number, image, width, height, text, chars, dpi, text_image, accounted))


# --- the child side -------------------------------------------------------------------------


def _child_entry(argument: str) -> None:
    header = json.loads(argument)
    limits = PageLimits(
        max_pages=int(header["max_pages"]),
        max_pixels_per_page=int(header["max_pixels_per_page"]),
        timeout_seconds=float(header["timeout_seconds"]),
        memory_mb=int(header["memory_mb"]),
        max_image_pixels=int(header["max_image_pixels"]),
    )
    out = sandbox.child_output()
    try:  # the parsers themselves: failing here is not the document's fault
        if header["kind"] == "pdf":
            import pypdfium2  # noqa: F401
        else:
            from PIL import TiffImagePlugin  # noqa: F401
    except BaseException as exc:
        out.error("crashed", f"parser start-up: {type(exc).__name__}: {exc}"[:500], {})
        out.flush()
        return
    with sandbox.reporting(out):
        fault = header.get("fault")
        if fault == "hang":
            time.sleep(3600)
        elif fault == "segfault":
            import ctypes

            ctypes.string_at(0)
        elif fault == "memory":
            bytearray(limits.memory_mb * 2 * 1024 * 1024)
        elif fault == "garbage":
            out.stream.write(b"\x00" * 100)
            return
        dpi = DPI[header["resolution"]]
        render = render_pdf.render if header["kind"] == "pdf" else render_tiff.render
        for page in render(sys.stdin.buffer.read(), limits, dpi):
            _send_page(out, dpi, page)
        out.json(b"D", {})


def _send_page(out: sandbox.Output, dpi: tuple[int, int], page: RenderedPage) -> None:
    meta = {"number": page.number, "width": page.width, "height": page.height, "dpi": list(dpi)}
    meta["chars"] = -1 if page.chars is None else len(page.chars[0])
    meta["text_accounts_for_ink"] = page.text_accounts_for_ink
    out.json(b"P", meta)
    if page.chars is not None:
        text, boxes = page.chars
        out.frame(b"T", text.encode("utf-32-le"))
        if sys.byteorder != "little":
            boxes.byteswap()
        out.frame(b"B", boxes)
    out.frame(b"I", page.image)
    if page.chars is not None and not page.text_accounts_for_ink:
        out.frame(b"J", page.text_image)
    out.flush()
