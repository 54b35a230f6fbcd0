"""`faxgate directory list | show | set | verify | retire | reactivate`: one entry at a time."""

from __future__ import annotations

import datetime as dt

import click

from directory.dialplan import DialStringError, display_number
from directory.entries import (
    ChangeRefused,
    EntryNotFound,
    change_entry,
    effective_dial,
    get_entry,
    list_entries,
    record_verification,
)
from gateway.core.office_time import office_stamp
from gateway.entrypoints.cli.directory.common import (BY_ADMIN, DEVICE_OPTION, STATUS_JA, admin_actor, date_option,
                                                       device_book, directory_group)
from gateway.entrypoints.cli.support import config_option, emit_json, get_app
from gateway.entrypoints.cli.terminal_tables import render_table
from gateway.services import directory_changes
from gateway.services.books import SHARED_BOOK


@directory_group.command("list")
@click.option("--all", "include_retired", is_flag=True, help="廃止した登録も表示")
@click.option("--search", default="", help="宛先名・組織・番号で絞り込む")
@click.option("--json", "as_json", is_flag=True)
@DEVICE_OPTION
@config_option
@click.pass_context
def list_command(ctx, include_retired, search, as_json, device) -> None:
    """登録の一覧."""
    app = get_app(ctx)
    with app.unit_of_work(read_only=True) as uow:
        book = device_book(uow, app, device)
        entries = list_entries(uow.in_book(book.book), include_retired, search)
        rows = [(e, effective_dial(e, book.profile)) for e in entries]
    if as_json:
        emit_json([_entry_json(e, dial) for e, dial in rows])
        return
    click.echo(
        render_table(
            ["登録番号", "宛先名", "組織", "番号", "ダイヤル", "状態", "最終使用", "確認日"],
            [
                [
                    str(e.slot), e.name, e.organization, display_number(e.e164) or (e.extension or ""),
                    dial or "", STATUS_JA[e.status], str(e.last_used or ""), str(e.verified_on or ""),
                ]
                for e, dial in rows
            ],
        )
    )


def _entry_json(entry, dial) -> dict:
    return {
        "slot": entry.slot,
        "name": entry.name,
        "organization": entry.organization,
        "kind": entry.kind,
        "e164": entry.e164,
        "extension": entry.extension,
        "dial_string": dial,
        "status": entry.status,
        "review_reasons": entry.review_reasons,
        "source_dial": entry.source_dial,
        "last_used": entry.last_used.isoformat() if entry.last_used else None,
        "verified_on": entry.verified_on.isoformat() if entry.verified_on else None,
        "verified_by": entry.verified_by,
        "expected_csi": entry.expected_csi,
        "inbox": entry.inbox,
        "pending_change": entry.pending_change_id,
        "version": entry.version,
    }


@directory_group.command("show")
@click.argument("slot", type=int)
@click.option("--json", "as_json", is_flag=True)
@DEVICE_OPTION
@config_option
@click.pass_context
def show_command(ctx, slot, as_json, device) -> None:
    """一件の登録と変更履歴."""
    app = get_app(ctx)
    with app.unit_of_work(read_only=True) as uow:
        book = device_book(uow, app, device)
        entry = _entry_or_fail(uow.in_book(book.book), slot)
        data = _entry_json(entry, effective_dial(entry, book.profile)) | {"device": book.device, "site": book.site}
        data["history"] = [
            {"at": c.at.isoformat(), "actor": c.actor, "action": c.action, "before": c.before, "after": c.after, "note": c.note}
            for c in entry.changes
        ]
    if as_json:
        emit_json(data)
        return
    for key in ("slot", "name", "organization", "kind", "e164", "extension", "dial_string", "status",
                "review_reasons", "source_dial", "last_used", "verified_on", "verified_by", "expected_csi",
                "inbox", "pending_change"):
        click.echo(f"{key}: {data[key]}")
    click.echo("履歴 (history):")
    for change in data["history"]:
        changed = sorted(k for k in change["after"] if not change["before"] or change["before"].get(k) != change["after"][k])
        at = office_stamp(dt.datetime.fromisoformat(change["at"]))
        click.echo(f"  {at} {change['actor']} {change['action']}: {', '.join(changed)} {change['note']}")


def _entry_or_fail(uow, slot):
    try:
        return get_entry(uow, slot)
    except EntryNotFound as exc:
        raise click.ClickException(str(exc)) from None


def _change(ctx, slot: int, admin: str, note: str = "", origin: str = "set", device: str | None = None,
            **changes) -> None:
    app = get_app(ctx)
    try:
        with app.unit_of_work() as uow:
            actor = admin_actor(uow, admin)
            book = device_book(uow, app, device)
            scope = uow.in_book(book.book)
            section = changes.get("inbox")
            if section and not any(u.active and u.department == section for u in uow.users.everyone()):
                raise ChangeRefused(f"部署「{section}」の faxgate 利用者がいません。庁内便の受信箱には、"
                                    "その課の職員が faxgate に登録されている部署名を指定してください")
            held_before = get_entry(scope, slot).pending_change_id
            entry = change_entry(scope, slot, actor, book.profile, note=note, origin=origin, **changes)
            if entry.pending_change_id != held_before:
                directory_changes.audit_requested(uow, uow.directory.request(entry.pending_change_id))
            else:
                uow.audit.append(actor, "directory.entry_changed", f"directory_entry:{slot}", note,
                                 status=entry.status, version=entry.version, book=book.book)
            click.echo(f"{_book_text(book)}登録番号 {entry.slot} {entry.name}: {STATUS_JA[entry.status]} "
                       f"{display_number(entry.e164) or entry.extension or ''} (version {entry.version})")
            if entry.pending_change_id != held_before:
                click.echo(f"変更 #{entry.pending_change_id} は別の管理者の承認待ちです。承認されるまでこの宛先には送信できません"
                           f"（faxgate directory approve {entry.pending_change_id} --by 別の管理者）")
    except (ChangeRefused, DialStringError, EntryNotFound) as exc:
        raise click.ClickException(str(exc)) from None


def _book_text(book) -> str:
    """Which book was changed, when it is a device's own (or its group's)."""
    return f"[宛先表 {book.book}] " if book.device is not None and book.book != SHARED_BOOK else ""


@directory_group.command("set")
@click.argument("slot", type=int)
@click.option("--fax", "dial", default=None, help="新しい番号（機器でダイヤルする形、例 0-03-5432-1111）")
@click.option("--name", default=None)
@click.option("--organization", default=None)
@click.option("--kind", type=click.Choice(["external", "internal"]), default=None)
@click.option("--extension", default=None)
@click.option("--last-used", "last_used", default=None, help="YYYY-MM-DD")
@click.option("--csi", "expected_csi", default=None, help="相手機が名乗る受信機ID（CSI）。送信後に照合します")
@click.option("--inbox", default=None,
              help="庁内の課で faxgate を使う場合、その部署名（庁内便の受信箱）。空文字で解除")
@click.option("--note", default="", help="変更理由")
@BY_ADMIN
@DEVICE_OPTION
@config_option
@click.pass_context
def set_command(ctx, slot, dial, name, organization, kind, extension, last_used, expected_csi, inbox, note, admin,
                device) -> None:
    """登録を修正する（番号・種別・内線・庁内便の変更は別の管理者の承認待ち。番号を変えると使用・確認の記録は消えます）."""
    _change(ctx, slot, admin, note, device=device, dial=dial, name=name, organization=organization, kind=kind,
            extension=extension, last_used=date_option(last_used, "--last-used"), expected_csi=expected_csi,
            inbox=inbox if inbox is None else inbox.strip())


@directory_group.command("verify")
@click.argument("slot", type=int)
@click.option("--by", "verified_by", required=True, help="先方に番号を確認した職員")
@click.option("--on", "verified_on", default=None, help="確認日 YYYY-MM-DD（既定: 今日）")
@DEVICE_OPTION
@config_option
@click.pass_context
def verify_command(ctx, slot, verified_by, verified_on, device) -> None:
    """先方に電話で番号を確認したことを記録する."""
    on = date_option(verified_on, "--on") or dt.date.today()
    app = get_app(ctx)
    try:
        with app.unit_of_work() as uow:
            book = device_book(uow, app, device)
            entry = record_verification(uow.in_book(book.book), slot, verified_by, on)
            click.echo(f"{_book_text(book)}登録番号 {entry.slot} {entry.name}: {STATUS_JA[entry.status]} "
                       f"{display_number(entry.e164) or entry.extension or ''} (version {entry.version})")
    except (EntryNotFound, ChangeRefused) as exc:
        raise click.ClickException(str(exc)) from None


@directory_group.command("retire")
@click.argument("slot", type=int)
@click.option("--note", default="", help="廃止理由")
@BY_ADMIN
@DEVICE_OPTION
@config_option
@click.pass_context
def retire_command(ctx, slot, note, admin, device) -> None:
    """登録を廃止する（すぐに送信できなくなります。履歴は残ります）."""
    _change(ctx, slot, admin, note, device=device, status="retired")


@directory_group.command("reactivate")
@click.argument("slot", type=int)
@click.option("--note", default="", help="再び使う理由")
@BY_ADMIN
@DEVICE_OPTION
@config_option
@click.pass_context
def reactivate_command(ctx, slot, note, admin, device) -> None:
    """廃止した登録を再び使えるようにする（別の管理者の承認待ち）."""
    app = get_app(ctx)
    with app.unit_of_work(read_only=True) as uow:
        book = device_book(uow, app, device)
        if _entry_or_fail(uow.in_book(book.book), slot).status != "retired":
            raise click.ClickException(f"登録番号 {slot} は廃止されていません (slot {slot} is not retired)")
    _change(ctx, slot, admin, note, origin="reactivate", device=device, status="active")
