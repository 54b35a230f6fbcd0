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
    # Set for MFDs that send through faxgate: the entry is written as this e-mail destination
    # (sd-<slot>@<domain>) instead of a dial string the device would dial itself.
    address: str = ""


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
            [row.slot, row.name, row.address or row.dial, row.last_used, row.organization, row.kind, row.extension,
             row.verified_on]
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


def _ricoh_values(row: ExportRow, index: int) -> dict[str, str]:
    values = dict.fromkeys(RICOH_COLUMNS, "")
    values.update(
        {
            "Index in ACLs and Groups": str(index),
            "Name": row.name,
            "Set General Settings": "1",
            "Set Registration No.": "1",
            "Registration No.": str(row.slot),
            "Entry Type": "U",
            "Display Name": row.name[:16],
            "Set Email/Fax Settings": "1",
        }
    )
    _ricoh_destination(values, row)
    return values


def _ricoh_destination(values: dict[str, str], row: ExportRow) -> None:
    """Only the destination cells: a device's own per-destination options stay as they are."""
    if row.address:
        values.update({"Fax Destination": "", "E-mail Address": row.address, "Set Email/Fax Settings": "1"})
        return
    values["Fax Destination"] = row.dial
    values["Fax Line Type"] = values.get("Fax Line Type") or ("ext" if row.kind == "internal" else "g3")
    values["International Fax Transmission Mode"] = values.get("International Fax Transmission Mode") or "0"


def _ricoh_line(cells: list[str]) -> str:
    out = io.StringIO(newline="")
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerow([f"[{cell}]" for cell in cells])
    return out.getvalue()


def write_ricoh(rows: list[ExportRow], generated: str) -> bytes:
    out = io.StringIO(newline="")
    for line in RICOH_HEADER:
        out.write(line.format(generated=generated) + "\r\n")
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerow(RICOH_COLUMNS)
    for number, row in enumerate(rows, start=1):
        values = _ricoh_values(row, number)
        out.write(_ricoh_line([values[column] for column in RICOH_COLUMNS]))
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


def _canon_values(row: ExportRow) -> dict[str, str]:
    values = dict.fromkeys(CANON_COLUMNS, "")
    values.update({"cn": row.name, "cnshort": row.name[:8], "subdbid": "11", "indxid": str(row.slot),
                   "accesscode": "0", "cnreadlang": "ja"})
    _canon_destination(values, row)
    return values


# Per-destination fax options: meaningless on an e-mail destination.
_CANON_FAX_OPTIONS = ("sub", "faxprotocol", "ecm", "txstartspeed", "commode", "lineselect")


def _canon_destination(values: dict[str, str], row: ExportRow) -> None:
    if row.address:
        values.update({"objectclass": "email", "mailaddress": row.address, "dialdata": ""})
        values.update(dict.fromkeys(_CANON_FAX_OPTIONS, ""))
    else:
        values.update({"objectclass": "g3fax", "dialdata": row.dial})


def _canon_line(values: dict[str, str], columns: list[str]) -> str:
    cells = [
        '"' + values.get(c, "").replace('"', '""') + '"'
        if values.get(c) and (c in _CANON_TEXT or c == "mailaddress" or any(ch in values[c] for ch in ',"'))
        else values.get(c, "")
        for c in columns
    ]
    return ",".join(cells)


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
        out.append(_canon_line(_canon_values(row), list(CANON_COLUMNS)) + ",")
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


_READERS = {"generic": _read_generic, "ricoh": _read_ricoh, "canon": _read_canon, "konica": _read_konica}


# --- writing into a device's own export ----------------------------------------------------


@dataclass
class Merged:
    """A device's own export with its fax speed dials replaced by the approved directory's."""

    data: bytes
    format: str
    replaced: list[int] = field(default_factory=list)  # fax rows whose destination cells were rewritten
    added: list[int] = field(default_factory=list)  # approved entries the device did not have
    removed: list[tuple[int, str]] = field(default_factory=list)  # the device's fax rows faxgate does not approve
    kept: int = 0  # rows that are not fax speed dials (e-mail, folder, group …), kept as the device wrote them
    attention: list[tuple[int, str]] = field(default_factory=list)  # (slot, why) a person must look at


@dataclass(frozen=True)
class _Layout:
    header_at: object  # lines -> index of the column line
    parse: object  # line -> cells
    is_fax: object  # values -> bool
    slot: object  # values -> str
    name_column: str
    passthrough: object  # line -> bool: a line that is not an entry (Konica's "alternative" row, @End)
    line: object  # (values, columns) -> line without its ending
    new_values: object  # (row, values of the existing rows) -> values
    destination: object  # (values, row) -> why a person must look, or ""


def _first(lines, skip) -> int:
    return next((n for n, line in enumerate(lines) if not skip(line)), len(lines))


def _ricoh_cells(line: str) -> list[str]:
    return [_unbracket(cell) for cell in next(csv.reader([line]), [])]


def _ricoh_set(values: dict, row: ExportRow) -> str:
    own = values.get("E-mail Address", "")
    if row.address and own and own != row.address:
        # The device entry also sends e-mail: its address stays; only the fax number goes, so
        # nothing dials around faxgate from this entry.
        values["Fax Destination"] = ""
        return f"機器の登録にメールアドレス {own} があるため faxgate の宛先を書き込めませんでした。別の登録に分けてください"
    _ricoh_destination(values, row)
    return ""


def _ricoh_new(row: ExportRow, existing: list[dict]) -> dict:
    used = [int(v.get("Index in ACLs and Groups") or 0) for v in existing if (v.get("Index in ACLs and Groups") or "").isdigit()]
    return _ricoh_values(row, max(used, default=0) + 1)


def _set_and_ok(setter):
    def set_(values: dict, row: ExportRow) -> str:
        setter(values, row)
        return ""
    return set_


_LAYOUTS = {
    "ricoh": _Layout(
        header_at=lambda lines: _first(lines, lambda line: line.startswith("#")),
        parse=_ricoh_cells,
        is_fax=lambda v: v.get("Entry Type") == "U" and bool(v.get("Fax Destination")),
        slot=lambda v: (v.get("Registration No.") or "").lstrip("0"),
        name_column="Name",
        passthrough=lambda line: False,
        line=lambda values, columns: _ricoh_line([values.get(c, "") for c in columns]).rstrip("\r\n"),
        new_values=_ricoh_new,
        destination=_ricoh_set,
    ),
    "canon": _Layout(
        header_at=lambda lines: _first(lines, lambda line: not line.strip() or line.startswith("#")),
        parse=lambda line: next(csv.reader([line]), []),
        is_fax=lambda v: v.get("objectclass") == "g3fax",
        slot=lambda v: v.get("indxid", ""),
        name_column="cn",
        passthrough=lambda line: False,
        line=_canon_line,
        new_values=lambda row, existing: _canon_values(row),
        destination=_set_and_ok(_canon_destination),
    ),
    "konica": _Layout(
        header_at=lambda lines: _first(lines, lambda line: line.startswith(("@", "#"))),
        parse=lambda line: line.split("\t"),
        is_fax=lambda v: v.get("SendMode") == "Fax",
        slot=lambda v: v.get("AbbrNo", ""),
        name_column="Name",
        passthrough=lambda line: line.startswith("@") or line.split("\t", 1)[0].strip('"') == "alternative",
        line=_konica_line,
        new_values=lambda row, existing: _konica_values(row),
        destination=_set_and_ok(_konica_destination),
    ),
}


def merge_into(base: bytes, rows: list[ExportRow]) -> Merged:
    """Write the approved entries into a device's own export: every row that is not a fax speed
    dial, every header line and every per-destination option stays as the device wrote it; only
    the destination cells of fax rows change (docs/address-book-formats.md, section 4). A fax
    row for a slot faxgate does not approve is taken out and reported; an approved entry the
    device lacks is added."""
    text = decode(base)
    fmt = detect_format(text)
    if fmt == "generic":
        raise BookError("--base には機器が書き出したアドレス帳 (ricoh, canon, konica) を指定してください")
    if fmt == "canon":
        text = _canon_recode(base, text)
    layout = _LAYOUTS[fmt]
    lines = text.lstrip("\ufeff").splitlines(keepends=True)
    at = layout.header_at(lines)
    if at >= len(lines):
        raise BookError(f"{fmt}: 列名の行がありません (no column line)")
    ending = "\r\n" if lines[at].endswith("\r\n") else "\n"
    columns = layout.parse(lines[at].rstrip("\r\n"))
    approved = {str(row.slot): row for row in rows}
    merged = Merged(b"", fmt)
    out, existing, end_at = lines[: at + 1], [], None
    for line in lines[at + 1:]:
        body = line.rstrip("\r\n")
        if not body.strip() or layout.passthrough(body):
            if body.startswith("@End"):
                end_at = len(out)
            out.append(line)
            continue
        values = dict(zip(columns, layout.parse(body)))
        existing.append(values)
        if not layout.is_fax(values):
            merged.kept += 1
            out.append(line)
            continue
        slot = layout.slot(values)
        row = approved.get(slot)
        if row is None:
            merged.removed.append((int(slot) if slot.isdigit() else 0, values.get(layout.name_column, "")))
            continue
        why = layout.destination(values, row)
        if why:
            merged.attention.append((row.slot, why))
        merged.replaced.append(row.slot)
        out.append(layout.line(values, columns) + ending)
    new = [row for row in rows if row.slot not in merged.replaced]
    added_lines = []
    for row in new:
        values = layout.new_values(row, existing)
        existing.append(values)
        added_lines.append(layout.line(values, columns) + ending)
        merged.added.append(row.slot)
    if end_at is None:
        if out and not out[-1].endswith(("\r\n", "\n")):
            out[-1] += ending
        out.extend(added_lines)
    else:
        out[end_at:end_at] = added_lines
    merged.data = _encode_like(base, fmt, text, "".join(out))
    return merged


def _encode_like(base: bytes, fmt: str, text: str, merged: str) -> bytes:
    """The device's own encoding back: UTF-16LE with BOM for Konica, Canon's declared charset,
    UTF-8 (with the BOM if the device wrote one) or Shift_JIS otherwise."""
    if fmt == "konica" or base.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "\ufeff".encode("utf-16-le") + merged.encode("utf-16-le")
    bom = b"\xef\xbb\xbf" if base.startswith(b"\xef\xbb\xbf") else b""
    try:
        (base[3:] if bom else base).decode("utf-8")
        return bom + merged.encode("utf-8")
    except UnicodeDecodeError:
        return merged.encode("cp932")
