"""`python -m gateway.entrypoints.healthcheck`: exit 0 when the gateway's /healthz answers on the configured
HTTP listener, 1 otherwise. For container health checks, which cannot read the configuration
themselves; stdlib only, so it costs a container little every interval."""

from __future__ import annotations

import sys
import urllib.request

from gateway.config import ConfigError, load_config

ANY_ADDRESS = {"", "0.0.0.0", "::"}


def healthz_url(host: str, port: int) -> str:
    if host in ANY_ADDRESS:
        host = "127.0.0.1"  # a wildcard listener answers on loopback too
    return f"http://[{host}]:{port}/healthz" if ":" in host else f"http://{host}:{port}/healthz"


def main() -> int:
    try:
        config = load_config()
    except ConfigError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    url = healthz_url(config.http.host, config.http.port)
    try:
        with urllib.request.urlopen(url, timeout=4) as answer:
            ok = answer.status == 200
    except OSError as exc:  # refused, timed out, or an HTTP error status
        print(f"unhealthy: {url}: {exc}", file=sys.stderr)
        return 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
