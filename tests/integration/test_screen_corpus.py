"""Screening measured on the labelled corpus (tests/support/corpus.py): recall on documents a
recipient could read personal data on, false blocks on masked and clean ones.

Targets (issues 4 and 13): no document with readable personal data passes (recall 100%, fine
mode); at most 1 in 30 masked or clean documents blocked or held. Both compare every verdict with the one recorded before (tests/support/corpus_verdicts.py:
issue 18 changes cost, never judgement). Text PDFs are cheap, so all of their
templates and variants run here; image pages cost ~0.5–1.5 s of OCR each, so a few of each
kind run here and bench/bench_screening.py measures the whole corpus.
"""

from __future__ import annotations

import collections
import dataclasses
import io
import random
import stat
import subprocess

import pytest

from policies.ocr import OcrSettings, _parse_tsv, prepare, read_words, straighten
from policies.screen import load_for_screening, screen_document
from tests.support import corpus_scans, docgen
from tests.support.corpus_verdicts import JUDGED, judgement, recorded
from tests.support.corpus import SETTINGS, Corpus, Sample, Sheet, require_ocr_and_fonts, sample

require_ocr_and_fonts()


def evaluate(samples: list[Sample]) -> dict:
    """Verdicts against labels, and which readable values were found where they are."""
    figures = collections.Counter()
    values_found = collections.Counter()
    values_total = collections.Counter()
    wrong = []
    judged = {}
    for item in samples:
        result = screen_document(item.data, SETTINGS)
        judged[item.name] = judgement(result)
        expected = item.expected
        figures[f"{expected}:{result.verdict}"] += 1
        if (expected == "block") != (result.verdict == "block") or (expected == "pass" and result.verdict != "pass"):
            wrong.append((item.name, expected, result.verdict, [(f.page, f.category, f.text) for f in result.blocking]))
        for value in item.readable:
            if value.sensitive:
                continue
            values_total[value.category] += 1
            if any(_covers(f, value, item) for f in result.findings if not f.masked and f.category == value.category):
                values_found[value.category] += 1
    readable = sum(n for key, n in figures.items() if key.startswith("block:"))
    clean = sum(n for key, n in figures.items() if key.startswith("pass:"))
    return {
        "documents": len(samples),
        "readable": readable,
        "recall": figures["block:block"] / readable if readable else 1.0,
        "passed_readable": figures["block:pass"],
        "clean": clean,
        "false_block": figures["pass:block"] / clean if clean else 0.0,
        "false_hold": figures["pass:hold"] / clean if clean else 0.0,
        "values": {c: (values_found[c], values_total[c]) for c in sorted(values_total)},
        "wrong": wrong,
        "judged": judged,
    }


def _covers(finding, value, item) -> bool:
    left, top, right, bottom = value.rect
    dpi = docgen.FINE_DPI
    box = (docgen.mm_to_px(left, dpi[0]), docgen.mm_to_px(top, dpi[1]), docgen.mm_to_px(right, dpi[0]),
           docgen.mm_to_px(bottom, dpi[1]))
    return (finding.page == value.page + 1 and finding.bbox[0] < box[2] and box[0] < finding.bbox[2]
            and finding.bbox[1] < box[3] and box[1] < finding.bbox[3])


def report(title: str, figures: dict) -> str:
    values = ", ".join(f"{c} {found}/{total}" for c, (found, total) in figures["values"].items())
    return (f"{title}: {figures['documents']} documents; recall {figures['recall']:.1%} "
            f"({figures['readable']} with readable personal data, {figures['passed_readable']} passed); "
            f"false block {figures['false_block']:.1%}, false hold {figures['false_hold']:.1%} "
            f"of {figures['clean']} masked or clean; values found: {values}")


def same_judgement(corpus: str, judged: dict) -> list:
    """Documents judged otherwise than recorded (tests/support/corpus_verdicts.py)."""
    before = recorded(corpus)
    return [(name, before.get(name), now) for name, now in sorted(judged.items()) if before.get(name) != now]


def test_text_pdf_corpus():
    figures = evaluate(Corpus.build(**JUDGED["text_pdf"]).samples)
    print("\n" + report("text PDFs", figures))
    assert same_judgement("text_pdf", figures["judged"]) == []
    assert figures["passed_readable"] == 0 and figures["recall"] == 1.0, figures["wrong"]
    assert figures["false_block"] + figures["false_hold"] <= 1 / 30, figures["wrong"]
    for category, (found, total) in figures["values"].items():
        assert found / total >= 0.95, (category, found, total)


def test_fine_fax_pages_of_the_documents_offices_fax_most():
    """Fine-mode fax TIFFs of the forms, letters, rosters, medical notes, cover sheets and
    business papers, every variant (seed 0, 20 documents): the issue-13 target holds here —
    none with readable personal data passes, at most 1 in 30 masked or clean is stopped (none
    in bench/RESULTS.md "Screening images", run 3)."""
    figures = evaluate(Corpus.build(**JUDGED["fine_fax"]).samples)
    print("\n" + report("fine fax TIFFs", figures))
    assert same_judgement("fine_fax", figures["judged"]) == []
    assert figures["passed_readable"] == 0, figures["wrong"]
    assert figures["false_block"] + figures["false_hold"] <= 1 / 30, figures["wrong"]


IMAGE_SAMPLES = [
    ("form", "unmasked", "tiff_fine"),
    ("roster", "unmasked", "scanned_pdf"),
    ("letter", "partial", "tiff_fine"),
    ("form", "boxed", "scanned_pdf"),
    ("medical", "starred", "tiff_fine"),
    ("business", "clean", "scanned_pdf"),
    ("cover", "clean", "tiff_fine"),
]


@pytest.mark.parametrize("template, variant, medium", IMAGE_SAMPLES)
def test_image_pages_in_fine_mode(template, variant, medium):
    item = sample(template, variant, medium, seed=0)
    result = screen_document(item.data, SETTINGS)
    assert result.verdict == item.expected, [(f.page, f.category, f.text, f.masked) for f in result.findings]
    if item.expected == "block":
        # Every kind of readable identifier is found (a mail address's dots may be misread).
        readable = {v.category for v in item.readable if not v.sensitive} - {"email"}
        assert {f.category for f in result.blocking} >= readable


# --- what offices really fax (tests/support/corpus_scans.py): a few of each kind; the bench runs all --

SCAN_SAMPLES = [
    ("form", "unmasked", "hand_fine", "block"),
    ("form", "blank", "hand_fine", "pass"),
    ("letter", "unmasked", "vertical_text_pdf", "block"),
    ("form", "unmasked", "vertical_fine", "block"),
    ("form", "blank", "vertical_fine", "pass"),
    ("letter", "unmasked", "rotated_fine", "block"),
    ("form", "unmasked", "photocopy_fine", "block"),
    ("form", "blank", "photocopy_fine", "pass"),
    ("form", "unmasked", "jpeg_fine", "block"),
    ("form", "boxed", "jpeg_fine", "pass"),  # OCR reads the printed フリガナ as リガみE: a label, no name
    ("form", "boxed", "speckled_fine", "pass"),
    ("form", "unmasked", "speckled_standard", "block"),
]


@pytest.mark.parametrize("template, variant, medium, verdict", SCAN_SAMPLES)
def test_what_offices_really_fax(template, variant, medium, verdict):
    """Hand-filled, vertical, upside-down and badly scanned pages get the verdict of the same
    document printed cleanly."""
    if not corpus_scans.hand_fonts_installed() and medium.startswith("hand"):
        pytest.fail("apt-get install fonts-seto fonts-kiloji (scripts/setup.sh)", pytrace=False)
    item = sample(template, variant, medium, seed=0)
    assert item.expected == verdict
    result = screen_document(item.data, item.settings)
    assert result.verdict == verdict, [(f.page, f.category, f.text, f.masked) for f in result.findings]


def _hand_filled_form(rng: random.Random, name: str) -> bytes:
    """A printed form with only 氏名 filled in, by hand: no number anywhere to block on."""
    sheet = Sheet("unmasked", rng, frozenset())
    sheet.text(60, 22, "児童手当 認定請求書", 15)
    for row, (category, label) in enumerate((("name", "氏名"), ("address", "住所"), ("birth_date", "生年月日"))):
        y = 50 + 11 * row
        sheet.text(22, y, label, 10.5)
        if category == "name" and name:
            sheet.value(62, y, category, name, 11)
        sheet.rule(20, y + 3, 190)
    return corpus_scans.render(sheet, "hand_fine", rng)


def test_a_handwritten_name_that_cannot_be_read_holds_and_an_empty_field_does_not():
    # The rest of each page reads well. Seed 5's hand writes 金城 芽依 so that OCR reads it at
    # low confidence and the name rules find no name in what it read: only the field rule
    # stops it. Seed 1's 松本 和子 is read as a name (blocked) and its page held besides.
    unread = screen_document(_hand_filled_form(random.Random(5), "金城 芽依"), SETTINGS)
    assert unread.verdict == "hold" and unread.hold.code == "ocr_low_confidence" and unread.hold.page == 1
    found = screen_document(_hand_filled_form(random.Random(1), "松本 和子"), SETTINGS)
    assert found.verdict == "block" and found.hold.code == "ocr_low_confidence"
    empty = screen_document(_hand_filled_form(random.Random(5), ""), SETTINGS)
    assert empty.verdict == "pass", empty.hold


def test_a_page_fed_in_askew_is_straightened():
    """The corpus turns skewed pages by 1–2°: straightened, the page is level; a level page is
    left as it is."""
    item = sample("form", "unmasked", "skewed_fine", seed=0)
    page = load_for_screening(item.data, item.settings).pages[0]
    straightened, angle = straighten(page.image, page.dpi)
    assert 1.0 <= abs(angle) <= 2.25
    assert straighten(straightened, page.dpi)[1] == 0.0
    level = sample("form", "unmasked", "tiff_fine", seed=0)
    assert straighten(load_for_screening(level.data, level.settings).pages[0].image, page.dpi)[1] == 0.0


def test_tesseract_reads_the_page_as_the_fax_carries_it(tmp_path):
    """Screening gives tesseract the page in black and white, as the fax carries it and the
    recipient sees it, as PBM (tesseract then skips a threshold of its own: the cost target)
    — a fax page and a grey scan alike. A black-and-white page read from PBM gives the very
    same words, boxes and confidences as from its grey copy."""
    seen = tmp_path / "stdin"
    recording = tmp_path / "tesseract"
    recording.write_text(f'#!/bin/sh\ntee {seen} | exec tesseract "$@"\n')
    recording.chmod(recording.stat().st_mode | stat.S_IEXEC)
    for medium in ("tiff_fine", "scanned_pdf"):
        item = sample("form", "unmasked", medium, seed=0)
        result = screen_document(item.data, dataclasses.replace(item.settings, ocr=OcrSettings(command=str(recording))))
        assert result.verdict == "block" and seen.read_bytes()[:2] == b"P4", medium
    fax = sample("form", "unmasked", "tiff_fine", seed=0)
    page = load_for_screening(fax.data, fax.settings).pages[0]
    prepared = prepare(page.image, page.dpi)
    grey = io.BytesIO()
    prepared.save(grey, format="PPM")
    assert grey.getvalue()[:2] == b"P5"
    tsv = subprocess.run(["tesseract", "stdin", "stdout", "--psm", "6", "--dpi", str(page.dpi[0]), "-l", "jpn",
                          "-c", "tessedit_do_invert=0", "tsv"], input=grey.getvalue(), capture_output=True,
                         check=True).stdout.decode()
    words = read_words(prepared, page.dpi, OcrSettings(command=str(recording)), 60)
    assert seen.read_bytes()[:2] == b"P4"
    assert words == _parse_tsv(tsv, 1) and len(words) > 50
