"""Which key signs: the configured source, files or a PKCS#11 token, opened for one signing
session (each source imports its own libraries only when chosen)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from gateway.records.config import RecordsConfig
from gateway.records.keys.base import KeySource, SigningKeyError, utcnow


@contextmanager
def open_signing(config: RecordsConfig, environ: Mapping[str, str] = os.environ,
                 now: dt.datetime | None = None) -> Iterator[KeySource]:
    """The configured key for one signing session, checked like `load_signing_key`: a
    `SigningKey` from files, or a `HardwareKey` on a PKCS#11 token whose session is closed
    when the block ends."""
    if not config.pkcs11_module:
        from gateway.records.keys.files import load_signing_key

        yield load_signing_key(config, environ, now)
        return
    try:
        from gateway.records.keys.pkcs11 import open_hardware_key
    except ImportError:  # python-pkcs11 is the optional extra "hsm"
        raise SigningKeyError("pkcs11_unavailable") from None
    key = open_hardware_key(config, environ, now or utcnow())
    try:
        yield key
    finally:
        key.close()
