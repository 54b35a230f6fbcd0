#!/bin/sh
# HylaFAX's scheduler (faxq) and client daemon (hfaxd) in the foreground, without systemd and
# without a modem. Debian's systemd unit bind-mounts /etc/hylafax into the spool; here it is
# copied. hosts.hfaxd lets the clients matching HYLAFAX_CLIENTS log in without a password:
# a test server on the compose network only, never a real one.
set -eu
spool=${HYLAFAX_SPOOL:-/var/spool/hylafax}
port=${HYLAFAX_PORT:-4559}
clients=${HYLAFAX_CLIENTS:-.*}
listen=${HYLAFAX_LISTEN:-}

cp -a /etc/hylafax/. "$spool/etc/"
printf '127.0.0.1:21::\n%s:21::\n' "$clients" > "$spool/etc/hosts.hfaxd"
chown uucp:uucp "$spool/etc/hosts.hfaxd"
chmod 600 "$spool/etc/hosts.hfaxd"

stopping=0
trap 'stopping=1' TERM INT
faxq -q "$spool" -D &
faxq=$!
hfaxd -q "$spool" -d ${listen:+-l "$listen"} -i "$port" &
hfaxd=$!
wait "$hfaxd" || true  # returns when hfaxd ends or a signal arrives
kill "$hfaxd" "$faxq" 2>/dev/null || true
wait || true
if [ "$stopping" = 0 ]; then
  echo "hylafax-start: hfaxd stopped by itself" >&2
  exit 1
fi
