"""`faxgate sites add/list`: the buildings of the city, each with its PBX profile."""

from __future__ import annotations

import click

from directory.profile import DidRange, PbxProfile, ProfileError
from directory.sites import Site, SiteError
from gateway.entrypoints.cli.support import config_option, default_actor, emit_json, get_app
from gateway.entrypoints.cli.directory.common import admin_actor
from gateway.services.sites import add_site, propose_change, settle_change


@click.group("sites")
def sites_group() -> None:
    """拠点 (sites: each building's PBX profile)."""


@sites_group.command("add")
@click.argument("name")
@click.option("--outside-line", required=True, help='外線発信番号 ("" = 直通回線)')
@click.option("--area-code", required=True, help="拠点の市外局番 (e.g. 03, 042)")
@click.option("--extension-length", type=int, default=4, show_default=True, help="内線番号の桁数")
@click.option("--no-local-dialing", is_flag=True, help="市外局番を省いた市内通話をしない")
@click.option("--did", "dids", multiple=True, metavar="+E164PREFIX[=EXTPREFIX]",
              help="拠点のダイヤルイン番号の範囲と、対応する内線の先頭（例 +8142722=、複数可）")
@click.option("--tie-prefix", default="", help="専用線（拠点間の内線網）で他拠点を呼ぶ番号（例 8）")
@click.option("--site-code", default="", help="専用線でこの拠点を呼ぶ拠点番号（例 21）")
@config_option
@click.pass_context
def sites_add(ctx, name, outside_line, area_code, extension_length, no_local_dialing, dids, tie_prefix,
              site_code) -> None:
    """拠点を登録する。最初の登録では、設定の [pbx] が拠点 main として保存されます."""
    try:
        ranges = tuple(DidRange(*did.partition("=")[::2]) for did in dids)
        profile = PbxProfile(outside_line=outside_line, area_code=area_code, extension_length=extension_length,
                             local_dialing=not no_local_dialing, did_ranges=ranges)
        site = Site(name, profile, tie_prefix=tie_prefix, site_code=site_code)
    except (ProfileError, SiteError) as exc:
        raise click.UsageError(str(exc)) from None
    app = get_app(ctx)
    try:
        with app.unit_of_work() as uow:
            added = add_site(uow, site, app.profile, default_actor())
    except SiteError as exc:
        raise click.ClickException(str(exc)) from None
    for each in added:
        click.echo(f"拠点 {each} を登録しました", err=True)


@sites_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON で出力")
@config_option
@click.pass_context
def sites_list(ctx, as_json) -> None:
    """拠点の一覧（拠点がなければ、設定の [pbx] だけで読む単一拠点の構成です）."""
    app = get_app(ctx)
    with app.unit_of_work(read_only=True) as uow:
        sites = uow.sites.all()
        pending = {}
        for site in sites:
            waiting = uow.sites.proposal(site.name)
            if waiting:
                proposed, by = waiting
                pending[site.name] = {"outside_line": proposed.profile.outside_line, "by": by,
                                      "area_code": proposed.profile.area_code, "tie_prefix": proposed.tie_prefix,
                                      "extension_length": proposed.profile.extension_length,
                                      "site_code": proposed.site_code}
    rows = [{"name": s.name, "outside_line": s.profile.outside_line, "area_code": s.profile.area_code,
             "local_dialing": s.profile.local_dialing, "extension_length": s.profile.extension_length,
             "did_ranges": [{"prefix": d.prefix, "extension_prefix": d.extension_prefix} for d in s.profile.did_ranges],
             "tie_prefix": s.tie_prefix, "site_code": s.site_code, "pending_change": pending.get(s.name)}
            for s in sites]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("拠点は登録されていません（設定の [pbx] で読みます）")
    for row in rows:
        click.echo(f"{row['name']}: 外線発信番号 {row['outside_line'] or '(直通)'} 市外局番 {row['area_code']} "
                   f"内線 {row['extension_length']} 桁" + ("（変更が承認待ち）" if row["pending_change"] else ""))


_DECISIONS_JA = {
    "decided": "この拠点に承認待ちの変更はありません",
    "self_decision": "自分が出した変更は承認も却下もできません（別の管理者が判断します）",
    "reason_missing": "却下には --reason が必要です",
    "not_admin": "管理者だけが判断できます",
}


@sites_group.command("set")
@click.argument("name")
@click.option("--by", "admin", required=True, help="変更する管理者の利用者名（有効な管理者）")
@click.option("--outside-line", default=None, help='外線発信番号 ("" = 直通回線)')
@click.option("--area-code", default=None, help="拠点の市外局番")
@click.option("--extension-length", type=int, default=None, help="内線番号の桁数")
@click.option("--tie-prefix", default=None, help="専用線で他拠点を呼ぶ番号")
@click.option("--site-code", default=None, help="専用線でこの拠点を呼ぶ拠点番号")
@config_option
@click.pass_context
def sites_set(ctx, name, admin, outside_line, area_code, extension_length, tie_prefix, site_code) -> None:
    """拠点の番号の読み方を変える。別の管理者が承認するまで、拠点は今までどおりに読まれます."""
    app = get_app(ctx)
    try:
        with app.unit_of_work() as uow:
            actor = admin_actor(uow, admin)
            current = uow.sites.get(name)
            if current is None:
                raise SiteError(f"拠点 {name} は登録されていません（faxgate sites list）")
            old = current.profile
            try:
                profile = PbxProfile(outside_line=old.outside_line if outside_line is None else outside_line,
                                     area_code=old.area_code if area_code is None else area_code,
                                     local_dialing=old.local_dialing, did_ranges=old.did_ranges,
                                     extension_length=old.extension_length if extension_length is None
                                     else extension_length)
            except ProfileError as exc:
                raise click.UsageError(str(exc)) from None
            propose_change(uow, Site(name, profile, current.tie_prefix if tie_prefix is None else tie_prefix,
                                     current.site_code if site_code is None else site_code), actor)
    except SiteError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"拠点 {name} の変更は別の管理者の承認待ちです（faxgate sites approve {name} --by 別の管理者）", err=True)


@sites_group.command("approve")
@click.argument("name")
@click.option("--by", "admin", required=True, help="承認する管理者（変更した人とは別の人）")
@config_option
@click.pass_context
def sites_approve(ctx, name, admin) -> None:
    """拠点の変更を承認する（以後、拠点の番号は新しい読み方で読まれます）."""
    _settle(ctx, name, admin, True, "")


@sites_group.command("reject")
@click.argument("name")
@click.option("--by", "admin", required=True, help="却下する管理者（変更した人とは別の人）")
@click.option("--reason", required=True, help="却下の理由")
@config_option
@click.pass_context
def sites_reject(ctx, name, admin, reason) -> None:
    """拠点の変更を却下する（拠点は今までどおり）."""
    _settle(ctx, name, admin, False, reason)


def _settle(ctx, name: str, admin: str, approve: bool, note: str) -> None:
    app = get_app(ctx)
    with app.unit_of_work() as uow:
        decision = settle_change(uow, name, admin_actor(uow, admin), True, approve, note)
    if decision.status != 200:
        raise click.ClickException(_DECISIONS_JA.get(decision.code, decision.code))
    click.echo(f"拠点 {name} の変更を{'承認' if approve else '却下'}しました", err=True)
