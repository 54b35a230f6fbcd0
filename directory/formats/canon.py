"""Canon (Remote UI address-book CSV): `# Canon AddressBook CSV` header, `objectclass` rows, Shift_JIS on
Japanese models."""

from __future__ import annotations

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

CANON_COLUMNS = (
    "objectclass,cn,cnread,cnshort,subdbid,mailaddress,dialdata,uri,url,path,protocol,username,pwd,member,"
    "indxid,enablepartial,sub,faxprotocol,ecm,txstartspeed,commode,lineselect,uricommode,uriflag,pwdinputflag,"
    "ifaxmode,transsvcstr1,transsvcstr2,ifaxdirectmode,documenttype,bwpapersize,bwcompressiontype,bwpixeltype,"
    "bwbitsperpixel,bwresolution,clpapersize,clcompressiontype,clpixeltype,clbitsperpixel,clresolution,"
    "accesscode,uuid,cnreadlang,enablesfp,memberobjectuuid,loginusername,logindomainname,usergroupname,personalid"
).split(",")


_CANON_TEXT = {"cn", "cnread", "cnshort", "dialdata", "cnreadlang"}


def canon_recode(data: bytes, text: str) -> str:
    """Canon names its character set in the header; Japanese models write SJIS."""
    for line in physical_lines(text)[:10]:
        key, _, value = line.lstrip("# ").partition(":")
        if key.strip().lower() == "charset" and value.strip().upper() in ("SJIS", "SHIFT_JIS"):
            try:
                return data.decode("cp932")
            except UnicodeDecodeError as exc:
                raise BookError(f"canon: '# CharSet: SJIS' ですが Shift_JIS として読めません: byte {exc.start}") from None
    return text


def read_canon(text: str) -> Book:
    book = Book("canon")
    lines = physical_lines(text)
    first = next((n for n, line in enumerate(lines) if line.strip() and not line.startswith("#")), len(lines))
    records = csv_records("".join(lines[first:]), first + 1)
    try:
        _, header = next(records)
    except StopIteration:
        raise BookError("canon: 列名の行がありません (no column line after the # header)") from None
    required = {"class": "objectclass", "name": "cn", "fax": "dialdata", "slot": "indxid"}
    index = header_index(header, required, "canon", book)
    return collect_fax_rows(book, records, header, index, ("indxid", "cn", "dialdata"), _not_a_fax)


def _not_a_fax(fields_: list[str], index: dict[str, int]) -> str:
    objectclass = cell_of(fields_, index, "objectclass")
    return "" if objectclass == "g3fax" else f"ファクス以外の宛先 (objectclass {objectclass or '(empty)'})"


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
