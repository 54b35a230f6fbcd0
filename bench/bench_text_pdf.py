"""Benchmark (not a test): screening a 3-page text PDF against the bare work on the same
document, interleaved in one run on one core (issue 18's first goal: at most 3 ×).

    PYTHONPATH=. .venv/bin/python bench/bench_text_pdf.py [--rounds 30]

The bare work, in this process: pypdfium2 opens the PDF, renders each page at fax resolution
(204 × 196 dpi) and extracts its text with a box per character, then 15 regular expressions
and phonenumbers' matcher run over each page's text. faxgate: `policies.screen.screen_document`,
the path every door's job takes (the isolated parser child, rendering, ink check, layout,
recognizers, the dictionary of names). CPU time of this process and of its children (the
sandbox's zygote and the children it forked counted in clock ticks, from /proc).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import phonenumbers  # noqa: E402
import pypdfium2  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.pdfbase import pdfmetrics  # noqa: E402
from reportlab.pdfbase.ttfonts import TTFont  # noqa: E402
from reportlab.pdfgen import canvas  # noqa: E402

from policies.screen import screen_document  # noqa: E402
from tests.support.corpus import SETTINGS  # noqa: E402
from cpu_time import cpu_seconds as cpu  # noqa: E402

FONT = "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"

# What a careful bare pipeline would look for: the personal data a fax carries.
BARE_PATTERNS = [re.compile(p) for p in (
    r"〒?\d{3}-\d{4}",
    r"(?:19|20)\d{2}年\d{1,2}月\d{1,2}日",
    r"(?:明治|大正|昭和|平成|令和)\s*\d{1,2}年\s*\d{1,2}月\s*\d{1,2}日",
    r"\d{4}[-\s]?\d{4}[-\s]?\d{4}",
    r"[\w.+-]+@[\w-]+\.[\w.-]+",
    r"(?:東京都|北海道|(?:京都|大阪)府|.{2,3}県).{1,6}[市区町村]",
    r"\d+丁目\d+番\d+号?",
    r"氏\s*名[:：\s]+\S+",
    r"生年月日[:：\s]+\S+",
    r"住\s*所[:：\s]+\S+",
    r"(?:病名|既往歴|診断)[:：\s]+\S+",
    r"(?:様|殿|さん)",
    r"\d{4}-\d{6}",
    r"[A-Z]{2}\d{7}",
    r"\d{12}",
)]

LINES = [
    "世田谷区役所　保健福祉課　御中", "送付状　令和6年7月12日", "下記の書類を送付します。",
    "氏名：山田　花子", "生年月日：昭和55年4月3日", "住所：東京都世田谷区若林4丁目22番13号",
    "電話：03-5432-1111　ファクス：03-5432-3021", "病名：糖尿病（通院中）",
    "相談内容：令和6年7月12日、山田花子から来所相談あり。", "担当：世田谷区　福祉課　佐藤",
]


def three_pages(ruled: bool = False) -> bytes:
    """The document; `ruled`: each line underlined, as a form's table is (then the page is not
    drawn by text objects alone, and faxgate renders it a second time from its text objects)."""
    pdfmetrics.registerFont(TTFont("IPAexGothic", FONT))
    out = io.BytesIO()
    sheet = canvas.Canvas(out, pagesize=A4)
    for page in range(3):
        sheet.setFont("IPAexGothic", 11)
        y = 780
        for repeat in range(3):
            for line in LINES:
                sheet.drawString(60, y, f"{line}" if repeat == 0 else f"（{page + 1}-{repeat}）{line}")
                if ruled:
                    sheet.line(55, y - 6, 540, y - 6)
                y -= 22
        sheet.showPage()
    sheet.save()
    return out.getvalue()


def bare(data: bytes) -> int:
    found = 0
    pdf = pypdfium2.PdfDocument(data)
    for index in range(len(pdf)):
        page = pdf[index]
        page.render(scale=204 / 72, grayscale=True)
        text_page = page.get_textpage()
        count = text_page.count_chars()
        boxes = [text_page.get_charbox(i) for i in range(count)]
        text = text_page.get_text_range()
        found += len(boxes) > 0
        for pattern in BARE_PATTERNS:
            found += sum(1 for _ in pattern.finditer(text))
        found += sum(1 for _ in phonenumbers.PhoneNumberMatcher(text, "JP"))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, for us and every child
    for label, data in (("3-page text PDF", three_pages()), ("the same, every line ruled", three_pages(ruled=True))):
        result = screen_document(data, SETTINGS)  # imports, dictionary and phonenumbers metadata, once
        bare(data)
        ours, anchor = [], []
        for _ in range(args.rounds):
            started = cpu()
            bare(data)
            anchor.append(cpu() - started)
            started = cpu()
            screen_document(data, SETTINGS)
            ours.append(cpu() - started)
        ours_ms, anchor_ms = statistics.median(ours) * 1000, statistics.median(anchor) * 1000
        print(f"document: {label}, {len(data)} bytes, faxgate's verdict {result.verdict} "
              f"({len(result.findings)} findings)")
        print(f"  bare work  median CPU {anchor_ms:7.1f} ms   ({args.rounds} rounds)")
        print(f"  faxgate    median CPU {ours_ms:7.1f} ms")
        print(f"  ratio      {ours_ms / anchor_ms:.1f} × (target ≤ 3 ×); load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
