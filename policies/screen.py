"""Screening a fax document for unmasked personal data, page by page as the recipient will see it.

    result = screen_document(data, settings)     # verdict 'pass' | 'block' | 'hold'

Each page is loaded at fax resolution in a separate, limited process (`policies.documents.load`).
A page's text comes from its PDF text layer when that can be trusted, and from OCR
(`policies.image_reading`) where there is none or where ink on the page lies outside it
(`policies.text_layer`). Masking is judged from the rendered page, never from the text: a text-
layer character whose box is solid black, or blank, is not seen by the recipient and is read as
■; the recognizers then run on what is visible. A value found in the text layer but not in the
visible text was masked; a value still readable in the visible text (a name boxed but the
address beside it not, a surname left beside a boxed given name) was not. A phone number with
its middle digits boxed reaches nobody and counts as masked.

Verdicts: `block` when any unmasked finding's category policy says block (sensitive data
next to an unmasked identifier always blocks); otherwise `hold` when any page could not be
read with confidence (fail closed); otherwise `pass`, with `extra_approvers` = 1 when a
finding's category asks for one more approver, and `needs_privacy_officer` when a finding is
one the settings' `privacy_officer_for` names. A blocked result still carries `hold` when
a page also could not be read.
"""

from __future__ import annotations

import math
import time
import unicodedata
from dataclasses import dataclass, replace

from policies.categories import IDENTIFYING, NAMES_JA, SENSITIVE, hide_middle
from policies.image_reading import read_image
from policies.ink import bilevel, dark_fractions, looks_like_placeholders
from policies.layout import Glyph, PageText, TextView, lay_out, written_vertically
from policies.legible import doubtful_field, reads_as_placeholders
from policies.ocr import OcrFailed
from policies.documents.load import load_document
from policies.documents.model import Document, DocumentUnreadable, Page
from policies.recognizers import HIDDEN, Hit, recognize
from policies.settings import ScreenSettings
from policies.text_layer import UNCOVERED_INK_PIXELS, garbled, unaccounted_ink

__all__ = ["DOUBTFUL", "Finding", "Hold", "PageReading", "ScreenResult", "ScreenSettings", "load_for_screening", "screen_document", "screen_loaded"]

# A text-layer character is hidden when its box is this black (a masking bar) …
HIDDEN_DARK_SHARE = 0.8
# … or, for a letter or digit, this empty (whited out, drawn invisible or too light for the fax).
BLANK_DARK_SHARE = 0.01
# Text layers write their own spaces; between separate text objects a gap this wide (in line
# heights) reads as one. OCR of Japanese gets no spaces between kanji (see policies.layout).
TEXT_LAYER_SPACE_GAP = 0.3
OCR_SPACE_GAP = 0.6
# The height of a line of 10 pt text, for judging what OCR found against the image.
LINE_HEIGHT_MM = 4.5
# On a page OCR could not read with confidence (standard-mode faxes: kanji suffer, digits
# survive) only findings made of digits are trusted; the page is held in any case.
DIGIT_CATEGORIES = frozenset((
    "birth_date", "phone", "email", "my_number", "drivers_license", "passport", "residence_card", "pension_number",
    "insurance_number", "resident_code", "addressee_number", "bank_account", "credit_card",
))
_EXPLAINED_FINDINGS = 5

_HOLD_MESSAGES = {
    "ocr_unavailable": (
        "画像のページを読み取る仕組み（OCR）が使えないため、内容を確認できません。管理者に連絡してください。",
        "The OCR engine that reads image pages is not available, so the content could not be checked. "
        "Please contact the administrator.",
    ),
    "ocr_failed": (
        "{page}ページ目の読み取り（OCR）に失敗したため、内容を確認できません。文書を作り直して送り直してください。",
        "Reading page {page} (OCR) failed, so its content could not be checked. Please recreate the document.",
    ),
    "ocr_timeout": (
        "{page}ページ目の読み取り（OCR）が制限時間内に終わらなかったため、内容を確認できません。"
        "ページを減らすか、文字情報のあるPDFで送り直してください。",
        "Reading page {page} (OCR) did not finish in time, so its content could not be checked. "
        "Please send fewer pages, or a PDF with a text layer.",
    ),
    "ocr_low_confidence": (
        "{page}ページ目の文字を確実に読み取れませんでした（かすれ・手書き・低解像度など）。"
        "個人情報の有無を確認できないため保留します。鮮明な原稿（ファインモード、または文字情報のあるPDF）で送り直してください。",
        "The text on page {page} could not be read with confidence (faint, handwritten or low resolution), "
        "so it could not be checked for personal data. Please send a clearer original "
        "(fine mode, or a PDF with a text layer).",
    ),
    "time_limit": (
        "文書の確認が制限時間（{seconds}秒）内に終わりませんでした。ページ数を減らして送り直してください。",
        "Checking the document did not finish within the time limit ({seconds} s). Please send fewer pages.",
    ),
}
HOLD_CODES = tuple(_HOLD_MESSAGES)


_PAGE_HOLDS = ("ocr_failed", "ocr_timeout", "ocr_low_confidence")
DOUBTFUL = "\ufffd"


@dataclass(frozen=True)
class Finding:
    page: int  # 1-based
    category: str  # see policies.categories
    sensitive: bool
    masked: bool
    text: str  # the value with its middle hidden (all ＊ when masked)
    bbox: tuple[int, int, int, int]  # left, top, right, bottom in page-image pixels at the screening resolution
    source: str  # 'text' | 'ocr'
    action: str  # the category policy for an unmasked finding: block | extra_approver | allow; 'none' when masked

    def to_json(self) -> dict:
        return {"page": self.page, "category": self.category, "sensitive": self.sensitive, "masked": self.masked,
                "text": self.text, "bbox": list(self.bbox), "source": self.source}


@dataclass(frozen=True)
class Hold:
    """Why the document could not be read with confidence. `code`: a policies.documents.model code
    (encrypted, broken, timeout…) or ocr_unavailable, ocr_failed, ocr_timeout,
    ocr_low_confidence, time_limit."""

    code: str
    message_ja: str
    message_en: str
    page: int | None = None

    def to_json(self) -> dict:
        return {"code": self.code, "message_ja": self.message_ja, "message_en": self.message_en, "page": self.page}


@dataclass(frozen=True)
class PageReading:
    """What screening read on a page, for the rules that look at the words (the cover-sheet
    number, the addressee): the visible text layer, then OCR of the ink it does not account
    for (OCR lines in reading order, a page turned upright first if it had to be)."""

    page: int
    text: str
    source: str  # text | ocr | text+ocr
    confident: bool  # False when OCR could not read the page with confidence (or did not run)
    sure_text: str = ""  # `text` with each character of a word OCR was unsure of as DOUBTFUL


@dataclass(frozen=True)
class ScreenResult:
    verdict: str  # pass | block | hold
    pages: int
    findings: list[Finding]
    hold: Hold | None
    seconds: float
    extra_approvers: int
    needs_privacy_officer: bool = False
    readings: tuple[PageReading, ...] = ()

    def renumbered(self, offset: int) -> "ScreenResult":
        """The same result with every page number moved by `offset` (a page put in front)."""
        hold = self.hold
        if hold and hold.page is not None:
            hold = (_hold(hold.code, hold.page + offset) if hold.code in _PAGE_HOLDS
                    else replace(hold, page=hold.page + offset))
        return replace(self, findings=[replace(f, page=f.page + offset) for f in self.findings], hold=hold,
                       readings=tuple(replace(r, page=r.page + offset) for r in self.readings))

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.action == "block"]

    def explanation(self) -> tuple[str, str]:
        """What to tell the submitter (Japanese, English): where the unmasked personal data is
        and what to do instead (report No. 371, countermeasures 2 and 3), or why the document
        is held."""
        if self.verdict == "block":
            shown = self.blocking[:_EXPLAINED_FINDINGS]
            more = len(self.blocking) - len(shown)
            where_ja = "、".join(f"{f.page}ページの{NAMES_JA[f.category]}（{f.text}）" for f in shown)
            where_en = ", ".join(f"{f.category.replace('_', ' ')} on page {f.page} ({f.text})" for f in shown)
            return (
                f"マスキングされていない個人情報があります: {where_ja}" + (f" ほか{more}件" if more else "") + "。"
                "個人情報はファクスで送らず、郵送・手渡し・庁内の共有フォルダなど別の方法で送ってください。"
                "どうしてもファクスで送る場合は、個人が特定できないよう黒塗りしてから送り直してください。",
                f"Unmasked personal data: {where_en}" + (f" and {more} more" if more else "") + ". "
                "Do not fax personal data; send it by post, by hand or through a shared folder instead. "
                "If it must be faxed, black it out so that no individual can be identified, and send it again.",
            )
        if self.verdict == "hold":
            return self.hold.message_ja, self.hold.message_en
        if self.extra_approvers:
            return ("要配慮個人情報が含まれているため、承認者を1人追加して確認します。",
                    "The document holds sensitive personal data: one more approver checks it.")
        if self.needs_privacy_officer:
            return ("個人情報（黒塗りを含む）が含まれているため、個人情報保護責任者が承認者として確認します。",
                    "The document holds personal data (masked or sensitive): a privacy officer approves it.")
        return "マスキングされていない個人情報は見つかりませんでした。", "No unmasked personal data was found."

    def to_json(self) -> dict:
        return {"verdict": self.verdict, "pages": self.pages, "findings": [f.to_json() for f in self.findings],
                "hold": self.hold.to_json() if self.hold else None, "seconds": round(self.seconds, 3),
                "extra_approvers": self.extra_approvers, "needs_privacy_officer": self.needs_privacy_officer}


def _hold(code: str, page: int | None = None, **facts) -> Hold:
    ja, en = _HOLD_MESSAGES[code]
    return Hold(code, ja.format(page=page, **facts), en.format(page=page, **facts), page)


def load_for_screening(data: bytes, settings: ScreenSettings | None = None) -> Document:
    """The document's pages exactly as screening sees them (for highlights and masking)."""
    settings = settings or ScreenSettings()
    return load_document(data, settings.limits, settings.resolution)


def screen_document(data: bytes, settings: ScreenSettings | None = None) -> ScreenResult:
    """Screen a PDF or TIFF. Blocking (parsing in a child process, OCR in tesseract): from
    asyncio code run it in a thread. Anything about the document itself (unreadable, OCR
    failing or timing out) is a `hold`, never an exception; an exception is a bug, and the
    caller must fail closed on it too."""
    settings = settings or ScreenSettings()
    started = time.monotonic()
    try:
        document = load_for_screening(data, settings)
    except DocumentUnreadable as exc:
        hold = Hold(exc.code, exc.message_ja, exc.message_en, exc.facts.get("page"))
        return ScreenResult("hold", int(exc.facts.get("pages") or 0), [], hold, time.monotonic() - started, 0)
    return screen_loaded(document, settings, started)


def screen_loaded(document: Document, settings: ScreenSettings | None = None, started: float | None = None) -> ScreenResult:
    """Screen a document already loaded with `load_for_screening` (or `load_document` with
    the settings' limits and resolution), for a caller that needs its pages for something
    else too. `started` (time.monotonic()) counts the loading into `seconds` and the time limit."""
    settings = settings or ScreenSettings()
    started = time.monotonic() if started is None else started
    deadline = started + settings.time_limit_seconds
    findings: list[Finding] = []
    readings: list[PageReading] = []
    hold: Hold | None = None
    for page in document.pages:
        page_findings, page_hold, reading = read_page(page, settings, deadline)
        findings.extend(page_findings)
        readings.append(reading)
        hold = hold or page_hold
        if page_hold and page_hold.code == "time_limit":
            break
    findings = _with_actions(findings, settings)
    extra = 1 if any(f.action == "extra_approver" for f in findings) else 0
    if any(f.action == "block" for f in findings):
        verdict = "block"
    elif hold:
        verdict = "hold"
    else:
        verdict = "pass"
    officer = any(settings.needs_privacy_officer(f.category, f.sensitive, f.masked) for f in findings)
    return ScreenResult(verdict, len(document.pages), findings, hold, time.monotonic() - started,
                        extra if verdict == "pass" else 0, officer and verdict == "pass", tuple(readings))


def _with_actions(findings: list[Finding], settings: ScreenSettings) -> list[Finding]:
    """Each unmasked finding's action from its category policy; sensitive data blocks when
    an unmasked identifier (not allowed by policy) is in the same document."""
    identified = any(f.category in IDENTIFYING and not f.masked and settings.action(f.category) != "allow"
                     for f in findings)
    result = []
    for finding in findings:
        if finding.masked:
            action = "none"
        elif finding.category in SENSITIVE and identified:
            action = "block"
        else:
            action = settings.action(finding.category)
        result.append(replace(finding, action=action))
    return result


def screen_page(page: Page, settings: ScreenSettings, deadline: float) -> tuple[list[Finding], Hold | None]:
    """Findings on one page, and why it could not be read if it could not."""
    findings, hold, _ = read_page(page, settings, deadline)
    return findings, hold


def read_page(page: Page, settings: ScreenSettings, deadline: float) -> tuple[list[Finding], Hold | None, PageReading]:
    """Findings on one page, why it could not be read if it could not, and what was read."""
    findings: list[Finding] = []
    text_layer = ""
    needs_ocr = not page.chars
    if page.chars:
        glyphs = [Glyph(c.char, (c.left, c.top, c.right, c.bottom)) for c in page.chars if c.right > c.left]
        if garbled(page.text or ""):
            needs_ocr = True
        else:
            layout = lay_out(glyphs, TEXT_LAYER_SPACE_GAP, vertical=written_vertically(glyphs))
            findings, text_layer = _text_layer_findings(page, layout, settings)
            # the parser child tried the cheap bounds (policies.text_layer.accounted_for); else count exactly
            needs_ocr = (not page.text_accounts_for_ink
                         and unaccounted_ink(page.image, page.text_image) > UNCOVERED_INK_PIXELS)
    if not needs_ocr:
        return findings, None, PageReading(page.number, text_layer, "text", True, text_layer)
    remaining = deadline - time.monotonic()
    if remaining <= 1:
        return findings, _hold("time_limit", page.number, seconds=settings.time_limit_seconds), \
            PageReading(page.number, text_layer, "text", False, text_layer)
    try:
        reading = read_image(page.image, page.dpi, settings, deadline)
    except OcrFailed as exc:
        return findings, _hold(exc.code, page.number), PageReading(page.number, text_layer, "text", False, text_layer)
    bw = reading.bilevel
    # Straightening resamples every character: printed ＊＊＊ alike on the page as it came can
    # differ on the straightened one, so placeholders are looked for on both.
    as_received = bilevel(page.image) if reading.skew and not reading.rotation else None
    confident = reading.confident
    layout = lay_out([Glyph(w.text, w.box) for w in reading.words], OCR_SPACE_GAP, vertical=reading.vertical)
    for finding in _findings(page.number, layout.view, _recognize(layout.view, settings),
                             "ocr", masked_anyway=False):
        if not finding.masked and (looks_like_placeholders(bw, _line_high(finding.bbox, reading.dpi))
                                   or reads_as_placeholders(reading.words, finding.bbox)
                                   or as_received is not None and looks_like_placeholders(
                                       as_received, _line_high(reading.on_page(finding.bbox), page.dpi))):
            # OCR reads ＊＊＊＊ and ○○○ as kana and kanji: the image says it is masked.
            finding = replace(finding, masked=True, text="＊" * len(finding.text))
        if not confident and finding.category not in DIGIT_CATEGORIES:
            continue  # misread words make names of anything; the page is held for a person instead
        finding = replace(finding, bbox=reading.on_page(finding.bbox))
        if not any(_same_value(finding, known) for known in findings):
            findings.append(finding)
    ocr_sure = _sure_text(layout, [w.box for w in reading.words if w.confidence < settings.ocr.min_confidence])
    read = PageReading(page.number, "\n".join(t for t in (text_layer, layout.text) if t),
                       "text+ocr" if text_layer else "ocr", confident,
                       "\n".join(t for t in (text_layer, ocr_sure) if t))
    if not confident or doubtful_field(layout.view, reading.words, reading.ink, settings.ocr.min_confidence):
        return findings, _hold("ocr_low_confidence", page.number), read
    return findings, None, read


def _sure_text(layout: PageText, doubtful: list[tuple[float, float, float, float]]) -> str:
    """The OCR text with the characters of doubtful words (below the confidence threshold)
    replaced by DOUBTFUL, for rules that must not act on a misread name."""
    def unsure(box) -> bool:
        if box is None:
            return False
        x, y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        return any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in doubtful)

    return "".join(DOUBTFUL if not c.isspace() and unsure(box) else c for c, box in zip(layout.text, layout.boxes))


def _line_high(box: tuple[int, int, int, int], dpi: tuple[int, int]) -> tuple[float, float, float, float]:
    """`box` made at least a text line high: OCR also reads the slivers of ●● left at the edge
    of a masking bar, and a sliver alone does not show what it belongs to."""
    left, top, right, bottom = box
    grow = max(0.0, (LINE_HEIGHT_MM / 25.4 * dpi[1] - (bottom - top)) / 2)
    return (left, top - grow, right, bottom + grow)


def _text_layer_findings(page: Page, layout: PageText, settings: ScreenSettings) -> tuple[list[Finding], str]:
    """Recognize what the recipient sees (the page as the fax carries it): hidden characters
    read as ■. Values found only in the full text layer are reported as masked. Also returns
    the visible text."""
    shown = [i for i, box in enumerate(layout.boxes) if box is not None and not layout.text[i].isspace()]
    shares = dark_fractions(page.image, [layout.boxes[i] for i in shown])
    hidden = {i: HIDDEN for i, share in zip(shown, shares) if _hidden(share, layout.text[i])}
    visible = layout.with_chars_replaced(hidden) if hidden else layout
    findings = _findings(page.number, visible.view, _recognize(visible.view, settings),
                         "text", masked_anyway=False)
    if hidden:
        for finding in _findings(page.number, layout.view, _recognize(layout.view, settings),
                                 "text", masked_anyway=True):
            if not any(_same_value(finding, known) for known in findings):
                findings.append(finding)
    return findings, visible.text


def _hidden(share: float, char: str) -> bool:
    """Whether a character whose box is `share` black is hidden from the recipient."""
    if share >= HIDDEN_DARK_SHARE:
        return True
    return share < BLANK_DARK_SHARE and unicodedata.category(char)[0] in "LN"


def _recognize(view: TextView, settings: ScreenSettings) -> list[Hit]:
    return recognize(view, settings.allow, settings.identifiers, settings.ordinance_sensitive)


def _findings(page: int, view: TextView, hits: list[Hit], source: str, masked_anyway: bool) -> list[Finding]:
    findings = []
    for hit in hits:
        box = view.box(hit.start, hit.end)
        if box is None:
            continue
        value = view.text[hit.start:hit.end]
        masked = hit.masked or masked_anyway
        shown = "＊" * len(value.replace(" ", "")) if masked else hide_middle(value)
        bbox = (math.floor(box[0]), math.floor(box[1]), math.ceil(box[2]), math.ceil(box[3]))
        findings.append(Finding(page, hit.category, hit.category in SENSITIVE, masked, shown, bbox, source, "none"))
    return findings


def _same_value(a: Finding, b: Finding) -> bool:
    """Two findings of one category whose boxes overlap by at least a third of the smaller."""
    if a.category != b.category:
        return False
    width = min(a.bbox[2], b.bbox[2]) - max(a.bbox[0], b.bbox[0])
    height = min(a.bbox[3], b.bbox[3]) - max(a.bbox[1], b.bbox[1])
    if width <= 0 or height <= 0:
        return False
    smaller = min((a.bbox[2] - a.bbox[0]) * (a.bbox[3] - a.bbox[1]), (b.bbox[2] - b.bbox[0]) * (b.bbox[3] - b.bbox[1]))
    return width * height * 3 >= smaller


