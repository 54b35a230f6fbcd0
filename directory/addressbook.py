"""MFD address-book files: faxgate's generic CSV and the Ricoh, Canon and Konica Minolta exports.

Readers only map a vendor's columns onto ``BookRow``s (text as found, with the file's line
number); what the values mean is decided by the importer, the same way for every format.
Layouts are described in ``docs/address-book-formats.md``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

FORMATS = ("generic", "ricoh", "canon", "konica")


class BookError(ValueError):
    """The file as a whole cannot be read (encoding, missing header or columns)."""


@dataclass(frozen=True)
class BookRow:
    line: int
    slot: str
    name: str
    dial: str
    organization: str = ""
    kind: str = ""
    extension: str = ""
    last_used: str = ""
    verified_on: str = ""
    defect: str = ""  # a layout fault the reader found in this row, reported by the importer


@dataclass
class Book:
    format: str
    rows: list[BookRow] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, why) for non-fax entries
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ExportRow:
    slot: int
    name: str
    dial: str
    organization: str = ""
    kind: str = "external"
    extension: str = ""
    last_used: str = ""
    verified_on: str = ""


# --- decoding -------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """UTF-16 (BOM), UTF-8 with or without BOM, else Shift_JIS (cp932, as Japanese devices write)."""
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        if data.startswith(b"\xef\xbb\xbf"):
            return data[3:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BookError(f"BOM の文字コードとして読めません（{exc.encoding}, byte {exc.start}）") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932")
    except UnicodeDecodeError as exc:
        raise BookError(
            f"文字コードを判別できません（UTF-8・Shift_JIS・UTF-16 のいずれでもありません）: byte {exc.start}"
        ) from None


def detect_format(text: str) -> str:
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    if first.startswith("@Ver"):
        return "konica"
    if first.startswith("# Canon AddressBook CSV"):
        return "canon"
    if first.startswith("# Format Version:"):
        return "ricoh"
    return "generic"


def read_book(data: bytes, fmt: str | None = None) -> Book:
    text = decode(data)
    fmt = fmt or detect_format(text)
    if fmt not in FORMATS:
        raise BookError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    if fmt == "canon":
        text = _canon_recode(data, text)
    return _READERS[fmt](text)


def _records(text: str, start_line: int, delimiter: str = ",", quoting: int = csv.QUOTE_MINIMAL):
    """(line number, fields) for each CSV record of ``text``, whose first line is ``start_line``."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quoting=quoting)
    previous_end = start_line - 1
    for fields_ in reader:
        line = previous_end + 1
        previous_end = start_line - 1 + reader.line_num
        yield line, fields_


def _header_index(header: list[str], required: dict[str, str], fmt: str, book: Book) -> dict[str, int]:
    index = {name.strip(): position for position, name in enumerate(header) if name.strip()}
    missing = [column for column in required.values() if column not in index]
    if missing:
        raise BookError(f"{fmt}: 必須の列がありません (missing columns): {', '.join(missing)}")
    return index


def _cell(fields_: list[str], index: dict[str, int], column: str) -> str:
    position = index.get(column)
    if position is None or position >= len(fields_):
        return ""
    return fields_[position].strip()


# --- generic CSV ----------------------------------------------------------------------------

GENERIC_REQUIRED = ("slot", "name", "fax", "last_used")
GENERIC_OPTIONAL = ("organization", "kind", "extension", "verified_on")


def _read_generic(text: str) -> Book:
    book = Book("generic")
    records = _records(text, 1)
    try:
        _, header = next(records)
    except StopIteration:
        raise BookError("generic: 空のファイルです (the file is empty)") from None
    header = [name.strip().lower() for name in header]
    index = _header_index(header, {c: c for c in GENERIC_REQUIRED}, "generic", book)
    unknown = [name for name in index if name not in GENERIC_REQUIRED + GENERIC_OPTIONAL]
    if unknown:
        book.warnings.append(f"未知の列は無視します (unknown columns ignored): {', '.join(unknown)}")
    for line, fields_ in records:
        if not any(value.strip() for value in fields_):
            continue
        value = {column: _cell(fields_, index, column) for column in GENERIC_REQUIRED + GENERIC_OPTIONAL}
        defect = ""
        if len(fields_) > len(header):
            defect = f"列が多すぎます（ヘッダー {len(header)} 列に対して {len(fields_)} 列） (too many fields)"
        book.rows.append(
            BookRow(
                line,
                slot=value["slot"],
                name=value["name"],
                dial=value["fax"],
                organization=value["organization"],
                kind=value["kind"],
                extension=value["extension"],
                last_used=value["last_used"],
                verified_on=value["verified_on"],
                defect=defect,
            )
        )
    return book


def write_generic(rows: list[ExportRow]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(GENERIC_REQUIRED + GENERIC_OPTIONAL)
    for row in rows:
        writer.writerow(
            [row.slot, row.name, row.dial, row.last_used, row.organization, row.kind, row.extension, row.verified_on]
        )
    return out.getvalue().encode("utf-8")


# --- Ricoh (Web Image Monitor *_addr.csv) --------------------------------------------------

RICOH_HEADER = (
    "# Format Version: 5.1.1.0",
    "# Generated at: {generated}",
    "# Function Name: User Data Preference",
    "# Template Name: null",
    "# Description: null",
    "# Authentication Method (0=none or user code/1=others): 0",
)
RICOH_COLUMNS = (
    "Index in ACLs and Groups,Name,Set General Settings,Set Registration No.,Registration No.,Entry Type,"
    "Phonetic Name,Display Name,Display Priority,Set Title Settings,Title 1,Title 2,Title 3,Title Freq.,"
    "Set User Code Settings,User Code,Set Auth. Info Settings,Device Login User Name,Device Login Password,"
    "Device Login Password Encoding,SMTP Authentication,SMTP Authentication Login User Name,"
    "SMTP Authentication Login Password,SMTP Authentication Password Encoding,Folder Authentication,"
    "Folder Authentication Login User Name,Folder Authentication Login Password,"
    "Folder Authentication Password Encoding,LDAP Authentication,LDAP Authentication Login User Name,"
    "LDAP Authentication Login Password,LDAP Authentication Password Encoding,Set Access Control Settings,"
    "Can Use B/W Copy,Can Use Single Color Copy,Can Use Two Color Copy,Can Use Full Color Copy,"
    "Can Use Auto Color Copy,Can Use B/W Print,Can Use Color Print,Can Use Scanner,Can Use Fax,"
    "Can Use Document Server,Maximum of Print Usage Limit,Set Email/Fax Settings,Fax Destination,"
    "Fax Line Type,International Fax Transmission Mode,E-mail Address,Ifax Address,Ifax Enable,Direct SMTP,"
    "Ifax Direct SMTP,Fax Header,Label Insertion 1st Line (Selection),Label Insertion 2nd Line (String),"
    "Label Insertion 3rd Line (Standard Message),Set Folder Settings,Folder Protocol,Folder Port No.,"
    "Folder Server Name,Folder Path,Folder Japanese Character Encoding,Set Protection Settings,"
    "Is Setting Destination Protection,Is Protecting Destination Folder,Is Setting Sender Protection,"
    "Is Protecting Sender,Sender Protection Password,Sender Protection Password Encoding,"
    "Access Privilege to User,Access Privilege to Protected File,Set Group List Settings,Groups,"
    "Set Counter Reset Settings,Enable Plot Counter Reset,Enable Fax Counter Reset,"
    "Enable Scanner Counter Reset,Enable User Volume Counter Reset"
).split(",")


def _unbracket(value: str) -> str:
    value = value.strip()
    if value.startswith("[") and value.endswith("]"):
        return value[1:-1]
    return value


def _read_ricoh(text: str) -> Book:
    book = Book("ricoh")
    lines = text.splitlines(keepends=True)
    first = next((n for n, line in enumerate(lines) if not line.startswith("#")), len(lines))
    records = _records("".join(lines[first:]), first + 1)
    try:
        _, header = next(records)
    except StopIteration:
        raise BookError("ricoh: 列名の行がありません (no column line after the # header)") from None
    required = {"slot": "Registration No.", "name": "Name", "type": "Entry Type", "fax": "Fax Destination"}
    index = _header_index(header, required, "ricoh", book)
    for line, raw in records:
        if not any(value.strip() for value in raw):
            continue
        fields_ = [_unbracket(value) for value in raw]
        if _cell(fields_, index, "Entry Type") == "G":
            book.skipped.append((line, "グループ (group)"))
        elif not _cell(fields_, index, "Fax Destination"):
            book.skipped.append((line, "ファクス番号なし（メール等の宛先） (no fax number)"))
        else:
            book.rows.append(
                BookRow(
                    line,
                    slot=_cell(fields_, index, "Registration No.").lstrip("0") or "0",
                    name=_cell(fields_, index, "Name"),
                    dial=_cell(fields_, index, "Fax Destination"),
                    defect=_surplus(raw, header),
                )
            )
    return book


def _surplus(fields_: list[str], header: list[str], trailing_empty: bool = False) -> str:
    count = len(fields_) - (1 if trailing_empty and fields_ and fields_[-1] == "" else 0)
    expected = len(header) - (1 if trailing_empty and header and header[-1] == "" else 0)
    if count > expected:
        return f"列が多すぎます（ヘッダー {expected} 列に対して {count} 列） (too many fields)"
    return ""


def write_ricoh(rows: list[ExportRow], generated: str) -> bytes:
    out = io.StringIO(newline="")
    for line in RICOH_HEADER:
        out.write(line.format(generated=generated) + "\r\n")
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(RICOH_COLUMNS)
    for number, row in enumerate(rows, start=1):
        values = dict.fromkeys(RICOH_COLUMNS, "")
        values.update(
            {
                "Index in ACLs and Groups": str(number),
                "Name": row.name,
                "Set General Settings": "1",
                "Set Registration No.": "1",
                "Registration No.": str(row.slot),
                "Entry Type": "U",
                "Display Name": row.name[:16],
                "Set Email/Fax Settings": "1",
                "Fax Destination": row.dial,
                "Fax Line Type": "ext" if row.kind == "internal" else "g3",
                "International Fax Transmission Mode": "0",
            }
        )
        writer.writerow([f"[{values[column]}]" for column in RICOH_COLUMNS])
    return out.getvalue().encode("utf-8")


# --- Canon (Remote UI address book CSV) ----------------------------------------------------

CANON_COLUMNS = (
    "objectclass,cn,cnread,cnshort,subdbid,mailaddress,dialdata,uri,url,path,protocol,username,pwd,member,"
    "indxid,enablepartial,sub,faxprotocol,ecm,txstartspeed,commode,lineselect,uricommode,uriflag,pwdinputflag,"
    "ifaxmode,transsvcstr1,transsvcstr2,ifaxdirectmode,documenttype,bwpapersize,bwcompressiontype,bwpixeltype,"
    "bwbitsperpixel,bwresolution,clpapersize,clcompressiontype,clpixeltype,clbitsperpixel,clresolution,"
    "accesscode,uuid,cnreadlang,enablesfp,memberobjectuuid,loginusername,logindomainname,usergroupname,personalid"
).split(",")
_CANON_TEXT = {"cn", "cnread", "cnshort", "dialdata", "cnreadlang"}


def _canon_recode(data: bytes, text: str) -> str:
    """Canon names its character set in the header; Japanese models write SJIS."""
    for line in text.splitlines()[:10]:
        key, _, value = line.lstrip("# ").partition(":")
        if key.strip().lower() == "charset" and value.strip().upper() in ("SJIS", "SHIFT_JIS"):
            try:
                return data.decode("cp932")
            except UnicodeDecodeError as exc:
                raise BookError(f"canon: '# CharSet: SJIS' ですが Shift_JIS として読めません: byte {exc.start}") from None
    return text


def _read_canon(text: str) -> Book:
    book = Book("canon")
    lines = text.splitlines(keepends=True)
    first = next((n for n, line in enumerate(lines) if line.strip() and not line.startswith("#")), len(lines))
    records = _records("".join(lines[first:]), first + 1)
    try:
        _, header = next(records)
    except StopIteration:
        raise BookError("canon: 列名の行がありません (no column line after the # header)") from None
    required = {"class": "objectclass", "name": "cn", "fax": "dialdata", "slot": "indxid"}
    index = _header_index(header, required, "canon", book)
    for line, fields_ in records:
        if not any(value.strip() for value in fields_):
            continue
        objectclass = _cell(fields_, index, "objectclass")
        if objectclass != "g3fax":
            book.skipped.append((line, f"ファクス以外の宛先 (objectclass {objectclass or '(empty)'})"))
            continue
        book.rows.append(
            BookRow(
                line,
                slot=_cell(fields_, index, "indxid"),
                name=_cell(fields_, index, "cn"),
                dial=_cell(fields_, index, "dialdata"),
                defect=_surplus(fields_, header, trailing_empty=True),
            )
        )
    return book


def write_canon(rows: list[ExportRow], encoding: str = "utf-8") -> bytes:
    charset = "SJIS" if encoding == "cp932" else "UTF-8"
    out = [
        "# Canon AddressBook CSV version: 0x0002",
        f"# CharSet: {charset}",
        "# SubAddressBookName: faxgate",
        "# DB Version: 0x010a",
        "",
        ",".join(CANON_COLUMNS) + ",",
    ]
    for row in rows:
        values = dict.fromkeys(CANON_COLUMNS, "")
        values.update(
            {
                "objectclass": "g3fax",
                "cn": row.name,
                "cnshort": row.name[:8],
                "subdbid": "11",
                "dialdata": row.dial,
                "indxid": str(row.slot),
                "accesscode": "0",
                "cnreadlang": "ja",
            }
        )
        cells = [
            '"' + values[c].replace('"', '""') + '"' if c in _CANON_TEXT and values[c] else values[c]
            for c in CANON_COLUMNS
        ]
        out.append(",".join(cells) + ",")
    return ("\r\n".join(out) + "\r\n").encode(encoding)


# --- Konica Minolta (abbr export, UTF-16LE, tab separated) ---------------------------------

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


def _read_konica(text: str) -> Book:
    book = Book("konica")
    lines = text.splitlines(keepends=True)
    first = next((n for n, line in enumerate(lines) if not line.startswith(("@", "#"))), len(lines))
    body = "".join(line for line in lines[first:] if not line.startswith("@End"))
    # Konica writes values bare: a quote in a name is a character, not CSV quoting.
    records = _records(body, first + 1, delimiter="\t", quoting=csv.QUOTE_NONE)
    try:
        _, header = next(records)
    except StopIteration:
        raise BookError("konica: 列名の行がありません (no column line after the @Ver/#Abbreviate header)") from None
    required = {"slot": "AbbrNo", "name": "Name", "mode": "SendMode", "fax": "FaxPhoneNo"}
    index = _header_index(header, required, "konica", book)
    for line, fields_ in records:
        if not any(value.strip() for value in fields_) or (fields_ and fields_[0].strip('"') == "alternative"):
            continue
        mode = _cell(fields_, index, "SendMode")
        if mode != "Fax":
            book.skipped.append((line, f"ファクス以外の宛先 (SendMode {mode or '(empty)'})"))
            continue
        book.rows.append(
            BookRow(
                line,
                slot=_cell(fields_, index, "AbbrNo"),
                name=_cell(fields_, index, "Name"),
                dial=_cell(fields_, index, "FaxPhoneNo"),
                defect=_surplus(fields_, header, trailing_empty=True),
            )
        )
    return book


def write_konica(rows: list[ExportRow], generated: str) -> bytes:
    out = [
        f"@Ver406\tfaxgate\tIntegrate\tUTF-16LE\t{generated}\tabbr\t000ac209552c58a5b6222cf539ab712a255b\t",
        "#Abbreviate\t2000\t",
        "\t".join(KONICA_COLUMNS) + "\t",
        KONICA_ALTERNATIVE,
    ]
    for row in rows:
        values = dict.fromkeys(KONICA_COLUMNS, "")
        values.update(
            {
                "AbbrNo": str(row.slot),
                "Name": row.name,
                "Pinyin": "No",
                "Furigana": row.name,
                "SearchKey": "Other",
                "WellUse": "No",
                "SendMode": "Fax",
                "UseReferLicence": "Level",
                "ReferGroupNo": "0",
                "ReferPossibleLevel": "0",
                "FaxPhoneNo": row.dial,
                "FaxLine": "None",
            }
        )
        out.append("\t".join(values[c].replace("\t", " ") for c in KONICA_COLUMNS) + "\t")
    out.append("@End\t")
    return "\ufeff".encode("utf-16-le") + ("\r\n".join(out) + "\r\n").encode("utf-16-le")


_READERS = {"generic": _read_generic, "ricoh": _read_ricoh, "canon": _read_canon, "konica": _read_konica}
