"""`faxgate scan FILE… [--json]`: screen PDF/TIFF files as faxes, the way the gateway does.

Exit status: 0 whenever every file was screened, whatever the verdicts (pass, block and hold
are results, not errors); 2 for usage errors — a file that does not exist or cannot be read,
or a settings file that is not valid. Screening needs nothing from the configuration: the
office's allow-list and category policy come from `--settings FILE` (TOML, see
policies.settings), and without it the shipped policy applies with an empty allow-list.
"""

from __future__ import annotations

import tomllib
import unicodedata
from pathlib import Path

import click

from gateway.entrypoints.cli.support import config_option, emit_json
from policies.categories import NAMES_JA
from policies.screen import ScreenResult, screen_document
from policies.settings import ScreenSettings, settings_from_table

_VERDICTS_JA = {"pass": "送信可", "block": "送信不可", "hold": "保留（内容を確認できません）"}


def _load_settings(path: str | None, resolution: str | None) -> ScreenSettings:
    table: dict = {}
    if path:
        try:
            table = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise click.BadParameter(f"{path}: {exc}", param_hint="--settings") from None
    if resolution:
        table["resolution"] = resolution
    try:
        return settings_from_table(table)
    except (TypeError, ValueError) as exc:
        raise click.BadParameter(f"{path}: {exc}", param_hint="--settings") from None


@click.command("scan")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--json", "as_json", is_flag=True, help="結果をJSONで出力する（ファイルごとに1オブジェクトのリスト）。")
@click.option("--settings", "settings_file", type=click.Path(exists=True, dir_okay=False),
              help="点検の設定ファイル (TOML): 庁内の許可リスト、種別ごとの扱い、OCR。")
@click.option("--resolution", type=click.Choice(["fine", "standard"]),
              help="ページを判定する解像度（既定: fine 204×196 dpi）。")
@config_option
def scan_command(files: tuple[str, ...], as_json: bool, settings_file: str | None, resolution: str | None) -> None:
    """PDF/TIFFファイルをファクスとして点検し、マスキングされていない個人情報を探します。"""
    settings = _load_settings(settings_file, resolution)
    results = []
    for file in files:
        try:
            data = Path(file).read_bytes()
        except OSError as exc:
            raise click.FileError(file, hint=str(exc)) from None
        result = screen_document(data, settings)
        results.append((file, result))
        if not as_json:
            _print_table(file, result)
    if as_json:
        emit_json([{"file": file, **_json(result)} for file, result in results])


def _json(result: ScreenResult) -> dict:
    body = result.to_json()
    return {"verdict": body["verdict"], "pages": body["pages"], "findings": body["findings"],
            "seconds": body["seconds"], "hold": body["hold"], "extra_approvers": body["extra_approvers"],
            "needs_privacy_officer": body["needs_privacy_officer"]}


def _print_table(file: str, result: ScreenResult) -> None:
    click.echo(f"ファイル: {file}")
    verdict = _VERDICTS_JA[result.verdict]
    if result.verdict == "pass" and result.extra_approvers:
        verdict += f"（承認者を{result.extra_approvers}人追加）"
    if result.needs_privacy_officer:
        verdict += "（個人情報保護責任者の承認が必要）"
    click.echo(f"  判定: {verdict}   ページ数: {result.pages}   所要時間: {result.seconds:.2f}秒")
    if result.hold:
        click.echo(f"  保留の理由: {result.hold.message_ja}")
    if not result.findings:
        click.echo("  個人情報は見つかりませんでした。")
        return
    rows = [("ページ", "種別", "値（中央を伏せ字）", "状態", "位置 (左,上)-(右,下)", "読取")]
    for finding in result.findings:
        state = "マスク済み" if finding.masked else {"block": "未マスク（送信不可）", "extra_approver": "未マスク（承認者追加）",
                                                "allow": "未マスク（許可）"}[finding.action]
        left, top, right, bottom = finding.bbox
        rows.append((str(finding.page), NAMES_JA[finding.category], finding.text, state,
                     f"({left},{top})-({right},{bottom})", "テキスト" if finding.source == "text" else "OCR"))
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  " + "  ".join(cell + " " * (width - _width(cell)) for cell, width in zip(row, widths)).rstrip())


def _width(text: str) -> int:
    """Columns a terminal gives `text`: two for full-width characters."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
