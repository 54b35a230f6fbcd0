"""What kind of document this is, cheaply enough for SMTP time: no rendering, no child process.

Needs pypdfium2 (PDFium, BSD/Apache) only for a PDF that names an encryption dictionary.
"""

from __future__ import annotations

import re

__all__ = ["pdf_is_encrypted", "sniff"]


def sniff(data: bytes) -> str | None:
    """'pdf', 'tiff' or None, from the first bytes alone. A PDF header may follow up to 1 KiB
    of junk (as readers allow); TIFF is classic little- or big-endian TIFF. PostScript/EPS
    (also the DOS EPS binary form that carries a TIFF preview) and everything else is None."""
    head = bytes(data[:1024])
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if b"%PDF-" in head:
        return "pdf"
    return None


# `/Encrypt` as a PDF name, also spelled with #xx escapes (`/Encr#79pt`), as a key followed by
# an indirect reference or a dictionary: how every encrypted PDF's trailer (or cross-reference
# stream dictionary, which is never compressed) names its encryption dictionary.
_NAME_CHAR = rb"[^\x00\t\n\x0c\r /%()<>\[\]{}]"


def _escaped_name(name: bytes) -> re.Pattern[bytes]:
    parts = []
    for c in name:
        hex_ = b"%02x" % c
        escape = b"#[%s%s][%s%s]" % (hex_[:1], hex_[:1].upper(), hex_[1:], hex_[1:].upper())
        parts.append(b"(?:" + re.escape(bytes([c])) + b"|" + escape + b")")
    return re.compile(rb"/" + b"".join(parts) + rb"(?!" + _NAME_CHAR + rb")\s*(?:\d+\s+\d+\s+R|<<)")


_ENCRYPT_KEY = _escaped_name(b"Encrypt")


def pdf_is_encrypted(data: bytes) -> bool:
    """True if the PDF cannot be opened without a password.

    Fast path without any parser: a PDF with no `/Encrypt` key anywhere is not encrypted (the
    key sits in the uncompressed trailer or cross-reference stream dictionary). Only when the
    key is present does PDFium open the file (cross-reference and trailer only, no pages):
    a permissions-only PDF (empty user password, as many official forms are) opens and is
    not reported; a password or an unsupported security handler is. Not a PDF: False."""
    if sniff(data) != "pdf":
        return False
    if not _ENCRYPT_KEY.search(data):
        return False
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        pdf = pdfium.PdfDocument(bytes(data))
    except pdfium.PdfiumError as exc:
        return getattr(exc, "err_code", None) in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY)
    pdf.close()
    return False
