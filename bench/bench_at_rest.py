"""Benchmark (not a test): what encryption at rest costs (issue 16).

Intake: bench_intake's load (8 connections, 1-page PDF, loopback) against a bare aiosmtpd, the
gateway of a tree without encryption at rest (``--without``, e.g. the main branch's checkout)
and this tree's, interleaved in one run so both see the same machine. Target: this tree's ratio
to the bare server within 10% of the other's.

Screening: the storage door's share of a screening, i.e. reading the sealed document (unwrap
the data key, AES-GCM open) and writing the sealed findings, per job, on the same database as a
real job stored through the intake, against the median screening time of a text PDF.

    PYTHONPATH=. .venv/bin/python bench/bench_at_rest.py --without /work/main [seconds] [--rounds N]
"""

from __future__ import annotations

import argparse
import email.policy
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_intake  # noqa: E402
from gateway.bootstrap import App  # noqa: E402
from gateway.config import load_config  # noqa: E402
from tests.support import docgen  # noqa: E402
from tests.support.harness import DOMAIN, fax_message, free_port, seed  # noqa: E402

SEED = """
import sys
sys.path.insert(0, sys.argv[1])
from gateway.bootstrap import App
from gateway.config import load_config
from tests.support.harness import seed
seed(App(load_config(sys.argv[2])))
"""
FINDINGS = [{"page": 1, "category": "phone", "sensitive": False, "masked": False, "text": "090-****-4321",
             "bbox": [100, 200, 400, 240], "source": "text"}] * 3


def intake_rate(tree: Path, payload: bytes, seconds: float) -> float:
    """msg/s of `tree`'s gateway (its own code first on the path), on a fresh SQLite database."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "bench.toml"
        port = free_port()
        config.write_text(f'[database]\nurl = "sqlite:///{tmp}/bench.db"\n[smtp]\nport = {port}\ndomain = "{DOMAIN}"\n'
                          f'[records]\nkey_file = "{tmp}/keys/signing-key.pem"\n'
                          '[logging]\nlevel = "warning"\n', encoding="utf-8")
        # The staff and the directory, by the tree's own code (its schema, its migrations).
        subprocess.run([sys.executable, "-c", SEED, str(tree), str(config)], check=True, capture_output=True)
        saved, bench_intake.ROOT = bench_intake.ROOT, tree  # measure() puts this tree first on the path
        try:
            rate, _, errors = bench_intake.measure([sys.executable, "-m", "gateway", "serve", "--only", "smtp",
                                                    "--config", str(config)], port, payload, seconds, 1.0)
        finally:
            bench_intake.ROOT = saved
        assert errors == 0, errors
        return rate


def storage_door_seconds(document: bytes, rounds: int = 300) -> tuple[float, float]:
    """(seconds per job to read the sealed document and write sealed findings, the same with the
    keyring cached: the steady state)."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "bench.toml"
        config.write_text(f'[database]\nurl = "sqlite:///{tmp}/bench.db"\n'
                          f'[records]\nkey_file = "{tmp}/keys/signing-key.pem"\n', encoding="utf-8")
        app = App(load_config(config))
        seed(app)
        from gateway.services.jobs import create_jobs

        with app.unit_of_work() as uow:
            user = uow.users.active_senders({"sato@city.example.jp"})["sato@city.example.jp"]
            [job_id] = create_jobs(uow, [dict(
                message=document, document=document, actor="bench", submitter_id=user.id, submitter_email=user.email,
                department=user.department, identity_source="bench", device="bench", client_address="127.0.0.1",
                envelope_from=user.email, recipient=f"FAX=+81354321111@{DOMAIN}", destination_kind="e164",
                destination_input="+81354321111", e164="+81354321111", content_sha256="0" * 64,
                content_type="application/pdf", filename="a.pdf", size=len(document))])
        started = time.perf_counter()
        for _ in range(rounds):
            with app.unit_of_work() as uow:
                assert uow.jobs.document_of(job_id)[:4] == b"%PDF"
                uow.jobs.get(job_id).findings = FINDINGS
        with_db = (time.perf_counter() - started) / rounds
        sealer = None
        with app.unit_of_work(read_only=True) as uow:
            from gateway.storage.sealing import sealer_in

            sealer = sealer_in(uow.session)
            sealed = sealer.seal(job_id, "document", document)
            started = time.perf_counter()
            for _ in range(rounds):
                sealer.open(job_id, "document", sealed)
                sealer.seal_json(job_id, "findings", FINDINGS)
            crypto = (time.perf_counter() - started) / rounds
        return with_db, crypto


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seconds", type=float, nargs="?", default=5.0, help="load per server and round")
    parser.add_argument("--without", type=Path, required=True, help="a checkout without encryption at rest")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    document = docgen.text_pdf([[(20, 20, "送付のご案内", 16), (20, 40, "会議資料を送付します。", 11)]])
    payload = fax_message(document).as_bytes(policy=email.policy.SMTP)
    print(f"message {len(payload):,} bytes, {bench_intake.CONNECTIONS} connections, {args.seconds:.0f} s per server")
    for round_ in range(1, args.rounds + 1):
        port = free_port()
        bare, _, _ = bench_intake.measure([sys.executable, "-c", bench_intake.BARE_SERVER, str(port)], port, payload,
                                          args.seconds, 1.0)
        before = intake_rate(args.without.resolve(), payload, args.seconds)
        after = intake_rate(ROOT, payload, args.seconds)
        print(f"round {round_}: bare {bare:6.1f} msg/s | without encryption {before:6.1f} ({before / bare:.2f}) | "
              f"encrypted {after:6.1f} ({after / bare:.2f}) | ratio change {(after / bare) / (before / bare) - 1:+.1%}")
    with_db, crypto = storage_door_seconds(document)
    print(f"screening: storage door per job (read sealed document + write sealed findings, one transaction each) "
          f"{with_db * 1000:.2f} ms, of which AES-GCM {crypto * 1000:.3f} ms")


if __name__ == "__main__":
    main()
