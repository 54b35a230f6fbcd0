"""`faxgate directory changes | approve | reject`: the second administrator's side of a change."""

from __future__ import annotations

import datetime as dt

import click

from gateway.core.office_time import office_stamp
from gateway.entrypoints.cli.directory.common import BY_ADMIN, STATUS_JA, directory_group
from gateway.entrypoints.cli.support import config_option, emit_json, get_app
from gateway.services import directory_changes
from gateway.services.directory_changes import NotAnAdmin, active_admin
from gateway.services.jobs import utcnow


@directory_group.command("changes")
@click.option("--all", "include_decided", is_flag=True, help="最近承認・却下した変更も表示")
@click.option("--json", "as_json", is_flag=True)
@config_option
@click.pass_context
def changes_command(ctx, include_decided, as_json) -> None:
    """別の管理者の承認を待つ宛先表の変更."""
    app = get_app(ctx)
    with app.unit_of_work(read_only=True) as uow:
        requests = uow.directory.pending_requests() + (uow.directory.recently_decided() if include_decided else [])
        listed = [directory_changes.change_json(uow, request) for request in requests]
    if as_json:
        emit_json(listed)
        return
    if not listed:
        click.echo("承認を待つ変更はありません。")
        return
    for change in listed:
        click.echo(f"変更 #{change['id']} [{change['state']}] {directory_changes.ORIGINS_JA[change['origin']]} "
                   f"{change['requested_by']} {office_stamp(dt.datetime.fromisoformat(change['requested_at']))}: {change['summary']}")
        for item in change["entries"]:
            was = "新規" if item["added"] else _where_text(item["before"])
            book = f"[宛先表 {item['book']}] " if item["book"] else ""  # a device's or a group's own book
            click.echo(f"  {book}登録番号 {item['slot']} {item['name']}: {was} → {_where_text(item['after'])}")


def _where_text(where: dict) -> str:
    inbox = f", 庁内便 {where['inbox']}" if where.get("inbox") else ""
    return f"{where['number'] or where['extension'] or '番号なし'} ({where['kind']}, {STATUS_JA[where['status']]}{inbox})"


def _settle(ctx, change_id: int, admin: str, approve: bool, note: str) -> None:
    app = get_app(ctx)
    with app.unit_of_work() as uow:
        try:
            user = active_admin(uow, admin)
        except NotAnAdmin as exc:
            raise click.ClickException(str(exc)) from None
        decision = directory_changes.settle(uow, change_id, user, approve, note, utcnow())
    message = directory_changes.MESSAGES_JA[decision.code]
    if decision.status != 200:
        raise click.ClickException(f"変更 #{change_id}: {message} ({decision.code})")
    click.echo(f"変更 #{change_id}: {message}")


@directory_group.command("approve")
@click.argument("change_id", type=int)
@click.option("--note", default="", help="承認の記録に残すこと")
@BY_ADMIN
@config_option
@click.pass_context
def approve_command(ctx, change_id, note, admin) -> None:
    """別の管理者が行った変更を承認する（自分の変更は承認できません）."""
    _settle(ctx, change_id, admin, True, note)


@directory_group.command("reject")
@click.argument("change_id", type=int)
@click.option("--reason", required=True, help="却下の理由")
@BY_ADMIN
@config_option
@click.pass_context
def reject_command(ctx, change_id, reason, admin) -> None:
    """別の管理者が行った変更を却下し、登録を変更前に戻す."""
    _settle(ctx, change_id, admin, False, reason)
