"""Sign-in limits that cannot be walked around (issue 17, point 4): one lockout per web account
whatever it is signed in as; SMTP AUTH locked per device and per peer address, like people's
sign-in; a device's password checked off the SMTP event loop, so a client hammering AUTH does not
hold up the other devices' banners. Real smtplib clients over STARTTLS (from several loopback
addresses, 127.0.0.x), the web app over real HTTP."""

from __future__ import annotations

import smtplib
import ssl
import statistics
import subprocess
import sys
import threading
import time

import pytest

from gateway.bootstrap import App
from gateway.core import login_throttle
from gateway.entrypoints.serve import BackgroundGateway
from gateway.services.users import hash_password
from gateway.storage.tables import Device
from tests.support.harness import db_session, make_config, seed
from tests.support.web_support import PASSWORD, browser, sign_in

DEVICE_PASSWORD = "correct horse battery"
HAMMERED = [f"mfd-{n}" for n in range(60)]


@pytest.mark.world(people="web")
def test_a_locked_account_stays_locked_signed_in_by_its_email_address(world):
    client = browser(world.port)
    # Wrong guesses under either name count for the one account: the fifth locks it.
    assert login_throttle.FREE_FAILURES == 5
    for account in ("sato", "SATO@city.example.jp", "sato", "sato@city.example.jp"):
        assert sign_in(client, account, "wrong password").status_code == 401
    assert sign_in(client, "Sato", "wrong password").status_code == 429
    for account in ("sato@city.example.jp", "Sato@City.Example.JP", "sato"):
        answer = sign_in(client, account, PASSWORD)
        assert answer.status_code == 429, (account, answer.status_code)
    # Someone else's account is not touched.
    assert sign_in(browser(world.port), "suzuki@city.example.jp", PASSWORD).status_code == 303


@pytest.fixture
def devices(tmp_path, peers):
    """The gateway's SMTP with STARTTLS (a self-signed certificate), and two devices with passwords
    (hashed at the product's own cost), and the devices a guesser hammers: (gateway, client TLS context)."""
    tls_dir = tmp_path / "tls"
    subprocess.run([sys.executable, "-m", "gateway", "tls", "self-signed", "--out", str(tls_dir)], check=True,
                   capture_output=True, timeout=60)
    context = ssl.create_default_context(cafile=str(tls_dir / "cert.pem"))
    context.check_hostname = False
    app = App(make_config(tmp_path, peers[0].port, peers[1].port, tls_cert=str(tls_dir / "cert.pem"),
                          tls_key=str(tls_dir / "key.pem")))
    seed(app)
    hashed = hash_password(DEVICE_PASSWORD)
    with db_session(app) as session:
        for name in ("mfd-3f", "mfd-2f", *HAMMERED):
            session.add(Device(name=name, password_hash=hashed, addresses=[]))
    with BackgroundGateway(app, http=False, worker=False) as gateway:
        yield gateway, context


def auth(gateway, context, source: str, device: str, passwords: list[str]) -> list[int]:
    """AUTH PLAIN from `source` (a loopback address) as `device`, once per password, on one
    STARTTLS connection: the reply codes."""
    codes = []
    with smtplib.SMTP("127.0.0.1", gateway.smtp_port, timeout=60, source_address=(source, 0)) as client:
        client.ehlo("mfd")
        client.starttls(context=context)
        client.ehlo("mfd")
        for password in passwords:
            client.user, client.password = device, password
            try:  # one mechanism only: smtplib's login() tries the next one after a refusal
                client.auth("PLAIN", client.auth_plain)
                codes.append(235)
                break
            except smtplib.SMTPAuthenticationError as exc:
                codes.append(exc.smtp_code)
    return codes


def test_smtp_auth_locks_per_device_and_per_peer_address(devices):
    gateway, context = devices
    wrong = ["wrong password"] * login_throttle.FREE_FAILURES
    # Per device: guessed from one address, then the right password from another is refused.
    assert auth(gateway, context, "127.0.0.2", "mfd-3f", wrong) == [535] * len(wrong)
    assert auth(gateway, context, "127.0.0.3", "mfd-3f", [DEVICE_PASSWORD]) == [454]
    # Per address: a different name each guess, then a real device from that address is refused...
    for n in range(login_throttle.FREE_FAILURES):
        assert auth(gateway, context, "127.0.0.4", f"guess-{n}", ["wrong password"]) == [535]
    assert auth(gateway, context, "127.0.0.4", "mfd-2f", [DEVICE_PASSWORD]) == [454]
    # ...while the same device from elsewhere signs in.
    assert auth(gateway, context, "127.0.0.5", "mfd-2f", [DEVICE_PASSWORD]) == [235]


def banner_seconds(port: int) -> float:
    started = time.monotonic()
    with smtplib.SMTP("127.0.0.1", port, timeout=60):
        return time.monotonic() - started


def test_auth_hammering_does_not_hold_up_other_devices_banners(devices):
    """Each device is guessed at from an address of its own, one guess short of the lockout,
    so every guess is a real password check."""
    gateway, context = devices
    quiet = statistics.median(banner_seconds(gateway.smtp_port) for _ in range(10))
    stop, guesses = threading.Event(), []

    def hammer(worker: int) -> None:
        for n, device in enumerate(HAMMERED[worker::3]):
            if stop.is_set():
                return
            guesses.extend(auth(gateway, context, f"127.0.{worker + 1}.{n + 10}", device,
                                ["wrong password"] * (login_throttle.FREE_FAILURES - 1)))

    hammers = [threading.Thread(target=hammer, args=(worker,)) for worker in range(3)]
    for thread in hammers:
        thread.start()
    try:
        time.sleep(1)
        latencies, deadline = [], time.monotonic() + 120
        while (len(guesses) < 40 or len(latencies) < 30) and time.monotonic() < deadline:
            latencies.append(banner_seconds(gateway.smtp_port))
            time.sleep(0.1)
    finally:
        stop.set()
        for thread in hammers:
            thread.join(120)
    assert len(guesses) >= 40 and set(guesses) == {535}, guesses[:10]
    print(f"banner latency: quiet median {quiet * 1000:.1f} ms; while {len(guesses)} guesses: "
          f"median {statistics.median(latencies) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms")
    assert statistics.median(latencies) < 0.05, latencies
