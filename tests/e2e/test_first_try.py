"""The README's first try, run as written so it cannot rot: `bash scripts/run.sh` in a fresh
checkout (its setup step, which installs the machine, is the only thing left out), then the
commands of the README's block in a second shell, then a sign-in with the passwords it set."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.support.harness import free_port
from tests.support.web_support import csrf_token
from tests.support.paths import REPO


def first_try_block() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    intro = readme.index("A first try with the gateway running")
    block = re.search(r"^```\n(.*?)^```", readme[intro:], flags=re.S | re.M)
    return block.group(1)


def fresh_checkout(tmp_path: Path) -> Path:
    checkout = tmp_path / "faxgate"
    (checkout / "scripts").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / "run.sh", checkout / "scripts" / "run.sh")
    (checkout / "scripts" / "setup.sh").write_text("exit 0  # the machine is already set up\n", encoding="utf-8")
    (checkout / ".venv").symlink_to(REPO / ".venv")
    (checkout / "deploy").symlink_to(REPO / "deploy")
    return checkout


def wait_listening(port: int, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, log.read_text(encoding="utf-8")
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return
        except httpx.HTTPError:
            assert time.monotonic() < deadline, log.read_text(encoding="utf-8")
            time.sleep(0.1)


def test_the_readme_first_try_works_as_written(tmp_path):
    checkout = fresh_checkout(tmp_path)
    smtp_port, http_port = free_port(), free_port()
    # The README's ports, moved to free ones so the test never meets another gateway.
    config = tmp_path / "ports.toml"
    config.write_text(f"[smtp]\nport = {smtp_port}\n[http]\nport = {http_port}\n", encoding="utf-8")
    env = {**os.environ, "FAXGATE_CONFIG": str(config), "PATH": f"{checkout / '.venv' / 'bin'}:{os.environ['PATH']}"}
    log = tmp_path / "run.log"
    gateway = subprocess.Popen(["bash", "scripts/run.sh"], cwd=checkout, env=env, stdin=subprocess.DEVNULL,
                               stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_listening(http_port, gateway, log)
        block = first_try_block().replace("127.0.0.1:2525", f"127.0.0.1:{smtp_port}").replace(
            "127.0.0.1:8025", f"127.0.0.1:{http_port}")
        second_shell = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=checkout, env=env,
                                      capture_output=True, text=True, timeout=120)
        assert second_shell.returncode == 0, second_shell.stderr
        job = json.loads(second_shell.stdout.strip().splitlines()[-1])
        assert re.fullmatch(r"\d{8}-[0-9a-f]{12}", job["id"])
        assert job["state"] in ("received", "screening", "awaiting_confirmation"), job
        # "once the job's state is awaiting_confirmation": the sample fax passes screening.
        token = subprocess.run(["faxgate", "users", "token", "sato"], cwd=checkout, env=env, capture_output=True,
                               text=True, check=True).stdout.strip()
        deadline = time.monotonic() + 60
        while (state := httpx.get(f"http://127.0.0.1:{http_port}/api/jobs/{job['id']}",
                                  headers={"Authorization": f"Bearer {token}"}).json()["state"]) != "awaiting_confirmation":
            assert state in ("received", "screening") and time.monotonic() < deadline, state
            time.sleep(0.2)
        # The passwords it set sign in to the web app.
        passwords = dict((name, password) for password, name in
                         re.findall(r"echo '([^']+)' \| faxgate users passwd (\w+)", block))
        assert set(passwords) == {"admin", "sato", "suzuki"}
        for name, password in passwords.items():
            with httpx.Client(base_url=f"http://127.0.0.1:{http_port}", timeout=30) as browser:
                form = browser.get("/login")
                answer = browser.post("/login", data={"account": name, "password": password,
                                                      "csrf_token": csrf_token(form.text)})
                assert answer.status_code == 303, (name, answer.text)
        # "A destination the directory can never accept (--to sd-99) is refused at once."
        refused = subprocess.run(["faxgate", "send", "deploy/sample-fax.pdf", "--to", "sd-99", "--from", "sato"],
                                 cwd=checkout, env=env, capture_output=True, text=True)
        assert refused.returncode == 1 and refused.stdout == ""
        assert "550" in refused.stderr and "短縮番号 99 は宛先表に登録されていません" in refused.stderr
        assert (checkout / "faxgate-keys" / "signing-key.pem").exists()
    finally:
        gateway.send_signal(signal.SIGTERM)
        code = gateway.wait(timeout=60)
    assert code == 0, log.read_text(encoding="utf-8")
