"""The HylaFAX relay against a real HylaFAX server: what lands in the queue is what was approved."""

from __future__ import annotations

import hashlib
import re
import socket
import struct
import threading
from contextlib import contextmanager

import pytest

from gateway.adapters.relay import PermanentRelayError, RelayRequest, TemporaryRelayError
from gateway.adapters.relay_hylafax import HylafaxRelay


def blank_pdf() -> bytes:
    """A one-page A4 PDF with a correct cross-reference table."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> >>"]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def blank_tiff(width: int = 1728, height: int = 64) -> bytes:
    """An uncompressed bilevel fax-width TIFF (white, 204 x 196 dpi) with one dark line."""
    row = width // 8
    pixels = bytes(row * (height // 2)) + b"\xff" * row + bytes(row * (height - height // 2 - 1))
    entries = [  # (tag, type, count, value): type 3 SHORT, 4 LONG, 5 RATIONAL
        (256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 1), (259, 3, 1, 1), (262, 3, 1, 0),
        (273, 4, 1, None), (277, 3, 1, 1), (278, 4, 1, height), (279, 4, 1, len(pixels)),
        (282, 5, 1, None), (283, 5, 1, None), (296, 3, 1, 2),
    ]
    ifd_size = 2 + 12 * len(entries) + 4
    resolutions = 8 + ifd_size
    strip = resolutions + 16
    values = {273: strip, 282: resolutions, 283: resolutions + 8}
    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        value = values.get(tag, value)
        ifd += struct.pack("<HHI", tag, kind, count) + (struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value))
    ifd += struct.pack("<I", 0)
    return b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<IIII", 204, 1, 196, 1) + pixels


def request(document: bytes, content_type: str, dial_string: str = "00354321111", sender: str = "clerk@city.example.jp"):
    return RelayRequest(job_id="job-1", number="+81354321111", dial_string=dial_string, document=document,
                        filename="notice.pdf" if content_type == "application/pdf" else "notice.tif",
                        content_type=content_type, sender=sender)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(("document", "content_type", "kind"), [
    (blank_pdf(), "application/pdf", "PDF"),
    (blank_tiff(), "image/tiff", "TIFF"),
], ids=["pdf", "tiff"])
def test_relayed_job_is_queued_with_the_exact_dial_string_and_bytes(hylafax_queue, document, content_type, kind):
    job_id = HylafaxRelay(*hylafax_queue, timeout=10).send(request(document, content_type))

    job = hylafax_queue.wait_scheduled(job_id)
    assert job["dial_string"] == "00354321111"
    # Never dialled (no modem): READY, or BLOCKED behind another job to the same number.
    assert job["state"] in ("READY", "BLOCKED")
    assert job["sender"] == "clerk@city.example.jp"
    assert [stored["type"] for stored in job["documents"]] == [kind]
    stored = hylafax_queue.fetch_document(job["documents"][0]["path"])
    assert sha256(stored) == sha256(document)
    assert hylafax_queue.job_ids() == [job_id]


def test_dash_separators_are_removed_and_nothing_else(hylafax_queue):
    job_id = HylafaxRelay(*hylafax_queue, timeout=10).send(request(blank_pdf(), "application/pdf", "0-03-5432-1111"))

    assert hylafax_queue.job(job_id)["dial_string"] == "00354321111"


@pytest.mark.parametrize(("field", "value"), [
    ("dial_string", "00354321111\r\nJSUBM"),
    ("sender", 'clerk@city.example.jp"\r\nJPARM DIALSTRING "0120000000'),
])
def test_control_characters_are_refused_before_anything_reaches_the_server(hylafax_queue, field, value):
    smuggling = request(blank_pdf(), "application/pdf", **{field: value})
    with socket.create_server(("127.0.0.1", 0)) as sentinel:
        sentinel.setblocking(False)
        with pytest.raises(PermanentRelayError, match="control character"):
            HylafaxRelay(*sentinel.getsockname(), timeout=1).send(smuggling)
        with pytest.raises(BlockingIOError):
            sentinel.accept()  # no connection was even opened

    with pytest.raises(PermanentRelayError, match="control character"):
        HylafaxRelay(*hylafax_queue, timeout=10).send(smuggling)
    assert hylafax_queue.queued_jobs() == []


def test_non_digits_in_the_dial_string_are_refused(hylafax_queue):
    with pytest.raises(PermanentRelayError, match="digits"):
        HylafaxRelay(*hylafax_queue, timeout=10).send(request(blank_pdf(), "application/pdf", "0354,321111"))
    assert hylafax_queue.queued_jobs() == []


def test_closed_port_is_a_temporary_error():
    # A bound socket that never listens: connecting is refused, and no one else can take the port.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        with pytest.raises(TemporaryRelayError, match="unreachable"):
            HylafaxRelay(*closed.getsockname(), timeout=5).send(request(blank_pdf(), "application/pdf"))


def test_silent_server_is_a_temporary_error():
    # Accepts the connection (the kernel does) but never greets: the relay's timeout must end it.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        with pytest.raises(TemporaryRelayError, match="TimeoutError"):
            HylafaxRelay(*silent.getsockname(), timeout=0.5).send(request(blank_pdf(), "application/pdf"))


@contextmanager
def login_answered_with(reply: str):
    """A one-connection server that greets, then answers the login with ``reply``."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(5)

        def serve():
            connection, _ = listener.accept()
            with connection, connection.makefile("rwb") as stream:
                stream.write(b"220 test server ready.\r\n")
                stream.flush()
                stream.readline()
                stream.write(reply.encode() + b"\r\n")
                stream.flush()

        thread = threading.Thread(target=serve)
        thread.start()
        yield listener.getsockname()
        thread.join(timeout=5)


@pytest.mark.parametrize(("reply", "error"), [
    ("421 Service not available, closing control connection.", TemporaryRelayError),
    ("530 User faxgate access denied.", PermanentRelayError),
    ("331 Password required for faxgate.", PermanentRelayError),
])
def test_server_replies_decide_between_retry_and_failure(reply, error):
    with login_answered_with(reply) as (host, port):
        with pytest.raises(error, match=re.escape(reply)) as raised:
            HylafaxRelay(host, port, timeout=5).send(request(blank_pdf(), "application/pdf"))
    assert host not in str(raised.value) and str(port) not in str(raised.value)
