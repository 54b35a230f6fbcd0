"""HylaFAX relay: submit the approved bytes over the HylaFAX client protocol (port 4559).

The protocol is FTP-like, so ftplib carries it: the document is uploaded as a server-named
temporary file (STOT), a job is created (JNEW), given its parameters (JPARM) and submitted
(JSUBM). HylaFAX applies no dial rules at submission: the dial string sent is what is dialled.
"""

from __future__ import annotations

import ftplib
import io
import re

from gateway.adapters.relay import DeliveryUnknownError, PermanentRelayError, RelayRequest, TemporaryRelayError, check_safe

# Relative kill time (DDHHMM), sendfax's default of three hours; JSUBM fails (460) without it.
KILL_TIME = "000259"

_TEMP_FILE = re.compile(r"\(FILE: (\S+)\)")  # "226 Transfer complete (FILE: /tmp/doc6.ps)."
_JOB_ID = re.compile(r"jobid: (\d+)")  # "200 New job created: jobid: 7 groupid: 7."
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() would let full-width digits through


def _quoted(value: str) -> str:
    # hfaxd reads a quoted string with backslash escapes; quoting keeps spaces in one argument.
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _detail(pattern: re.Pattern[str], reply: str) -> str:
    match = pattern.search(reply)
    if match is None:
        raise ftplib.error_reply(reply)
    return match.group(1)


def _dial_digits(dial_string: str) -> str:
    """The digits HylaFAX must dial: '-' separators removed, nothing else changed."""
    check_safe(dial_string, "dial string")
    digits = dial_string.replace("-", "")
    if not _DIGITS.fullmatch(digits):
        raise PermanentRelayError("dial string must be digits with optional '-' separators; refused before relay")
    return digits


class HylafaxRelay:
    def __init__(self, host: str, port: int = 4559, user: str = "faxgate", timeout: float = 30.0):
        self.host, self.port, self.user, self.timeout = host, port, user, timeout

    def send(self, request: RelayRequest) -> str:
        """Queue the job on the HylaFAX server; the receipt is HylaFAX's job id."""
        # Every value that ends up in a protocol line is checked before the connection opens.
        user = check_safe(self.user, "HylaFAX user")
        sender = check_safe(request.sender, "sender")
        dial = _dial_digits(request.dial_string)
        ftp = ftplib.FTP(timeout=self.timeout)
        try:
            ftp.connect(self.host, self.port)
            return self._submit(ftp, user, sender, dial, request.document)
        except ftplib.error_temp as exc:
            raise TemporaryRelayError(f"fax server answered {exc}") from None
        except ftplib.error_perm as exc:
            raise PermanentRelayError(f"fax server refused the job: {exc}") from None
        except (ftplib.error_reply, ftplib.error_proto) as exc:
            # Not a refusal of this job: retrying (bounded by the worker) lets a fixed server take it.
            raise TemporaryRelayError(f"fax server gave an unexpected reply: {exc}") from None
        except (OSError, EOFError) as exc:  # refused, reset, timed out (TimeoutError is an OSError)
            raise TemporaryRelayError(f"fax server unreachable: {type(exc).__name__}") from None
        finally:
            # No QUIT: once JSUBM is answered the job is queued, and a failed goodbye must not
            # turn a queued job into a reported failure. hfaxd drops unsubmitted jobs on close.
            ftp.close()

    def _submit(self, ftp: ftplib.FTP, user: str, sender: str, dial: str, document: bytes) -> str:
        reply = ftp.sendcmd(f"USER {user}")
        if not reply.startswith("230"):
            # 331 asks for a password: this relay relies on a hosts.hfaxd entry for its address.
            raise PermanentRelayError(f"fax server did not log the relay in: {reply}")
        # The server names the upload; that name goes back into a command line, so it is checked too.
        temp_file = check_safe(_detail(_TEMP_FILE, ftp.storbinary("STOT", io.BytesIO(document))), "server file name")
        job_id = _detail(_JOB_ID, ftp.voidcmd("JNEW"))
        for command in (
            f"JPARM FROMUSER {_quoted(sender)}",
            f"JPARM LASTTIME {KILL_TIME}",
            f'JPARM DIALSTRING "{dial}"',
            "JPARM NOTIFY none",  # faxgate tells the submitter itself
            f"JPARM DOCUMENT {temp_file}",
        ):
            ftp.voidcmd(command)
        try:
            ftp.voidcmd("JSUBM")
        except (OSError, EOFError):
            # JSUBM went out but its answer did not come back: the job may be queued.
            raise DeliveryUnknownError(f"connection lost after JSUBM of HylaFAX job {job_id}") from None
        return job_id
