"""The SMTP relay against a real aiosmtpd fax server: envelope, exact bytes, and each way the
server can fail (refuse for now, refuse for good, vanish after taking the message)."""

from __future__ import annotations

import hashlib

import pytest

from gateway.adapters.relay import DeliveryUnknownError, PermanentRelayError, RelayRequest, TemporaryRelayError
from gateway.adapters.relay_smtp import SmtpRelay
from tests.support.harness import free_port

DOCUMENT = b"%PDF-1.4\n.\n..line starting with dots\r\n.\r\nend\n%%EOF\n"


def request(number="+81354321111", **overrides) -> RelayRequest:
    values = dict(job_id="20261123-abcdef012345", number=number, dial_string="00354321111", document=DOCUMENT,
                  filename="a.pdf", content_type="application/pdf", sender="sato@city.example.jp")
    values.update(overrides)
    return RelayRequest(**values)


def relay(port):
    return SmtpRelay("127.0.0.1", port, "faxgate@fax.example.jp", "faxserver.example.jp", timeout=5)


def test_envelope_and_exact_bytes(fax):
    receipt = relay(fax.port).send(request())
    [message] = fax.received
    assert message.rcpt_tos == ["FAX=+81354321111@faxserver.example.jp"]
    assert message.mail_from == "faxgate@fax.example.jp"
    assert hashlib.sha256(message.attachment()).digest() == hashlib.sha256(DOCUMENT).digest()
    assert message.message["Message-ID"] == "<20261123-abcdef012345@fax.example.jp>"
    assert receipt.startswith("250")


@pytest.mark.parametrize("reply,error", [("451 4.3.0 try later", TemporaryRelayError), ("554 5.7.1 no", PermanentRelayError)])
def test_refusals(fax, reply, error):
    fax.handler.refuse = reply
    with pytest.raises(error):
        relay(fax.port).send(request())


def test_server_down_is_temporary():
    with pytest.raises(TemporaryRelayError):
        relay(free_port()).send(request())


def test_connection_lost_after_the_message_is_delivery_unknown(fax):
    async def vanish(server, session, envelope):
        fax.received.append(envelope)
        server.transport.abort()  # took the message, then the line died before the answer
        return "250 never sent"

    fax.handler.handle_DATA = vanish
    with pytest.raises(DeliveryUnknownError):
        relay(fax.port).send(request())
    assert len(fax.received) == 1


@pytest.mark.parametrize("field", ["number", "filename", "job_id"])
def test_control_characters_never_reach_the_server(fax, field):
    with pytest.raises(PermanentRelayError):
        relay(fax.port).send(request(**{field: "+8135432\r\nRCPT TO:<x@evil>"}))
    assert fax.received == []
