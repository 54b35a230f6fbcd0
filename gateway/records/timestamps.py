"""The RFC 3161 time-stamping authority's client for record signatures (`[records] tsa_url`)."""

from __future__ import annotations

from gateway.records.config import (
    RecordsConfig,
)


def timestamper(config: RecordsConfig):
    """pyHanko's RFC 3161 client for `[records] tsa_url`, or None when none is configured."""
    if not config.tsa_url:
        return None
    from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper

    return RequestsHTTPTimeStamper(config.tsa_url, timeout=config.tsa_timeout_seconds)
