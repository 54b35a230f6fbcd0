"""The streaming count (gateway.core.message.StructureCounter) sees the parts the mail library
parses later, whatever the line endings, so a limit checked while DATA streams in is the limit
the stored message obeys."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest

from gateway.core.message import MessageLimits, MessageRefused, StructureCounter


def _nested() -> EmailMessage:
    inner = EmailMessage()
    inner["From"] = "suzuki@city.example.jp"
    inner.set_content("転送元の本文")
    inner.add_attachment(b"%PDF-1.4 inner", maintype="application", subtype="pdf", filename="inner.pdf")
    outer = EmailMessage()
    outer["From"] = "sato@city.example.jp"
    outer.set_content("本文")
    outer.add_alternative("<p>本文</p>", subtype="html")
    outer.add_attachment(b"%PDF-1.4 outer", maintype="application", subtype="pdf", filename="outer.pdf")
    outer.add_attachment(inner)  # message/rfc822
    return outer


@pytest.mark.parametrize("ending", [b"\r\n", b"\n", b"\r"], ids=["crlf", "lf", "cr"])
def test_counts_the_parts_the_mail_library_walks(ending):
    raw = _nested().as_bytes(policy=email.policy.SMTP).replace(b"\r\n", ending)
    counter = StructureCounter(MessageLimits())
    counter.feed(raw)
    assert counter.parts == len(list(email.message_from_bytes(raw, policy=email.policy.compat32).walk()))
    assert counter.open == []  # every multipart closed


def test_the_limit_is_the_walked_count():
    raw = _nested().as_bytes(policy=email.policy.SMTP)
    walked = len(list(email.message_from_bytes(raw).walk()))
    StructureCounter(MessageLimits(max_parts=walked)).feed(raw)
    with pytest.raises(MessageRefused, match="Too many MIME parts"):
        StructureCounter(MessageLimits(max_parts=walked - 1)).feed(raw)
