#!/usr/bin/env bash
# Sets up everything faxgate needs on a fresh Debian 12 machine: system packages (when run as
# root and missing) and a virtualenv in .venv with faxgate installed. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

extra="${1:-}"   # "test" also installs what the test suite needs

apt_packages=()
# Japanese font embedded in cover sheets and signed records; OCR for pages without text.
[ -f /usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf ] || apt_packages+=(fonts-ipaexfont)
[ -f /usr/share/tesseract-ocr/5/tessdata/jpn.traineddata ] || apt_packages+=(tesseract-ocr tesseract-ocr-jpn)
# Handwriting-style fonts: the hand-filled forms of the screening corpus and its benchmark
# (tests/support/corpus_scans.py, bench/bench_screening.py).
[ -f /usr/share/fonts/truetype/seto/setofont.ttf ] || apt_packages+=(fonts-seto)
[ -f /usr/share/fonts/truetype/kiloji/kiloji.ttf ] || apt_packages+=(fonts-kiloji)
# Page orientation (pages fed upside down or sideways are turned upright before screening).
[ -f /usr/share/tesseract-ocr/5/tessdata/osd.traineddata ] || apt_packages+=(tesseract-ocr-osd)
# Vertical writing (縦書き): pages written in columns are read with the vertical model.
[ -f /usr/share/tesseract-ocr/5/tessdata/jpn_vert.traineddata ] || apt_packages+=(tesseract-ocr-jpn-vert)
if [ "$extra" = "test" ]; then
  [ -x /usr/lib/postgresql/15/bin/initdb ] || apt_packages+=(postgresql)
  command -v chromium >/dev/null || apt_packages+=(chromium)
  command -v hfaxd >/dev/null || apt_packages+=(hylafax-server hylafax-client)
  command -v systemd-analyze >/dev/null || apt_packages+=(systemd)  # checks deploy/systemd units
  # A real PKCS#11 token for the hardware signing key tests.
  [ -f /usr/lib/softhsm/libsofthsm2.so ] || apt_packages+=(softhsm2)
  # A real OpenLDAP server for the directory sign-in tests (they start their own slapd).
  [ -x /usr/sbin/slapd ] || apt_packages+=(slapd ldap-utils)
fi
if [ ${#apt_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "please install: ${apt_packages[*]} (apt-get install)" >&2
    exit 1
  fi
  echo "== installing system packages: ${apt_packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Another apt run (unattended upgrades on a fresh machine) may hold the lock: wait for it.
  apt_wait=(-o DPkg::Lock::Timeout=900)
  apt-get "${apt_wait[@]}" update -qq
  apt-get "${apt_wait[@]}" install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
  # The tests start their own PostgreSQL and slapd servers; the packaged ones are not needed.
  command -v pg_ctlcluster >/dev/null && pg_ctlcluster 15 main stop 2>/dev/null || true
  [ -x /etc/init.d/slapd ] && /etc/init.d/slapd stop >/dev/null 2>&1 || true
fi

if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  python3 -m venv .venv
fi
if [ "$extra" = "test" ]; then spec=".[test]"; else spec="."; fi
echo "== installing faxgate ($spec)"
.venv/bin/python -m pip install -q --disable-pip-version-check -e "$spec" 2>&1 | grep -v -e '^WARNING: Location' -e '^$' || true
