"""MFD address books (generic CSV, Ricoh, Canon, Konica Minolta): read a device's export into
rows, write the directory back as a new file or into the device's own export."""

from directory.formats.book import (
           FORMATS,
           Book,
           BookError,
           BookRow,
           ExportRow,
           decode,
           detect_format,
)
from directory.formats.canon import write_canon
from directory.formats.generic import write_generic
from directory.formats.konica import write_konica
from directory.formats.merge import Merged, merge_into
from directory.formats.reading import read_book
from directory.formats.ricoh import write_ricoh

__all__ = ["FORMATS", "Book", "BookError", "BookRow", "ExportRow", "Merged", "decode", "detect_format", "merge_into",
           "read_book", "write_canon", "write_generic", "write_konica", "write_ricoh"]
