#!/usr/bin/env bash
# One command: set up faxgate and run it on its embedded default (SQLite file ./faxgate.db,
# built-in configuration, the sample directory of deploy/sample-directory.csv on a first install).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/faxgate db upgrade
# First install: a local CA and the key that signs transmission records.
[ -f faxgate-keys/signing-key.pem ] || .venv/bin/faxgate records init-ca --out faxgate-keys >/dev/null
# First install only: the sample directory comes into an empty directory as the setup's own
# import (no administrator exists yet; the audit trail records it as system:setup). A restart
# finds entries and keeps every edit; later changes need two administrators.
if [ "$(.venv/bin/faxgate directory list --all --json)" = "[]" ]; then .venv/bin/faxgate directory import deploy/sample-directory.csv --first-install; fi
exec .venv/bin/faxgate serve "$@"
