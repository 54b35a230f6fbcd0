"""Signed records: the transmission record of an ended job, the directory audit report and the audit
chain's checkpoints, each certified with the gateway's key.

Records are certification signatures (DocMDP level 1: no change of any kind allowed after signing) made
through pyHanko's PdfSigner around any `Signer` (gateway.records.keys: files or a PKCS#11 token) and,
when one is configured, an RFC 3161 time stamper. The facts also travel inside the PDF as `record.json`.
The functions are synchronous (pyHanko's sync API runs its own event loop): call them from the worker
thread, or through `asyncio.to_thread` from async code."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json

from pyhanko.pdf_utils import embed
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.timestamps.common_utils import TimestampRequestError

from gateway.records.facts import TransmissionFacts
from gateway.records.keys.base import SigningKeyError
from gateway.records.layout import (
    audit_report_pdf,
    record_pdf,
    statistics_report_pdf,
)

ATTACHMENT = "record.json"


def build_record(facts: TransmissionFacts, signer: signers.Signer, office: str = "", timestamper=None) -> bytes:
    """The signed transmission record of one ended job (PDF bytes). With a `timestamper` the
    signature carries the TSA's time stamp; a TSA that does not answer is a SigningKeyError."""
    return _certify(record_pdf(facts), signer, f"ファクス送信記録 {facts.job_id}", facts.to_json(),
                    "faxgate transmission record", office, timestamper)


def build_audit_report(report: dict, signer: signers.Signer, source: str, as_of: dt.date,
                       office: str = "", generated_at: dt.datetime | None = None, timestamper=None) -> bytes:
    """The signed 一斉点検 report. `report` is what `faxgate directory audit --json` prints:
    {"entries": N, "findings": [{"slot", "name", "code", "detail", "reaches", "intended"}]}."""
    generated_at = generated_at or dt.datetime.now(dt.timezone.utc)
    data = {"kind": "faxgate.directory-audit/1", "generated_at": generated_at.isoformat(), "as_of": as_of.isoformat(),
            "source": source, **report}
    return _certify(audit_report_pdf(report, source, as_of, generated_at), signer,
                    f"宛先表一斉点検報告書 {as_of.isoformat()}", data, "faxgate directory audit", office, timestamper)


def build_statistics_report(figures: dict, labels: dict[str, str], reasons: dict[str, str], signer: signers.Signer,
                            office: str = "", generated_at: dt.datetime | None = None, timestamper=None) -> bytes:
    """The signed report of the privacy office's figures for a period (the quarterly report)."""
    generated_at = generated_at or dt.datetime.now(dt.timezone.utc)
    data = {"kind": "faxgate.statistics-report/1", "generated_at": generated_at.isoformat(), **figures}
    return _certify(statistics_report_pdf(figures, labels, reasons, office, generated_at), signer,
                    f"ファクス誤送信防止の実施状況報告書 {figures['from']}〜{figures['to']}", data,
                    "faxgate statistics report", office, timestamper)


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
