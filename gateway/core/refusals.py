"""One vocabulary for what the domain refuses: a stable code, a kind, and the words for a person
in Japanese and English. The doors choose their own codes from the kind (SMTP replies in
entrypoints/smtp, HTTP statuses in entrypoints/http); the domain never names either."""

from __future__ import annotations

# What kind of refusal it is, from which each door derives its answer.
KINDS = (
    "malformed",  # the request cannot be read as written
    "not_ours",  # addressed somewhere this gateway does not serve
    "not_found",  # names something that does not exist
    "forbidden",  # the person or device may not do this
    "conflict",  # the thing is not in a state that allows it
)


class Refusal(Exception):
    def __init__(self, code: str, kind: str, message_ja: str, message_en: str):
        if kind not in KINDS:
            raise ValueError(f"unknown refusal kind {kind!r}")
        super().__init__(message_en)
        self.code, self.kind, self.message_ja, self.message_en = code, kind, message_ja, message_en
