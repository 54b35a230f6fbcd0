"""The Message-ID a resend is recognised by comes from the message's header section only, however
its lines end (the header parser is given that section, not the attachment after it)."""

from __future__ import annotations

import pytest

from gateway.services.resends import message_id_of

BODY = b"Content-Type: text/plain\r\n\r\nMessage-ID: <in-the-body@example.jp>\r\n" + b"A" * 76 + b"\r\n"


@pytest.mark.parametrize("newline", [b"\r\n", b"\n"])
def test_the_header_s_message_id(newline):
    raw = newline.join([b"From: sato@city.example.jp", b"Message-ID: <m1@mfd.example.jp>", b"", b"body"])
    assert message_id_of(raw) == "<m1@mfd.example.jp>"


def test_a_message_id_in_the_body_is_not_the_message_s():
    raw = b"From: sato@city.example.jp\r\nMIME-Version: 1.0\r\n\r\n" + BODY
    assert message_id_of(raw) is None


def test_a_message_that_is_all_header():
    assert message_id_of(b"From: sato@city.example.jp\r\nMessage-ID: <m2@mfd.example.jp>\r\n") == "<m2@mfd.example.jp>"
