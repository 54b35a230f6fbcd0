"""The audit chain's head, signed and kept where the database's owner cannot rewrite it.

Every event's hash covers its predecessor's, so the chain proves nothing against someone who
rewrites the whole table: a signed checkpoint of the head does. Checkpoints in the database go
with the database, so each one is also appended, as one line, to `[records] head_file` (a file
on storage the database's owner cannot write: a WORM share, another host's mount, a log
collector) and `faxgate audit export-head` writes one on demand; `faxgate audit verify --head
FILE` checks the chain against every line. A line is JSON: {"last_id", "last_hash", "at",
"cms"} (cms: the signed checkpoint, DER in base64)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path


class HeadFileError(Exception):
    """A head file that cannot be read as exported heads (message in Japanese)."""


@dataclass(frozen=True)
class ExportedHead:
    last_id: int
    last_hash: str
    at: str
    cms: bytes

    def line(self) -> str:
        return json.dumps({"last_id": self.last_id, "last_hash": self.last_hash, "at": self.at,
                           "cms": base64.b64encode(self.cms).decode()}, sort_keys=True, separators=(",", ":"))


def sign_head(app) -> ExportedHead | None:
    """Sign the chain's head as it is now and keep it as a checkpoint; None when the trail is
    empty. Raises SigningKeyError when the key cannot sign."""
    from gateway.records.certify import make_checkpoint  # pyHanko is slow to import: only here

    with app.unit_of_work(read_only=True) as uow:
        head = uow.audit.head()
        if head is None or head.last_id == 0:
            return None
        last_id, last_hash = head.last_id, head.last_hash
    at = dt.datetime.now(dt.timezone.utc)
    with app.signing() as key:
        cms = make_checkpoint(last_id, last_hash, key.signer(), at)
    with app.unit_of_work() as uow:
        uow.records.add_checkpoint(last_id, last_hash, cms)
    return ExportedHead(last_id, last_hash, at.isoformat(), cms)


def append(path: str | os.PathLike, head: ExportedHead) -> None:
    """One line at the end of `path`, on disk before this returns (opened for appending only:
    a file the operating system keeps append-only stays so)."""
    with open(path, "a", encoding="utf-8") as file:
        file.write(head.line() + "\n")
        file.flush()
        os.fsync(file.fileno())


def read(path: str | os.PathLike) -> list[ExportedHead]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise HeadFileError(f"{path}: 読み取れません ({type(exc).__name__})") from None
    heads = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            heads.append(ExportedHead(int(data["last_id"]), str(data["last_hash"]), str(data["at"]),
                                      base64.b64decode(data["cms"], validate=True)))
        except (ValueError, KeyError, TypeError):
            raise HeadFileError(f"{path}: {number} 行目が書き出した先頭の形式ではありません") from None
    if not heads:
        raise HeadFileError(f"{path}: 書き出した先頭がありません")
    return heads
