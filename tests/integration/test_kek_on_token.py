"""The key-encryption key on a PKCS#11 token (issue 16 follow-up), against a real SoftHSM2
token: the first start makes the KEK on the token (sensitive, not extractable: it never leaves
it), every data key is wrapped there by AES-GCM and opens again in a new process; `faxgate keys
rotate` makes a new key on the token, re-wraps every data key, destroys the old key and is
audited; a wrong PIN, no PIN or a missing token fails closed like a missing KEK file (/readyz 503,
SMTP intake 451 4.3.0), and the gateway comes back once the token is right."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from gateway.bootstrap import App
from gateway.config import KeysConfig
from gateway.entrypoints.serve import BackgroundGateway
from gateway.storage.kek import AtRestKeyError
from gateway.storage.tables import AuditEvent, DataKey, JobBlob
from tests.support import docgen, softhsm
from tests.support.harness import fax_message, make_config, queued_id, seed, submit, wait_state

pkcs11 = pytest.importorskip("pkcs11", reason="python-pkcs11 not installed (pip install -e '.[test]')")
from pkcs11 import Attribute, ObjectClass  # noqa: E402
from pkcs11.exceptions import AttributeSensitive  # noqa: E402

from gateway.storage.kek_token import token_kek_id  # noqa: E402

MODULE = softhsm.MODULE
TOKEN, PIN, SO_PIN = "faxgate-kek", "5190-2263", "73645182"
LABEL, PIN_ENV = "faxgate-data-kek", "FAXGATE_KEK_PIN"
PAGE = [[(20, 20, "送付のご案内", 16), (20, 40, "会議資料を送付します。", 11)]]


@pytest.fixture(scope="module")
def token(tmp_path_factory) -> str:
    if not softhsm.available():
        pytest.skip("SoftHSM2 not installed (apt-get install softhsm2)")
    softhsm.init_token(TOKEN, SO_PIN, PIN)
    return TOKEN


def _keys(label: str = TOKEN) -> KeysConfig:
    return KeysConfig(pkcs11_key_label=LABEL, pkcs11_module=MODULE, pkcs11_token_label=label, pkcs11_pin_env=PIN_ENV)


def _app(tmp_path, fax, mail, token_label: str = TOKEN) -> App:
    """The app with the KEK on the token, its signing key copied into a keys directory of its own:
    the session's shared one holds the other tests' KEK file, which a token app must not make."""
    config = make_config(tmp_path, fax.port, mail.port)
    keys = tmp_path / "keys"
    keys.mkdir(exist_ok=True)
    for name in ("key_file", "cert_file"):
        shutil.copy(getattr(config.records, name), keys)
    records = dataclasses.replace(config.records, key_file=str(keys / Path(config.records.key_file).name),
                                  cert_file=str(keys / Path(config.records.cert_file).name))
    return App(dataclasses.replace(config, records=records, keys=_keys(token_label)))


def _on_token() -> list:
    with pkcs11.lib(MODULE).get_token(token_label=TOKEN).open() as session:  # logged in already by the gateway
        return [(bytes(k[Attribute.ID]), k[Attribute.SENSITIVE], k[Attribute.EXTRACTABLE], _value_readable(k))
                for k in session.get_objects({Attribute.CLASS: ObjectClass.SECRET_KEY, Attribute.LABEL: LABEL})]


def _value_readable(key) -> bool:
    try:
        key[Attribute.VALUE]
        return True
    except AttributeSensitive:
        return False


def _faxgate(config_file: Path, environ: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gateway", "--config", str(config_file), *args],
                          capture_output=True, text=True, timeout=120, env=os.environ | environ)


def _config_file(tmp_path, app: App, token_label: str = TOKEN) -> Path:
    path = tmp_path / "faxgate.toml"
    path.write_text(f'[database]\nurl = "{app.config.database.url}"\n[records]\nkey_file = "{app.config.records.key_file}"\n'
                    f'cert_file = "{app.config.records.cert_file}"\n'
                    f'[keys]\npkcs11_key_label = "{LABEL}"\npkcs11_module = "{MODULE}"\n'
                    f'pkcs11_token_label = "{token_label}"\npkcs11_pin_env = "{PIN_ENV}"\n', encoding="utf-8")
    return path


def _ready(gateway) -> httpx.Response:
    return httpx.get(f"http://127.0.0.1:{gateway.http_port}/readyz", timeout=10)


def test_data_keys_are_wrapped_on_the_token_and_rotation_makes_a_new_key(token, tmp_path, fax, mail, monkeypatch):
    monkeypatch.setenv(PIN_ENV, PIN)
    app = _app(tmp_path, fax, mail)
    seed(app)
    documents = [docgen.text_pdf([[(20, 20, f"送付のご案内 {n}", 16)]]) for n in range(3)]
    with BackgroundGateway(app, idle_seconds=0.1) as gateway:
        jobs = [queued_id(submit(gateway.smtp_port, fax_message(d))) for d in documents]
        for job_id in jobs:
            wait_state(app, job_id, {"awaiting_confirmation"})
    [(object_id, sensitive, extractable, readable)] = _on_token()
    assert sensitive and not extractable and not readable, "the KEK never leaves the token"
    assert not Path(app.kek_file).exists(), "no KEK file is made"
    with app.unit_of_work(read_only=True) as uow:
        assert {k.kek_id for k in uow.session.scalars(select(DataKey))} == {token_kek_id(object_id)}
        sealed_before = {b.job_id: b.stored_document for b in uow.session.scalars(select(JobBlob))}

    # Another process opens the documents through the token, then rotates.
    config_file = _config_file(tmp_path, app)
    status = _faxgate(config_file, {PIN_ENV: PIN}, "keys", "status")
    assert status.returncode == 0 and f"PKCS#11 {TOKEN}/{LABEL}" in status.stdout, status.stdout + status.stderr
    rotated = _faxgate(config_file, {PIN_ENV: PIN}, "keys", "rotate", "--by", "cli:admin")
    assert rotated.returncode == 0 and "3 data key(s) re-wrapped" in rotated.stdout, rotated.stdout + rotated.stderr

    [(new_id, sensitive, extractable, _)] = _on_token()
    assert new_id != object_id and sensitive and not extractable, "a new key on the token, the old one destroyed"
    with app.unit_of_work(read_only=True) as uow:
        assert {k.kek_id for k in uow.session.scalars(select(DataKey))} == {token_kek_id(new_id)}
        assert {b.job_id: b.stored_document for b in uow.session.scalars(select(JobBlob))} == sealed_before
        [event] = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "keys.rotated"))
        assert event.actor == "cli:admin" and event.data["rewrapped"] == 3
        assert event.data["previous"] == token_kek_id(object_id) and event.data["current"] == token_kek_id(new_id)
    app.token_keyring.close()

    restarted = _app(tmp_path, fax, mail)  # this process's old session saw the old key only
    for job_id, document in zip(jobs, documents):
        with restarted.unit_of_work(read_only=True) as uow:
            assert hashlib.sha256(uow.jobs.blob(job_id).document).hexdigest() == hashlib.sha256(document).hexdigest()
    restarted.token_keyring.close()


@pytest.mark.parametrize("problem", ["pkcs11_pin_incorrect", "pkcs11_pin_missing", "pkcs11_token"])
def test_a_wrong_pin_or_missing_token_fails_closed(problem, token, tmp_path, fax, mail, monkeypatch):
    monkeypatch.setattr(App, "KEK_CHECK_SECONDS", 0.2)
    monkeypatch.setenv(PIN_ENV, PIN)
    app = _app(tmp_path, fax, mail)
    seed(app)
    document = docgen.text_pdf(PAGE)
    with BackgroundGateway(app, worker=False) as gateway:
        waiting = queued_id(submit(gateway.smtp_port, fax_message(document)))
    app.token_keyring.close()  # logged out: the next opening asks for the PIN again

    if problem == "pkcs11_pin_incorrect":
        monkeypatch.setenv(PIN_ENV, "0000-0000")
    elif problem == "pkcs11_pin_missing":
        monkeypatch.delenv(PIN_ENV)
    app = _app(tmp_path, fax, mail, "no-such-token" if problem == "pkcs11_token" else TOKEN)
    with BackgroundGateway(app, idle_seconds=0.1) as gateway:
        answer = _ready(gateway)
        assert answer.status_code == 503 and answer.json()["code"] == problem, answer.json()
        assert answer.json()["status"] == "key-encryption key unusable"
        assert "0000-0000" not in answer.text, "the PIN itself is never shown"
        code, text = submit(gateway.smtp_port, fax_message(document))
        assert code == 451 and "4.3.0" in text, (code, text)
        time.sleep(1.0)  # the worker had time to take the waiting job: it must not
        assert wait_state(app, waiting, {"received"}) == "received"
        with pytest.raises(AtRestKeyError):
            app.keyring()
    app.token_keyring.close()

    monkeypatch.setenv(PIN_ENV, PIN)  # the token put right: the same gateway comes back
    app = _app(tmp_path, fax, mail)
    with BackgroundGateway(app, idle_seconds=0.1) as gateway:
        deadline = time.monotonic() + 20
        while _ready(gateway).status_code != 200:
            assert time.monotonic() < deadline, _ready(gateway).json()
            time.sleep(0.2)
        assert wait_state(app, waiting, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
    app.token_keyring.close()
