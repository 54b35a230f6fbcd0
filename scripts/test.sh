#!/usr/bin/env bash
# One command: set up a fresh machine for the tests and run them all.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
exec .venv/bin/python -m pytest "$@"
