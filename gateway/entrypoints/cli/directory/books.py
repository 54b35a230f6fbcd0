"""`faxgate directory import | audit | export`: a device's address book in, checked, and out again."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
from pathlib import Path

import click

from directory import formats
from directory.audit import ACTIONS_JA, LABELS_JA, AuditItem, audit
from directory.entries import (
    ChangeRefused,
    apply_import,
    audit_items,
    export_rows,
)
from directory.cross_audit import LABELS_JA as CROSS_LABELS_JA, cross_audit
from directory.formats.book import BookError
from directory.importer import parse_date, plan_import
from gateway.entrypoints.cli.directory.common import (DEVICE_OPTION, FIRST_INSTALL_ACTOR, FORMAT_CHOICE, admin_actor,
                                                       device_book, directory_group, read_key_file)
from gateway.entrypoints.cli.support import config_option, emit_json, get_app
from gateway.entrypoints.cli.terminal_tables import render_table
from gateway.services import books, directory_changes
from gateway.services.directory_changes import NotAnAdmin


@directory_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=FORMAT_CHOICE, default=None, help="省略時はファイルから判別")
@click.option("--dry-run", is_flag=True, help="何も変更せず、結果だけ表示する")
@click.option("--by", "admin", default=None, help="取り込む管理者の利用者名（有効な管理者）")
@click.option("--first-install", is_flag=True,
              help="初回導入: 空の宛先表に設定時に取り込む（管理者はまだいないため、承認済みとして監査証跡に記録）")
@DEVICE_OPTION
@click.option("--json", "as_json", is_flag=True)
@config_option
@click.pass_context
def import_book(ctx, file, fmt, dry_run, admin, first_install, device, as_json) -> None:
    """MFD のアドレス帳を取り込む（全件成功か、何も変更しないかのどちらか）.

    追加する登録と、番号・種別・内線を変える登録は、別の管理者が承認するまで送信に使えません。"""
    if bool(admin) == first_install:
        raise click.UsageError("--by 管理者名 を指定してください（初回導入の設定だけは --first-install）")
    app = get_app(ctx)
    book = read_key_file(file, fmt)
    with app.unit_of_work(dry_run=dry_run) as uow:
        # A device's book is read with its site's PBX, and importing it touches no other book.
        target = device_book(uow, app, device, own=device is not None)
        plan = plan_import(book, target.profile)
        report = {
            "file": file,
            "format": plan.format,
            "rows": len(book.rows),
            "dry_run": dry_run,
            "device": target.device,
            "site": target.site,
            "errors": [{"line": e.line, "message": e.message} for e in plan.errors],
            "skipped": [{"line": line, "reason": why} for line, why in plan.skipped],
            "warnings": plan.warnings,
            "change": None,
            "pending": 0,
        }
        if first_install:
            try:
                directory_changes.refuse_first_install_once_admins_exist(uow)
            except NotAnAdmin as exc:
                raise click.ClickException(str(exc)) from None
        actor = FIRST_INSTALL_ACTOR if first_install else admin_actor(uow, admin)
        if not plan.errors:
            try:
                result = apply_import(uow.in_book(target.book), plan, actor, Path(file).name,
                                      first_install=first_install)
            except ChangeRefused as exc:
                raise click.ClickException(str(exc)) from None
            directory_changes.audit_requested(uow, result.change)
            report.update(
                created=result.created,
                updated=result.updated,
                unchanged=result.unchanged,
                change=result.change.id if result.pending and not dry_run else None,
                pending=len(result.pending),
                pending_slots=result.pending,
                first_install=first_install,
                needs_review=[
                    {
                        "line": c.line,
                        "slot": c.slot,
                        "name": c.name,
                        "dial": c.dial,
                        "problems": list(c.review_reasons),
                        "reaches": c.reading.reaches if c.reading else None,
                        "intended": c.reading.intended if c.reading else None,
                        "explanation": c.reading.explanation if c.reading else "",
                    }
                    for c in result.needs_review
                ],
            )
    if as_json:
        emit_json(report)
    else:
        _print_import(report)
    if plan.errors:
        ctx.exit(1)


def _print_import(report: dict) -> None:
    click.echo(f"{report['file']}: {report['format']} 形式、ファクス宛先 {report['rows']} 件")
    for warning in report["warnings"]:
        click.echo(f"  注意: {warning}")
    for skipped in report["skipped"]:
        click.echo(f"  {skipped['line']} 行目: 対象外 — {skipped['reason']}")
    if report["errors"]:
        click.echo(f"エラー {len(report['errors'])} 件のため、何も取り込んでいません (nothing imported):", err=True)
        for error in report["errors"]:
            click.echo(f"  {error['line']} 行目: {error['message']}", err=True)
        return
    prefix = "【試行】変更はしていません — " if report["dry_run"] else ""
    click.echo(
        f"{prefix}新規 {len(report['created'])} 件 / 更新 {len(report['updated'])} 件 / "
        f"変更なし {len(report['unchanged'])} 件"
    )
    if report["first_install"]:
        click.echo("初回導入として取り込みました（設定による取り込みとして監査証跡に記録）")
    elif report["pending"]:
        waiting = f"変更 #{report['change']}" if report["change"] else "この変更"
        click.echo(f"{waiting}: 登録 {report['pending']} 件は別の管理者の承認待ちです。承認されるまで送信には使えません"
                   + (f"（faxgate directory approve {report['change']} --by 別の管理者）" if report["change"] else ""))
    if report["needs_review"]:
        click.echo(f"要確認 (needs_review) {len(report['needs_review'])} 件 — 確認が済むまで送信には使えません:")
        for item in report["needs_review"]:
            click.echo(f"  {item['line']} 行目 登録番号 {item['slot']} {item['name']}: {', '.join(item['problems'])}")
            if item["explanation"]:
                click.echo(f"      {item['explanation']}")


@directory_group.command("audit")
@click.option("--from-file", "from_file", type=click.Path(exists=True, dir_okay=False), help="機器から出力したファイルを点検（読み取りのみ）")
@click.option("--format", "fmt", type=FORMAT_CHOICE, default=None)
@click.option("--as-of", "as_of", default=None, help="基準日 YYYY-MM-DD（既定: 今日）")
@click.option("--stale-days", type=click.IntRange(min=1), default=None, help="この日数使われていない登録を長期未使用とする（既定 180）")
@click.option("--json", "as_json", is_flag=True)
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), default=None, help="作業用 CSV を書き出す")
@click.option("--signed-pdf", "pdf_path", type=click.Path(dir_okay=False), default=None,
              help="電子署名付きの点検報告書 (PDF) を書き出す")
@DEVICE_OPTION
@click.option("--all-books", "all_books", is_flag=True, help="全機器の宛先表を、それぞれと機器をまたいで点検する")
@config_option
@click.pass_context
def audit_command(ctx, from_file, fmt, as_of, stale_days, as_json, csv_path, pdf_path, device, all_books) -> None:
    """全登録の一斉点検 (audit every speed dial; read-only)."""
    app = get_app(ctx)
    if all_books:
        if from_file or device or csv_path or pdf_path:
            raise click.UsageError("--all-books は --from-file・--device・--csv・--signed-pdf と一緒には使えません")
        ctx.exit(_audit_every_book(app, as_of, stale_days or app.policy.stale_days, as_json))
    try:
        as_of_date = parse_date(as_of) if as_of else dt.date.today()
    except ValueError:
        raise click.BadParameter(f"{as_of!r} は YYYY-MM-DD ではありません", param_hint="--as-of") from None
    stale_days = stale_days or app.policy.stale_days
    errors = []
    with app.unit_of_work(read_only=True) as uow:
        target = device_book(uow, app, device)
        if not from_file:
            items = audit_items(uow.in_book(target.book), target.profile)
    if from_file:
        book = read_key_file(from_file, fmt)
        plan = plan_import(book, target.profile)
        items = [_file_item(c) for c in plan.candidates]
        errors = [{"line": e.line, "message": e.message} for e in plan.errors]
    findings = audit(items, target.profile, as_of_date, stale_days)
    across = []
    if not from_file:
        with app.unit_of_work(read_only=True) as uow:
            across = [f for f in cross_audit(books.city_books(uow)) if f.involves(target.book)]
    if csv_path:
        Path(csv_path).write_bytes(_worklist_csv(findings))
    if pdf_path:
        _write_signed_report(app, {"entries": len(items), "findings": [f.to_json() for f in findings],
                                   "book": target.label, "device": target.device, "site": target.site or "main"},
                             from_file or app.config.database.url, as_of_date, pdf_path)
    if as_json:
        emit_json({"entries": len(items), "findings": [f.to_json() for f in findings], "errors": errors,
                   "device": target.device, "site": target.site, "across": [f.to_json() for f in across]})
        return
    source = from_file or app.config.database.url
    click.echo(f"一斉点検: {source}（{len(items)} 件、基準日 {as_of_date}、長期未使用 {stale_days} 日）")
    click.echo(f"対象: {target.label}")
    for error in errors:
        click.echo(f"  {error['line']} 行目: 読み取れません — {error['message']}")
    for finding in across:
        click.echo(f"  機器をまたぐ指摘: {CROSS_LABELS_JA[finding.code]} — {finding.detail}")
    if not findings:
        click.echo("指摘はありません。")
        return
    rows = [[str(f.slot), f.name, LABELS_JA[f.code], f.detail] for f in findings]
    click.echo(render_table(["登録番号", "宛先名", "指摘", "内容"], rows, max_width=90))
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.code] = counts.get(finding.code, 0) + 1
    click.echo("集計: " + "、".join(f"{LABELS_JA[c]} {n}" for c, n in counts.items()))


def _audit_every_book(app, as_of: str | None, stale_days: int, as_json: bool) -> int:
    """Each book with its own site's reading, then what only shows across books."""
    try:
        as_of_date = parse_date(as_of) if as_of else dt.date.today()
    except ValueError:
        raise click.BadParameter(f"{as_of!r} は YYYY-MM-DD ではありません", param_hint="--as-of") from None
    with app.unit_of_work(read_only=True) as uow:
        reports, across = books.audit_every_book(uow, app.profile, as_of_date, stale_days)
    if as_json:
        emit_json({"books": [{"device": b.device if b.book else None, "site": b.site, "reading": b.label,
                              "entries": n, "findings": [f.to_json() for f in found]} for b, n, found in reports],
                   "across": [f.to_json() for f in across]})
        return 0
    for book, count, found in reports:
        click.echo(f"{book.label}: {count} 件、指摘 {len(found)} 件")
        for f in found:
            click.echo(f"  登録番号 {f.slot} {f.name}: {LABELS_JA[f.code]} — {f.detail}")
    click.echo(f"機器をまたぐ指摘 {len(across)} 件")
    for finding in across:
        click.echo(f"  {CROSS_LABELS_JA[finding.code]} — {finding.detail}")
    return 0


def _write_signed_report(app, report: dict, source: str, as_of: dt.date, path: str) -> None:
    from gateway.records.certify import build_audit_report  # pyHanko takes ~0.6 s to import: only here
    from gateway.records.keys.base import SigningKeyError

    try:
        with app.signing() as key:
            pdf = build_audit_report(report, key.signer(), source, as_of, office=app.config.coversheet.office_name,
                                     timestamper=app.timestamper())
    except SigningKeyError as exc:
        raise click.ClickException(f"{exc.message_ja} ({exc.message_en})") from None
    Path(path).write_bytes(pdf)
    click.echo(f"署名付き報告書を {path} に書き出しました", err=True)


def _file_item(candidate) -> AuditItem:
    return AuditItem(
        slot=candidate.slot,
        name=candidate.name,
        dial=candidate.dial or None,
        kind=candidate.kind,
        extension=candidate.extension,
        last_used=candidate.last_used,
        verified_on=candidate.verified_on,
    )


def _worklist_csv(findings) -> bytes:
    """A list an admin works through in a spreadsheet (UTF-8 with BOM so Excel reads Japanese)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["slot", "name", "code", "指摘", "内容", "reaches", "intended", "対応", "対応者", "対応日"])
    for f in findings:
        writer.writerow(
            [f.slot, f.name, f.code, LABELS_JA[f.code], f.detail, f.reaches or "", f.intended or "", ACTIONS_JA[f.code], "", ""]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@directory_group.command("export")
@click.option("--format", "fmt", type=FORMAT_CHOICE, required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="出力先（省略時は標準出力）")
@click.option("--encoding", type=click.Choice(["utf-8", "sjis"]), default="utf-8", help="generic と canon の文字コード")
@click.option("--target", type=click.Choice(["direct", "gateway"]), default="direct",
              help="direct: 機器が自分でダイヤルする番号 / gateway: faxgate 経由で送る宛先 sd-登録番号@ドメイン")
@click.option("--base", "base", type=click.Path(exists=True, dir_okay=False), default=None,
              help="機器が書き出したアドレス帳: ファクス以外の登録と宛先ごとの設定を残し、ファクスの登録だけを書き換える")
@click.option("--json", "as_json", is_flag=True, help="結果（書き出した件数、除外した登録と理由）を JSON で標準出力に（-o と併用）")
@DEVICE_OPTION
@config_option
@click.pass_context
def export_book(ctx, fmt, output, encoding, target, base, as_json, device) -> None:
    """承認済みの有効な登録を機器のアドレス帳形式で書き出す（ダイヤル文字列は正規の番号から生成）."""
    if as_json and not output:
        raise click.UsageError("--json は -o FILE と一緒に使ってください（標準出力は JSON の報告になります）")
    app = get_app(ctx)
    with app.unit_of_work(read_only=True) as uow:
        # The dial strings this device's PBX needs, from its site's profile.
        book = device_book(uow, app, device)
        rows, left_out = export_rows(uow.in_book(book.book), book.profile,
                                     app.config.smtp.domain if target == "gateway" else None)
    report = {"format": fmt, "target": target, "device": book.device, "site": book.site,
              "written": [row.slot for row in rows],
              "left_out": [{"slot": e.slot, "name": e.name, "code": e.code, "reason": e.reason} for e in left_out]}
    if base:
        try:
            merged = formats.merge_into(Path(base).read_bytes(), rows)
        except BookError as exc:
            raise click.ClickException(f"{base}: {exc}") from None
        if merged.format != fmt:
            raise click.ClickException(f"{base} は {merged.format} 形式です（--format {fmt} と違います）")
        data = merged.data
        report["base"] = {"file": base, "kept": merged.kept, "replaced": merged.replaced, "added": merged.added,
                          "removed": [{"slot": slot, "name": name} for slot, name in merged.removed],
                          "attention": [{"slot": slot, "reason": why} for slot, why in merged.attention]}
    else:
        data = _write_book(fmt, rows, encoding)
    for entry in left_out:
        click.echo(f"書き出していません: 登録番号 {entry.slot} {entry.name} — {entry.reason} ({entry.code})", err=True)
    if base:
        for slot, name in merged.removed:
            click.echo(f"機器のファクス登録を外しました: 登録番号 {slot} {name} — faxgate の承認済み宛先表にありません", err=True)
        for slot, why in merged.attention:
            click.echo(f"要対応: 登録番号 {slot} — {why}", err=True)
    if output:
        Path(output).write_bytes(data)
        click.echo(f"{len(rows)} 件を {output} に書き出しました ({fmt}, {target})", err=True)
    else:
        sys.stdout.buffer.write(data)
    if as_json:
        emit_json(report)


def _write_book(fmt: str, rows, encoding: str) -> bytes:
    generated = dt.datetime.now()
    codec = "cp932" if encoding == "sjis" else "utf-8"
    if fmt == "generic":
        return formats.write_generic(rows).decode("utf-8").encode(codec)
    if fmt == "ricoh":
        return formats.write_ricoh(rows, generated.strftime("%m/%d/%Y %H:%M:%S"))
    if fmt == "canon":
        return formats.write_canon(rows, codec)
    return formats.write_konica(rows, f"{generated:%Y}.{generated.month}.{generated.day} {generated:%H:%M:%S}")
