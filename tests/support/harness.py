"""Real peers for gateway tests: an aiosmtpd fax server and mail sink on loopback, an app on a
fresh SQLite database, staff, a directory, and a running gateway."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import smtplib
import socket
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import httpx
from aiosmtpd.controller import Controller

from directory import changes
from directory.formats.reading import read_book
from directory.importer import plan_import
from gateway.storage.directory_tables import ChangeRequest, DirectoryEntry, utcnow
from directory.entries import ImportResult, apply_import, change_entry
from gateway.services import confirm as approvals
from gateway.bootstrap import App
from gateway.config import Config, DatabaseConfig, HttpConfig, MailConfig, PolicyConfig, RelayConfig, SmtpConfig
from gateway.records.config import CA_FILE, CERT_FILE, KEY_FILE, RecordsConfig
from gateway.records.pki import init_ca
from gateway.services.users import add_user, new_token

DOMAIN = "fax.example.jp"
MAKER, CHECKER = "yamada", "kimura"  # the two administrators of the directory tests


@contextmanager
def db_session(app: App, dry_run: bool = False):
    """Tests look at rows directly; the product reaches them only through the repositories."""
    with app.unit_of_work(dry_run=dry_run) as uow:
        yield uow.session


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    @property
    def message(self):
        return email.message_from_bytes(self.content, policy=email.policy.default)

    def attachment(self) -> bytes:
        parts = [p for p in self.message.iter_attachments()]
        assert len(parts) == 1
        return parts[0].get_content()


@dataclass
class SinkHandler:
    """Stores what it receives; ``refuse`` makes it answer with that reply instead."""

    received: list[Received] = field(default_factory=list)
    refuse: str | None = None

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return self.refuse
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 2.0.0 Ok: queued"


class SmtpSink:
    """A real SMTP server on loopback (the fax server, or the mail server for notices)."""

    def __init__(self, port: int | None = None):
        self.handler = SinkHandler()
        self.port = port or free_port()
        self.controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def start(self) -> "SmtpSink":
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, ready_timeout=10)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None

    def wait_for(self, count: int, timeout: float = 20) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            assert time.monotonic() < deadline, f"expected {count} message(s), got {len(self.received)}"
            time.sleep(0.05)
        return self.received


_KEYS: dict[str, RecordsConfig] = {}


def signing_keys() -> RecordsConfig:
    """One local CA and signing key for the whole test session (as `faxgate records init-ca`)."""
    if "session" not in _KEYS:
        directory = Path(tempfile.mkdtemp(prefix="faxgate-keys-"))
        init_ca(directory / "keys")
        base = directory / "keys"
        _KEYS["session"] = RecordsConfig(key_file=str(base / KEY_FILE), cert_file=str(base / CERT_FILE),
                                         chain_file=str(base / CA_FILE), trust_root=str(base / CA_FILE))
    return _KEYS["session"]


def make_config(tmp_path: Path, fax_port: int, mail_port: int, policy_text: str | None = None, **smtp) -> Config:
    policy_file = ""
    if policy_text is not None:
        policy_path = tmp_path / "policy.toml"
        policy_path.write_text(policy_text, encoding="utf-8")
        policy_file = str(policy_path)
    return Config(
        database=DatabaseConfig(url=f"sqlite:///{tmp_path}/faxgate.db"),
        smtp=SmtpConfig(host="127.0.0.1", port=0, domain=DOMAIN, **smtp),
        http=HttpConfig(host="127.0.0.1", port=0),
        relay=RelayConfig(url=f"smtp://127.0.0.1:{fax_port}", domain="faxserver.example.jp"),
        mail=MailConfig(url=f"smtp://127.0.0.1:{mail_port}"),
        policy=PolicyConfig(file=policy_file),
        records=signing_keys(),
    )


DIRECTORY_CSV = (
    "slot,name,organization,fax,last_used,kind,extension,verified_on\n"
    "1,子ども家庭支援係,世田谷区,0-03-5432-1111,{today},external,,{today}\n"
    "2,要確認の登録,株式会社あおぞら,03-5432-2222,{today},external,,\n"
    "3,古い登録,旧事務所,0-03-5432-3333,2020-01-01,external,,2020-01-01\n"
    "4,国保課,世田谷区,0-03-6000-1234,{today},internal,1234,{today}\n"
)


def seed(app: App) -> dict[str, str]:
    """Staff of one department and another, a directory; returns API tokens by user name."""
    tokens = {}
    with app.unit_of_work() as uow:
        people = [
            ("sato", "staff", "sato@city.example.jp", "保健福祉課"),
            ("suzuki", "approver", "suzuki@city.example.jp", "保健福祉課"),
            ("tanaka", "approver", "tanaka@city.example.jp", "保健福祉課"),
            ("kato", "approver", "kato@city.example.jp", "区民課"),
            ("ito", "approver", "ito@city.example.jp", "保健福祉課"),
        ]
        for name, role, mail, department in people:
            tokens[name] = new_token(uow, add_user(uow, name, role, mail, department, None, "test"), "test")
        import_approved(uow, app, DIRECTORY_CSV.format(today=dt.date.today().isoformat()).encode(), "generic")
    return tokens


def import_approved(uow, app: App, data: bytes, fmt: str | None = None, profile=None) -> ImportResult:
    """Import a book as one administrator and approve it as another, through the directory's own
    maker-checker (directory.changes), so the entries are usable as after a real approval.
    `profile`: the PBX the book's dial strings are read with (default `[pbx]`)."""
    result = apply_import(uow, plan_import(read_book(data, fmt), profile or app.profile), "user:harness-maker", "seed")
    if result.change is not None:
        decision = changes.settle(uow, result.change, "user:harness-checker", True, True, "", utcnow())
        assert decision.status == 200, decision
    return result


def change_approved(uow, app: App, slot: int, **fields) -> DirectoryEntry:
    """An administrator's edit of one entry, approved by a second one when it needs that."""
    entry = change_entry(uow, slot, "user:harness-maker", app.profile, **fields)
    if entry.pending_change_id is not None:
        request = uow.session.get(ChangeRequest, entry.pending_change_id)
        decision = changes.settle(uow, request, "user:harness-checker", True, True, "", utcnow())
        assert decision.status == 200, decision
    return entry


def fax_message(document: bytes, to: str = f"FAX=+81354321111@{DOMAIN}", sender: str = "sato@city.example.jp",
                filename: str = "application.pdf", maintype: str = "application", subtype: str = "pdf") -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, "fax"
    message.set_content("送付します。")
    message.add_attachment(document, maintype=maintype, subtype=subtype, filename=filename)
    return message


def submit(port: int, message: EmailMessage, rcpt: list[str] | None = None) -> tuple[int, str]:
    """Send one message with smtplib; returns the final reply (code, text)."""
    rcpt = rcpt or [message["To"]]
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo("mfd-3f.city.example.jp")
        code, text = client.mail(message["From"])
        if code != 250:
            return code, text.decode()
        for address in rcpt:
            code, text = client.rcpt(address)
            if code not in (250, 251):
                return code, text.decode()
        code, text = client.data(message.as_bytes(policy=email.policy.SMTP))
        return code, text.decode()


def wait_state(app: App, job_id: str, states: set[str], timeout: float = 30) -> str:
    from gateway.storage.tables import Job

    deadline = time.monotonic() + timeout
    while True:
        with db_session(app) as session:
            state = session.get(Job, job_id).state
        if state in states:
            return state
        assert time.monotonic() < deadline, f"job {job_id} stuck in {state}, expected {states}"
        time.sleep(0.05)


def queued_id(reply: tuple[int, str]) -> str:
    code, text = reply
    assert code == 250 and "queued as" in text, reply
    return text.rsplit(" ", 1)[1]


def race(workers, step: str) -> None:
    """Start every worker's ``step`` (screen_one / relay_one) at the same instant and let each
    repeat it until it finds nothing more to do: the concurrent claims the promise is about."""
    start = threading.Barrier(len(workers))

    def run(worker):
        start.wait()
        while getattr(worker, step)():
            pass

    threads = [threading.Thread(target=run, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)


def api(gateway, token: str) -> httpx.Client:
    """The HTTP API of a running gateway as the holder of ``token``."""
    return httpx.Client(base_url=f"http://127.0.0.1:{gateway.http_port}", headers={"Authorization": f"Bearer {token}"},
                        timeout=30)


def view_every_page(client: httpx.Client, job_id: str) -> None:
    """What a person does before confirming through the API: fetch every page of the job (when
    they may see it at all: someone who may not is refused by the confirmation itself)."""
    job = client.get(f"/api/jobs/{job_id}")
    pages = job.json()["pages"] or 0 if job.status_code == 200 else 0
    for page in range(1, pages + 1):
        assert client.get(f"/api/jobs/{job_id}/pages/{page}.png").status_code == 200


def confirm_by_api(client: httpx.Client, job_id: str, number: str) -> httpx.Response:
    """`POST /api/jobs/{id}/confirm` after looking at every page, as the rules ask."""
    view_every_page(client, job_id)
    return client.post(f"/api/jobs/{job_id}/confirm", json={"number": number})


def confirm_after_viewing(uow, job, user, number: str, policy) -> approvals.Answer:
    """approvals.confirm by someone who has looked at every page (as the web or API records it)."""
    for page in range(1, (job.pages or 0) + 1):
        uow.page_views.record(user.id, job.id, job.content_sha256, page)
    return approvals.confirm(uow, job, user, number, policy)


def add_extension_only_entry(app, slot=5, extension="5678") -> None:
    """An in-house destination the directory knows by its extension alone (no outside number)."""
    with db_session(app) as session:
        session.add(DirectoryEntry(slot=slot, name="会計課", organization="世田谷区", kind="internal", e164=None,
                                   extension=extension, status="active", last_used=dt.date.today(),
                                   verified_on=dt.date.today()))
