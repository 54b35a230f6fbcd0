"""faxgate's own cover sheet (送付票), drawn: the destination with its number in large type (as dialled
nationally, in international form and as the dial string), the sender, the page count including the sheet,
the date, the job id and the verification code of the document as submitted (countermeasure 4 of report
No. 371)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
import phonenumbers
from directory.dialplan import display_number
from gateway.records.pdfdraw import Box, Drawing, Line, text_width_mm, wrap
from gateway.records.config import CoverSheetConfig
from gateway.core.coversheet import verification_code


@dataclass(frozen=True)
class CoverSheet:
    job_id: str
    destination_e164: str
    dial_string: str | None
    destination_name: str
    destination_organization: str
    sender_department: str
    sender_name: str
    sender_contact: str  # e-mail or extension: where the recipient reaches the sender
    document_pages: int  # pages after the cover sheet
    content_sha256: str
    date: dt.date


def japanese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


_WARNING = ("このファクスが宛先違いで届いた場合は、内容をご覧にならずに破棄し、"
            "お手数ですが上記の発信元までお電話でお知らせください。")


# Where render_cover_sheet prints the destination's number (as dialled nationally, its international
# form and the dial string), in mm from the page's top left: previews cover it for whoever must still re-enter
# the number blind (gateway.services.previews).
NUMBER_AREA_MM = (15.0, 79.0, 195.0, 115.0)


def render_cover_sheet(sheet: CoverSheet, template: CoverSheetConfig = CoverSheetConfig()) -> bytes:
    """The cover sheet as a one-page A4 PDF (IPAex Gothic embedded)."""
    d = Drawing()
    left, right = 15.0, 195.0
    d.text(left, 27, "FAX送付票", 26, bold=True)
    date_text = japanese_date(sheet.date)
    d.text(right - text_width_mm(date_text, 13), 27, date_text, 13)
    d.add(Line(left, 32, right, 32, 1.5))

    d.add(Box(left, 38, right, 120, line=1.5))
    d.text(left + 4, 46, "宛先", 12, bold=True)
    name = f"{sheet.destination_name}　御中" if sheet.destination_name else "（宛先名なし）"
    if sheet.destination_organization:
        d.text(left + 8, 56, sheet.destination_organization, 16)
    d.text(left + 8, 67, name, 16, bold=True)
    d.text(left + 4, 78, "FAX番号", 12, bold=True)
    number = display_number(sheet.destination_e164)
    d.text(left + 8, 99, number, 44, bold=True)
    detail = f"国際表記 {_international(sheet.destination_e164)}"
    if sheet.dial_string:
        detail += f"　／　発信ダイヤル {sheet.dial_string}"
    d.text(left + 8, 112, detail, 10.5)

    d.add(Box(left, 126, right, 184, line=0.8))
    d.text(left + 4, 134, "発信元", 12, bold=True)
    sender_lines = [
        (template.office_name, 13),
        ("　".join(p for p in (sheet.sender_department, sheet.sender_name) if p), 13),
        (f"連絡先　{sheet.sender_contact}" if sheet.sender_contact else "", 11),
        ("　".join(p for p in (f"TEL {template.phone}" if template.phone else "",
                               f"FAX {template.fax}" if template.fax else "") if p), 11),
        (template.address, 11),
    ]
    y = 143.0
    for text, size in sender_lines:
        if text:
            d.text(left + 8, y, text, size)
            y += 8.5

    d.text(left, 197, "送付枚数", 14, bold=True)
    d.text(left + 30, 198, f"{sheet.document_pages + 1}枚（本票を含む）", 20, bold=True)
    d.text(left, 210, "受付番号", 12, bold=True)
    d.text(left + 30, 210, sheet.job_id, 12)
    d.text(left, 221, "照合コード", 12, bold=True)
    d.text(left + 30, 222, verification_code(sheet.job_id, sheet.destination_e164, sheet.content_sha256), 16, bold=True)

    d.add(Box(left, 230, right, 254, line=0.8))
    y = 238.0
    for line in wrap(_WARNING, 11, right - left - 8):
        d.text(left + 4, y, line, 11)
        y += 6
    y = 264.0
    for line in wrap(template.footer, 10.5, right - left):
        if line:
            d.text(left, y, line, 10.5)
        y += 5.5
    return d.to_pdf()


def _international(e164: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
