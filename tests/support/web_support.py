"""Helpers for the web app's tests: people with passwords (two departments, two admins, an
auditor), jobs stored and screened by the real worker, and signing in over real HTTP."""

from __future__ import annotations

import functools
import hashlib
import re

import httpx
from argon2 import PasswordHasher

from gateway.services import jobs
from gateway.bootstrap import App
from gateway.storage.tables import Job, User
from gateway.services.users import add_user
from gateway.entrypoints.worker import Worker
from tests.support import docgen
from tests.support.harness import db_session, DOMAIN, seed

PASSWORD = "correct horse battery staple"
CLEAN_PAGES = [
    [(20, 20, "送付のご案内", 16), (20, 40, "会議資料を送付します。担当: 保健福祉課 佐藤", 11)],
    [(20, 20, "資料 2ページ目", 14)],
]
PERSONAL_PAGES = [[(20, 20, "産後ケア事業 利用申請書", 14), (20, 40, "生年月日 昭和60年4月1日", 11), (20, 55, "既往歴: 喘息", 11)]]
# Beside tests.support.harness.seed's staff: who manages the directory and who audits.
MORE_PEOPLE = [
    ("yamada", "admin", "yamada@city.example.jp", "情報政策課"),
    ("kimura", "admin", "kimura@city.example.jp", "情報政策課"),
    ("mori", "auditor", "mori@city.example.jp", "監査室"),
]
# The destination's number in the ways a page could leak it.
HIDDEN_NUMBER_FORMS = ("5432-1111", "54321111", "5432 1111")


@functools.cache
def _password_hash() -> str:
    """argon2 is slow on purpose; a verification reads its cost from the stored hash, so the
    test people get a cheap one (the login code is the same)."""
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


def populate(app: App) -> dict[str, str]:
    """harness.seed's staff and MORE_PEOPLE, all with a password; returns the staff's API tokens."""
    tokens = seed(app)
    with app.unit_of_work() as uow:
        for name, role, email, department in MORE_PEOPLE:
            add_user(uow, name, role, email, department, None, "test")
        for user in uow.session.query(User):
            user.password_hash = _password_hash()
    return tokens


def stored_job(app: App, sender: str = "sato", pages=CLEAN_PAGES, to: str = "+81354321111") -> str:
    """A job as the intake stores it, then screened by the real worker (document rendering included)."""
    document = docgen.text_pdf(pages)
    recipient = f"FAX={to}@{DOMAIN}"
    with app.unit_of_work() as uow:
        user = uow.session.query(User).filter_by(name=sender).one()
        [job_id] = jobs.create_jobs(uow, [dict(
            message=b"raw", document=document, actor="test", submitter_id=user.id, submitter_email=user.email,
            department=user.department, identity_source="test", device="test", client_address="127.0.0.1",
            envelope_from=user.email, recipient=recipient, destination_kind="e164", destination_input=recipient.split("@")[0],
            content_sha256=hashlib.sha256(document).hexdigest(), content_type="application/pdf", filename="資料.pdf",
            size=len(document),
        )])
    assert Worker(app).screen_one()
    return job_id


def job_state(app: App, job_id: str) -> str:
    with db_session(app) as session:
        return session.get(Job, job_id).state


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def browser(port: int) -> httpx.Client:
    return httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30, follow_redirects=False)


def sign_in(client: httpx.Client, account: str, password: str = PASSWORD) -> httpx.Response:
    form = client.get("/login")
    return client.post("/login", data={"account": account, "password": password, "csrf_token": csrf_token(form.text)})


def signed_in(port: int, account: str) -> httpx.Client:
    client = browser(port)
    answer = sign_in(client, account)
    assert answer.status_code == 303, answer.text
    return client


def page_csrf(client: httpx.Client, path: str = "/jobs") -> str:
    return csrf_token(client.get(path).text)
