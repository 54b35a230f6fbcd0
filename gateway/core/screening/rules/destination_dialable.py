"""The destination the device asked for can be dialled: a speed dial with an entry, or a dial
string the PBX and the exchange read as a reachable number (report No. 371: the missing `0`)."""

from __future__ import annotations

from directory.dialplan import dial_string_for, read_dial_string
from gateway.core.screening.rule import Code, Hit, Rule

NOT_IN_DIRECTORY = Code(
    "not_in_directory", "宛先表にありません", "not in the directory",
    "宛先表への登録を管理者に依頼し（別の管理者が承認します）、登録後に送り直してください。",
    "Ask an administrator to add the destination to the directory (a second administrator approves it), "
    "then send again.")
UNDIALABLE = Code(
    "undialable", "ダイヤルしてはいけない番号", "number that must not be dialled",
    "番号を確かめてください。このままでは目的の相手につながりません。",
    "Check the number: it would not reach the intended recipient as written.")


def check(subject, tools) -> Hit | None:
    request = subject.request
    if request.kind == "speed_dial":
        entry = tools.entry_by_slot(request.slot)
        if entry is None or not (entry.e164 or entry.extension):
            return Hit(NOT_IN_DIRECTORY.code, f"短縮番号 {request.slot} は宛先表に登録されていません",
                       f"speed dial {request.slot} is not in the directory")
        subject.entry, subject.e164 = entry, entry.e164
    elif request.kind == "dial":
        reading = read_dial_string(request.dial, tools.profile)
        if reading.blocked:
            return Hit(UNDIALABLE.code, reading.explanation, f"dial string {request.dial} must not be dialled")
        subject.e164 = reading.reaches
    else:
        subject.e164 = request.e164
    if subject.e164:
        subject.dial_string = dial_string_for(subject.e164, tools.profile)
    return None


RULE = Rule("destination_dialable", check, "block", (NOT_IN_DIRECTORY, UNDIALABLE), refused_at_rcpt=True)
