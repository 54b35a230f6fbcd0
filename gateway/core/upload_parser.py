"""The sandboxed child that reads an uploaded document's mail as the intake writer reads mail
(gateway.core.message.extract_document): a small module, so the child starts without the
gateway's database and web layers. Answers one JSON frame: `D` what was found, `R` the refusal."""

from __future__ import annotations

import json
import sys

from gateway.core.message import MessageLimits, MessageRefused, extract_document
from policies.documents import sandbox

ENTRY = "gateway.core.upload_parser:child_entry"


def child_entry(argument: str) -> None:
    limits = MessageLimits(**json.loads(argument)["limits"])
    out = sandbox.child_output()
    with sandbox.reporting(out):
        raw = sys.stdin.buffer.read()
        try:
            document = extract_document(raw, limits)
        except MessageRefused as exc:
            out.json(b"R", {"code": exc.code, "english": exc.english, "japanese": exc.japanese})
        else:
            out.json(b"D", {"kind": document.kind, "filename": document.filename, "from": document.from_address,
                            "size": len(document.data)})
