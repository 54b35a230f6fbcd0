#!/usr/bin/env bash
# One command: set up faxgate and run it on its embedded default (SQLite file ./faxgate.db,
# built-in configuration, the sample directory of deploy/sample-directory.csv on a first install).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/faxgate db upgrade
# First install only: the sample directory comes into an empty directory as the setup's own
# import (no administrator exists yet; the audit trail records it as system:setup). A restart
# finds entries and keeps every edit; later changes need two administrators.
# Sample entry 1 is where the README's first try sends: it is stamped as checked on the install
# day, so the first try works whatever the date (its stored dates would make it stale in time).
if [ "$(.venv/bin/faxgate directory list --all --json)" = "[]" ]; then .venv/bin/faxgate directory import deploy/sample-directory.csv --first-install && .venv/bin/faxgate directory verify 1 --by 初回導入 >/dev/null; fi
# `faxgate serve` makes the local CA and the records' signing key on its first start.
exec .venv/bin/faxgate serve "$@"
