"""`faxgate stats report --quarter 2026-Q3 -o FILE.pdf`: the privacy office's figures for a period
as a signed PDF (the quarterly report to the council), verifiable with `faxgate records verify`."""

from __future__ import annotations

from pathlib import Path

import click

from gateway.entrypoints.cli.support import config_option, get_app
from gateway.services import statistics


@click.group("stats")
def stats_group() -> None:
    """統計と実施状況報告書 (the privacy office's figures)."""


@stats_group.command("report")
@click.option("--quarter", default=None, help="四半期 2026-Q3（Q1 は 1〜3 月）")
@click.option("--from", "start", default=None, help="開始日 YYYY-MM-DD（--quarter の代わりに）")
@click.option("--to", "end", default=None, help="終了日 YYYY-MM-DD")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="書き出す PDF ファイル")
@config_option
@click.pass_context
def report_command(ctx, quarter, start, end, output) -> None:
    """期間の集計を電子署名付きの報告書（PDF）にする."""
    from gateway.records.certify import build_statistics_report  # pyHanko takes ~0.6 s to import: only here
    from gateway.records.keys.base import SigningKeyError

    if quarter and (start or end):
        raise click.UsageError("--quarter と --from/--to は一緒には使えません")
    if not quarter and not (start and end):
        raise click.UsageError("--quarter か、--from と --to の両方を指定してください")
    try:
        first, last = statistics.quarter(quarter) if quarter else statistics.period(start, end, None)
    except statistics.PeriodError as exc:
        raise click.BadParameter(str(exc)) from None
    app = get_app(ctx)
    with app.unit_of_work(read_only=True) as uow:
        report = statistics.report(uow, first, last)
    try:
        with app.signing() as key:
            pdf = build_statistics_report(report.as_json() | {"totals": report.total().counts}, statistics.LABELS_JA, statistics.reasons_ja(report),
                                          key.signer(), office=app.config.coversheet.office_name,
                                          timestamper=app.timestamper())
    except SigningKeyError as exc:
        raise click.ClickException(f"{exc.message_ja} ({exc.message_en})") from None
    Path(output).write_bytes(pdf)
    total = report.total().counts
    click.echo(f"実施状況報告書を {output} に書き出しました（{first} 〜 {last}: 受付 {total['received']} 件、"
               f"送信 {total['sent']} 件、止めた {total['blocked']} 件）")
