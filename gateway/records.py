"""Signed records: what was sent, to whom and who checked it, provably untouched.

- `build_record`: the transmission record of an ended job (sent, failed, blocked, rejected,
  expired, delivery_unknown) as a PDF: job, submitter, device, destination, content SHA-256,
  page thumbnails, screening, each confirmation, relay result. The facts also travel inside
  it as `record.json`.
- `build_audit_report`: the speed-dial directory audit (一斉点検) as a PDF.
- Both are certified with the gateway's key (a certification signature, DocMDP level 1: no
  change of any kind allowed after signing). `verify_record` checks one with pyHanko's
  validator against the trust root and also refuses every byte pyHanko's digest does not
  cover (the signature container's hex and padding), so that any one-byte change fails.
- `make_checkpoint` / `verify_checkpoint`: the audit chain's head (last id, hash, time) in a
  CMS SignedData: someone able to rewrite the whole audit table, recomputing every hash, still
  cannot make the event a checkpoint names carry the hash the checkpoint signed.

Signing takes any pyHanko `Signer` (from files or a PKCS#11 token, see gateway.signing) and,
when one is configured, an RFC 3161 time stamper: the signature then carries a time stamp
from the time-stamping authority, which `verify_record` validates and reports, and which
dates a signature more firmly than the signer's own clock. The functions here are
synchronous (pyHanko's sync API runs its own event loop): call them from
the worker thread, or through `asyncio.to_thread` from async code.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import NamedTuple

from asn1crypto import cms
from cryptography import x509
from PIL import Image
from pyhanko.pdf_utils import embed
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.general import extract_signer_info
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.generic_cms import async_validate_cms_signature, extract_self_reported_ts
from pyhanko.sign.validation.pdf_embedded import read_certification_data
from pyhanko.sign.validation.status import SignatureCoverageLevel

from directory.audit import ACTIONS_JA, FINDING_CODES, LABELS_JA
from directory.dialplan import display_number
from gateway.coversheet import JST, verification_code
from gateway.pdfdraw import Box, Drawing, Line, Picture, Text, wrap
from gateway.signing import KEY_USAGE, SigningKeyError, load_certificates, validation_context

STATES_JA = {
    "received": "受付", "screening": "点検中", "blocked": "送信停止", "awaiting_confirmation": "確認待ち",
    "approved": "承認済み", "sending": "送信中", "sent": "送信済み", "failed": "送信失敗", "rejected": "却下",
    "expired": "期限切れ", "delivery_unknown": "送達不明（要確認）",
}
ROLES_JA = {"submitter": "送信者", "approver": "承認者"}
ATTACHMENT = "record.json"
THUMBNAIL_WIDTH = 360  # px: the page is recognisable in the record; details stay in the job's bytes


# --- facts --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfirmationFact:
    user: str
    role: str  # submitter | approver
    at: dt.datetime
    entered: str  # the number as the person re-entered it
    matched: bool


@dataclass(frozen=True)
class TransmissionFacts:
    job_id: str
    state: str
    submitter: str
    department: str
    device: str
    received_at: dt.datetime
    ended_at: dt.datetime
    requested: str  # the recipient address as submitted
    destination_name: str
    destination_organization: str
    entry_slot: int | None
    entry_version: int | None
    e164: str | None
    dial_string: str | None
    content_sha256: str
    filename: str
    size: int
    pages: int | None
    findings: tuple[dict, ...] = ()
    rules: tuple[dict, ...] = ()  # {"run", "rule", "outcome", "code", "reason"}
    reasons: tuple[dict, ...] = ()  # {"rule", "code", "action", "message_ja", ...}
    confirmations: tuple[ConfirmationFact, ...] = ()
    relay_result: str | None = None
    attempts: int = 0
    received_sha256: str | None = None  # the document as submitted, when faxgate prepended its cover sheet
    thumbnails: tuple[Image.Image, ...] = field(default=(), compare=False)  # square pixels: see thumbnail()

    @classmethod
    def from_job_json(cls, data: dict, ended_at: dt.datetime, thumbnails: Sequence[Image.Image] = (),
                      confirmations: Sequence[ConfirmationFact] | None = None) -> TransmissionFacts:
        """From `gateway.approvals.job_json`. Its confirmations are the accepted ones, so each
        matched; pass `confirmations` to record what was entered, or refused attempts too."""
        destination = data["destination"]
        entry = destination.get("entry") or {}
        if confirmations is None:
            confirmations = [ConfirmationFact(c["user"], c["role"], dt.datetime.fromisoformat(c["at"]),
                                              c.get("entered", ""), True) for c in data["confirmations"]]
        document = data["document"]
        return cls(
            job_id=data["id"], state=data["state"], submitter=data["submitter"], department=data["department"],
            device=data["device"], received_at=dt.datetime.fromisoformat(data["created_at"]), ended_at=ended_at,
            requested=destination.get("requested") or "", destination_name=entry.get("name") or "",
            destination_organization=entry.get("organization") or "", entry_slot=entry.get("slot"),
            entry_version=entry.get("version"), e164=destination.get("e164"),
            dial_string=destination.get("dial_string"), content_sha256=document["sha256"],
            filename=document["filename"], size=document["size"], pages=document["pages"],
            findings=tuple(data.get("findings") or ()), rules=tuple(data.get("rules") or ()),
            reasons=tuple(data.get("reasons") or ()), confirmations=tuple(confirmations),
            relay_result=data.get("relay_receipt"), attempts=data.get("attempts", 0), thumbnails=tuple(thumbnails),
            received_sha256=document.get("received_sha256") if document.get("cover_sheet_generated") else None,
        )

    def to_json(self) -> dict:
        """Everything but the thumbnails (which asdict would deep-copy), as plain JSON values."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "thumbnails"}
        data["confirmations"] = [asdict(c) for c in self.confirmations]
        data["kind"] = "faxgate.transmission-record/1"
        return json.loads(json.dumps(data, default=_iso, ensure_ascii=False))


def _iso(value):
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def thumbnail(image: Image.Image, dpi: tuple[int, int] = (204, 196)) -> Image.Image:
    """A page image (as policies.pages renders it, `dpi` = page.dpi) made small with square
    pixels: standard-resolution pages are half as tall in pixels as they are on paper."""
    height = round(image.height * dpi[0] / dpi[1] * THUMBNAIL_WIDTH / image.width)
    return image.convert("L").resize((THUMBNAIL_WIDTH, max(1, height)), Image.Resampling.BOX)


# --- layout ------------------------------------------------------------------------------------


def _when(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:  # SQLite hands back naive datetimes; faxgate writes UTC
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(JST).strftime("%Y-%m-%d %H:%M:%S JST")


class _Flow:
    """Text flowing down A4 pages: headings, label/value rows and tables, a new page when full."""

    LEFT, RIGHT, TOP, BOTTOM = 15.0, 195.0, 18.0, 278.0
    LABEL_WIDTH = 42.0
    PICTURE_WIDTH = 54.0

    def __init__(self):
        self.drawing = Drawing()
        self.y = self.TOP
        self.row_top = self.row_height = 0.0  # the picture row being filled
        self.drawing.new_page()

    def new_page(self) -> None:
        self.drawing.new_page()
        self.y = self.TOP

    def need(self, height: float) -> None:
        if self.y + height > self.BOTTOM:
            self.new_page()

    def title(self, text: str, subtitle: str) -> None:
        self.drawing.text(self.LEFT, self.y + 7, text, 18, bold=True)
        self.drawing.text(self.LEFT, self.y + 14, subtitle, 9)
        self.drawing.add(Line(self.LEFT, self.y + 17, self.RIGHT, self.y + 17, 1.2))
        self.y += 21

    def heading(self, text: str, keep: float = 8.0) -> None:
        """`keep`: the height of what follows that must stay on the heading's page."""
        self.need(14 + keep)
        self.y += 5
        self.drawing.text(self.LEFT, self.y + 4.5, text, 12, bold=True)
        self.drawing.add(Line(self.LEFT, self.y + 6.5, self.RIGHT, self.y + 6.5, 0.5))
        self.y += 9

    def row(self, label: str, value: str, size: float = 9.5) -> None:
        height = _line_height(size)
        lines = wrap(value or "—", size, self.RIGHT - self.LEFT - self.LABEL_WIDTH)
        self.need(height * min(len(lines), 3))
        self.drawing.text(self.LEFT, self.y + height * 0.75, label, size, bold=True)
        for line in lines:
            self.need(height)
            self.drawing.text(self.LEFT + self.LABEL_WIDTH, self.y + height * 0.75, line, size)
            self.y += height

    def paragraph(self, text: str, size: float = 9.5) -> None:
        height = _line_height(size)
        for line in wrap(text, size, self.RIGHT - self.LEFT):
            self.need(height)
            self.drawing.text(self.LEFT, self.y + height * 0.75, line, size)
            self.y += height

    def table(self, columns: Sequence[tuple[str, float]], rows: Sequence[Sequence[str]], size: float = 8.5) -> None:
        """`columns`: (title, width in mm); the last column takes what is left."""
        height = _line_height(size)
        widths = [w for _, w in columns[:-1]]
        widths.append(self.RIGHT - self.LEFT - sum(widths))

        def header() -> None:
            x = self.LEFT
            self.drawing.add(Box(self.LEFT, self.y, self.RIGHT, self.y + height + 0.6, fill=225))
            for (title, _), width in zip(columns, widths):
                self.drawing.text(x + 1, self.y + height * 0.75, title, size, bold=True)
                x += width
            self.y += height + 0.6

        self.need(height * 3)
        header()
        for row in rows:
            cells = [wrap(str(value), size, width - 2) for value, width in zip(row, widths)]
            lines = max(len(c) for c in cells)
            if self.y + lines * height > self.BOTTOM:
                self.new_page()
                header()
            x = self.LEFT
            for cell, width in zip(cells, widths):
                for n, line in enumerate(cell):
                    self.drawing.text(x + 1, self.y + height * (n + 0.75), line, size)
                x += width
            self.y += lines * height
            self.drawing.add(Line(self.LEFT, self.y + 0.2, self.RIGHT, self.y + 0.2, 0.3))
            self.y += 0.6
        self.y += 2.5

    def pictures(self, images: Sequence[Image.Image], caption: Callable[[int], str]) -> None:
        """Images in a grid, three across, each with its caption below."""
        width, gap, columns = self.PICTURE_WIDTH, 9.0, 3
        for index, image in enumerate(images):
            column = index % columns
            height = width * image.height / image.width
            if column == 0:
                self.need(height + 8)
                self.row_top, self.row_height = self.y, 0.0
            left = self.LEFT + column * (width + gap)
            self.drawing.add(Picture(image, left, self.row_top, width, height))
            self.drawing.add(Box(left, self.row_top, left + width, self.row_top + height, line=0.4))
            self.drawing.text(left, self.row_top + height + 4.5, caption(index), 8.5)
            self.row_height = max(self.row_height, height + 8)
            self.y = self.row_top + self.row_height

    def finish(self, footer: str) -> Drawing:
        total = len(self.drawing.pages)
        for number, page in enumerate(self.drawing.pages, start=1):
            text = f"{footer}　{number} / {total}"
            page.append(Line(self.LEFT, 284, self.RIGHT, 284, 0.4))
            page.append(Text(self.LEFT, 289, text, 8.5))
        return self.drawing


def _line_height(size_pt: float) -> float:
    return size_pt * 25.4 / 72 * 1.45


def _number(e164: str | None) -> str:
    return f"{display_number(e164)}（{e164}）" if e164 else "—"


# --- the transmission record -------------------------------------------------------------------


def build_record(facts: TransmissionFacts, signer: signers.Signer, office: str = "", timestamper=None) -> bytes:
    """The signed transmission record of one ended job (PDF bytes). With a `timestamper` the
    signature carries the TSA's time stamp; a TSA that does not answer is a SigningKeyError."""
    flow = _Flow()
    flow.title("ファクス送信記録", "faxgate が作成し電子署名した記録です。署名後に1バイトでも変更すると検証に失敗します。")
    flow.row("受付番号", facts.job_id)
    flow.row("最終状態", f"{STATES_JA.get(facts.state, facts.state)}（{facts.state}）")
    flow.row("受付日時", _when(facts.received_at))
    flow.row("終了日時", _when(facts.ended_at))
    if facts.e164:  # as printed on faxgate's cover sheet: bound to the document as submitted
        flow.row("照合コード", verification_code(facts.job_id, facts.e164, facts.received_sha256 or facts.content_sha256))

    flow.heading("送信者")
    flow.row("送信者", facts.submitter)
    flow.row("所属", facts.department)
    flow.row("送信元の機器", facts.device)

    flow.heading("宛先")
    entry = f"短縮 {facts.entry_slot}（登録版 {facts.entry_version}）" if facts.entry_slot is not None else "宛先表の登録なし"
    flow.row("宛先名", "　".join(p for p in (facts.destination_organization, facts.destination_name) if p))
    flow.row("宛先表", entry)
    flow.row("FAX番号", _number(facts.e164))
    flow.row("発信ダイヤル", facts.dial_string or "—")
    flow.row("指定された宛先", facts.requested)

    flow.heading("文書")
    flow.row("ファイル名", facts.filename)
    flow.row("ページ数", f"{facts.pages}ページ" if facts.pages is not None else "不明（読み込めませんでした）")
    flow.row("大きさ", f"{facts.size:,} バイト")
    flow.row("SHA-256", facts.content_sha256)
    if facts.received_sha256:
        flow.row("送付票", "faxgate の送付票を1ページ目に付けて送信（ページ数・大きさ・SHA-256 は送付票を含む）")
        flow.row("受付時の SHA-256", facts.received_sha256)

    flow.heading("宛先番号の確認（二人確認）")
    if facts.confirmations:
        flow.table([("役割", 20), ("氏名", 32), ("日時", 44), ("入力された番号", 50), ("一致", 0)],
                   [[ROLES_JA.get(c.role, c.role), c.user, _when(c.at), c.entered or "—", "一致" if c.matched else "不一致"]
                    for c in facts.confirmations])
    else:
        flow.paragraph("確認は行われていません。")

    flow.heading("点検の結果")
    if facts.reasons:
        flow.table([("規則", 38), ("処置", 16), ("理由", 0)],
                   [[r.get("rule", ""), r.get("action", ""), r.get("message_ja") or r.get("code", "")] for r in facts.reasons])
    if facts.rules:
        flow.table([("回", 8), ("規則", 42), ("結果", 16), ("コード", 36), ("内容", 0)],
                   [[r.get("run", ""), r.get("rule", ""), r.get("outcome", ""), r.get("code") or "", r.get("reason", "")]
                    for r in facts.rules])
    if facts.findings:
        flow.table([("頁", 8), ("種類", 36), ("要配慮", 14), ("マスク", 14), ("読み取り", 16), ("内容（一部伏せ字）", 0)],
                   [[f.get("page", ""), f.get("category", ""), "はい" if f.get("sensitive") else "", "済" if f.get("masked") else "なし",
                     f.get("source", ""), f.get("text", "")] for f in facts.findings])
    if not (facts.reasons or facts.rules or facts.findings):
        flow.paragraph("点検の記録はありません。")

    flow.heading("送信結果")
    flow.row("送信試行回数", str(facts.attempts))
    flow.row("ファクスサーバーの応答", facts.relay_result or "—")

    if facts.thumbnails:
        first = facts.thumbnails[0]
        flow.heading("ページの縮小画像", keep=flow.PICTURE_WIDTH * first.height / first.width + 8)
        flow.pictures(facts.thumbnails, lambda index: f"{index + 1}ページ")
    drawing = flow.finish(f"faxgate 送信記録　受付番号 {facts.job_id}")
    return _certify(drawing.to_pdf(), signer, f"ファクス送信記録 {facts.job_id}", facts.to_json(),
                    "faxgate transmission record", office, timestamper)


# --- the directory audit report ------------------------------------------------------------------


def build_audit_report(report: dict, signer: signers.Signer, source: str, as_of: dt.date,
                       office: str = "", generated_at: dt.datetime | None = None, timestamper=None) -> bytes:
    """The signed 一斉点検 report. `report` is what `faxgate directory audit --json` prints:
    {"entries": N, "findings": [{"slot", "name", "code", "detail", "reaches", "intended"}]}."""
    generated_at = generated_at or dt.datetime.now(dt.timezone.utc)
    findings = report["findings"]
    counts = Counter(f["code"] for f in findings)
    flow = _Flow()
    flow.title("宛先表（短縮ダイヤル）一斉点検報告書", "faxgate が作成し電子署名した報告書です（報告第371号 再発防止策1）。")
    flow.row("作成日時", _when(generated_at))
    flow.row("点検基準日", as_of.isoformat())
    flow.row("点検対象", source)
    flow.row("登録件数", f"{report['entries']} 件")
    flow.row("指摘件数", f"{len(findings)} 件（登録 {len({f['slot'] for f in findings})} 件）")

    flow.heading("指摘の内訳")
    known = [c for c in FINDING_CODES if c in counts] + sorted(c for c in counts if c not in FINDING_CODES)
    if known:
        flow.table([("指摘", 48), ("件数", 14), ("対応", 0)],
                   [[LABELS_JA.get(code, code), str(counts[code]), ACTIONS_JA.get(code, "")] for code in known])
    else:
        flow.paragraph("指摘はありません。")

    if findings:
        flow.heading("指摘の一覧")
        flow.table([("短縮", 12), ("名称", 36), ("指摘", 30), ("実際の接続先", 28), ("本来の宛先", 28), ("内容", 0)],
                   [[f["slot"], f["name"], LABELS_JA.get(f["code"], f["code"]), display_number(f.get("reaches")) or "—",
                     display_number(f.get("intended")) or "—", f.get("detail", "")] for f in findings])
    drawing = flow.finish(f"faxgate 一斉点検報告書　{as_of.isoformat()}")
    data = {"kind": "faxgate.directory-audit/1", "generated_at": generated_at.isoformat(), "as_of": as_of.isoformat(),
            "source": source, **report}
    return _certify(drawing.to_pdf(), signer, f"宛先表一斉点検報告書 {as_of.isoformat()}", data,
                    "faxgate directory audit", office, timestamper)


# --- signing and verifying PDFs ------------------------------------------------------------------


def _certify(pdf: bytes, signer: signers.Signer, title: str, data: dict, reason: str, office: str,
             timestamper=None) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    writer.document_meta.title = title
    payload = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")
    embed.embed_file(writer, embed.FileSpec(
        file_spec_string=ATTACHMENT, file_name=ATTACHMENT, description="the facts of this record (JSON)",
        embedded_data=embed.EmbeddedFileObject.from_file_data(writer, payload, mime_type="application/json"),
    ))
    meta = signers.PdfSignatureMetadata(
        field_name="faxgate", certify=True, docmdp_permissions=MDPPerm.NO_CHANGES, md_algorithm="sha256",
        reason=reason, location=office or None,
    )
    try:
        return signers.sign_pdf(writer, meta, signer=signer, timestamper=timestamper).getvalue()
    except TimestampRequestError as exc:  # unreachable, refused, or an answer that is no time stamp
        cause = exc.__cause__ or exc
        raise SigningKeyError("tsa_unavailable", url=getattr(timestamper, "url", "?"),
                              detail=f"{type(cause).__name__}: {cause}"[:200]) from None


class Verdict(NamedTuple):
    ok: bool
    reason: str


TrustRoot = str | os.PathLike | Sequence[x509.Certificate]


def _roots(trust_root: TrustRoot) -> list[x509.Certificate]:
    if isinstance(trust_root, (str, os.PathLike)):
        return load_certificates(os.fspath(trust_root))
    return list(trust_root)


def _both(ja: str, en: str) -> str:
    return f"{ja} / {en}"


def verify_record(pdf: bytes, trust_root: TrustRoot, at: dt.datetime | None = None,
                  tsa_trust_root: TrustRoot | None = None) -> Verdict:
    """Whether a record (or audit report) is exactly as signed and signed by a key that chains
    to `trust_root` (a CA certificate file or certificates), at `at` (default now). A time
    stamp in the signature must be intact and its TSA chain to `tsa_trust_root` (default
    `trust_root`). The reason says why not, or who signed it and when (and the time stamp).
    Raises SigningKeyError only for a missing or unreadable trust root (the record could not
    be checked at all); never for the record."""
    roots = _roots(trust_root)
    tsa_roots = _roots(tsa_trust_root) if tsa_trust_root else roots
    try:
        reader = PdfFileReader(io.BytesIO(pdf))
        signatures = reader.embedded_signatures
    except Exception as exc:  # pyHanko raises many kinds on damaged files; any is "not a valid record"
        return Verdict(False, _both("PDFとして読めません（壊れているか記録ではありません）",
                                    f"not a readable PDF: {type(exc).__name__}: {exc}"[:300]))
    try:
        return _verify_signature(pdf, reader, signatures, roots, tsa_roots, at)
    except Exception as exc:  # pyHanko reads objects lazily: a damaged one raises wherever it is first read
        return Verdict(False, _both("PDFまたは署名データが壊れています",
                                    f"damaged file or signature: {type(exc).__name__}: {exc}"[:300]))


def _verify_signature(pdf: bytes, reader: PdfFileReader, signatures, roots, tsa_roots, at) -> Verdict:
    if not signatures:
        return Verdict(False, _both("署名がありません", "the file carries no signature"))
    if len(signatures) > 1:
        return Verdict(False, _both("署名の後に別の署名が追加されています", f"{len(signatures)} signatures: one was added after signing"))
    signature = signatures[0]
    certification = read_certification_data(reader)
    if signature.docmdp_level != MDPPerm.NO_CHANGES or certification is None or certification.permission != MDPPerm.NO_CHANGES:
        return Verdict(False, _both("変更不可の認証署名ではありません",
                                    "not a certification signature with no changes allowed (DocMDP level 1)"))
    if not _container_untouched(pdf, signature.byte_range):
        return Verdict(False, _both("署名データの部分が書き換えられています",
                                    "bytes of the signature container were altered after signing"))
    status, note = _validated(
        lambda moment: validate_pdf_signature(signature, validation_context(roots, moment),
                                              validation_context(tsa_roots, moment), key_usage_settings=KEY_USAGE),
        signature.signer_info, at)
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return Verdict(False, _both("署名の後にデータが追加されています", "data was added to the file after signing"))
    problem = (_problem(status, roots) or _stamp_problem(signature.signer_info, status)
               or _loose_cms(signature.signed_data, status))
    if problem:
        return Verdict(False, problem)
    if not status.docmdp_ok:
        return Verdict(False, _both("署名後に文書が変更されています", "the document was modified after certification"))
    return Verdict(True, _signed_by(status, note))


def _container_untouched(pdf: bytes, byte_range) -> bool:
    """The one gap the signature's digest leaves (the /Contents hex string) must be exactly the
    signature pyHanko wrote: uppercase hex of one DER structure, then zero padding. Without
    this, a changed padding byte or hex digit case would not be noticed."""
    try:
        start, end = int(byte_range[1]), int(byte_range[2])
    except (TypeError, ValueError, IndexError):
        return False
    gap = pdf[start:end]
    if not re.fullmatch(rb"<[0-9A-F]+>", gap) or len(gap) % 2:
        return False
    raw = bytes.fromhex(gap[1:-1].decode("ascii"))
    length = _der_length(raw)
    return length is not None and not any(raw[length:])


def _der_length(raw: bytes) -> int | None:
    if len(raw) < 2 or raw[0] != 0x30:
        return None
    if raw[1] < 0x80:
        return 2 + raw[1]
    count = raw[1] & 0x7F
    if not 1 <= count <= 4 or len(raw) < 2 + count:
        return None
    total = 2 + count + int.from_bytes(raw[2:2 + count], "big")
    return total if total <= len(raw) else None


def _validated(validate, signer_info, at: dt.datetime | None):
    """Validate now (or at `at`); when that fails only because the signing certificate has
    expired since, validate again at the time of signing, so records stay verifiable for as
    long as they are kept (a renewed key leaves the old records valid). That time is the
    TSA's time stamp when the signature carries a trusted one, else the signer's own claim;
    the note says which. `validate(moment)` returns pyHanko's status."""
    now = at or dt.datetime.now(dt.timezone.utc)
    status = validate(now)
    if status.trusted or not (status.intact and status.valid):
        return status, ("", "")
    stamp = _trusted_stamp(status)
    signed_at = stamp.timestamp if stamp else extract_self_reported_ts(signer_info)
    expired = status.signing_cert.not_valid_after
    if signed_at is None or not expired < now or signed_at > expired:
        return status, ("", "")
    earlier = validate(signed_at)
    if not earlier.trusted:
        return status, ("", "")
    day = expired.date().isoformat()
    if stamp:
        return earlier, (f"（署名用証明書は {day} に期限切れ。タイムスタンプの時刻で検証）",
                         f" (the signing certificate expired on {day}; validated at the time of the time stamp)")
    return earlier, (f"（署名用証明書は {day} に期限切れ。署名時点の時刻で検証）",
                     f" (the signing certificate expired on {day}; validated at the signing time the signature states)")


def _trusted_stamp(status):
    stamp = getattr(status, "timestamp_validity", None)
    return stamp if stamp is not None and stamp.intact and stamp.valid and stamp.trusted else None


def _stamp_tokens(signer_info) -> list:
    attributes = signer_info["unsigned_attrs"]
    if attributes.native is None:
        return []
    return [value for attribute in attributes if attribute["type"].native == "signature_time_stamp_token"
            for value in attribute["values"]]


def _stamp_problem(signer_info, status) -> str:
    """A time stamp, when the signature carries one, must be intact and from a trusted TSA."""
    if not _stamp_tokens(signer_info):
        return ""
    stamp = getattr(status, "timestamp_validity", None)
    if stamp is None or not (stamp.intact and stamp.valid):
        return _both("タイムスタンプが壊れているか、署名と対応していません", "the time stamp is damaged or does not match the signature")
    if not stamp.trusted:
        return _both(f"タイムスタンプ局「{_common_name(stamp.signing_cert)}」の証明書が TSA の信頼の起点につながりません"
                     "（[records] tsa_trust_root を確認してください）",
                     f"the time stamp's TSA '{_common_name(stamp.signing_cert)}' is not trusted against the TSA trust root")
    return ""


def _problem(status, roots: list[x509.Certificate]) -> str:
    if not status.intact:
        return _both("署名後に文書が変更されています（内容のハッシュが一致しません）",
                     "the document was altered after signing (digest mismatch)")
    if not status.valid:
        return _both("署名値が正しくありません", "the signature value is not valid")
    if not status.trusted:
        return _untrusted(status, roots)
    return ""


def _untrusted(status, roots: list[x509.Certificate]) -> str:
    """Why the signer is not trusted, in words an auditor can act on: a key from another CA,
    or a certificate that had expired (or was not yet valid) when it signed."""
    signer, cert = _common_name(status.signing_cert), status.signing_cert
    indication = status.trust_problem_indic.name if status.trust_problem_indic else "no path"
    root_names = "、".join(dict.fromkeys(_name_of(r) for r in roots)) or "?"
    signed_at = _trusted_stamp(status)
    signed_at = signed_at.timestamp if signed_at else getattr(status, "signer_reported_dt", None)
    if indication in ("NO_CERTIFICATE_CHAIN_FOUND", "no path"):
        issuer = cert.issuer.native.get("common_name") or cert.issuer.human_friendly
        return _both(f"署名者の証明書「{signer}」（発行者「{issuer}」）は信頼の起点（{root_names}）につながりません。"
                     "別の CA の鍵で署名されています",
                     f"the signer's certificate '{signer}' (issued by '{issuer}') is not trusted against the trust root "
                     f"({root_names}): signed by a key from another CA")
    if signed_at and cert.not_valid_after < signed_at:
        day = cert.not_valid_after.date().isoformat()
        return _both(f"署名者の証明書「{signer}」は {day} に有効期限が切れており、その後（{_when(signed_at)}）に署名されています。"
                     "信頼の起点につながる有効な署名ではありません",
                     f"the signer's certificate '{signer}' expired on {day}, before it signed at {_when(signed_at)}: "
                     "not trusted")
    if signed_at and signed_at < cert.not_valid_before:
        return _both(f"署名者の証明書「{signer}」は署名時点（{_when(signed_at)}）でまだ有効ではありません。信頼の起点につながる有効な署名ではありません",
                     f"the signer's certificate '{signer}' was not yet valid when it signed at {_when(signed_at)}: not trusted")
    return _both(f"署名者の証明書「{signer}」が信頼の起点につながりません（または有効ではありません）",
                 f"the signer's certificate '{signer}' is not trusted against the trust root ({indication})")


def _loose_cms(signed_data: cms.SignedData, status) -> str:
    """CMS leaves some fields outside the signature: SignedData and SignerInfo versions, the
    digest algorithm list, the certificate bag, unsigned attributes. Each must hold exactly
    what pyHanko writes, so that a changed byte there is noticed too: versions v1, the one
    digest algorithm signed with, only the certificates of the validated path (byte for byte:
    a damaged copy of the root is not ignored), no CRLs, and no unsigned attribute but one
    time stamp, itself held to the same rules against the TSA's validated path."""
    try:  # asn1crypto parses lazily: a damaged field raises only when it is read
        signer_info = signed_data["signer_infos"][0]
        strict = _strict_signed_data(signed_data, "v1", status)
        unsigned = signer_info["unsigned_attrs"]
        if strict and unsigned.native is not None:
            stamp = getattr(status, "timestamp_validity", None)
            tokens = _stamp_tokens(signer_info)
            strict = (stamp is not None and len(unsigned) == 1 and len(tokens) == 1
                      and tokens[0]["content_type"].native == "signed_data"
                      and _strict_signed_data(tokens[0]["content"], "v3", stamp)
                      and tokens[0]["content"]["signer_infos"][0]["unsigned_attrs"].native is None)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError):
        strict = False
    return "" if strict else _both("署名データの部分が書き換えられています",
                                   "bytes of the signature container were altered after signing")


def _strict_signed_data(signed_data: cms.SignedData, version: str, status) -> bool:
    signer_info = signed_data["signer_infos"][0]
    allowed = {c.dump() for c in status.validation_path or ()} | {status.signing_cert.dump()}
    certificates = [c.chosen.dump() for c in signed_data["certificates"]] if signed_data["certificates"] else []
    # RFC 5652: SignerInfo v1 names the signer by issuer and serial, v3 by key identifier.
    signer_version = "v1" if signer_info["sid"].name == "issuer_and_serial_number" else "v3"
    return (
        signed_data["version"].native == version
        and len(signed_data["signer_infos"]) == 1
        and signer_info["version"].native == signer_version
        and [a.dump() for a in signed_data["digest_algorithms"]] == [signer_info["digest_algorithm"].dump()]
        and len(set(certificates)) == len(certificates)
        and set(certificates) <= allowed
        and signed_data["crls"].native is None
    )


def _name_of(certificate: x509.Certificate) -> str:
    names = certificate.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)
    return str(names[0].value) if names else certificate.subject.rfc4514_string()


def _common_name(certificate) -> str:
    subject = certificate.subject.native
    return subject.get("common_name") or certificate.subject.human_friendly


def _signed_by(status, note: tuple[str, str]) -> str:
    signer = _common_name(status.signing_cert)
    signed_at = status.signer_reported_dt
    when = signed_at.astimezone(JST).strftime("%Y-%m-%d %H:%M:%S JST") if signed_at else "?"
    root = _common_name(status.validation_path[0]) if status.validation_path else "?"
    stamp = _trusted_stamp(status)
    stamped = ("", "") if stamp is None else (
        f"、タイムスタンプ {_when(stamp.timestamp)}（タイムスタンプ局「{_common_name(stamp.signing_cert)}」）",
        f", time stamp {_when(stamp.timestamp)} by TSA '{_common_name(stamp.signing_cert)}'")
    return _both(f"有効: {when} に「{signer}」が署名した変更不可の認証署名（信頼の起点「{root}」）{stamped[0]}{note[0]}",
                 f"valid: certified (no changes allowed) by '{signer}' at {when}, chaining to '{root}'{stamped[1]}{note[1]}")


def signature_time_stamp(pdf: bytes) -> dt.datetime | None:
    """The time in a record's signature time stamp, if it carries one. Not a check: call
    verify_record first; this only reads."""
    try:
        signer_info = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0].signer_info
        [token] = _stamp_tokens(signer_info)
        return token["content"]["encap_content_info"]["content"].parsed["gen_time"].native
    except Exception:  # no signature, no time stamp, or not a record
        return None


def embedded_facts(pdf: bytes) -> dict | None:
    """The `record.json` a record carries (its facts, or the audit report). Not a check: call
    verify_record first; this only reads."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf))
        names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
        for index in range(0, len(names), 2):
            if names[index] == ATTACHMENT:
                return json.loads(names[index + 1].get_object()["/EF"]["/F"].get_object().data)
    except Exception:  # a record without the attachment, or not a record
        return None
    return None


# --- audit chain checkpoints -------------------------------------------------------------------

CHECKPOINT_KIND = "faxgate.audit-checkpoint/1"


def make_checkpoint(last_id: int, last_hash: str, signer: signers.Signer, at: dt.datetime | None = None) -> bytes:
    """The chain head signed: DER CMS SignedData encapsulating
    {"kind", "last_id", "last_hash", "at"} (JSON). Store it where the audit table's writers
    cannot delete it unnoticed (its own table, and a copy outside the database)."""
    at = at or dt.datetime.now(dt.timezone.utc)
    payload = json.dumps({"kind": CHECKPOINT_KIND, "last_id": last_id, "last_hash": last_hash, "at": at.isoformat()},
                         sort_keys=True, separators=(",", ":")).encode()
    signed = asyncio.run(signer.async_sign_general_data(payload, "sha256", detached=False))
    return signed.dump()


@dataclass(frozen=True)
class CheckpointVerdict:
    ok: bool
    reason: str
    last_id: int | None = None
    last_hash: str | None = None
    at: str | None = None


def verify_checkpoint(checkpoint: bytes, trust_root: TrustRoot, stored_hash: Callable[[int], str | None],
                      at: dt.datetime | None = None) -> CheckpointVerdict:
    """Whether a checkpoint is signed by a key chaining to `trust_root` and the audit event it
    names still carries the hash it signed. `stored_hash(event_id)` returns that event's hash
    as stored now (None when the event is gone)."""
    roots = _roots(trust_root)
    try:
        signed_data = cms.ContentInfo.load(checkpoint, strict=True)["content"]
        payload = json.loads(bytes(signed_data["encap_content_info"]["content"]))
        last_id, last_hash = int(payload["last_id"]), str(payload["last_hash"])
        if payload.get("kind") != CHECKPOINT_KIND:
            raise ValueError(f"kind {payload.get('kind')!r}")
        status, note = _validated(
            lambda moment: asyncio.run(async_validate_cms_signature(
                signed_data, validation_context=validation_context(roots, moment), key_usage_settings=KEY_USAGE)),
            extract_signer_info(signed_data), at)
    except Exception as exc:  # not CMS, not our payload, or a damaged signature structure
        return CheckpointVerdict(False, _both("チェックポイントが壊れています", f"unreadable checkpoint: {type(exc).__name__}: {exc}"[:300]))
    problem = _problem(status, roots) or _loose_cms(signed_data, status)
    if problem:
        return CheckpointVerdict(False, problem, last_id, last_hash, payload.get("at"))
    current = stored_hash(last_id)
    if current is None:
        return CheckpointVerdict(False, _both(f"チェックポイントが記録した監査イベント {last_id} がありません（削除されています）",
                                              f"audit event {last_id}, named by the checkpoint, is missing"),
                                 last_id, last_hash, payload["at"])
    if current != last_hash:
        return CheckpointVerdict(False, _both(f"監査イベント {last_id} までの記録が書き換えられています（チェックポイントのハッシュと一致しません）",
                                              f"the audit chain up to event {last_id} was rewritten: its hash differs "
                                              "from the signed checkpoint"),
                                 last_id, last_hash, payload["at"])
    return CheckpointVerdict(True, _both(f"有効: 監査イベント {last_id} までの記録はチェックポイントと一致します{note[0]}",
                                         f"valid: the chain up to event {last_id} matches the signed checkpoint{note[1]}"),
                             last_id, last_hash, payload["at"])
