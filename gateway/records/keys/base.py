"""What every source of the records' signing key shares: the one error that says, in Japanese and English,
why records cannot be signed now, and what a key is (`KeySource`: `.certificate`, `.chain`, `.source` and
`.signer()`, a pyHanko Signer), from files (gateway.records.keys.files) or a PKCS#11 token
(gateway.records.keys.pkcs11); gateway.records.keys.source opens the configured one."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from cryptography import x509

_MESSAGES = {
    "not_configured": (
        "署名鍵が設定されていません。[records] の key_file と cert_file（または pkcs12_file）を設定するか、"
        "`faxgate records init-ca` で作成してください。",
        "No signing key is configured: set [records] key_file and cert_file (or pkcs12_file), "
        "or create one with `faxgate records init-ca`.",
    ),
    "missing_file": (
        "{what}のファイルが見つかりません: {path}",
        "{what_en} file not found: {path}",
    ),
    "unreadable": (
        "{what}のファイルを読み込めません（形式が違うか壊れています）: {path}",
        "{what_en} file cannot be read (wrong format or damaged): {path}",
    ),
    "no_permission": (
        "{what}のファイルを読む権限がありません（faxgate を動かす利用者に読み取りを許可してください）: {path}",
        "No permission to read this file ({what_en}); let the user running faxgate read it: {path}",
    ),
    "password_required": (
        "署名鍵はパスワードで保護されていますが、環境変数 {env} が設定されていません: {path}",
        "The signing key is password-protected but the environment variable {env} is not set: {path}",
    ),
    "wrong_password": (
        "署名鍵のパスワードが違います（環境変数 {env} の値を確認してください）: {path}",
        "Wrong password for the signing key (check the environment variable {env}): {path}",
    ),
    "mismatch": (
        "署名鍵と証明書が対応していません（別の鍵の証明書です）: 鍵 {key} / 証明書 {cert}",
        "The signing key and the certificate do not belong together (the certificate is for another key): "
        "key {key} / certificate {cert}",
    ),
    "expired": (
        "署名用証明書の有効期限が切れています（{date} まで）: {path}。新しい証明書を発行してください。",
        "The signing certificate expired on {date}: {path}. Issue a new certificate.",
    ),
    "not_yet_valid": (
        "署名用証明書はまだ有効になっていません（{date} から）: {path}。サーバーの時刻も確認してください。",
        "The signing certificate is not valid before {date}: {path}. Check the server's clock too.",
    ),
    "key_usage": (
        "この証明書は文書への署名に使えません（鍵用途に digitalSignature も nonRepudiation もありません）: {path}",
        "This certificate may not sign documents (its key usage has neither digitalSignature nor "
        "nonRepudiation): {path}",
    ),
    "not_trusted": (
        "署名用証明書が信頼の起点（trust_root）につながりません: {path} / {root}。"
        "この鍵で作った記録は検証に失敗します。",
        "The signing certificate does not chain to the trust root: {path} / {root}. "
        "Records signed with it would fail verification.",
    ),
    "exists": (
        "ファイルがすでにあるため作成しません（上書きしません）: {path}",
        "Not created because the file already exists (nothing is overwritten): {path}",
    ),
    "tsa_unavailable": (
        "タイムスタンプ局（TSA）から時刻証明を得られないため、記録に署名できません（後で再試行します）: {url}（{detail}）",
        "No time stamp from the time-stamping authority, so records cannot be signed now (retried later): "
        "{url} ({detail})",
    ),
    "pkcs11_pin_missing": (
        "ハードウェア鍵（PKCS#11）の PIN がありません。環境変数 {env} か [records] pkcs11_pin_file を設定してください。",
        "No PIN for the hardware key (PKCS#11): set the environment variable {env} or [records] pkcs11_pin_file.",
    ),
    "pkcs11_pin_incorrect": (
        "ハードウェア鍵のトークン「{token}」の PIN が違います（{source} を確認してください）。"
        "何度も間違えるとトークンがロックされます。",
        "Wrong PIN for the hardware key's token '{token}' (check {source}). Repeated wrong PINs lock the token.",
    ),
    "pkcs11_pin_locked": (
        "ハードウェア鍵のトークン「{token}」の PIN がロックされています。トークンの管理者に解除を依頼してください。",
        "The PIN of the hardware key's token '{token}' is locked; the token's administrator must unlock it.",
    ),
    "pkcs11_token": (
        "ハードウェア鍵のトークン「{token}」が見つかりません（接続とラベルを確認してください）: {module}",
        "The hardware key's token '{token}' was not found (check that it is connected and its label): {module}",
    ),
    "pkcs11_object": (
        "ハードウェア鍵のトークン「{token}」に{what}「{label}」がありません（またはラベルが重複しています）。",
        "The hardware key's token '{token}' holds no {what_en} labelled '{label}' (or more than one).",
    ),
    "pkcs11_error": (
        "ハードウェア鍵（PKCS#11）を使えません: {detail}（{module}）",
        "The hardware key (PKCS#11) cannot be used: {detail} ({module})",
    ),
    "pkcs11_unavailable": (
        "ハードウェア鍵を使うには python-pkcs11 が必要です（pip install 'faxgate[hsm]'）。",
        "Signing with a hardware key needs python-pkcs11 (pip install 'faxgate[hsm]').",
    ),
    "ca_key_mismatch": (
        "CA の鍵が信頼の起点の CA 証明書のどれとも対応していません: 鍵 {key} / 信頼の起点 {root}",
        "The CA key belongs to none of the CA certificates of the trust root: key {key} / trust root {root}",
    ),
    "renew_mode": (
        "{mode}を使う設定では、この方法で鍵を更新できません。{hint}",
        "The key cannot be renewed this way while [records] uses {mode_en}. {hint_en}",
    ),
}


_WHAT = {
    "key": ("署名鍵", "Signing key"),
    "cert": ("署名用証明書", "Signing certificate"),
    "chain": ("中間証明書", "Certificate chain"),
    "pkcs12": ("PKCS#12", "PKCS#12"),
    "trust_root": ("信頼の起点（CA証明書）", "Trust root (CA certificate)"),
    "pin_file": ("PIN", "PIN"),
    "pkcs11_module": ("PKCS#11 モジュール", "PKCS#11 module"),
    "ca_key": ("CA の鍵", "CA key"),
    "private_key": ("秘密鍵", "private key"),
    "certificate": ("証明書", "certificate"),
}


class SigningKeyError(Exception):
    """Records cannot be signed now: the key, its certificate, the token or the time-stamping
    authority. `code` is one of the keys of _MESSAGES."""

    def __init__(self, code: str, **facts):
        self.code, self.facts = code, facts
        if "what" in facts:
            facts = {**facts, "what": _WHAT[facts["what"]][0], "what_en": _WHAT[facts["what"]][1]}
        ja, en = _MESSAGES[code]
        self.message_ja, self.message_en = ja.format(**facts), en.format(**facts)
        super().__init__(f"{self.message_ja} / {self.message_en}")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def read_key_file(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise SigningKeyError("missing_file", what=what, path=path) from None
    except PermissionError:
        raise SigningKeyError("no_permission", what=what, path=path) from None
    except IsADirectoryError:
        raise SigningKeyError("unreadable", what=what, path=path) from None


class KeySource(Protocol):
    """A signing key as the records use it, wherever it lives (pyHanko's seam: the record is
    certified by a `PdfSigner` around whichever `Signer` this gives)."""

    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]

    @property
    def source(self) -> str: ...  # "file" | "pkcs11"

    def signer(self): ...  # a pyhanko.sign.signers.Signer


def password_from_env(variable: str, environ: Mapping[str, str] = os.environ) -> bytes | None:
    """The key password held in `variable`; None when the name or the value is empty."""
    value = environ.get(variable, "") if variable else ""
    return value.encode() or None
