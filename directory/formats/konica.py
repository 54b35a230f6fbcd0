"""Konica Minolta (abbr export): UTF-16LE, tab separated, `@Ver` first line."""

from __future__ import annotations

import csv

from directory.formats.book import (
    Book,
    BookError,
    ExportRow,
    cell_of,
    collect_fax_rows,
    csv_records,
    header_index,
    physical_lines,
)

KONICA_COLUMNS = (
    "AbbrNo Name Pinyin Furigana SearchKey WellUse SendMode IconID UseReferLicence ReferGroupNo "
    "ReferPossibleLevel MailAddress FTPServerAddress FTPServerFolder FTPLoginAnonymous FTPLoginUser "
    "FTPLoginPassword FTPPassiveSend FTPProxy FTPPortNo SMBAddress SMBFolder SMBLoginUser SMBLoginPassword "
    "WebDAVServerAddress WebDAVCollection WebDAVLoginUser WebDAVLoginPassword WebDAVSSL WebDAVProxy "
    "WebDAVPortNo BoxID Model FaxPhoneNo FaxCapability FaxV34Off FaxECMOff FaxOversea FaxLine CheckDest Host "
    "PortNo IfaxResolution IfaxSize IfaxCompression"
).split()


# The device's own row of allowed values per column, written back as the device writes it.
KONICA_ALTERNATIVE = (
    '"alternative"\t\t"Yes,No"\t\t"Abc,Def,Ghi,Jkl,Mno,Pqrs,Tuv,Wxyz,Other"\t"Yes,No"\t'
    '"Fax,Email,Ftp,Smb,WebDav,Box,Sip,IP,Ifax"\t\t"Group,Level"\t\t\t\t\t\t"Yes,No"\t\t\t"Yes,No"\t"Yes,No"'
    '\t\t\t\t\t\t\t\t\t\t"Yes,No"\t"Yes,No"\t\t""\t"Color,Mono"\t\t"Yes,No"\t"Yes,No"\t"Yes,No"\t"Yes,No"\t'
    '"None,Line1,Line2"\t"Yes,No"\t\t\t"200x100,200x200,400x400,600x600"\t"A4,B4,A3"\t'
    '"MH,MR,MMR,JpegGray,JpegColor"\t'
)


def read_konica(text: str) -> Book:
    book = Book("konica")
    lines = physical_lines(text)
    first = next((n for n, line in enumerate(lines) if not line.startswith(("@", "#"))), len(lines))
    body = "".join(line for line in lines[first:] if not line.startswith("@End"))
    # Konica writes values bare: a quote in a name is a character, not CSV quoting.
    records = csv_records(body, first + 1, delimiter="\t", quoting=csv.QUOTE_NONE)
    try:
        _, header = next(records)
    except StopIteration:
        raise BookError("konica: 列名の行がありません (no column line after the @Ver/#Abbreviate header)") from None
    required = {"slot": "AbbrNo", "name": "Name", "mode": "SendMode", "fax": "FaxPhoneNo"}
    index = header_index(header, required, "konica", book)
    # The device's own row of allowed values is not a destination.
    destinations = ((line, cells) for line, cells in records if not (cells and cells[0].strip('"') == "alternative"))
    return collect_fax_rows(book, destinations, header, index, ("AbbrNo", "Name", "FaxPhoneNo"), _not_a_fax)


def _not_a_fax(fields_: list[str], index: dict[str, int]) -> str:
    mode = cell_of(fields_, index, "SendMode")
    return "" if mode == "Fax" else f"ファクス以外の宛先 (SendMode {mode or '(empty)'})"


def _konica_values(row: ExportRow) -> dict[str, str]:
    values = dict.fromkeys(KONICA_COLUMNS, "")
    values.update({"AbbrNo": str(row.slot), "Name": row.name, "Pinyin": "No", "Furigana": row.name,
                   "SearchKey": "Other", "WellUse": "No", "UseReferLicence": "Level", "ReferGroupNo": "0",
                   "ReferPossibleLevel": "0"})
    _konica_destination(values, row)
    return values


def _konica_destination(values: dict[str, str], row: ExportRow) -> None:
    if row.address:
        values.update({"SendMode": "Email", "MailAddress": row.address, "FaxPhoneNo": ""})
    else:
        values.update({"SendMode": "Fax", "FaxPhoneNo": row.dial})
        values["FaxLine"] = values.get("FaxLine") or "None"


def _konica_line(values: dict[str, str], columns: list[str]) -> str:
    return "\t".join(values.get(c, "").replace("\t", " ") for c in columns)


def write_konica(rows: list[ExportRow], generated: str) -> bytes:
    out = [
        f"@Ver406\tfaxgate\tIntegrate\tUTF-16LE\t{generated}\tabbr\t000ac209552c58a5b6222cf539ab712a255b\t",
        "#Abbreviate\t2000\t",
        "\t".join(KONICA_COLUMNS) + "\t",
        KONICA_ALTERNATIVE,
    ]
    for row in rows:
        out.append(_konica_line(_konica_values(row), list(KONICA_COLUMNS)) + "\t")
    out.append("@End\t")
    return "\ufeff".encode("utf-16-le") + ("\r\n".join(out) + "\r\n").encode("utf-16-le")
