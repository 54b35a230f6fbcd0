"""OCR with the Debian `tesseract` command (`tesseract-ocr` + `tesseract-ocr-jpn`), words with
their boxes and confidences from its TSV output.

Tesseract runs as a separate process with one thread (OMP_THREAD_LIMIT=1: ~1.5 s for a dense
A4 page instead of ~8 s fighting over two cores), an address-space limit and a timeout; the
page goes to it through a pipe (as PGM), so no image of personal data touches the disk. Before OCR,
solid black areas are painted white (masking bars hold nothing to read, and tesseract
invents kanji for them or drops the text beside them), and a standard-resolution page
(98 dpi vertically) is stretched to fine resolution, which halves tesseract's error rate on
kanji.
"""

from __future__ import annotations

import io
import math
import os
import re
import subprocess
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageFilter

from policies.ink import bilevel, rules_mask, solid_mask
from policies.layout import Box

# Below this vertical resolution a page is stretched to twice its height for OCR.
_LOW_VERTICAL_DPI = 150
_STDERR_TAIL = 300
_TSV_HEADER = "level\tpage_num\tblock_num"
# Tesseract's orientation confidence below which a page is left as it is (upright Japanese
# pages score 3-6 at fine resolution, 1.5-3 at standard; a page with little text less).
MIN_ORIENTATION_CONFIDENCE = 1.0
# A page whose median grey is darker than this is grey paper (a photocopy): flattened.
_WHITE_PAPER = 215
_PAPER_CELL = 8  # pixels per cell when measuring the paper's grey (a character is ~30)
_INK_GAIN = 2.5  # ink 100 darker than its paper becomes black; grain 20 darker stays light
# Skew: angles tried, in steps of _SKEW_RESOLUTION degrees either way, on a copy reduced
# _SKEW_CELL times; turned only when at least _MIN_SKEW and sharper than level by _SKEW_GAIN.
_SKEW_CELL = 8  # a character is ~4 cells: lines still part
_PROFILE_CELL = 2  # pixels per cell of the profiles that tell columns from lines
# Between lines (or columns) of text the paper is this wide at least; between the characters
# of a word, narrower (0.2–0.6 mm at 10.5 pt).
_LINE_GAP_MM = 1.0
_SKEW_RESOLUTION = 0.5  # a line 17 cm long drifts ≤ 0.7 mm at a quarter of this
_SKEW_STEPS = 6  # ±3°
_MIN_SKEW = 0.5
_SKEW_GAIN = 1.1


@dataclass(frozen=True)
class OcrSettings:
    command: str = "tesseract"
    language: str = "jpn"  # jpn+eng doubles the time for no gain on Japanese forms
    # Page segmentation mode 6 (one uniform block of text) reads forms and rosters more
    # reliably than automatic layout analysis (3), which splits table columns into blocks
    # and misreads narrow ones, and than sparse text (11); lines are rebuilt from word boxes
    # anyway. On 80 fine-mode corpus documents: 0, 1 and 2 wrong verdicts; 6 is also fastest.
    page_segmentation: int = 6
    # Pages written in columns (縦書き) are read with the vertical model
    # (`tesseract-ocr-jpn-vert`), as one block of vertical text (mode 5).
    vertical_language: str = "jpn_vert"
    vertical_segmentation: int = 5
    timeout_seconds: float = 60.0  # per page
    memory_mb: int = 1024
    # A page whose words average a lower confidence (0–100, weighted by characters) was not
    # read with confidence: the job is held. Fine-mode pages score 80–94 on the corpus,
    # standard-mode ones 57–82 (docs/screening.md).
    min_confidence: float = 75.0

    def __post_init__(self):
        if not self.command or not self.language:
            raise ValueError("OcrSettings.command and .language must not be empty")
        if not (0 < self.timeout_seconds < 86400) or self.memory_mb < 64 or not (0 <= self.min_confidence <= 100):
            raise ValueError("OcrSettings: timeout_seconds in (0, 86400), memory_mb ≥ 64, min_confidence in [0, 100]")
        if self.page_segmentation not in (3, 4, 6, 11, 12) or self.vertical_segmentation not in (3, 5, 11, 12):
            raise ValueError("OcrSettings.page_segmentation must be 3, 4, 6, 11 or 12; vertical_segmentation 3, 5, 11 or 12")
        if not self.vertical_language:
            raise ValueError("OcrSettings.vertical_language must not be empty")


@dataclass(frozen=True)
class OcrWord:
    text: str
    box: Box  # in the page image's pixels
    confidence: float


class OcrFailed(Exception):
    """OCR could not run or did not finish: `code` is ocr_unavailable, ocr_timeout or ocr_failed."""

    def __init__(self, code: str, detail: str = ""):
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}" if detail else code)


def flatten(image: Image.Image) -> Image.Image:
    """A grey page (a photocopy: grey paper, greyed toner, a shadow along an edge) as a person
    sees it: the paper white everywhere, ink black where it stands out from the paper around
    it (an adaptive threshold). A page whose paper is already white is returned as it is."""
    histogram = image.histogram()
    half, seen = image.width * image.height / 2, 0
    for paper, count in enumerate(histogram):  # the median grey: most of a page is paper
        seen += count
        if seen >= half:
            break
    if paper >= _WHITE_PAPER:
        return image
    # The paper's own grey: the lightest value around each point (ink is darker), smoothed.
    small = image.reduce(_PAPER_CELL).filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.BoxBlur(2))
    paper_grey = small.resize(image.size, Image.Resampling.BILINEAR)
    darkness = ImageChops.subtract(paper_grey, image)
    # Black and white at once: left grey, a sparse page's grain misleads tesseract's own
    # threshold (minutes of OCR on a page of specks).
    return darkness.point([0 if 255 - v * _INK_GAIN < 128 else 255 for v in range(256)])


def straighten(image: Image.Image, dpi: tuple[int, int]) -> tuple[Image.Image, float]:
    """The page turned so its lines run level (a page fed in a degree or two askew: OCR's
    word boxes then drift from line to line), and the angle it was turned by (degrees,
    counter-clockwise); 0 and the page itself when it is level. The angle is the one whose
    turned page has the sharpest row and column profiles (text lines, columns, rules), on a
    copy reduced to square cells of 8 pixels; a small gain over level is noise, not skew."""
    reduce_y = max(1, round(_SKEW_CELL * dpi[1] / dpi[0]))
    ink = bilevel(image).point(_INK).reduce((_SKEW_CELL, reduce_y))
    if not ink.getbbox():
        return image, 0.0
    level = _sharpness(ink)
    scores = {0.0: level}
    for step in range(-_SKEW_STEPS, _SKEW_STEPS + 1):
        if step:
            angle = step * _SKEW_RESOLUTION
            scores[angle] = _sharpness(ink.rotate(angle, resample=Image.Resampling.BILINEAR))
    best = max(scores, key=scores.get)
    if abs(best) < _MIN_SKEW or scores[best] < level * _SKEW_GAIN:
        return image, 0.0
    return turn(image, best, dpi), best


def turn(image: Image.Image, degrees: float, dpi: tuple[int, int]) -> Image.Image:
    """`image` turned counter-clockwise about its centre by `degrees` on paper, whatever its
    pixels' aspect (a standard-mode fax has half the rows of a square grid)."""
    a = -math.radians(degrees)
    ratio = dpi[0] / dpi[1]
    cx, cy = image.width / 2, image.height / 2
    m = (math.cos(a), math.sin(a) * ratio, 0.0, -math.sin(a) / ratio, math.cos(a), 0.0)
    c = cx - m[0] * cx - m[1] * cy
    f = cy - m[3] * cx - m[4] * cy
    return image.transform(image.size, Image.Transform.AFFINE, (m[0], m[1], c, m[3], m[4], f),
                           resample=Image.Resampling.BILINEAR, fillcolor=255)


def _sharpness(ink: Image.Image) -> int:
    """How sharply the ink's row and column sums change: level lines make deep valleys."""
    total = 0
    for profile in (ink.reduce((ink.width, 1)).tobytes(), ink.reduce((1, ink.height)).tobytes()):
        total += sum((profile[i + 1] - profile[i]) ** 2 for i in range(len(profile) - 1))
    return total


def prepare(image: Image.Image, dpi: tuple[int, int] = (204, 196)) -> Image.Image:
    """The page as OCR should see it: solid black areas and ruled lines painted white (OCR
    reads a table's rules as ーーー and joins them to the cells' text), and isolated specks
    too (a noisy line's dots become punctuation and stray kana)."""
    cleaned = image.copy()
    cleaned.paste(255, mask=solid_mask(image))
    bw = bilevel(cleaned)
    cleaned.paste(255, mask=rules_mask(bw))
    if _speckled(bw, dpi):
        cleaned.paste(255, mask=speck_mask(bw))
    return cleaned


def _speckled(bw: Image.Image, dpi: tuple[int, int]) -> bool:
    """Specks enough to mislead OCR (a noisy line), judged on a few bands across the page
    (an eighth of it): a scanner's dust leaves ~4 specks per square inch, a noisy line 20+."""
    band = max(1, bw.height // (4 * _SPECK_BANDS))
    specks = 0
    for index in range(_SPECK_BANDS):
        top = (2 * index + 1) * bw.height // (2 * _SPECK_BANDS)
        specks += speck_mask(bw.crop((0, top, bw.width, top + band))).histogram()[255]
    square_inches = bw.width * bw.height / (dpi[0] * dpi[1])
    return specks * bw.height / (band * _SPECK_BANDS) > _SPECKS_PER_SQUARE_INCH * square_inches


# A speck: ink with no other ink two pixels away on any side (a dot of at most 2×2 pixels);
# a stroke, a dakuten or a full stop always reaches that far. Counted with box blurs (cheap
# at any radius): the 5×5 and the 3×3 count around a pixel agree when the ring is empty.
_COUNT_5 = [round(v * 25 / 255) for v in range(256)]
_COUNT_3 = [round(v * 9 / 255) for v in range(256)]


_SPECK_BANDS = 2  # bands of a quarter of a band's spacing each: an eighth of the page
_SPECKS_PER_SQUARE_INCH = 10
_INK = [255 if v == 0 else 0 for v in range(256)]


def speck_mask(bw: Image.Image) -> Image.Image:
    """Mode 'L' mask, 255 over isolated specks of a bilevel image."""
    ink = bw.point(_INK)
    ring = ImageChops.subtract(ink.filter(ImageFilter.BoxBlur(2)).point(_COUNT_5),
                               ink.filter(ImageFilter.BoxBlur(1)).point(_COUNT_3))
    return ImageChops.subtract(ink, ring.point([255 if v else 0 for v in range(256)]))


def read_words(image: Image.Image, dpi: tuple[int, int], settings: OcrSettings, timeout: float,
               vertical: bool = False) -> list[OcrWord]:
    """OCR a prepared page image ('L'); words with boxes in the image's own pixels. A blank
    page is not sent to tesseract at all. Output that is not tesseract's TSV raises
    OcrFailed('ocr_failed'): an engine that exits 0 with nothing usable has not read the page.
    `vertical`: read with the vertical model (see written_in_columns)."""
    if image.getextrema()[0] >= 128:
        return []
    stretch = 2 if dpi[1] < _LOW_VERTICAL_DPI else 1
    if stretch > 1:
        image = image.resize((image.width, image.height * stretch), Image.Resampling.BICUBIC)
    mode, language = ((settings.vertical_segmentation, settings.vertical_language) if vertical
                      else (settings.page_segmentation, settings.language))
    output = _run(image, ["--psm", str(mode), "--dpi", str(dpi[0]), "-l", language,
                          "-c", "tessedit_do_invert=0", "tsv"], settings, timeout)
    return _parse_tsv(output, stretch)


def written_in_columns(ink: Image.Image, dpi: tuple[int, int]) -> bool:
    """Whether the page (`ink`: bilevel, as OCR gets it) is written in columns (縦書き): most
    white gaps across the page are as wide as the space between lines, while most gaps down
    it are the narrow ones between characters. Counting all gaps instead mistook sparse
    horizontal pages (a few rows of labels and values, few characters to fill the gaps
    between those of other rows) for columns. On the corpus, horizontal pages have at most
    0.17 more of their gaps across wide than down, vertical ones at least 0.37 more. A page of
    one line (or one column) has gaps along it only. A page turned sideways looks vertical
    too: it is read badly either way and asked its orientation."""
    cell_height = max(1, round(_PROFILE_CELL * dpi[1] / dpi[0]))
    ink = ink.reduce((_PROFILE_CELL, cell_height))
    down = _gaps_mm(ink.reduce((ink.width, 1)).tobytes(), cell_height * 25.4 / dpi[1])
    across = _gaps_mm(ink.reduce((1, ink.height)).tobytes(), _PROFILE_CELL * 25.4 / dpi[0])
    if not down or not across:
        return len(down) > len(across)
    return _wide_share(across) > _wide_share(down)


def _gaps_mm(profile: bytes, cell_mm: float) -> list[float]:
    """The widths of the runs of blank cells (255) between ink in a profile."""
    gaps, run, inked = [], 0, False
    for value in profile:
        if value >= 254:
            run += 1
            continue
        if inked and run:
            gaps.append(run * cell_mm)
        inked, run = True, 0
    return gaps


def _wide_share(gaps: list[float]) -> float:
    return sum(gap >= _LINE_GAP_MM for gap in gaps) / len(gaps)


def upright_rotation(image: Image.Image, dpi: tuple[int, int], settings: OcrSettings, timeout: float) -> int:
    """Degrees (0, 90, 180, 270) to turn the page clockwise so its text stands upright, from
    tesseract's orientation detection (`tesseract-ocr-osd`). 0 when it is not sure, or cannot
    tell: the caller has a page it could not read with confidence either way."""
    try:
        output = _run(image, ["--psm", "0", "--dpi", str(dpi[0])], settings, timeout)
    except OcrFailed:
        return 0
    rotate = re.search(r"^Rotate:\s*(\d+)\s*$", output, re.MULTILINE)
    confidence = re.search(r"^Orientation confidence:\s*([\d.]+)\s*$", output, re.MULTILINE)
    if not rotate or not confidence or float(confidence.group(1)) < MIN_ORIENTATION_CONFIDENCE:
        return 0
    degrees = int(rotate.group(1))
    return degrees if degrees in (90, 180, 270) else 0


def _run(image: Image.Image, arguments: list[str], settings: OcrSettings, timeout: float) -> str:
    if image.mode == "L" and not any(image.histogram()[1:255]):
        # A black-and-white page goes as PBM, the same pixels: tesseract skips its own
        # threshold (~14 % of its CPU on a fine fax page, ~10 % of an orientation check; the
        # same words, boxes, confidences and orientations on the corpus pages compared).
        image = image.convert("1", dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    image.save(buffer, format="PPM")  # PGM for 'L', PBM for '1': no compression to pay for either side
    command = [settings.command, "stdin", "stdout", *arguments]
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    try:
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   env=env, close_fds=True)
    except OSError as exc:
        raise OcrFailed("ocr_unavailable", f"{settings.command}: {exc}") from exc
    _limit_memory(process.pid, settings.memory_mb)
    try:
        output, errors = process.communicate(buffer.getvalue(), timeout=max(0.1, timeout))
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise OcrFailed("ocr_timeout", f"no result within {timeout:.0f} s") from None
    if process.returncode != 0:
        tail = errors.decode("utf-8", "replace").strip()[-_STDERR_TAIL:]
        raise OcrFailed("ocr_failed", f"exit status {process.returncode}: {tail}")
    return output.decode("utf-8", "replace")


def _limit_memory(pid: int, memory_mb: int) -> None:
    """Cap tesseract's address space (set just after start, before it has read the image)."""
    try:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.prlimit(pid, resource.RLIMIT_AS, (limit, limit))
    except (ImportError, AttributeError, OSError, ValueError):
        pass  # not Linux, or the process already ended: the timeout still applies


def _parse_tsv(tsv: str, stretch: int) -> list[OcrWord]:
    lines = tsv.splitlines()
    if not lines or not lines[0].startswith(_TSV_HEADER):
        raise OcrFailed("ocr_failed", f"not tesseract's TSV output: {tsv[:80]!r}")
    words = []
    for line in lines[1:]:
        columns = line.split("\t")
        if len(columns) < 11:
            raise OcrFailed("ocr_failed", f"malformed TSV line: {line[:80]!r}")
        if columns[0] != "5" or len(columns) < 12:
            continue
        text = columns[11].strip()
        if not text:
            continue
        try:
            left, top, width, height = (int(v) for v in columns[6:10])
            confidence = float(columns[10])
        except ValueError:
            raise OcrFailed("ocr_failed", f"malformed TSV line: {line[:80]!r}") from None
        words.append(OcrWord(text, (left, top / stretch, left + width, (top + height) / stretch), confidence))
    return words
