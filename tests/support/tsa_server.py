"""A real RFC 3161 time-stamping authority for tests: pyHanko's DummyTimeStamper (it signs
time-stamp tokens with its own RSA key) behind an HTTP server on loopback that answers
`application/timestamp-query` POSTs with `application/timestamp-reply`, as a TSA does.

The TSA's certificate is issued by a CA of its own (not the records' CA); `ca_pem` is that
CA, for `[records] tsa_trust_root`. Not tests, a helper for them.
"""

from __future__ import annotations

import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

TSA_NAME = "faxgate test TSA"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _usage(**allowed: bool) -> x509.KeyUsage:
    flags = dict(digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
                 key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False)
    return x509.KeyUsage(**{**flags, **allowed})


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


class TsaServer:
    def __init__(self, directory: Path, port: int = 0, years: int = 20):
        now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
        until = now + dt.timedelta(days=365 * years)
        ca_key = rsa.generate_private_key(65537, 2048)
        ca = (x509.CertificateBuilder().subject_name(_name("faxgate test TSA root")).issuer_name(_name("faxgate test TSA root"))
              .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now).not_valid_after(until)
              .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
              .add_extension(_usage(key_cert_sign=True, crl_sign=True), critical=True)
              .sign(ca_key, hashes.SHA256()))
        key = rsa.generate_private_key(65537, 2048)
        certificate = (x509.CertificateBuilder().subject_name(_name(TSA_NAME)).issuer_name(ca.subject)
                       .public_key(key.public_key()).serial_number(x509.random_serial_number())
                       .not_valid_before(now).not_valid_after(until)
                       .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
                       .add_extension(_usage(digital_signature=True, content_commitment=True), critical=True)
                       .sign(ca_key, hashes.SHA256()))
        self.ca_pem = Path(directory) / "tsa-ca.pem"
        self.ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        der_key = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        self.stamper = DummyTimeStamper(_asn1(certificate), asn1_keys.PrivateKeyInfo.load(der_key), certs_to_embed=[_asn1(ca)])
        self.requests = 0
        self.port = port
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/tsa"

    def start(self) -> "TsaServer":
        tsa = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Type") != "application/timestamp-query":
                    self.send_error(415)
                    return
                tsa.requests += 1
                reply = tsa.stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
