"""Reading a device's export, whichever format it is in."""

from __future__ import annotations

from directory.formats.book import FORMATS, Book, BookError, decode, detect_format
from directory.formats.canon import canon_recode, read_canon
from directory.formats.generic import read_generic
from directory.formats.konica import read_konica
from directory.formats.ricoh import read_ricoh


def read_book(data: bytes, fmt: str | None = None) -> Book:
    text = decode(data)
    fmt = fmt or detect_format(text)
    if fmt not in FORMATS:
        raise BookError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    if fmt == "canon":
        text = canon_recode(data, text)
    return _READERS[fmt](text)


_READERS = {"generic": read_generic, "ricoh": read_ricoh, "canon": read_canon, "konica": read_konica}
