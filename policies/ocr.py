"""OCR with the Debian `tesseract` command (`tesseract-ocr` + `tesseract-ocr-jpn`), words with
their boxes and confidences from its TSV output.

Tesseract runs as a separate process with one thread (OMP_THREAD_LIMIT=1: ~1.5 s for a dense
A4 page instead of ~8 s fighting over two cores), an address-space limit and a timeout; the
page goes to it through a pipe, so no image of personal data touches the disk. Before OCR,
solid black areas are painted white (masking bars hold nothing to read, and tesseract
invents kanji for them or drops the text beside them), and a standard-resolution page
(98 dpi vertically) is stretched to fine resolution, which halves tesseract's error rate on
kanji.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
from dataclasses import dataclass

from PIL import Image

from policies.ink import bilevel, rules_mask, solid_mask
from policies.layout import Box

# Below this vertical resolution a page is stretched to twice its height for OCR.
_LOW_VERTICAL_DPI = 150
_STDERR_TAIL = 300
_TSV_HEADER = "level\tpage_num\tblock_num"
# Tesseract's orientation confidence below which a page is left as it is (upright Japanese
# pages score 3-6 at fine resolution, 1.5-3 at standard; a page with little text less).
MIN_ORIENTATION_CONFIDENCE = 1.0


@dataclass(frozen=True)
class OcrSettings:
    command: str = "tesseract"
    language: str = "jpn"  # jpn+eng doubles the time for no gain on Japanese forms
    # Page segmentation mode 6 (one uniform block of text) reads forms and rosters more
    # reliably than automatic layout analysis (3), which splits table columns into blocks
    # and misreads narrow ones, and than sparse text (11); lines are rebuilt from word boxes
    # anyway. On 80 fine-mode corpus documents: 0, 1 and 2 wrong verdicts; 6 is also fastest.
    page_segmentation: int = 6
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
        if self.page_segmentation not in (3, 4, 6, 11, 12):
            raise ValueError("OcrSettings.page_segmentation must be 3, 4, 6, 11 or 12")


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


def prepare(image: Image.Image) -> Image.Image:
    """The page as OCR should see it: solid black areas and ruled lines painted white (OCR
    reads a table's rules as ーーー and joins them to the cells' text)."""
    cleaned = image.copy()
    cleaned.paste(255, mask=solid_mask(image))
    cleaned.paste(255, mask=rules_mask(bilevel(cleaned)))
    return cleaned


def read_words(image: Image.Image, dpi: tuple[int, int], settings: OcrSettings, timeout: float) -> list[OcrWord]:
    """OCR a prepared page image ('L'); words with boxes in the image's own pixels. A blank
    page is not sent to tesseract at all. Output that is not tesseract's TSV raises
    OcrFailed('ocr_failed'): an engine that exits 0 with nothing usable has not read the page."""
    if image.getextrema()[0] >= 128:
        return []
    stretch = 2 if dpi[1] < _LOW_VERTICAL_DPI else 1
    if stretch > 1:
        image = image.resize((image.width, image.height * stretch), Image.Resampling.BICUBIC)
    output = _run(image, ["--psm", str(settings.page_segmentation), "--dpi", str(dpi[0]), "-l", settings.language,
                          "-c", "tessedit_do_invert=0", "tsv"], settings, timeout)
    return _parse_tsv(output, stretch)


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
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
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
