"""`faxgate notice print -o FILE.pdf`: the A4 notice for beside each MFD, from the configuration."""

from __future__ import annotations

from pathlib import Path

import click

from gateway.entrypoints.cli.support import config_option, get_app
from gateway.records.pdfdraw import FontMissing
from gateway.services.device_notice import notice_pdf


@click.group("notice")
def notice_group() -> None:
    """複合機に貼る掲示 (the notice for beside each MFD)."""


@notice_group.command("print")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="書き出す PDF ファイル")
@config_option
@click.pass_context
def print_notice(ctx, output: str) -> None:
    """設定から A4 の掲示（PDF）を作る."""
    try:
        pdf = notice_pdf(get_app(ctx))
    except FontMissing as exc:
        raise click.ClickException(exc.message_ja) from None
    Path(output).write_bytes(pdf)
    click.echo(f"掲示を書き出しました: {output}")
