"""One page put in front of an untrusted fax document, without parsing the document here.

- PDF: PDFium imports the page into the document in the document sandbox
  (policies.documents.sandbox, as for loading pages) and writes the whole file anew, so the
  result is one clean revision any fax server's renderer reads.
- TIFF: the page is appended to the file as a new image directory and the header's pointer
  to the first directory is turned to it; the new directory's "next" pointer is the old
  first page. Nothing of the submitted file is read but its 8-byte header, and every byte of
  it after the header stays where it was (its page-number tags, if any, still count from 1).

Both raise `DocumentUnreadable` (the job is held, never sent) when the document cannot take
the page. The caller loads the result again before using it: what is screened, confirmed and
relayed is the combined file itself.
"""

from __future__ import annotations

import io
import json
import struct
import sys

from PIL import Image

from policies.documents import sandbox
from policies.documents.model import DocumentUnreadable, PageLimits
from policies.documents.sniff import sniff

__all__ = ["prepend_pdf_page", "prepend_tiff_page"]

_ENTRY = "policies.documents.prepend:_child_entry"
_LENGTH = struct.Struct("<Q")


def prepend_pdf_page(document: bytes, page_pdf: bytes, limits: PageLimits = PageLimits()) -> bytes:
    """`document` (a PDF) with the first page of `page_pdf` (a trusted one-page PDF) as page 1."""
    if sniff(document) != "pdf":
        raise DocumentUnreadable("not_pdf_or_tiff", "not a PDF")
    data = _LENGTH.pack(len(page_pdf)) + page_pdf + document
    with sandbox.run(_ENTRY, {"max_pages": limits.max_pages}, data, limits) as frames:
        tag, result = next(frames)
        if tag != b"O" or sniff(result) != "pdf":
            raise DocumentUnreadable("crashed", f"no PDF from the parser process (frame {tag!r})")
        return bytes(result)


def _child_entry(argument: str) -> None:
    max_pages = int(json.loads(argument)["max_pages"])
    out = sandbox.child_output()
    with sandbox.reporting(out):
        import pypdfium2 as pdfium
        import pypdfium2.raw as pdfium_c

        data = sys.stdin.buffer.read()
        (length,) = _LENGTH.unpack_from(data)
        page_pdf, document = data[_LENGTH.size:_LENGTH.size + length], data[_LENGTH.size + length:]
        try:
            target = pdfium.PdfDocument(document)
        except pdfium.PdfiumError as exc:
            locked = getattr(exc, "err_code", None) in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY)
            raise DocumentUnreadable("encrypted" if locked else "broken", str(exc)) from None
        if len(target) + 1 > max_pages:
            raise DocumentUnreadable("too_many_pages", f"{len(target) + 1} pages", pages=len(target) + 1, limit=max_pages)
        target.import_pages(pdfium.PdfDocument(page_pdf), pages=[0], index=0)
        result = io.BytesIO()
        target.save(result)
        out.frame(b"O", result.getbuffer())


# --- TIFF -------------------------------------------------------------------------------------

_SHORT, _LONG, _RATIONAL = 3, 4, 5
_MAX_TIFF = 2**32 - 1


def prepend_tiff_page(document: bytes, page: Image.Image, dpi: tuple[int, int]) -> bytes:
    """`document` (classic TIFF) with `page` (mode '1', at `dpi`) as page 1, CCITT G4."""
    if sniff(document) != "tiff":
        raise DocumentUnreadable("not_pdf_or_tiff", "not a TIFF")
    order = "<" if document[:2] == b"II" else ">"
    (first_ifd,) = struct.unpack(order + "I", document[4:8])
    strips, rows_per_strip, photometric = _g4_strips(page)
    base = len(document) + len(document) % 2  # TIFF offsets are word-aligned
    data = bytearray()
    offsets = []
    for strip in strips:
        offsets.append(base + len(data))
        data += strip + b"\0" * (len(strip) % 2)
    resolution_at = base + len(data)
    data += struct.pack(order + "IIII", dpi[0], 1, dpi[1], 1)
    arrays_at = base + len(data)
    if len(strips) > 1:  # more than one strip: the offsets and counts live outside the directory
        data += struct.pack(order + f"{len(strips)}I", *offsets)
        data += struct.pack(order + f"{len(strips)}I", *(len(s) for s in strips))
    n = len(strips)
    entries = [
        (256, _LONG, 1, page.width), (257, _LONG, 1, page.height), (258, _SHORT, 1, 1), (259, _SHORT, 1, 4),
        (262, _SHORT, 1, photometric),
        (273, _LONG, n, offsets[0] if n == 1 else arrays_at),
        (277, _SHORT, 1, 1), (278, _LONG, 1, rows_per_strip),
        (279, _LONG, n, len(strips[0]) if n == 1 else arrays_at + 4 * n),
        (282, _RATIONAL, 1, resolution_at), (283, _RATIONAL, 1, resolution_at + 8),
        (293, _LONG, 1, 0), (296, _SHORT, 1, 2),
    ]
    ifd_at = base + len(data)
    data += struct.pack(order + "H", len(entries))
    for tag, kind, count, value in entries:
        packed = struct.pack(order + "H", value) + b"\0\0" if kind == _SHORT else struct.pack(order + "I", value)
        data += struct.pack(order + "HHI", tag, kind, count) + packed
    data += struct.pack(order + "I", first_ifd)
    if base + len(data) > _MAX_TIFF:
        raise DocumentUnreadable("too_many_pixels", "the TIFF would exceed 4 GiB", page=1)
    head = document[:4] + struct.pack(order + "I", ifd_at)
    return head + document[8:] + b"\0" * (base - len(document)) + bytes(data)


def _g4_strips(page: Image.Image) -> tuple[list[bytes], int, int]:
    """The page G4-encoded by libtiff (through Pillow): its strips, rows per strip and the
    photometric interpretation the bits were written with."""
    encoded = io.BytesIO()
    page.convert("1").save(encoded, format="TIFF", compression="group4")
    image = Image.open(io.BytesIO(encoded.getvalue()))
    tags = image.tag_v2
    raw = encoded.getvalue()
    strips = [raw[offset:offset + count] for offset, count in zip(tags[273], tags[279])]
    return strips, int(tags.get(278, page.height)), int(tags[262])
