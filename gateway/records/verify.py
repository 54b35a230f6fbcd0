"""Checking a signed record or checkpoint: pyHanko's validator against the trust root, and every byte
pyHanko's digest does not cover (the signature container's hex and padding) refused, so that any
one-byte change fails. A checkpoint names the audit chain's head: someone able to rewrite the whole
audit table, recomputing every hash, still cannot make the event it names carry the hash it signed."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from asn1crypto import cms
from cryptography import x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.general import extract_signer_info
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.generic_cms import (
    async_validate_cms_signature,
    extract_self_reported_ts,
)
from pyhanko.sign.validation.pdf_embedded import read_certification_data
from pyhanko.sign.validation.status import SignatureCoverageLevel

from gateway.core.office_time import office_stamp
from gateway.records.certify import ATTACHMENT, CHECKPOINT_KIND
from gateway.records.pki import KEY_USAGE, load_certificates, validation_context


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
        return _both(f"署名者の証明書「{signer}」は {day} に有効期限が切れており、その後（{office_stamp(signed_at)}）に署名されています。"
                     "信頼の起点につながる有効な署名ではありません",
                     f"the signer's certificate '{signer}' expired on {day}, before it signed at {office_stamp(signed_at)}: "
                     "not trusted")
    if signed_at and signed_at < cert.not_valid_before:
        return _both(f"署名者の証明書「{signer}」は署名時点（{office_stamp(signed_at)}）でまだ有効ではありません。信頼の起点につながる有効な署名ではありません",
                     f"the signer's certificate '{signer}' was not yet valid when it signed at {office_stamp(signed_at)}: not trusted")
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
    when = office_stamp(signed_at) if signed_at else "?"
    root = _common_name(status.validation_path[0]) if status.validation_path else "?"
    stamp = _trusted_stamp(status)
    stamped = ("", "") if stamp is None else (
        f"、タイムスタンプ {office_stamp(stamp.timestamp)}（タイムスタンプ局「{_common_name(stamp.signing_cert)}」）",
        f", time stamp {office_stamp(stamp.timestamp)} by TSA '{_common_name(stamp.signing_cert)}'")
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
