"""Follows HylaFAX's transfer log (xferfaxlog) on this host: new SEND lines are read once, in
the same transaction that checks them, so a crash neither loses nor repeats a report even
with several workers (the cursor row is locked while read)."""

from __future__ import annotations

import os

import structlog

from gateway.incidents.delivery_reports import DeliveryReport, ReportError, parse_xferfaxlog

log = structlog.get_logger("faxgate.reports")
MAX_READ = 4 * 1024 * 1024  # a long-unread log is taken in slices


def file_state(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_ino, stat.st_size


def read_new_reports(uow, path: str) -> list[DeliveryReport]:
    """The SEND records added since the last read; complete lines only (the cursor moves in
    the caller's unit of work)."""
    state = file_state(path)
    if state is None:
        return []
    inode, size = state
    cursor = uow.incidents.report_cursor(path, inode)
    if cursor.inode != inode or size < cursor.offset:
        cursor.inode, cursor.offset = inode, 0  # rotated or truncated: a new log starts at its beginning
    if size == cursor.offset:
        return []
    with open(path, "rb") as file:
        file.seek(cursor.offset)
        chunk = file.read(min(size - cursor.offset, MAX_READ))
    complete = chunk[: chunk.rfind(b"\n") + 1]
    cursor.offset += len(complete)
    reports: list[DeliveryReport] = []
    # HylaFAX writes the remote's bytes as they came: latin-1 never fails and keeps ASCII IDs.
    for line in complete.decode("latin-1").splitlines():
        try:
            reports += parse_xferfaxlog(line)
        except ReportError as exc:
            log.warning("xferfaxlog_line_skipped", path=path, error=str(exc))
    return reports
