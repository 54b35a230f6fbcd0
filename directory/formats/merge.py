"""Writing the directory into a device's own export: its other entries, columns and encoding kept."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field

from directory.formats.book import BookError, ExportRow, decode, detect_format, physical_lines
from directory.formats.canon import (
    _canon_destination,
    _canon_line,
    _canon_values,
    canon_recode,
)
from directory.formats.konica import _konica_destination, _konica_line, _konica_values
from directory.formats.ricoh import (
    _ricoh_destination,
    _ricoh_line,
    _ricoh_values,
    unbracket,
)


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
    return [unbracket(cell) for cell in next(csv.reader([line]), [])]


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
        text = canon_recode(base, text)
    layout = _LAYOUTS[fmt]
    lines = physical_lines(text.lstrip("\ufeff"))
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
