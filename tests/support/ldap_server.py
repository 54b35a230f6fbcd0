"""A real OpenLDAP server (Debian's slapd) on loopback for the LDAP sign-in tests.

Each server gets a private directory with a generated slapd.conf (mdb backend, suffix
dc=city,dc=example,dc=jp, ACLs like a real office's: anonymous may only bind, signed-in
accounts read), a TLS certificate from a throw-away CA for StartTLS, and entries loaded with
slapadd before it starts: people with salted SHA passwords, groupOfNames groups and a service
account. It runs in the foreground as a child process, on a free port, and is stopped by its PID.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SLAPD = Path("/usr/sbin/slapd")
SLAPADD = Path("/usr/sbin/slapadd")
SCHEMA = Path("/etc/ldap/schema")
MODULES = Path("/usr/lib/ldap")
START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0

SUFFIX = "dc=city,dc=example,dc=jp"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "slapd root password"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
SERVICE_DN = f"cn=faxgate,ou=services,{SUFFIX}"
SERVICE_PASSWORD = "service account password"


@dataclass(frozen=True)
class Person:
    uid: str
    password: str
    mail: str | None
    groups: tuple[str, ...]  # cn of each group

    @property
    def dn(self) -> str:
        return f"uid={self.uid},{PEOPLE}"


# The office's directory: who is in which faxgate group.
STAFF = [
    Person("takahashi", "takahashi ldap password", "takahashi@city.example.jp", ("fax-approvers-hoken",)),
    Person("watanabe", "watanabe ldap password", "watanabe@city.example.jp", ("fax-staff-hoken",)),
    Person("nakamura", "nakamura ldap password", "nakamura@city.example.jp", ("fax-approvers-hoken", "privacy-officers")),
    Person("hayashi", "hayashi ldap password", "hayashi@city.example.jp", ()),  # not a faxgate user
    Person("shimizu", "shimizu ldap password", None, ("fax-staff-hoken",)),  # no mail attribute
    Person("yamada", "yamada ldap password", "yamada.ldap@city.example.jp", ("fax-staff-hoken",)),  # a local name
]
GROUP_NAMES = ("fax-staff-hoken", "fax-approvers-hoken", "privacy-officers", "fax-admins")


def group_dn(cn: str) -> str:
    return f"cn={cn},{GROUPS}"


def ssha(password: str) -> str:
    salt = os.urandom(8)
    return "{SSHA}" + base64.b64encode(hashlib.sha1(password.encode() + salt).digest() + salt).decode()


def _ldif() -> str:
    blocks = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: city\no: City",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people",
        f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups",
        f"dn: ou=services,{SUFFIX}\nobjectClass: organizationalUnit\nou: services",
        f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: faxgate\n"
        f"userPassword: {ssha(SERVICE_PASSWORD)}",
    ]
    for person in STAFF:
        mail = f"\nmail: {person.mail}" if person.mail else ""
        blocks.append(f"dn: {person.dn}\nobjectClass: inetOrgPerson\nuid: {person.uid}\ncn: {person.uid}\n"
                      f"sn: {person.uid}{mail}\nuserPassword: {ssha(person.password)}")
    for cn in GROUP_NAMES:
        members = [p.dn for p in STAFF if cn in p.groups] or [ROOT_DN]  # groupOfNames needs a member
        blocks.append(f"dn: {group_dn(cn)}\nobjectClass: groupOfNames\ncn: {cn}\n"
                      + "\n".join(f"member: {dn}" for dn in members))
    return "\n\n".join(blocks) + "\n"


def _slapd_conf(base: Path) -> str:
    return f"""
include {SCHEMA}/core.schema
include {SCHEMA}/cosine.schema
include {SCHEMA}/inetorgperson.schema
include {SCHEMA}/nis.schema
modulepath {MODULES}
moduleload back_mdb
pidfile {base}/slapd.pid
TLSCACertificateFile {base}/ca.pem
TLSCertificateFile {base}/server.pem
TLSCertificateKeyFile {base}/server.key

database mdb
maxsize 10485760
suffix "{SUFFIX}"
rootdn "{ROOT_DN}"
rootpw {ssha(ROOT_PASSWORD)}
directory {base}/data
access to attrs=userPassword by self write by anonymous auth by * none
access to * by users read by * none
"""


def _certificates(base: Path) -> None:
    """A throw-away CA and a server certificate for 127.0.0.1 and localhost."""
    now = dt.datetime.now(dt.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "faxgate test LDAP CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1))
          .not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    server = (x509.CertificateBuilder()
              .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
              .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=2))
              .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                          x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                             critical=False)
              .sign(ca_key, hashes.SHA256()))
    (base / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (base / "server.pem").write_bytes(server.public_bytes(serialization.Encoding.PEM))
    (base / "server.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()))


class SlapdServer:
    def __init__(self, port: int):
        self.port = port
        self.base = Path(tempfile.mkdtemp(prefix="faxgate-slapd-"))
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ca_file(self) -> str:
        return str(self.base / "ca.pem")

    def start(self) -> "SlapdServer":
        (self.base / "data").mkdir()
        _certificates(self.base)
        conf = self.base / "slapd.conf"
        conf.write_text(_slapd_conf(self.base), encoding="utf-8")
        (self.base / "data.ldif").write_text(_ldif(), encoding="utf-8")
        loaded = subprocess.run([str(SLAPADD), "-q", "-f", str(conf), "-l", str(self.base / "data.ldif")],
                                capture_output=True, text=True, timeout=60)
        if loaded.returncode:
            raise RuntimeError(f"slapadd failed: {loaded.stderr}")
        # -d 0: stay in the foreground (a child we can stop by its PID), logging nothing.
        self.process = subprocess.Popen([str(SLAPD), "-d", "0", "-f", str(conf), "-h", f"{self.url}/"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        from ldap3 import Connection, Server

        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"slapd exited: {self.process.stderr.read().decode(errors='replace')}")
            try:
                with Connection(Server(self.url, connect_timeout=1), ROOT_DN, ROOT_PASSWORD, auto_bind=True,
                                receive_timeout=2):
                    return
            except Exception:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"slapd did not answer within {START_TIMEOUT} s") from None
                time.sleep(0.1)

    def admin(self):
        """A connection as the directory's administrator, to change entries during a test."""
        from ldap3 import Connection, Server

        return Connection(Server(self.url, connect_timeout=5), ROOT_DN, ROOT_PASSWORD, auto_bind=True, receive_timeout=5)

    def remove_from_group(self, person: Person, cn: str) -> None:
        from ldap3 import MODIFY_DELETE

        with self.admin() as connection:
            assert connection.modify(group_dn(cn), {"member": [(MODIFY_DELETE, [person.dn])]}), connection.result

    def add_to_group(self, person: Person, cn: str) -> None:
        from ldap3 import MODIFY_ADD

        with self.admin() as connection:
            assert connection.modify(group_dn(cn), {"member": [(MODIFY_ADD, [person.dn])]}), connection.result

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT)
        if self.process and self.process.stderr:
            self.process.stderr.close()
        shutil.rmtree(self.base, ignore_errors=True)


def slapd_available() -> None:
    if not (SLAPD.exists() and SLAPADD.exists()):
        if os.environ.get("CI"):
            pytest.fail("slapd is not installed; scripts/setup.sh test must apt-get install slapd ldap-utils")
        pytest.skip("OpenLDAP server not installed (apt-get install slapd ldap-utils)")
