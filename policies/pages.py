"""Untrusted fax documents (PDF, TIFF) loaded safely, as pages the way the fax will carry them.

`load_document` parses in a separate process (a fresh interpreter) under resource limits
(address space, CPU time, no core files) and a wall-clock timeout. The child renders every
page at fax resolution (fine 204×196 dpi, standard 204×98) as an 8-bit grey image, and for
PDFs extracts the text layer with a box per character in page-image pixels. A child that
hangs is killed; one that dies is reported; the parent never parses anything itself. Every failure is a `DocumentUnreadable` with a code and a plain
sentence in Japanese and English for the submitter (fail closed: the job is held, never sent).

`sniff` and `pdf_is_encrypted` are cheap enough for SMTP time (no rendering, no child).

Needs pypdfium2 (PDFium, BSD/Apache) and Pillow; no AGPL code.
"""

from __future__ import annotations

import array
import io
import json
import math
import os
import re
import select
import signal
import struct
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from typing import NamedTuple

from PIL import Image

__all__ = [
    "DPI",
    "Document",
    "DocumentUnreadable",
    "Page",
    "PageLimits",
    "TextChar",
    "load_document",
    "pdf_is_encrypted",
    "sniff",
]

DPI = {"fine": (204, 196), "standard": (204, 98)}
_PT_PER_INCH = 72.0

# --- cheap checks (SMTP time) ---------------------------------------------------------------


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


# --- results and errors ---------------------------------------------------------------------


@dataclass(frozen=True)
class PageLimits:
    max_pages: int = 50
    # Four A4 pages' worth at fine resolution (~15.8 Mpx): B4/A3 fit, absurd sizes do not.
    max_pixels_per_page: int = 1728 * 2292 * 4
    timeout_seconds: float = 60
    # Parser address space. Keep it ≥ 512: PDFium skips an image it cannot allocate and
    # renders the rest of the page, which would look like a blank (clean) area.
    memory_mb: int = 1024
    # Largest image embedded in a PDF page (its declared /Width × /Height), checked before
    # decoding: A4 scanned at 1200 dpi is ~140 Mpx.
    max_image_pixels: int = 200_000_000

    def __post_init__(self):
        for name in ("max_pages", "max_pixels_per_page", "memory_mb", "max_image_pixels"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"PageLimits.{name} must be a positive integer")
        if not (0 < self.timeout_seconds < 86400):
            raise ValueError("PageLimits.timeout_seconds must be between 0 and 86400")


_MESSAGES = {
    "not_pdf_or_tiff": (
        "添付ファイルがPDFでもTIFFでもないため、送信できません。PDFまたはTIFFにして送り直してください。",
        "The attachment is neither a PDF nor a TIFF file, so it cannot be faxed. "
        "Please convert it to PDF or TIFF and send it again.",
    ),
    "encrypted": (
        "PDFにパスワードが設定されているため内容を確認できません。パスワードを外して送り直してください。",
        "The PDF is password-protected, so its content cannot be checked. "
        "Please remove the password and send it again.",
    ),
    "too_many_pages": (
        "ページ数が多すぎます（{pages}ページ、上限{limit}ページ）。文書を分けて送り直してください。",
        "The document has too many pages ({pages}; the limit is {limit}). "
        "Please split it and send the parts separately.",
    ),
    "too_many_pixels": (
        "{page}ページ目の画素数が上限を超えているため、読み込めません。A4またはB4の大きさ、通常の解像度にして送り直してください。",
        "Page {page} has too many pixels to be read. "
        "Please make it A4 or B4 at an ordinary resolution and send it again.",
    ),
    "broken": (
        "ファイルが壊れているか途中で切れているため、読み込めません。元の文書から作り直して送り直してください。",
        "The file is damaged or incomplete and cannot be read. "
        "Please create it again from the original and send it again.",
    ),
    "timeout": (
        "文書の読み込みが制限時間（{seconds}秒）内に終わらなかったため、内容を確認できません。"
        "ページ数を減らすか、文書を作り直して送り直してください。",
        "Reading the document did not finish within the time limit ({seconds} s), so its content "
        "could not be checked. Please reduce the number of pages or recreate the document.",
    ),
    "crashed": (
        "文書の読み込み中に処理が異常終了したため、内容を確認できません。文書を別の方法で作り直して送り直してください。",
        "Reading the document failed abnormally, so its content could not be checked. "
        "Please recreate the document another way and send it again.",
    ),
}
_GENERIC = {
    "too_many_pages": (
        "ページ数が上限を超えています。文書を分けて送り直してください。",
        "The document has more pages than allowed. Please split it and send the parts separately.",
    ),
    "too_many_pixels": (
        "ページの画素数が上限を超えているため、読み込めません。A4またはB4の大きさ、通常の解像度にして送り直してください。",
        "A page has too many pixels to be read. "
        "Please make it A4 or B4 at an ordinary resolution and send it again.",
    ),
    "timeout": (
        "文書の読み込みが制限時間内に終わらなかったため、内容を確認できません。"
        "ページ数を減らすか、文書を作り直して送り直してください。",
        "Reading the document did not finish within the time limit, so its content could not be "
        "checked. Please reduce the number of pages or recreate the document.",
    ),
}
CODES = tuple(_MESSAGES)


class DocumentUnreadable(Exception):
    """The document cannot be read with confidence; the job must be held, never sent.

    `code` is one of CODES; `message_ja` / `message_en` say so plainly to the submitter;
    `detail` is technical context for logs (never shown to the submitter); `facts` holds
    the numbers behind the message (pages, limit, page, seconds)."""

    def __init__(self, code: str, detail: str = "", **facts):
        if code not in _MESSAGES:
            raise ValueError(f"unknown DocumentUnreadable code {code!r}")
        self.code = code
        self.detail = detail
        self.facts = facts
        ja, en = _MESSAGES[code]
        try:
            self.message_ja, self.message_en = ja.format(**facts), en.format(**facts)
        except (KeyError, IndexError):
            self.message_ja, self.message_en = _GENERIC[code]
        super().__init__(f"{code}: {self.message_en}" + (f" [{detail}]" if detail else ""))


class TextChar(NamedTuple):
    """One character of a page's text layer and its box in page-image pixels (origin top-left).
    Characters PDFium inserts itself (line breaks between text runs, some spaces) have a
    zero-area box where they sit."""

    char: str
    left: float
    top: float
    right: float
    bottom: float


@dataclass
class Page:
    number: int  # 1-based
    image: Image.Image  # mode 'L', at `dpi`
    width: int
    height: int
    text: str | None  # the PDF text layer; None without one (scans, TIFF)
    chars: list[TextChar] | None  # text[i] == chars[i].char
    dpi: tuple[int, int] = DPI["fine"]
    # With a text layer: the page drawn from its text objects alone ('1', black where they
    # put ink), so ink from anything else (an image, vector shapes) is known to be unread.
    text_image: Image.Image | None = None

    def bilevel(self, threshold: int = 128) -> Image.Image:
        """The page as the fax carries it, black and white ('1')."""
        return self.image.point(lambda v: 255 if v >= threshold else 0).convert("1")


@dataclass
class Document:
    kind: str  # 'pdf' | 'tiff'
    pages: list[Page]
    resolution: str = "fine"


# --- the parent side ------------------------------------------------------------------------
#
# The child is a fresh interpreter (`python -c`), not a multiprocessing child: it needs nothing
# from the parent's state and never re-imports the parent's __main__. It reads the document
# from its stdin (a temporary file, so the parent never blocks writing), applies its own
# resource limits before touching the data, and writes length-prefixed frames to stdout:
# JSON headers and raw bytes, never pickles (a subverted child must not be able to run code
# in the parent). The parent checks every frame against the limits before using it.

_CHILD_BOOT = "import policies.pages as p; p._child_entry()"
_FRAME = struct.Struct("<cI")  # kind, payload length
_STDERR_TAIL = 600
_MAX_CHARS_PER_PAGE = 200_000  # ~10× a dense A4 page in 6 pt type


def load_document(data: bytes, limits: PageLimits = PageLimits(), resolution: str = "fine") -> Document:
    """Parse `data` (PDF or TIFF) in a separate, limited process; return its pages at fax
    resolution ('fine' 204×196 dpi or 'standard' 204×98). Raises DocumentUnreadable.

    Blocking (start-up ~60 ms, then a few ms per page): from asyncio code run it in a thread
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
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    deadline = time.monotonic() + limits.timeout_seconds
    with _scratch("faxgate-document") as stdin, _scratch("faxgate-parser-stderr") as stderr:
        stdin.write(data)
        stdin.flush()
        stdin.seek(0)
        try:
            process = subprocess.Popen(
                [sys.executable or "python3", "-s", "-c", _CHILD_BOOT, json.dumps(header)],
                stdin=stdin,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=env,
                close_fds=True,
            )
        except OSError as exc:
            raise DocumentUnreadable("crashed", f"could not start the parser process: {exc}") from exc
        try:
            return _collect(process, kind, resolution, limits, deadline)
        except DocumentUnreadable as exc:
            if exc.code == "crashed":
                stderr.seek(0, os.SEEK_END)
                stderr.seek(max(0, stderr.tell() - _STDERR_TAIL))
                tail = stderr.read().decode("utf-8", "replace").strip()
                if tail:
                    exc.detail = f"{exc.detail}; stderr: …{tail}" if exc.detail else tail
            raise
        except (ValueError, KeyError, TypeError, IndexError, struct.error) as exc:
            # malformed output (bad JSON, bad UTF-32, odd sizes): not from a healthy parser
            raise DocumentUnreadable("crashed", f"malformed output from the parser process: {exc!r}"[:500]) from None
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
            process.stdout.close()


def _scratch(name: str):
    """An anonymous file for the child's stdin/stderr: in memory where Linux allows (the
    document holds personal data; it should not reach a disk), else an unlinked temp file."""
    if hasattr(os, "memfd_create"):
        try:
            return os.fdopen(os.memfd_create(name, os.MFD_CLOEXEC), "w+b")
        except OSError:
            pass
    return tempfile.TemporaryFile()


def _collect(process: subprocess.Popen, kind: str, resolution: str, limits: PageLimits, deadline: float) -> Document:
    frames = _frames(process, limits, deadline)
    pages: list[Page] = []
    for tag, payload in frames:
        if tag == b"P":
            meta = json.loads(payload)
            number, width, height, n_chars = (int(meta[k]) for k in ("number", "width", "height", "chars"))
            dpi = (int(meta["dpi"][0]), int(meta["dpi"][1]))
            if number != len(pages) + 1 or number > limits.max_pages or dpi != DPI[resolution]:
                raise DocumentUnreadable("crashed", "inconsistent page from the parser process")
            if not (0 < width * height <= limits.max_pixels_per_page):
                raise DocumentUnreadable("too_many_pixels", f"page {number}: {width}x{height} px", page=number)
            if n_chars > _MAX_CHARS_PER_PAGE:
                raise DocumentUnreadable("crashed", "text layer over the limit from the parser process")
            text = chars = None
            if n_chars >= 0:
                text_tag, text_bytes = _next(frames)
                box_tag, box_bytes = _next(frames)
                boxes = array.array("f")
                boxes.frombytes(box_bytes)
                text = text_bytes.decode("utf-32-le")
                if (text_tag, box_tag) != (b"T", b"B") or len(text) != n_chars or len(boxes) != 4 * n_chars:
                    raise DocumentUnreadable("crashed", "inconsistent text layer from the parser process")
                if sys.byteorder != "little":
                    boxes.byteswap()
                chars = [TextChar(text[i], *boxes[4 * i : 4 * i + 4]) for i in range(n_chars)]
            image_tag, raw = _next(frames)
            if image_tag != b"I" or len(raw) != width * height:
                raise DocumentUnreadable("crashed", "page image of the wrong size from the parser process")
            image = Image.frombytes("L", (width, height), raw)
            text_image = None
            if chars is not None:
                text_tag, raw = _next(frames)
                if text_tag != b"J" or len(raw) != (width + 7) // 8 * height:
                    raise DocumentUnreadable("crashed", "text-layer image of the wrong size from the parser process")
                text_image = Image.frombytes("1", (width, height), bytes(raw))
            pages.append(Page(number, image, width, height, text, chars, dpi, text_image))
        elif tag == b"D":
            if not pages:
                raise DocumentUnreadable("broken", "no pages")
            return Document(kind=kind, pages=pages, resolution=resolution)
        elif tag == b"E":
            meta = json.loads(payload)
            code = meta.get("code")
            if code not in _MESSAGES:
                raise DocumentUnreadable("crashed", f"unknown error {code!r} from the parser process")
            facts = {k: v for k, v in (meta.get("facts") or {}).items() if k in ("pages", "limit", "page")}
            raise DocumentUnreadable(code, str(meta.get("detail", ""))[:500], **facts)
        else:
            raise DocumentUnreadable("crashed", f"unexpected frame {tag!r} from the parser process")
    # End of output without "done": the child died.
    _died(process, limits, deadline)


def _next(frames):
    try:
        return next(frames)
    except StopIteration:
        raise DocumentUnreadable("crashed", "parser process output ended mid-page") from None


def _frames(process: subprocess.Popen, limits: PageLimits, deadline: float):
    """Yield (kind, payload) frames from the child's stdout until EOF, within the deadline."""
    fd = process.stdout.fileno()
    try:  # fewer wake-ups per page image (Linux)
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
    except (ImportError, AttributeError, OSError):
        pass
    largest = max(limits.max_pixels_per_page, 16 * _MAX_CHARS_PER_PAGE) + 65536
    while True:
        head = _read_exact(process, fd, _FRAME.size, limits, deadline)
        if head is None:
            return
        tag, length = _FRAME.unpack(head)
        if length > largest:
            raise DocumentUnreadable("crashed", "oversized frame from the parser process")
        payload = _read_exact(process, fd, length, limits, deadline)
        if payload is None:
            _died(process, limits, deadline)
        yield tag, payload


def _read_exact(process, fd: int, size: int, limits: PageLimits, deadline: float) -> bytearray | None:
    """`size` bytes from `fd`, or None at end of output before the first byte."""
    buffer = bytearray(size)
    view = memoryview(buffer)
    got = 0
    while got < size:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            _timeout(process, limits)
        count = os.readv(fd, [view[got:]])
        if count == 0:
            if got == 0:
                return None
            _died(process, limits, deadline)
        got += count
    return buffer


def _timeout(process: subprocess.Popen, limits: PageLimits):
    process.kill()
    raise DocumentUnreadable("timeout", "wall-clock limit", seconds=f"{limits.timeout_seconds:g}")


def _died(process: subprocess.Popen, limits: PageLimits, deadline: float):
    try:
        exitcode = process.wait(max(0.1, min(5.0, deadline - time.monotonic())))
    except subprocess.TimeoutExpired:
        _timeout(process, limits)
    if exitcode < 0:
        if -exitcode == getattr(signal, "SIGXCPU", None):
            raise DocumentUnreadable("timeout", "CPU time limit", seconds=f"{limits.timeout_seconds:g}")
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = str(-exitcode)
        raise DocumentUnreadable("crashed", f"parser process killed by {name}")
    raise DocumentUnreadable("crashed", f"parser process exited with status {exitcode} without a result")


# --- the child side -------------------------------------------------------------------------


class _Stop(Exception):
    def __init__(self, code: str, detail: str = "", **facts):
        super().__init__(code, detail)
        self.code, self.detail, self.facts = code, detail, facts


class _Output:
    def __init__(self, stream):
        self.stream = stream

    def frame(self, tag: bytes, payload) -> None:
        view = memoryview(payload).cast("B")
        self.stream.write(_FRAME.pack(tag, view.nbytes))
        self.stream.write(view)

    def json(self, tag: bytes, value) -> None:
        self.frame(tag, json.dumps(value, ensure_ascii=True).encode("ascii"))

    def page(self, number: int, width: int, height: int, dpi, image, chars, text_image=None) -> None:
        meta = {"number": number, "width": width, "height": height, "dpi": list(dpi)}
        meta["chars"] = -1 if chars is None else len(chars[0])
        self.json(b"P", meta)
        if chars is not None:
            text, boxes = chars
            self.frame(b"T", text.encode("utf-32-le"))
            if sys.byteorder != "little":
                boxes.byteswap()
            self.frame(b"B", boxes)
        self.frame(b"I", image)
        if chars is not None:
            self.frame(b"J", text_image)
        self.stream.flush()


def _child_entry() -> None:
    header = json.loads(sys.argv[1])
    limits = PageLimits(
        max_pages=int(header["max_pages"]),
        max_pixels_per_page=int(header["max_pixels_per_page"]),
        timeout_seconds=float(header["timeout_seconds"]),
        memory_mb=int(header["memory_mb"]),
        max_image_pixels=int(header["max_image_pixels"]),
    )
    _apply_limits(limits)
    out = _Output(sys.stdout.buffer)
    sys.stdout = sys.stderr  # nothing else may write into the frame stream
    try:  # the parsers themselves: failing here is not the document's fault
        if header["kind"] == "pdf":
            import pypdfium2  # noqa: F401
        else:
            from PIL import TiffImagePlugin  # noqa: F401
    except BaseException as exc:
        detail = f"parser start-up: {type(exc).__name__}: {exc}"[:500]
        out.json(b"E", {"code": "crashed", "detail": detail, "facts": {}})
        out.stream.flush()
        return
    try:
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
            out.stream.flush()
            return
        data = sys.stdin.buffer.read()
        dpi = DPI[header["resolution"]]
        if header["kind"] == "pdf":
            _child_pdf(out, data, limits, dpi)
        else:
            _child_tiff(out, data, limits, dpi)
        out.json(b"D", {})
    except _Stop as stop:
        out.json(b"E", {"code": stop.code, "detail": stop.detail, "facts": stop.facts})
    except MemoryError:
        out.json(b"E", {"code": "too_many_pixels", "detail": "out of memory in the parser", "facts": {}})
    except Exception as exc:  # any other parser error: the file cannot be read
        out.json(b"E", {"code": "broken", "detail": f"{type(exc).__name__}: {exc}"[:500], "facts": {}})
    out.stream.flush()


def _apply_limits(limits: PageLimits) -> None:
    try:
        import resource
    except ImportError:  # not POSIX: the parent's wall-clock timeout still applies
        return
    memory = limits.memory_mb * 1024 * 1024
    cpu = max(1, math.ceil(limits.timeout_seconds))
    for name, soft, hard in (
        ("RLIMIT_AS", memory, memory),
        ("RLIMIT_CPU", cpu, cpu + 1),
        ("RLIMIT_CORE", 0, 0),
    ):
        which = getattr(resource, name, None)
        if which is None:
            continue
        try:
            _, old_hard = resource.getrlimit(which)
            if old_hard != resource.RLIM_INFINITY:
                hard = min(hard, old_hard)
                soft = min(soft, hard)
            resource.setrlimit(which, (soft, hard))
        except (ValueError, OSError):
            pass


def _pixels(points: float, dpi: int) -> int:
    return max(1, round(points * dpi / _PT_PER_INCH))


def _child_pdf(out: _Output, data: bytes, limits: PageLimits, dpi: tuple[int, int]) -> None:
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            raise _Stop("encrypted", str(exc)) from None
        raise _Stop("broken", str(exc)) from None
    count = len(pdf)
    if count > limits.max_pages:
        raise _Stop("too_many_pages", f"{count} pages", pages=count, limit=limits.max_pages)
    if count < 1:
        raise _Stop("broken", "no pages")
    # Every page's size from its dictionary (rotation applied), before anything is rendered.
    sizes = []
    for index in range(count):
        width_pt, height_pt = pdf.get_page_size(index)
        if not (width_pt > 0 and height_pt > 0 and math.isfinite(width_pt * height_pt)):
            raise _Stop("broken", f"page {index + 1} has no usable size")
        width, height = _pixels(width_pt, dpi[0]), _pixels(height_pt, dpi[1])
        if width * height > limits.max_pixels_per_page:
            raise _Stop("too_many_pixels", f"page {index + 1}: {width}x{height} px", page=index + 1)
        sizes.append((width, height))
    try:
        pdf.init_forms()  # filled-in form fields are drawn as the recipient would see them
    except pdfium.PdfiumError:
        pass
    # Printing semantics: annotations marked not to print do not reach the fax.
    flags = pdfium_c.FPDF_ANNOT | pdfium_c.FPDF_PRINTING
    out_x, out_y = ctypes.c_int(), ctypes.c_int()
    rect = pdfium_c.FS_RECTF()
    get_unicode = pdfium_c.FPDFText_GetUnicode
    get_box = pdfium_c.FPDFText_GetLooseCharBox
    for index, (width, height) in enumerate(sizes):
        page = pdf[index]
        largest = _largest_image(pdfium_c, page)
        if largest > limits.max_image_pixels:
            raise _Stop("too_many_pixels", f"page {index + 1}: an image of {largest} px", page=index + 1)
        bitmap = pdfium.PdfBitmap.new_native(width, height, pdfium_c.FPDFBitmap_Gray)
        bitmap.fill_rect((255, 255, 255, 255), 0, 0, width, height)
        # size_x/size_y stretch the page onto the bitmap: separate x and y resolution.
        pdfium_c.FPDF_RenderPageBitmap(bitmap, page, 0, 0, width, height, 0, flags)
        if pdf.formenv:
            pdfium_c.FPDF_FFLDraw(pdf.formenv, bitmap, page, 0, 0, width, height, 0, flags)
        if bitmap.stride == width:
            image = bitmap.buffer
        else:
            image = Image.frombuffer("L", (width, height), bytes(bitmap.buffer), "raw", "L", bitmap.stride, 1).tobytes()

        # Page space → bitmap pixels is affine; measure it once per page from PDFium itself.
        def device(x: float, y: float) -> tuple[int, int]:
            pdfium_c.FPDF_PageToDevice(page, 0, 0, width, height, 0, x, y, out_x, out_y)
            return out_x.value, out_y.value

        probe = 100000.0
        ox, oy = device(0.0, 0.0)
        ax, ay = device(probe, 0.0)
        bx, by = device(0.0, probe)
        a, b, c, d = (ax - ox) / probe, (ay - oy) / probe, (bx - ox) / probe, (by - oy) / probe

        textpage = page.get_textpage()
        n_chars = textpage.count_chars()
        if n_chars > _MAX_CHARS_PER_PAGE:
            raise _Stop("broken", f"page {index + 1}: a text layer of {n_chars} characters")
        chars = None
        if n_chars > 0:
            codes = []
            boxes = array.array("f", bytes(16 * n_chars))
            for i in range(n_chars):
                code = get_unicode(textpage, i)
                if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                    code = 0xFFFD
                codes.append(code)
                if get_box(textpage, i, rect):
                    x0 = a * rect.left + c * rect.bottom + ox
                    x1 = a * rect.right + c * rect.top + ox
                    y0 = b * rect.left + d * rect.bottom + oy
                    y1 = b * rect.right + d * rect.top + oy
                    boxes[4 * i : 4 * i + 4] = array.array("f", (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))
            chars = ("".join(map(chr, codes)), boxes)
        textpage.close()
        text_image = None
        if chars is not None:
            text_image = _text_objects_only(pdfium, pdfium_c, page, width, height)
        out.page(index + 1, width, height, dpi, image, chars, text_image)
        del image
        bitmap.close()
        page.close()
    pdf.close()


def _text_objects_only(pdfium, pdfium_c, page, width: int, height: int) -> bytes:
    """The page rendered again from its text objects alone, everything else removed (images,
    paths, annotations, form fields; also inside form XObjects), as packed bilevel rows:
    what the text layer accounts for. Called after the full rendering and text extraction."""

    def strip(count: int, get, remove) -> None:
        for i in reversed(range(count)):
            obj = get(i)
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            if kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
                continue
            if kind == pdfium_c.FPDF_PAGEOBJ_FORM:
                strip(pdfium_c.FPDFFormObj_CountObjects(obj), lambda j, form=obj: pdfium_c.FPDFFormObj_GetObject(form, j),
                      lambda inner, form=obj: pdfium_c.FPDFFormObj_RemoveObject(form, inner))
                continue
            if remove(obj):
                pdfium_c.FPDFPageObj_Destroy(obj)

    strip(pdfium_c.FPDFPage_CountObjects(page), lambda i: pdfium_c.FPDFPage_GetObject(page, i),
          lambda obj: pdfium_c.FPDFPage_RemoveObject(page, obj))
    bitmap = pdfium.PdfBitmap.new_native(width, height, pdfium_c.FPDFBitmap_Gray)
    bitmap.fill_rect((255, 255, 255, 255), 0, 0, width, height)
    pdfium_c.FPDF_RenderPageBitmap(bitmap, page, 0, 0, width, height, 0, pdfium_c.FPDF_PRINTING)
    gray = Image.frombuffer("L", (width, height), bytes(bitmap.buffer), "raw", "L", bitmap.stride, 1)
    bitmap.close()
    return gray.point([0 if v < 128 else 255 for v in range(256)]).convert("1").tobytes()


def _largest_image(pdfium_c, page) -> int:
    """The pixel count of the largest image on the page, form XObjects included, from the
    image dictionaries alone (nothing decoded)."""
    import ctypes

    width, height = ctypes.c_uint(), ctypes.c_uint()
    largest = 0
    pending = [(pdfium_c.FPDFPage_CountObjects(page), lambda i: pdfium_c.FPDFPage_GetObject(page, i), 0)]
    while pending:
        count, get, depth = pending.pop()
        for i in range(count):
            obj = get(i)
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            if kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
                if pdfium_c.FPDFImageObj_GetImagePixelSize(obj, width, height):
                    largest = max(largest, width.value * height.value)
            elif kind == pdfium_c.FPDF_PAGEOBJ_FORM and depth < 16:
                count_in_form = pdfium_c.FPDFFormObj_CountObjects(obj)
                pending.append((count_in_form, lambda j, form=obj: pdfium_c.FPDFFormObj_GetObject(form, j), depth + 1))
    return largest


def _count_tiff_pages(image, seen: int, limits: PageLimits) -> dict:
    """Facts for the message: the page count, if the directories end soon enough."""
    cap = max(10 * limits.max_pages, 1000)
    index = seen
    while index < cap:
        try:
            image.seek(index + 1)
        except EOFError:
            return {"pages": index + 1, "limit": limits.max_pages}
        except Exception:
            break
        index += 1
    return {}


def _child_tiff(out: _Output, data: bytes, limits: PageLimits, dpi: tuple[int, int]) -> None:
    from PIL import TiffImagePlugin  # noqa: F401  (registers the TIFF reader)

    Image.MAX_IMAGE_PIXELS = limits.max_pixels_per_page
    warnings.simplefilter("ignore", Image.DecompressionBombWarning)
    try:
        image = Image.open(io.BytesIO(data), formats=["TIFF"])
    except Image.DecompressionBombError as exc:
        raise _Stop("too_many_pixels", str(exc), page=1) from None
    except Exception as exc:
        raise _Stop("broken", f"{type(exc).__name__}: {exc}") from None
    # First pass: directories only (each page's size and resolution), nothing decoded.
    plan = []
    index = 0
    while True:
        try:
            image.seek(index)
        except EOFError:
            break
        except Image.DecompressionBombError as exc:
            raise _Stop("too_many_pixels", str(exc), page=index + 1) from None
        except Exception as exc:
            raise _Stop("broken", f"page {index + 1}: {type(exc).__name__}: {exc}") from None
        if index >= limits.max_pages:
            raise _Stop("too_many_pages", "more pages than the limit", **_count_tiff_pages(image, index, limits))
        width, height = image.size
        if width <= 0 or height <= 0:
            raise _Stop("broken", f"page {index + 1} has no size")
        try:
            xres, yres = (float(v) for v in image.info.get("dpi") or DPI["fine"])
        except (TypeError, ValueError):
            xres, yres = DPI["fine"]
        if not (1 <= xres <= 10000 and 1 <= yres <= 10000):
            xres, yres = DPI["fine"]  # absent or absurd: a fax's own fine resolution
        target = (max(1, round(width * dpi[0] / xres)), max(1, round(height * dpi[1] / yres)))
        if max(width * height, target[0] * target[1]) > limits.max_pixels_per_page:
            raise _Stop("too_many_pixels", f"page {index + 1}: {width}x{height} px", page=index + 1)
        plan.append(target)
        index += 1
    if not plan:
        raise _Stop("broken", "no pages")
    # Second pass: decode and convert page by page.
    for index, target in enumerate(plan):
        try:
            image.seek(index)
            image.load()
            page = image.convert("L")
        except MemoryError:
            raise
        except Exception as exc:
            raise _Stop("broken", f"page {index + 1}: {type(exc).__name__}: {exc}") from None
        if page.size != target:
            page = page.resize(target, Image.Resampling.BOX)
        out.page(index + 1, target[0], target[1], dpi, page.tobytes(), None)
