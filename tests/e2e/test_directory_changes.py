"""Two administrators for every directory change, through every door: the `faxgate` command
line (a real subprocess), the HTTP API, real SMTP submissions screened by the running worker,
and the first install of scripts/run.sh. (The web app's door: tests/e2e/test_web_http.py and
tests/e2e/test_web_browser.py.)"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from gateway.bootstrap import App
from gateway.core.office_time import office_stamp
from gateway.storage.tables import AuditEvent, Job
from tests.support import docgen
from tests.support.harness import db_session, CHECKER, MAKER, api, fax_message, make_config, queued_id, submit, wait_state
from tests.support.paths import REPO

TODAY = dt.date.today().isoformat()
CLEAN = [[(20, 20, "送付のご案内", 16), (20, 40, "会議資料を送付します。担当: 保健福祉課 佐藤", 11)]]
# Against tests.support.harness.DIRECTORY_CSV: slot 1 gets a new number, slot 7 is new.
CHANGED_BOOK = (
    "slot,name,organization,fax,last_used\n"
    f"1,子ども家庭支援係,世田谷区,0-03-5432-1119,{TODAY}\n"
    f"7,地域包括支援センター,社会福祉法人 みどり会,0-03-5432-7777,{TODAY}\n"
)


pytestmark = pytest.mark.world(admins=(MAKER, CHECKER))


@pytest.fixture
def faxgate(tmp_path):
    """The command line as a subprocess on the world's database."""
    config = tmp_path / "cli.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/faxgate.db"\n', encoding="utf-8")

    def faxgate(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "gateway", "--config", str(config), *args],
                              capture_output=True, text=True, timeout=60, cwd=REPO)

    return faxgate


def reasons(app: App, job_id: str) -> list[str]:
    with db_session(app) as session:
        return [reason["code"] for reason in session.get(Job, job_id).reasons]


def send(app: App, gateway, e164: str) -> str:
    job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(CLEAN), to=f"FAX={e164}@fax.example.jp")))
    wait_state(app, job_id, {"awaiting_confirmation", "blocked"})
    return job_id


def refused_at_rcpt(gateway, e164: str) -> str:
    """The reason code of a destination the directory can never accept (550 5.1.1 at RCPT)."""
    code, text = submit(gateway.smtp_port, fax_message(docgen.text_pdf(CLEAN), to=f"FAX={e164}@fax.example.jp"))
    assert (code, text.split()[0]) == (550, "5.1.1"), (code, text)
    return text.split()[1].rstrip(":")


def show(faxgate, slot: int) -> dict:
    return json.loads(faxgate("directory", "show", str(slot), "--json").stdout)


def test_an_import_waits_for_a_second_admin_then_its_entries_are_usable(world, faxgate, tmp_path):
    app, gateway, tokens, _, _ = world
    book = tmp_path / "book.csv"
    book.write_text(CHANGED_BOOK, encoding="utf-8")
    for by, why in (("sato", "有効な管理者ではありません"), ("nobody", "利用者 nobody はいません")):
        refused = faxgate("directory", "import", str(book), "--by", by, "--json")
        assert refused.returncode != 0 and why in refused.stderr
    assert faxgate("directory", "import", str(book)).returncode != 0, "--by is required"
    assert show(faxgate, 1)["e164"] == "+81354321111", "a refused import changes nothing"

    imported = faxgate("directory", "import", str(book), "--by", MAKER, "--json")
    assert imported.returncode == 0, imported.stderr
    report = json.loads(imported.stdout)
    change = report["change"]
    assert isinstance(change, int) and report["pending"] == 2 and report["pending_slots"] == [1, 7]
    again = json.loads(faxgate("directory", "import", str(book), "--by", MAKER, "--json").stdout)
    assert (again["change"], again["pending"]) == (None, 0), "re-importing the same file makes no new change"

    # Until approved, neither the new entry nor the changed one can be dialled; the device's
    # submission is still taken (the entry may become usable), then stopped with its reason.
    for number in ("+81354327777", "+81354321119"):
        assert reasons(app, send(app, gateway, number)) == ["entry_pending_approval"]

    maker, checker = api(gateway, tokens[MAKER]), api(gateway, tokens[CHECKER])
    assert maker.post(f"/api/directory/changes/{change}/approve").status_code == 403, "nobody approves their own change"
    assert api(gateway, tokens["suzuki"]).post(f"/api/directory/changes/{change}/approve").status_code == 403
    [waiting] = checker.get("/api/directory/changes").json()
    assert waiting["id"] == change and [e["slot"] for e in waiting["entries"]] == [1, 7]
    approved = checker.post(f"/api/directory/changes/{change}/approve", json={"note": "先方に確認済み"})
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    assert checker.post(f"/api/directory/changes/{change}/approve").status_code == 409, "no longer pending"

    job_id = send(app, gateway, "+81354327777")
    assert reasons(app, job_id) == [] and wait_state(app, job_id, {"awaiting_confirmation"})
    # A changed number is a new destination: its old use does not carry over, so it is checked
    # with the recipient before the first fax.
    assert (show(faxgate, 1)["last_used"], show(faxgate, 1)["verified_on"]) == (None, None)
    assert reasons(app, send(app, gateway, "+81354321119")) == ["stale"]
    with db_session(app) as session:
        actions = {e.action: e.actor for e in session.scalars(select(AuditEvent).where(
            AuditEvent.subject == f"directory_change:{change}"))}
    assert actions == {"directory.change_requested": f"user:{MAKER}", "directory.change_approved": f"user:{CHECKER}"}


def test_a_rejected_change_puts_the_entry_back_as_it_was(world, faxgate):
    app, gateway, tokens, _, _ = world
    before = show(faxgate, 1)
    edited = faxgate("directory", "set", "1", "--fax", "0-03-5432-1119", "--note", "移転", "--by", MAKER)
    assert edited.returncode == 0 and "承認待ち" in edited.stdout, edited.stderr
    change = show(faxgate, 1)["pending_change"]
    assert reasons(app, send(app, gateway, "+81354321119")) == ["entry_pending_approval"]
    assert refused_at_rcpt(gateway, "+81354321111") == "not_in_directory", "the old number is gone meanwhile"
    other = faxgate("directory", "set", "1", "--name", "別名", "--by", CHECKER)
    assert other.returncode != 0 and f"変更 #{change} の承認待ち" in other.stderr, "one change at a time per entry"

    maker, checker = api(gateway, tokens[MAKER]), api(gateway, tokens[CHECKER])
    assert maker.post(f"/api/directory/changes/{change}/reject", json={"reason": "取り下げ"}).status_code == 403
    assert checker.post(f"/api/directory/changes/{change}/reject", json={}).status_code == 422
    rejected = checker.post(f"/api/directory/changes/{change}/reject", json={"reason": "番号の根拠がない"})
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"
    assert checker.post(f"/api/directory/changes/{change}/reject", json={"reason": "x"}).status_code == 409
    after = show(faxgate, 1)
    assert {k: after[k] for k in ("e164", "last_used", "verified_on", "status", "pending_change")} == {
        "e164": before["e164"], "last_used": before["last_used"], "verified_on": before["verified_on"],
        "status": "active", "pending_change": None}
    assert reasons(app, send(app, gateway, "+81354321111")) == []


def test_cli_retire_at_once_reactivate_by_two_and_list_pending(world, faxgate):
    app, gateway, tokens, _, _ = world
    retired = faxgate("directory", "retire", "1", "--note", "統合", "--by", MAKER)
    assert retired.returncode == 0, retired.stderr
    assert refused_at_rcpt(gateway, "+81354321111") == "retired", "retiring is safe: it applies at once"
    with db_session(app) as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.subject == "directory_entry:1"))
        assert (event.actor, event.action, event.reason) == (f"user:{MAKER}", "directory.entry_changed", "統合")

    assert faxgate("directory", "reactivate", "1", "--by", MAKER).returncode == 0
    assert reasons(app, send(app, gateway, "+81354321111")) == ["entry_pending_approval"]
    listed = faxgate("directory", "changes")
    assert listed.returncode == 0 and "再有効化" in listed.stdout and "登録番号 1" in listed.stdout
    [change] = json.loads(faxgate("directory", "changes", "--json").stdout)
    asked = office_stamp(dt.datetime.fromisoformat(change["requested_at"]))
    assert asked.endswith(" JST") and asked in listed.stdout, "the office's time, its zone named"
    assert " JST " in faxgate("directory", "show", "1").stdout.split("履歴")[1]
    own = faxgate("directory", "approve", str(change["id"]), "--by", MAKER)
    assert own.returncode != 0 and "自分が行った変更" in own.stderr
    assert faxgate("directory", "approve", str(change["id"]), "--by", "sato").returncode != 0
    assert faxgate("directory", "approve", str(change["id"]), "--by", CHECKER).returncode == 0
    assert faxgate("directory", "approve", str(change["id"]), "--by", CHECKER).returncode != 0, "decided already"
    assert reasons(app, send(app, gateway, "+81354321111")) == []
    assert json.loads(faxgate("directory", "changes", "--json").stdout) == []


def run_sh_directory_step() -> str:
    """The line of scripts/run.sh that brings in the sample directory."""
    [line] = [line for line in (REPO / "scripts" / "run.sh").read_text().splitlines()
              if "directory import" in line and not line.startswith("#")]
    return line


def test_the_sample_directory_comes_in_once_on_a_first_install_and_a_restart_keeps_edits(tmp_path):
    config = tmp_path / "faxgate.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/faxgate.db"\n', encoding="utf-8")
    env = {**os.environ, "FAXGATE_CONFIG": str(config)}

    def sh(command: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=REPO, env=env, capture_output=True,
                              text=True, timeout=120)

    def faxgate(*args: str) -> subprocess.CompletedProcess:
        return sh(" ".join([".venv/bin/faxgate", *args]))

    step = run_sh_directory_step()
    first = sh(step)
    assert first.returncode == 0, first.stderr
    sample = json.loads(faxgate("directory", "list", "--all", "--json").stdout)
    assert sample and all(entry["pending_change"] is None for entry in sample), "the first install's sample is usable"
    with db_session(App(make_config(tmp_path, 1, 1))) as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "directory.first_install_import"))
        assert event.actor == "system:setup"

    refused = faxgate("directory", "import", "deploy/sample-directory.csv", "--first-install")
    assert refused.returncode != 0 and "空ではない" in refused.stderr, "a first-install import only into an empty directory"
    assert faxgate("users", "add", MAKER, "--role", "admin", "--email", "y@city.example.jp").returncode == 0
    slot = sample[0]["slot"]
    assert faxgate("directory", "set", str(slot), "--name", "名前を直した", "--by", MAKER).returncode == 0
    restart = sh(step)
    assert restart.returncode == 0, restart.stderr
    assert json.loads(faxgate("directory", "show", str(slot), "--json").stdout)["name"] == "名前を直した"


def test_no_single_person_shortcut_once_an_administrator_exists(tmp_path):
    """--first-install is the setup's own bootstrap only while no administrator exists; a check
    with the recipient cannot be dated in the future (it would keep the entry from going stale)."""
    config = tmp_path / "faxgate.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/faxgate.db"\n', encoding="utf-8")
    env = {**os.environ, "FAXGATE_CONFIG": str(config)}

    def faxgate(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([".venv/bin/faxgate", *args], cwd=REPO, env=env, capture_output=True, text=True,
                              timeout=120)

    assert faxgate("users", "add", MAKER, "--role", "admin", "--email", "y@city.example.jp").returncode == 0
    refused = faxgate("directory", "import", "deploy/sample-directory.csv", "--first-install")
    assert refused.returncode != 0 and "管理者が登録されている" in refused.stderr, refused.stderr
    assert json.loads(faxgate("directory", "list", "--all", "--json").stdout) == [], "nothing came in"
    assert faxgate("directory", "import", "deploy/sample-directory.csv", "--by", MAKER).returncode == 0
    future = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    dated = faxgate("directory", "verify", "1", "--by", MAKER, "--on", future)
    assert dated.returncode != 0 and "未来の日付" in dated.stderr, dated.stderr
