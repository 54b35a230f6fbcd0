"""The key-encryption key (KEK) that wraps every job's data key: a keyring read from a file
(the embedded default makes it on first start, beside the records' signing key) or from an
environment variable; never from the database, so a stolen database or backup alone opens nothing.

A keyring holds one or more 256-bit AES keys, the current one first: `faxgate keys rotate`
puts a new key in front, re-wraps every data key under it, then drops the old one. Each data
key row names the KEK that wrapped it (`kek_id`, a hash of the key, which says nothing of it)."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "faxgate-kek-v1:"
KEY_BYTES = 32
NONCE_BYTES = 12

_MESSAGES = {
    "missing_file": (
        "データ暗号化の鍵（KEK）のファイルがありません: {path}。データベースには暗号化されたデータがあるため、"
        "新しい鍵は作りません。バックアップから鍵のファイルを戻してください。",
        "The key-encryption key file is missing: {path}. The database holds encrypted data, so no new key is "
        "made; restore the key file from its backup.",
    ),
    "unreadable": (
        "データ暗号化の鍵（KEK）を読めません（形式が違うか壊れているか、読む権限がありません）: {path}",
        "The key-encryption key cannot be read (wrong format, damaged, or no permission): {path}",
    ),
    "missing_env": (
        "データ暗号化の鍵（KEK）の環境変数 {env} が設定されていません。",
        "The environment variable {env} holding the key-encryption key is not set.",
    ),
    "wrong_key": (
        "データ暗号化の鍵（KEK）がこのデータベースのものではありません（{source}）。データベースの"
        "データ鍵は鍵 {want} で包まれています。正しい鍵を設定してください。",
        "The key-encryption key ({source}) is not this database's: its data keys are wrapped by key {want}. "
        "Configure the right key.",
    ),
    "damaged": (
        "ジョブ {owner} のデータ鍵を鍵 {kek} で開けません（鍵かデータベースの行が改変されています）。",
        "The data key of {owner} cannot be unwrapped with key {kek} (the key or the database row was altered).",
    ),
    "no_data_key": (
        "ジョブ {owner} のデータ鍵がありません。暗号化されたデータを開けません。",
        "{owner} has no data key: its encrypted data cannot be opened.",
    ),
    "tampered": (
        "ジョブ {owner} の暗号化データ（{field}）を開けません（改変されたか、別の行のものです）。",
        "The encrypted {field} of {owner} cannot be opened (altered, or taken from another row).",
    ),
    "pkcs11_module": (
        "データ暗号化の鍵（KEK）のトークンの PKCS#11 ライブラリがありません: {path}",
        "The PKCS#11 library of the key-encryption key's token is missing: {path}",
    ),
    "pkcs11_token": (
        "データ暗号化の鍵（KEK）のトークン {token} が見つかりません（{module}）。トークンを挿してください。",
        "The key-encryption key's token {token} is not present ({module}); insert it.",
    ),
    "pkcs11_pin_missing": (
        "データ暗号化の鍵（KEK）のトークンの PIN がありません（[keys] pkcs11_pin_file か環境変数 {env}）。",
        "The PIN of the key-encryption key's token is not set ([keys] pkcs11_pin_file or the variable {env}).",
    ),
    "pkcs11_pin_incorrect": (
        "データ暗号化の鍵（KEK）のトークン {token} の PIN が違います（{source}）。",
        "The PIN of the key-encryption key's token {token} is incorrect ({source}).",
    ),
    "pkcs11_pin_locked": (
        "データ暗号化の鍵（KEK）のトークン {token} の PIN がロックされています。トークンの管理者に連絡してください。",
        "The PIN of the key-encryption key's token {token} is locked; ask the token's administrator.",
    ),
    "pkcs11_no_key": (
        "トークン {token} にラベル {label!r} の AES 鍵（データ暗号化の鍵 KEK）がありません。",
        "The token {token} holds no AES key labelled {label!r} (the key-encryption key).",
    ),
    "pkcs11_error": (
        "データ暗号化の鍵（KEK）のトークンでエラーが起きました（{detail}、{module}）。",
        "The key-encryption key's token failed ({detail}, {module}).",
    ),
    "exists": (
        "鍵のファイルがすでにあるため作成しません（上書きしません）: {path}",
        "Not created because the key file already exists (nothing is overwritten): {path}",
    ),
}


class AtRestKeyError(Exception):
    """Stored data cannot be encrypted or opened now; `code` is one of _MESSAGES. Fails closed:
    intake answers 451, the worker waits, /readyz answers 503 with this message."""

    def __init__(self, code: str, **facts):
        self.code, self.facts = code, facts
        ja, en = _MESSAGES[code]
        self.message_ja, self.message_en = ja.format(**facts), en.format(**facts)
        super().__init__(f"{self.message_ja} / {self.message_en}")


def kek_id(key: bytes) -> str:
    return hashlib.sha256(b"faxgate kek id\x00" + key).hexdigest()[:16]


@dataclass(frozen=True)
class Keyring:
    keys: tuple[bytes, ...]  # the current key first
    source: str  # where it came from, for messages: "file …" or "environment variable …"

    @property
    def current_id(self) -> str:
        return kek_id(self.keys[0])

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(kek_id(k) for k in self.keys)

    def wrap(self, data_key: bytes, owner: str) -> tuple[str, bytes]:
        """(kek id, wrapped key) under the current key, bound to its owner (the job)."""
        nonce = os.urandom(NONCE_BYTES)
        return self.current_id, nonce + AESGCM(self.keys[0]).encrypt(nonce, data_key, _wrap_aad(owner))

    def unwrap(self, wrapped: bytes, owner: str, wrapped_by: str) -> bytes:
        key = dict(zip(self.ids, self.keys)).get(wrapped_by)
        if key is None:
            raise AtRestKeyError("wrong_key", source=self.source, want=wrapped_by)
        try:
            return AESGCM(key).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _wrap_aad(owner))
        except InvalidTag:
            raise AtRestKeyError("damaged", owner=owner, kek=wrapped_by) from None


def _wrap_aad(owner: str) -> bytes:
    return b"faxgate data key\x00" + owner.encode()


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def _parse(lines, source: str, path: str) -> tuple[bytes, ...]:
    keys = []
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            key = base64.b64decode(line.removeprefix(PREFIX), validate=True)
        except ValueError:
            raise AtRestKeyError("unreadable", path=path) from None
        if len(key) != KEY_BYTES:
            raise AtRestKeyError("unreadable", path=path)
        keys.append(key)
    if not keys:
        raise AtRestKeyError("unreadable", path=path)
    return tuple(keys)


def read_file(path: str) -> Keyring:
    try:
        text = Path(path).read_text(encoding="ascii")
    except FileNotFoundError:
        raise AtRestKeyError("missing_file", path=path) from None
    except (OSError, UnicodeDecodeError):
        raise AtRestKeyError("unreadable", path=path) from None
    return Keyring(_parse(text.splitlines(), f"file {path}", path), f"file {path}")


def read_env(variable: str, environ: Mapping[str, str] = os.environ) -> Keyring:
    """The variable holds one or more base64 keys, comma-separated, the current one first."""
    value = environ.get(variable, "")
    if not value.strip():
        raise AtRestKeyError("missing_env", env=variable)
    source = f"environment variable {variable}"
    return Keyring(_parse(value.split(","), source, source), source)


def write_file(path: str, keys: tuple[bytes, ...], *, create: bool = False) -> None:
    """Owner-only, written whole then renamed over the old file (a crash leaves one or the other);
    with ``create``, refuses to replace a file that exists (two processes starting at once)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    text = "# faxgate key-encryption keys: the current one first. Back up apart from the database.\n"
    text += "".join(PREFIX + base64.b64encode(k).decode() + "\n" for k in keys)
    if create:
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise AtRestKeyError("exists", path=path) from None
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        return
    temporary = target.with_name(target.name + ".new")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, target)
