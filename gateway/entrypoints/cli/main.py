"""The `faxgate` command line."""

from __future__ import annotations

import sys

import click

from directory.dialplan import CLASS_NAMES_JA, DialStringError, display_number, read_dial_string
from directory.profile import PbxProfile, ProfileError
from gateway.storage import db
from gateway.entrypoints.cli.directory import directory_group
from gateway.entrypoints.cli.gateway import audit_group, devices_group, serve_command, tls_group, users_group
from gateway.entrypoints.cli.incidents import incidents_group
from gateway.entrypoints.cli.jobs import jobs_group
from gateway.entrypoints.cli.keys import keys_group
from gateway.entrypoints.cli.notice import notice_group
from gateway.entrypoints.cli.stats import stats_group
from gateway.entrypoints.cli.records import records_group
from gateway.entrypoints.cli.retention import retention_group
from gateway.entrypoints.cli.scan import scan_command
from gateway.entrypoints.cli.send import send_command
from gateway.entrypoints.cli.sites import sites_group
from gateway.entrypoints.cli.support import config_option, emit_json, get_app
from gateway.config import ConfigError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@config_option
def cli() -> None:
    """faxgate: ファクス誤送信防止ゲートウェイ (fax-transmission safety gateway)."""


@cli.group("db")
def db_group() -> None:
    """データベース (database schema)."""


@db_group.command("upgrade")
@config_option
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """スキーマを最新にする (bring the schema up to date; safe to run again)."""
    app = get_app(ctx)
    engine = db.make_engine(app.config.database.url)
    db.upgrade(engine)
    click.echo(f"schema at revision {db.current_revision(engine)}")


@cli.group("dial")
def dial_group() -> None:
    """ダイヤル文字列 (dial strings through the PBX)."""


@dial_group.command("explain")
@click.argument("dial")
@click.option("--outside-line", default=None, help='外線発信番号 ("" = 直通回線)')
@click.option("--area-code", default=None, help="自局の市外局番 (e.g. 03)")
@click.option("--site", default=None, help="この拠点の PBX で読む (faxgate sites list)")
@click.option("--json", "as_json", is_flag=True, help="JSON で出力")
@config_option
@click.pass_context
def dial_explain(ctx: click.Context, dial: str, outside_line: str | None, area_code: str | None, site: str | None,
                 as_json: bool) -> None:
    """DIAL が実際にどこへつながるかを示す (what a stored dial string really reaches)."""
    app = get_app(ctx)
    base = app.profile
    if site is not None:
        with app.unit_of_work(read_only=True) as uow:
            stored = uow.sites.get(site)
        if stored is None:
            raise click.BadParameter(f"拠点 {site} は登録されていません（faxgate sites list）", param_hint="--site")
        base = stored.profile
    try:
        profile = PbxProfile(
            outside_line=base.outside_line if outside_line is None else outside_line,
            area_code=base.area_code if area_code is None else area_code,
            local_dialing=base.local_dialing,
            extension_length=base.extension_length,
            did_ranges=base.did_ranges,
        )
    except ProfileError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        reading = read_dial_string(dial, profile)
    except DialStringError as exc:
        click.echo(f"エラー: {exc}", err=True)
        ctx.exit(2)
    if as_json:
        emit_json(reading.to_json() | ({"site": site} if site is not None else {}))
        return
    rows = [("拠点", site)] if site is not None else []
    rows += [
        ("ダイヤル", reading.dial),
        ("外線発信番号", reading.outside_line or "(なし)"),
        ("種別", f"{CLASS_NAMES_JA[reading.number_class]} ({reading.number_class})"),
        ("接続先", f"{display_number(reading.reaches)} ({reading.reaches})" if reading.reaches else "(なし)"),
    ]
    if reading.extension:
        rows.append(("内線", reading.extension))
    if reading.leftover:
        rows.append(("無視される桁", reading.leftover))
    if reading.intended:
        rows.append(("本来の宛先", f"{display_number(reading.intended)} ({reading.intended})"))
    rows.append(("問題", ", ".join(reading.problems) or "(なし)"))
    rows.append(("判定", "使用禁止 (blocked)" if reading.blocked else "使用可 (ok)"))
    rows.append(("説明", reading.explanation))
    for label, value in rows:
        click.echo(f"{label}: {value}")


for command in (directory_group, serve_command, users_group, devices_group, audit_group, tls_group, jobs_group,
                records_group, scan_command, send_command, incidents_group, keys_group,
                retention_group, sites_group, notice_group, stats_group):
    cli.add_command(command)


def main() -> None:
    try:
        code = cli.main(standalone_mode=False, prog_name="faxgate")
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("中断しました (aborted)", err=True)
        sys.exit(1)
    except (ConfigError, db.SchemaOutOfDate) as exc:
        click.echo(f"エラー: {exc}", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
