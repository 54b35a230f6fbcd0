#!/usr/bin/env bash
# One command: set up faxgate and run it on its embedded default (SQLite file ./faxgate.db,
# built-in configuration, the sample directory of deploy/sample-directory.csv).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/faxgate db upgrade
# First install: a local CA and the key that signs transmission records.
[ -f faxgate-keys/signing-key.pem ] || .venv/bin/faxgate records init-ca --out faxgate-keys >/dev/null
.venv/bin/faxgate directory import deploy/sample-directory.csv --by setup
exec .venv/bin/faxgate serve "$@"
