"""`faxgate directory …`: import, audit, fix and export the approved speed-dial directory."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
from pathlib import Path

import click

from directory import addressbook, changes
from directory.addressbook import BookError, read_book
from directory.audit import ACTIONS_JA, LABELS_JA, AuditItem, audit
from directory.dialplan import DialStringError, display_number
from directory.importer import parse_date, plan_import
from directory.store import (
    ChangeRefused,
    EntryNotFound,
    apply_import,
    audit_items,
    change_entry,
    effective_dial,
    export_rows,
    get_entry,
    list_entries,
    record_verification,
)
from directory.schema import ChangeRequest
from gateway import auditlog, directory_changes
from gateway.cli_support import config_option, emit_json, get_app
from gateway.directory_changes import NotAnAdmin, active_admin, actor_of
from gateway.jobs import utcnow
from gateway.tables import render_table

FORMAT_CHOICE = click.Choice(addressbook.FORMATS)
STATUS_JA = {"active": "有効", "needs_review": "要確認", "retired": "廃止"}


@click.group("directory")
def directory_group() -> None:
    """短縮ダイヤル宛先表 (the approved speed-dial directory)."""


def _read(path: str, fmt: str | None):
    try:
        return read_book(Path(path).read_bytes(), fmt)
    except BookError as exc:
        raise click.ClickException(f"{path}: {exc}") from None


FIRST_INSTALL_ACTOR = "system:setup"


def _admin(session, name: str) -> str:
    """The actor for a change `--by` an active administrator, or a clear refusal."""
    try:
        return actor_of(active_admin(session, name))
    except NotAnAdmin as exc:
        raise click.ClickException(str(exc)) from None


@directory_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=FORMAT_CHOICE, default=None, help="省略時はファイルから判別")
@click.option("--dry-run", is_flag=True, help="何も変更せず、結果だけ表示する")
@click.option("--by", "admin", default=None, help="取り込む管理者の利用者名（有効な管理者）")
@click.option("--first-install", is_flag=True,
              help="初回導入: 空の宛先表に設定時に取り込む（管理者はまだいないため、承認済みとして監査証跡に記録）")
@click.option("--json", "as_json", is_flag=True)
@config_option
@click.pass_context
def import_book(ctx, file, fmt, dry_run, admin, first_install, as_json) -> None:
    """MFD のアドレス帳を取り込む（全件成功か、何も変更しないかのどちらか）.

    追加する登録と、番号・種別・内線を変える登録は、別の管理者が承認するまで送信に使えません。"""
    if bool(admin) == first_install:
        raise click.UsageError("--by 管理者名 を指定してください（初回導入の設定だけは --first-install）")
    app = get_app(ctx)
    book = _read(file, fmt)
    plan = plan_import(book, app.profile)
    report = {
        "file": file,
        "format": plan.format,
        "rows": len(book.rows),
        "dry_run": dry_run,
        "errors": [{"line": e.line, "message": e.message} for e in plan.errors],
        "skipped": [{"line": line, "reason": why} for line, why in plan.skipped],
        "warnings": plan.warnings,
        "change": None,
        "pending": 0,
    }
    with app.session(dry_run=dry_run) as session:
        if first_install:
            try:
                directory_changes.refuse_first_install_once_admins_exist(session)
            except NotAnAdmin as exc:
                raise click.ClickException(str(exc)) from None
        actor = FIRST_INSTALL_ACTOR if first_install else _admin(session, admin)
        if not plan.errors:
            try:
                result = apply_import(session, plan, actor, Path(file).name, first_install=first_install)
            except ChangeRefused as exc:
                raise click.ClickException(str(exc)) from None
            directory_changes.audit_requested(session, result.change)
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
@config_option
@click.pass_context
def audit_command(ctx, from_file, fmt, as_of, stale_days, as_json, csv_path, pdf_path) -> None:
    """全登録の一斉点検 (audit every speed dial; read-only)."""
    app = get_app(ctx)
    try:
        as_of_date = parse_date(as_of) if as_of else dt.date.today()
    except ValueError:
        raise click.BadParameter(f"{as_of!r} は YYYY-MM-DD ではありません", param_hint="--as-of") from None
    stale_days = stale_days or app.config.directory.stale_days
    errors = []
    if from_file:
        book = _read(from_file, fmt)
        plan = plan_import(book, app.profile)
        items = [_file_item(c) for c in plan.candidates]
        errors = [{"line": e.line, "message": e.message} for e in plan.errors]
    else:
        with app.session() as session:
            items = audit_items(session, app.profile)
    findings = audit(items, app.profile, as_of_date, stale_days)
    if csv_path:
        Path(csv_path).write_bytes(_worklist_csv(findings))
    if pdf_path:
        _write_signed_report(app, {"entries": len(items), "findings": [f.to_json() for f in findings]},
                             from_file or app.config.database.url, as_of_date, pdf_path)
    if as_json:
        emit_json({"entries": len(items), "findings": [f.to_json() for f in findings], "errors": errors})
        return
    source = from_file or app.config.database.url
    click.echo(f"一斉点検: {source}（{len(items)} 件、基準日 {as_of_date}、長期未使用 {stale_days} 日）")
    for error in errors:
        click.echo(f"  {error['line']} 行目: 読み取れません — {error['message']}")
    if not findings:
        click.echo("指摘はありません。")
        return
    rows = [[str(f.slot), f.name, LABELS_JA[f.code], f.detail] for f in findings]
    click.echo(render_table(["登録番号", "宛先名", "指摘", "内容"], rows, max_width=90))
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.code] = counts.get(finding.code, 0) + 1
    click.echo("集計: " + "、".join(f"{LABELS_JA[c]} {n}" for c, n in counts.items()))


def _write_signed_report(app, report: dict, source: str, as_of: dt.date, path: str) -> None:
    from gateway.records import build_audit_report  # pyHanko takes ~0.6 s to import: only here
    from gateway.signing import SigningKeyError

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
@config_option
@click.pass_context
def export_book(ctx, fmt, output, encoding, target, base, as_json) -> None:
    """承認済みの有効な登録を機器のアドレス帳形式で書き出す（ダイヤル文字列は正規の番号から生成）."""
    if as_json and not output:
        raise click.UsageError("--json は -o FILE と一緒に使ってください（標準出力は JSON の報告になります）")
    app = get_app(ctx)
    with app.session() as session:
        rows, left_out = export_rows(session, app.profile, app.config.smtp.domain if target == "gateway" else None)
    report = {"format": fmt, "target": target, "written": [row.slot for row in rows],
              "left_out": [{"slot": e.slot, "name": e.name, "code": e.code, "reason": e.reason} for e in left_out]}
    if base:
        try:
            merged = addressbook.merge_into(Path(base).read_bytes(), rows)
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
        return addressbook.write_generic(rows).decode("utf-8").encode(codec)
    if fmt == "ricoh":
        return addressbook.write_ricoh(rows, generated.strftime("%m/%d/%Y %H:%M:%S"))
    if fmt == "canon":
        return addressbook.write_canon(rows, codec)
    return addressbook.write_konica(rows, f"{generated:%Y}.{generated.month}.{generated.day} {generated:%H:%M:%S}")


@directory_group.command("list")
@click.option("--all", "include_retired", is_flag=True, help="廃止した登録も表示")
@click.option("--search", default="", help="宛先名・組織・番号で絞り込む")
@click.option("--json", "as_json", is_flag=True)
@config_option
@click.pass_context
def list_command(ctx, include_retired, search, as_json) -> None:
    """登録の一覧."""
    app = get_app(ctx)
    with app.session() as session:
        entries = list_entries(session, include_retired, search)
        rows = [(e, effective_dial(e, app.profile)) for e in entries]
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
        "pending_change": entry.pending_change_id,
        "version": entry.version,
    }


@directory_group.command("show")
@click.argument("slot", type=int)
@click.option("--json", "as_json", is_flag=True)
@config_option
@click.pass_context
def show_command(ctx, slot, as_json) -> None:
    """一件の登録と変更履歴."""
    app = get_app(ctx)
    with app.session() as session:
        entry = _entry_or_fail(session, slot)
        data = _entry_json(entry, effective_dial(entry, app.profile))
        data["history"] = [
            {"at": c.at.isoformat(), "actor": c.actor, "action": c.action, "before": c.before, "after": c.after, "note": c.note}
            for c in entry.changes
        ]
    if as_json:
        emit_json(data)
        return
    for key in ("slot", "name", "organization", "kind", "e164", "extension", "dial_string", "status",
                "review_reasons", "source_dial", "last_used", "verified_on", "verified_by", "expected_csi",
                "pending_change"):
        click.echo(f"{key}: {data[key]}")
    click.echo("履歴 (history):")
    for change in data["history"]:
        changed = sorted(k for k in change["after"] if not change["before"] or change["before"].get(k) != change["after"][k])
        click.echo(f"  {change['at']} {change['actor']} {change['action']}: {', '.join(changed)} {change['note']}")


def _entry_or_fail(session, slot):
    try:
        return get_entry(session, slot)
    except EntryNotFound as exc:
        raise click.ClickException(str(exc)) from None


def _change(ctx, slot: int, admin: str, note: str = "", origin: str = "set", **changes) -> None:
    app = get_app(ctx)
    try:
        with app.session() as session:
            actor = _admin(session, admin)
            held_before = get_entry(session, slot).pending_change_id
            entry = change_entry(session, slot, actor, app.profile, note=note, origin=origin, **changes)
            if entry.pending_change_id != held_before:
                directory_changes.audit_requested(session, session.get(ChangeRequest, entry.pending_change_id))
            else:
                auditlog.append(session, actor, "directory.entry_changed", f"directory_entry:{slot}", note,
                                status=entry.status, version=entry.version)
            click.echo(f"登録番号 {entry.slot} {entry.name}: {STATUS_JA[entry.status]} "
                       f"{display_number(entry.e164) or entry.extension or ''} (version {entry.version})")
            if entry.pending_change_id != held_before:
                click.echo(f"変更 #{entry.pending_change_id} は別の管理者の承認待ちです。承認されるまでこの宛先には送信できません"
                           f"（faxgate directory approve {entry.pending_change_id} --by 別の管理者）")
    except (ChangeRefused, DialStringError, EntryNotFound) as exc:
        raise click.ClickException(str(exc)) from None


BY_ADMIN = click.option("--by", "admin", required=True, help="変更する管理者の利用者名（有効な管理者）")


@directory_group.command("set")
@click.argument("slot", type=int)
@click.option("--fax", "dial", default=None, help="新しい番号（機器でダイヤルする形、例 0-03-5432-1111）")
@click.option("--name", default=None)
@click.option("--organization", default=None)
@click.option("--kind", type=click.Choice(["external", "internal"]), default=None)
@click.option("--extension", default=None)
@click.option("--last-used", "last_used", default=None, help="YYYY-MM-DD")
@click.option("--csi", "expected_csi", default=None, help="相手機が名乗る受信機ID（CSI）。送信後に照合します")
@click.option("--note", default="", help="変更理由")
@BY_ADMIN
@config_option
@click.pass_context
def set_command(ctx, slot, dial, name, organization, kind, extension, last_used, expected_csi, note, admin) -> None:
    """登録を修正する（番号・種別・内線の変更は別の管理者の承認待ち。番号を変えると使用・確認の記録は消えます）."""
    _change(ctx, slot, admin, note, dial=dial, name=name, organization=organization, kind=kind,
            extension=extension, last_used=_date_option(last_used, "--last-used"), expected_csi=expected_csi)


@directory_group.command("verify")
@click.argument("slot", type=int)
@click.option("--by", "verified_by", required=True, help="先方に番号を確認した職員")
@click.option("--on", "verified_on", default=None, help="確認日 YYYY-MM-DD（既定: 今日）")
@config_option
@click.pass_context
def verify_command(ctx, slot, verified_by, verified_on) -> None:
    """先方に電話で番号を確認したことを記録する."""
    on = _date_option(verified_on, "--on") or dt.date.today()
    app = get_app(ctx)
    try:
        with app.session() as session:
            entry = record_verification(session, slot, verified_by, on)
            click.echo(f"登録番号 {entry.slot} {entry.name}: {STATUS_JA[entry.status]} "
                       f"{display_number(entry.e164) or entry.extension or ''} (version {entry.version})")
    except (EntryNotFound, ChangeRefused) as exc:
        raise click.ClickException(str(exc)) from None


@directory_group.command("retire")
@click.argument("slot", type=int)
@click.option("--note", default="", help="廃止理由")
@BY_ADMIN
@config_option
@click.pass_context
def retire_command(ctx, slot, note, admin) -> None:
    """登録を廃止する（すぐに送信できなくなります。履歴は残ります）."""
    _change(ctx, slot, admin, note, status="retired")


@directory_group.command("reactivate")
@click.argument("slot", type=int)
@click.option("--note", default="", help="再び使う理由")
@BY_ADMIN
@config_option
@click.pass_context
def reactivate_command(ctx, slot, note, admin) -> None:
    """廃止した登録を再び使えるようにする（別の管理者の承認待ち）."""
    app = get_app(ctx)
    with app.session() as session:
        if _entry_or_fail(session, slot).status != "retired":
            raise click.ClickException(f"登録番号 {slot} は廃止されていません (slot {slot} is not retired)")
    _change(ctx, slot, admin, note, origin="reactivate", status="active")


@directory_group.command("changes")
@click.option("--all", "include_decided", is_flag=True, help="最近承認・却下した変更も表示")
@click.option("--json", "as_json", is_flag=True)
@config_option
@click.pass_context
def changes_command(ctx, include_decided, as_json) -> None:
    """別の管理者の承認を待つ宛先表の変更."""
    app = get_app(ctx)
    with app.session() as session:
        requests = changes.pending_requests(session) + (changes.recently_decided(session) if include_decided else [])
        listed = [directory_changes.change_json(session, request) for request in requests]
    if as_json:
        emit_json(listed)
        return
    if not listed:
        click.echo("承認を待つ変更はありません。")
        return
    for change in listed:
        click.echo(f"変更 #{change['id']} [{change['state']}] {directory_changes.ORIGINS_JA[change['origin']]} "
                   f"{change['requested_by']} {change['requested_at']}: {change['summary']}")
        for item in change["entries"]:
            was = "新規" if item["added"] else _where_text(item["before"])
            click.echo(f"  登録番号 {item['slot']} {item['name']}: {was} → {_where_text(item['after'])}")


def _where_text(where: dict) -> str:
    return f"{where['number'] or where['extension'] or '番号なし'} ({where['kind']}, {STATUS_JA[where['status']]})"


def _settle(ctx, change_id: int, admin: str, approve: bool, note: str) -> None:
    app = get_app(ctx)
    with app.session() as session:
        try:
            user = active_admin(session, admin)
        except NotAnAdmin as exc:
            raise click.ClickException(str(exc)) from None
        decision = directory_changes.settle(session, change_id, user, approve, note, utcnow())
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


def _date_option(value: str | None, name: str) -> dt.date | None:
    try:
        return parse_date(value) if value else None
    except ValueError:
        raise click.BadParameter(f"{value!r} は YYYY-MM-DD ではありません", param_hint=name) from None
