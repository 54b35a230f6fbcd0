"""Reading an image page as a person would look at it: grey paper made white, a page fed in askew
straightened, one OCR pass, and only a page read badly asked which way up it is and read again
turned upright; the page's confidence judged over its words (placeholders aside)."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from PIL import Image

from policies.ink import bilevel, despeckle, looks_like_placeholders
from policies.ocr import OcrFailed, OcrWord, flatten, prepare, read_words, straighten, upright_rotation, written_in_columns
from policies.settings import ScreenSettings
from policies.text_layer import UNCOVERED_INK_PIXELS

# A page read at this confidence at least is upright: pages upside down or sideways score 14–31
# on the corpus (the upright reading of their scribbles), upright standard-mode ones 57–83.
UPRIGHT_CONFIDENCE = 50.0
# A page is judged on its OCR confidence only when it holds this many characters.
MIN_CHARACTERS_FOR_CONFIDENCE = 10
_MAX_WORD_WEIGHT = 4
# A page this inked (after rules and solid areas are removed) must yield some text.
UNREAD_INK_SHARE = 0.01
# Doubtful OCR words whose pieces are at least half one shape are placeholders, not text.
_PLACEHOLDER_SHARE_FOR_CONFIDENCE = 0.5


@dataclass(frozen=True)
class OcrPass:
    """OCR of a page, maybe turned upright first: words and images in the turned page's
    pixels, and how to put a box back on the page as it came."""

    words: list[OcrWord]
    bilevel: object  # the (turned) page as the fax carries it
    dpi: tuple[int, int]
    confidence: float
    confident: bool
    rotation: int = 0  # degrees the page was turned clockwise
    size: tuple[int, int] = (0, 0)  # the page's own size in pixels
    y_scale: float = 1.0  # page rows per turned-page pixel before the turn (non-square fax pixels)
    ink: object = None  # what OCR was given, as the fax carries it (bars, rules, specks painted out)
    vertical: bool = False  # read as vertical writing (columns right to left)
    skew: float = 0.0  # degrees the (turned) page was straightened by, counter-clockwise
    skew_size: tuple[int, int] = (0, 0)  # the (turned) page's size in pixels

    def on_page(self, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        if self.skew:
            box = self._unskewed(box)
        if not self.rotation:
            return box
        width, height = self.size[0], round(self.size[1] / self.y_scale)  # the square-pixel page
        left, top, right, bottom = box
        if self.rotation == 180:
            left, top, right, bottom = width - right, height - bottom, width - left, height - top
        elif self.rotation == 90:  # turned clockwise: a turned (x, y) was (y, height - x)
            left, top, right, bottom = top, height - right, bottom, height - left
        else:  # 270: a turned (x, y) was (width - y, x)
            left, top, right, bottom = width - bottom, left, width - top, right
        return (math.floor(left), math.floor(top * self.y_scale), math.ceil(right), math.ceil(bottom * self.y_scale))

    def _unskewed(self, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        """A box on the straightened page where it was on the page as scanned: its corners
        turned back about the centre (on paper, so with the pixels' aspect)."""
        ratio = self.dpi[0] / self.dpi[1]
        a = -math.radians(self.skew)  # as policies.ocr.turn maps each straightened pixel to its source
        cx, cy = self.skew_size[0] / 2, self.skew_size[1] / 2
        xs, ys = [], []
        for x, y in ((box[0], box[1]), (box[2], box[1]), (box[0], box[3]), (box[2], box[3])):
            dx, dy = x - cx, (y - cy) * ratio
            xs.append(cx + math.cos(a) * dx + math.sin(a) * dy)
            ys.append(cy + (-math.sin(a) * dx + math.cos(a) * dy) / ratio)
        return (math.floor(max(0, min(xs))), math.floor(max(0, min(ys))), math.ceil(max(xs)), math.ceil(max(ys)))


def read_image(image, dpi: tuple[int, int], settings: ScreenSettings, deadline: float) -> OcrPass:
    """OCR of the page; a page read badly is asked which way up it is, and read again turned
    upright when it was scanned upside down or sideways (only then: orientation detection
    costs a third of a page's OCR). A page read fairly (UPRIGHT_CONFIDENCE) is upright,
    however unsure: a standard-mode fax, a hand-filled form."""
    first = ocr_pass(image, dpi, settings, deadline)
    read = sum(len(w.text) for w in first.words)
    upright = first.confidence >= UPRIGHT_CONFIDENCE and read >= MIN_CHARACTERS_FOR_CONFIDENCE
    if first.confident or upright or deadline - time.monotonic() <= 1:
        return first
    rotation = upright_rotation(bilevel(image), dpi, settings.ocr, min(settings.ocr.timeout_seconds,
                                                                        deadline - time.monotonic()))
    if not rotation or deadline - time.monotonic() <= 1:
        return first
    # Turned a quarter, a standard-mode page's 98 dpi rows would become columns: square the
    # pixels first, and read the turned page at the horizontal resolution both ways.
    y_scale = dpi[1] / dpi[0]
    square = image if rotation == 180 or y_scale == 1 else image.resize(
        (image.width, round(image.height / y_scale)), Image.Resampling.BICUBIC)
    turned_dpi = dpi if square is image else (dpi[0], dpi[0])
    turned = square.rotate(-rotation, expand=True)
    try:
        second = ocr_pass(turned, turned_dpi, settings, deadline)
    except OcrFailed:
        return first
    if (second.confident, second.confidence) <= (first.confident, first.confidence):
        return first
    return replace(second, rotation=rotation, size=image.size, y_scale=y_scale if square is not image else 1.0)


def ocr_pass(image, dpi: tuple[int, int], settings: ScreenSettings, deadline: float) -> OcrPass:
    """One OCR pass over the page as a person would look at it: grey paper made white, a
    page fed in askew straightened; boxes are in the straightened page's pixels."""
    image, skew = straighten(flatten(image), dpi)
    prepared = prepare(image, dpi)
    ink = bilevel(prepared)
    vertical = written_in_columns(ink, dpi)
    # OCR reads the page as the fax carries it (black and white at mid-grey), as the
    # recipient will see it: a grey scan reads as well so (page confidence within ±2 on the
    # corpus's scanned forms) and costs tesseract ~15 % less (no threshold of its own).
    words = read_words(ink, dpi, settings.ocr, min(settings.ocr.timeout_seconds, deadline - time.monotonic()), vertical)
    bw = bilevel(image)
    if not words and _inked(ink):
        raise OcrFailed("ocr_failed", "no text read from a page with ink")
    confidence = _confidence(words, bw, settings.ocr.min_confidence)
    confident = confidence >= settings.ocr.min_confidence and not _ink_left_unread(ink, words)
    return OcrPass(words, bw, dpi, confidence, confident, ink=ink, vertical=vertical, skew=skew,
                    skew_size=image.size)


def _inked(ink) -> bool:
    """Ink enough for a few characters once rules, bars and specks are gone (`ink`: the
    prepared page, bilevel): OCR must read something there (a stray mark or a stamp alone is less)."""
    return despeckle(ink).histogram()[0] > UNCOVERED_INK_PIXELS


def _ink_left_unread(ink, words: list[OcrWord]) -> bool:
    """Much ink and next to no text read: a photograph, handwriting OCR gave up on."""
    if sum(len(w.text) for w in words) >= MIN_CHARACTERS_FOR_CONFIDENCE:
        return False
    return ink.histogram()[0] > UNREAD_INK_SHARE * ink.width * ink.height


def _confidence(words: list[OcrWord], bw, threshold: float) -> float:
    """OCR confidence of the page (see weighted_confidence); 100 for a page with too little text
    to judge, such as a blank one."""
    total, count = weighted_confidence(words, bw, threshold)
    if count < MIN_CHARACTERS_FOR_CONFIDENCE:
        return 100.0
    return total / count


def weighted_confidence(words: Sequence[OcrWord], ink, threshold: float) -> tuple[float, float]:
    """The words' confidence summed with their weights, and the weights: each word weighs as many
    characters as it has up to four (one long doubtful mail address must not outweigh a page of
    kanji read well). Doubtful words that are placeholders (＊＊＊, ○○○: OCR is never sure what
    they are) do not count."""
    total = count = 0.0
    for word in words:
        if word.confidence < threshold:
            # Judged with its neighbours: OCR often makes each ＊ a word of its own.
            left, top, right, bottom = word.box
            around = (left - 2 * (bottom - top), top, right + 2 * (bottom - top), bottom)
            if looks_like_placeholders(ink, around, _PLACEHOLDER_SHARE_FOR_CONFIDENCE):
                continue
        weight = min(len(word.text), _MAX_WORD_WEIGHT)
        total += word.confidence * weight
        count += weight
    return total, count
