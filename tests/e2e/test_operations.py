"""Operations: the Prometheus metrics a gateway exposes after real work (read with the Prometheus
client's own parser), and structured log lines that name the job they are about."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time

import httpx
from prometheus_client.parser import text_string_to_metric_families

from gateway.bootstrap import App
from gateway.config import load_config
from gateway.entrypoints.serve import BackgroundGateway
from tests.support import docgen
from tests.support.harness import DOMAIN, confirm_by_api, fax_message, free_port, make_config, queued_id, seed, submit, wait_state
from tests.support.paths import REPO

CLEAN = [[(20, 20, "送付のご案内", 16), (20, 40, "会議資料を送付します。担当: 保健福祉課 佐藤", 11)]]
FAST_RETRY = 'version = "test"\n[relay]\nmax_attempts = 2\nbackoff_seconds = [1]\n'


def scrape(port: int) -> dict[str, float]:
    """Every sample by name and labels, e.g. 'faxgate_jobs{state=sent}'; a malformed exposition
    makes the parser raise."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return samples


def confirm(port: int, job_id: str, tokens: dict[str, str]) -> None:
    for user in ("sato", "suzuki"):
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {tokens[user]}"},
                          timeout=30) as client:
            answer = confirm_by_api(client, job_id, "03-5432-1111")
        assert answer.status_code == 200, answer.text


def test_metrics_count_screening_time_and_relay_results(tmp_path, peers):
    fax, mail = peers
    app = App(make_config(tmp_path, fax.port, mail.port, policy_text=FAST_RETRY))
    tokens = seed(app)
    with BackgroundGateway(app) as gateway:
        before = scrape(gateway.http_port)
        assert before["faxgate_screening_seconds_count"] == 0
        assert {before[f"faxgate_relay_results_total{{result={r}}}"] for r in ("sent", "retry", "failed", "delivery_unknown")} == {0}

        sent = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(CLEAN))))
        wait_state(app, sent, {"awaiting_confirmation"})
        confirm(gateway.http_port, sent, tokens)
        wait_state(app, sent, {"sent"})

        fax.handler.refuse = "451 4.3.0 line busy"
        refused = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(CLEAN))))
        wait_state(app, refused, {"awaiting_confirmation"})
        confirm(gateway.http_port, refused, tokens)
        deadline = time.monotonic() + 20
        while (waiting := scrape(gateway.http_port))["faxgate_relay_results_total{result=retry}"] < 1:
            assert time.monotonic() < deadline, "the refused hand-over was never counted"
            time.sleep(0.1)
        assert waiting["faxgate_jobs{state=approved}"] == 1 and waiting["faxgate_relay_queue_age_seconds"] > 0
        wait_state(app, refused, {"failed"})
        after = scrape(gateway.http_port)

    assert after["faxgate_screening_seconds_count"] == 2
    assert 0 < after["faxgate_screening_seconds_sum"] < 60
    buckets = sorted((float(k.split("le=")[1][:-1]), v) for k, v in after.items() if k.startswith("faxgate_screening_seconds_bucket"))
    assert buckets[-1] == (float("inf"), 2) and [v for _, v in buckets] == sorted(v for _, v in buckets)
    assert after["faxgate_relay_results_total{result=sent}"] == 1
    assert after["faxgate_relay_results_total{result=retry}"] == 1  # first refusal; the second is the last try
    assert after["faxgate_relay_results_total{result=failed}"] == 1
    assert after["faxgate_relay_results_total{result=delivery_unknown}"] == 0
    assert after["faxgate_jobs{state=sent}"] == 1 and after["faxgate_jobs{state=failed}"] == 1
    assert after["faxgate_relay_queue_age_seconds"] == 0


def test_install_guide_documents_every_metric(tmp_path, peers):
    fax, mail = peers
    app = App(make_config(tmp_path, fax.port, mail.port))
    with BackgroundGateway(app) as gateway:
        text = httpx.get(f"http://127.0.0.1:{gateway.http_port}/metrics", timeout=10).text
    exposed = {family.name for family in text_string_to_metric_families(text)}
    guide = (REPO / "docs" / "install.md").read_text(encoding="utf-8")
    documented = {name.removesuffix("_total") for name in re.findall(r"^\| `(faxgate_\w+)", guide, flags=re.M)}
    assert documented == exposed


def test_log_lines_name_their_job(tmp_path, mail):
    """`faxgate serve` as run in production (JSON logs on stderr): the intake's line for an accepted
    message and every worker line about that job carry its id, including a line the worker writes
    from deep inside a step (the signing key is missing, so signing the record pauses)."""
    smtp_port, http_port = free_port(), free_port()
    config = tmp_path / "faxgate.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path}/faxgate.db"\n'
        f'[smtp]\nport = {smtp_port}\ndomain = "{DOMAIN}"\n[http]\nport = {http_port}\n'
        f'[mail]\nurl = "smtp://127.0.0.1:{mail.port}"\n'
        f'[records]\nkey_file = "{tmp_path}/no-key.pem"\ncert_file = "{tmp_path}/no-cert.pem"\n'
        '[logging]\nformat = "json"\n',
        encoding="utf-8",
    )
    app = App(load_config(config))
    seed(app)
    log = tmp_path / "serve.log"
    process = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--config", str(config)],
                               cwd=REPO, stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    try:
        deadline = time.monotonic() + 30
        while '"smtp_listening"' not in log.read_text(encoding="utf-8"):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text(encoding="utf-8")
            time.sleep(0.05)
        # An entry awaiting review: screening blocks it, and a blocked job gets a signed record.
        job_id = queued_id(submit(smtp_port, fax_message(docgen.text_pdf(CLEAN), to=f"sd-2@{DOMAIN}")))
        wait_state(app, job_id, {"blocked"})
        while '"records_paused"' not in log.read_text(encoding="utf-8"):
            assert time.monotonic() < deadline, log.read_text(encoding="utf-8")
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    by_event = {line["event"]: line for line in lines}
    assert by_event["job_queued"]["job"] == job_id and by_event["job_queued"]["device"] == "loopback"
    assert by_event["screened"]["job"] == job_id and by_event["screened"]["state"] == "blocked"
    assert by_event["records_paused"]["job"] == job_id
    assert all("timestamp" in line and "level" in line for line in lines)
