"""Commands pipelined behind STARTTLS (reliability row 3; the STARTTLS command injection of
CVE-2011-0411): whatever the client sent in plaintext after STARTTLS must be thrown away, never
run once TLS is up as if it had come encrypted. The injected commands here are ones that would
succeed over TLS (EHLO, then MAIL from a loopback client, which needs no AUTH), so had they been
run the server would answer them unasked and take RCPT at once; a second connection, sending the
same MAIL over TLS itself, shows that RCPT is then accepted, so the 503 of the first is the
missing MAIL and nothing else."""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys

import pytest

from gateway.bootstrap import App
from gateway.entrypoints.serve import BackgroundGateway
from tests.support.harness import DOMAIN, make_config, seed

INJECTED = b"EHLO evil.example\r\nMAIL FROM:<sato@city.example.jp>\r\n"
RCPT = b"RCPT TO:<sd-1@" + DOMAIN.encode() + b">\r\n"


@pytest.fixture
def tls_gateway(tmp_path, peers):
    tls_dir = tmp_path / "tls"
    subprocess.run([sys.executable, "-m", "gateway", "tls", "self-signed", "--out", str(tls_dir)], check=True,
                   capture_output=True, timeout=60)
    app = App(make_config(tmp_path, peers[0].port, peers[1].port, tls_cert=str(tls_dir / "cert.pem"),
                          tls_key=str(tls_dir / "key.pem")))
    seed(app)
    context = ssl.create_default_context(cafile=str(tls_dir / "cert.pem"))
    context.check_hostname = False
    with BackgroundGateway(app) as gateway:
        yield gateway.smtp_port, context


class Conversation:
    """One SMTP connection, read reply by reply (a reply ends at its line without a hyphen)."""

    def __init__(self, sock):
        self.sock, self.buffer = sock, b""

    def reply(self, timeout: float = 10) -> bytes:
        self.sock.settimeout(timeout)
        while True:
            lines = self.buffer.split(b"\r\n")
            for index, line in enumerate(lines[:-1]):
                if line[3:4] != b"-":
                    reply = b"\r\n".join(lines[:index + 1])
                    self.buffer = b"\r\n".join(lines[index + 1:])
                    return reply
            chunk = self.sock.recv(4096)
            assert chunk, "connection closed"
            self.buffer += chunk

    def unasked(self, wait: float = 1.0) -> bytes:
        """Whatever the server sends without being asked within `wait` seconds."""
        self.sock.settimeout(wait)
        try:
            self.buffer += self.sock.recv(4096)
        except (socket.timeout, TimeoutError):
            pass
        found, self.buffer = self.buffer, b""
        return found

    def command(self, line: bytes) -> bytes:
        self.sock.sendall(line)
        return self.reply()


def _start_tls(port: int, context: ssl.SSLContext, after_starttls: bytes = b"") -> Conversation:
    plain = Conversation(socket.create_connection(("127.0.0.1", port), timeout=10))
    assert plain.reply().startswith(b"220")
    assert plain.command(b"EHLO mfd\r\n").startswith(b"250")
    plain.sock.sendall(b"STARTTLS\r\n" + after_starttls)  # one segment: the injection rides with STARTTLS
    assert plain.reply().startswith(b"220")
    assert plain.buffer == b"", "nothing more answered in plaintext"
    return Conversation(context.wrap_socket(plain.sock, server_hostname="fax.example.jp"))


def test_commands_pipelined_behind_starttls_are_discarded(tls_gateway):
    port, context = tls_gateway
    tls = _start_tls(port, context, after_starttls=INJECTED)
    assert tls.unasked() == b"", "the injected EHLO and MAIL were run over TLS"
    assert tls.command(b"EHLO mfd\r\n").startswith(b"250")
    refused = tls.command(RCPT)
    assert refused.startswith(b"503") and b"MAIL" in refused, refused  # no MAIL FROM in this session
    tls.sock.close()

    # The same MAIL sent over TLS itself: RCPT is taken, so the 503 above had no other cause.
    control = _start_tls(port, context)
    assert control.command(b"EHLO mfd\r\n").startswith(b"250")
    assert control.command(b"MAIL FROM:<sato@city.example.jp>\r\n").startswith(b"250")
    assert control.command(RCPT).startswith(b"250")
    control.sock.close()
