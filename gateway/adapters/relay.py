"""Handing an approved job to the real fax server: the contract every relay keeps.

A relay is given exactly the approved bytes and the number to dial; it answers with the fax
server's receipt, or raises: ``TemporaryRelayError`` (server down, 4xx: retried with backoff),
``PermanentRelayError`` (refused for good: the job fails and a person is told) or
``DeliveryUnknownError`` (the connection broke after the job was handed over: the server may
have it, so it is never sent again automatically).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit


class RelayError(Exception):
    """The fax server did not take the job."""


class TemporaryRelayError(RelayError):
    pass


class PermanentRelayError(RelayError):
    pass


class DeliveryUnknownError(RelayError):
    pass


@dataclass(frozen=True)
class RelayRequest:
    job_id: str
    number: str  # the destination in the configured number_format (e164 | national | dial_string)
    dial_string: str  # what the fax line must dial, derived from the PBX profile
    document: bytes  # exactly the approved bytes
    filename: str
    content_type: str  # application/pdf or image/tiff
    sender: str  # the submitter's address, for the fax server's notices


class Relay(Protocol):
    def send(self, request: RelayRequest) -> str:
        """Hand the job over; return the fax server's receipt (queue id or reply text)."""


def check_safe(value: str, what: str) -> str:
    """Numbers and names go into protocol lines: a CR, LF or other control character could
    smuggle a command, so it is refused before anything is sent."""
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise PermanentRelayError(f"{what} contains a control character; refused before relay")
    return value


def parse_relay_url(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "hylafax") or not parts.hostname:
        raise ValueError(f"relay url must be smtp://host:port or hylafax://host:port, not {url!r}")
    return parts.scheme, parts.hostname, parts.port or (25 if parts.scheme == "smtp" else 4559)
