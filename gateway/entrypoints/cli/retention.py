"""`faxgate retention purge [--dry-run]`: delete what the policy's [retention] no longer keeps
(the worker does the same every minute)."""

from __future__ import annotations

import click

from gateway.entrypoints.cli.support import config_option, default_actor, emit_json, get_app
from gateway.services import retention


@click.group("retention")
def retention_group() -> None:
    """保存期間 (how long faxes are kept)."""


@retention_group.command("purge")
@click.option("--dry-run", is_flag=True, help="削除せず、削除されるものを表示する")
@click.option("--json", "as_json", is_flag=True, help="JSON で出力")
@click.option("--by", "actor", default=None)
@config_option
@click.pass_context
def retention_purge(ctx, dry_run: bool, as_json: bool, actor: str | None) -> None:
    """保存期間を過ぎた文書と受信メッセージを削除する（監査証跡に記録。未解決の事故のジョブは除く）."""
    app = get_app(ctx)
    purged = retention.purge(app, actor or default_actor(), dry_run=dry_run)
    if as_json:
        emit_json({"dry_run": dry_run, "purged": [p.to_json() for p in purged]})
        return
    verb = "削除対象" if dry_run else "削除しました"
    for item in purged:
        click.echo(f"{item.job_id} ({item.state}, {item.ended_at:%Y-%m-%d}): {', '.join(item.kinds)}")
    click.echo(f"{verb}: {len(purged)} 件 ({'dry run' if dry_run else 'purged'})")
