"""What an untrusted fax document becomes: pages at fax resolution, or a reason it cannot be read.

Every failure is a `DocumentUnreadable` with a code and a plain sentence in Japanese and English
for the submitter (fail closed: the job is held, never sent).
"""

from __future__ import annotations

import array
from dataclasses import dataclass
from typing import NamedTuple

from PIL import Image

__all__ = ["CODES", "DPI", "Document", "DocumentUnreadable", "Page", "PageLimits", "RenderedPage", "TextChar"]

DPI = {"fine": (204, 196), "standard": (204, 98)}


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
    # The text layer accounts for the page's ink, as the parser child found: nothing but text
    # objects draws on the page, or policies.text_layer.accounted_for's bounds showed it; then
    # text_image is not sent.
    text_accounts_for_ink: bool = False

    def bilevel(self, threshold: int = 128) -> Image.Image:
        """The page as the fax carries it, black and white ('1')."""
        return self.image.point(lambda v: 255 if v >= threshold else 0).convert("1")


@dataclass
class Document:
    kind: str  # 'pdf' | 'tiff'
    pages: list[Page]
    resolution: str = "fine"



class RenderedPage(NamedTuple):
    """A page as a renderer hands it over inside the sandbox child, before it crosses to the
    parent: raw 'L' rows; with a text layer, its characters (text, four float32 box edges per
    character) and the packed '1' rows drawn from its text objects alone, unless
    `text_accounts_for_ink` (see Page)."""

    number: int
    width: int
    height: int
    image: bytes | memoryview
    chars: tuple[str, array.array] | None
    text_image: bytes | None
    text_accounts_for_ink: bool = False
