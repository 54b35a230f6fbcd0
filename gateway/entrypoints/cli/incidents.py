"""`faxgate incidents`: report a wrong send by job id, read delivery reports, work an incident
through to its reports (drafts in Japanese), and remind the privacy office of deadlines."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from gateway.core.office_time import OFFICE_TIME
from gateway.incidents import actions as incident_actions, service as incidents
from gateway.entrypoints.cli.support import config_option, default_actor, emit_json, get_app
from gateway.incidents.delivery_reports import ReportError, parse_report
from gateway.storage.tables import Incident
from gateway.entrypoints.cli.terminal_tables import render_table

STATE_JA = {"draft": "下書き（自動検知）", "open": "対応中", "dismissed": "誤検知", "closed": "完了"}


@click.group("incidents")
def incidents_group() -> None:
    """誤送信事案 (wrong sends: detection, incident records, report drafts)."""


def _incident(uow, incident_id: int) -> Incident:
    incident = uow.incidents.get(incident_id)
    if incident is None:
        raise click.ClickException(f"事案 {incident_id} はありません (no such incident)")
    return incident


def _refused(exc: incidents.IncidentRefused) -> click.ClickException:
    return click.ClickException(f"{exc.message_ja} ({exc.message_en})")


@incidents_group.command("report")
@click.argument("job_id")
@click.option("--reached", required=True, help="実際に届いた先（分かる範囲で。例: 株式会社〇〇 03-xxxx-xxxx）")
@click.option("--detail", default="", help="分かった経緯")
@click.option("--learned-at", "learned_at", default=None, help="誤送信を知った日時 (ISO 8601; 既定: 今)")
@click.option("--by", "actor", default=None)
@config_option
@click.pass_context
def report_command(ctx, job_id, reached, detail, learned_at, actor) -> None:
    """送信番号を指定して「誤った相手に届いた」と報告する."""
    moment = None
    if learned_at:
        try:
            moment = dt.datetime.fromisoformat(learned_at)
        except ValueError:
            raise click.BadParameter("ISO 8601 の日時で指定してください（例 2026-11-23T14:05+09:00）", param_hint="--learned-at")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=OFFICE_TIME)
    try:
        incident_id, created = incident_actions.report_wrong_send(
            get_app(ctx), job_id, actor=actor or default_actor(), reached=reached, detail=detail, learned_at=moment)
    except incidents.IncidentRefused as exc:
        raise _refused(exc) from None
    click.echo(f"事案 {incident_id} を{'作成しました' if created else 'に追記しました'}（送信番号 {job_id}）")


@incidents_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@config_option
@click.pass_context
def list_command(ctx, as_json) -> None:
    """事案の一覧（期限つき）."""
    app = get_app(ctx)
    with app.unit_of_work(read_only=True) as uow:
        rows = [incidents.incident_json(i, app.policy) for i in uow.incidents.newest_first()]
    if as_json:
        emit_json(rows)
        return
    click.echo(render_table(
        ["事案", "状態", "送信番号", "報告対象", "速報期限", "確報期限", "届いた先"],
        [[str(r["id"]), STATE_JA[r["state"]], r["job_id"], "はい" if r["reportable"] else "いいえ",
          r["deadlines"]["preliminary"], r["deadlines"]["final"], r["reached"]] for r in rows]))


@incidents_group.command("show")
@click.argument("incident_id", type=int)
@config_option
@click.pass_context
def show_command(ctx, incident_id) -> None:
    """事案の全情報 (JSON): 事実、第43条の該当、期限、再発防止."""
    app = get_app(ctx)
    with app.unit_of_work(read_only=True) as uow:
        emit_json(incidents.incident_json(_incident(uow, incident_id), app.policy))


@incidents_group.command("draft")
@click.argument("incident_id", type=int)
@click.argument("which", type=click.Choice(["preliminary", "final", "notice", "timeline"]))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@config_option
@click.pass_context
def draft_command(ctx, incident_id, which, output) -> None:
    """下書きを出力する: preliminary 速報 / final 確報 / notice 本人通知 / timeline 経過."""
    app = get_app(ctx)
    with app.unit_of_work(read_only=True) as uow:
        text = incidents.draft(uow, _incident(uow, incident_id), app.policy, which)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
        click.echo(f"{output} に書き出しました")
    else:
        click.echo(text)


def _date(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("YYYY-MM-DD で指定してください", param_hint=name) from None


@incidents_group.command("set")
@click.argument("incident_id", type=int)
@click.option("--persons", type=click.IntRange(0), default=None, help="本人の数（推計を直す）")
@click.option("--malicious/--not-malicious", default=None, help="不正の目的によるおそれ（第43条第3号）")
@click.option("--financial-risk", type=click.Choice(["yes", "no", "auto"]), default=None, help="財産的被害のおそれ（第2号）")
@click.option("--preliminary-due", default=None, help="速報の期限 YYYY-MM-DD（事務所が定める）")
@click.option("--filed-preliminary", default=None, help="速報を出した日 YYYY-MM-DD")
@click.option("--filed-final", default=None, help="確報を出した日 YYYY-MM-DD")
@click.option("--item", "items", multiple=True, help="報告項目の本文 KEY=TEXT（KEY: " + ", ".join(incidents.NARRATIVE_KEYS) + "）")
@click.option("--dismiss", default=None, help="誤検知として閉じる（理由）")
@click.option("--close", "close", default=None, help="対応完了として閉じる（理由）")
@click.option("--by", "actor", default=None)
@config_option
@click.pass_context
def set_command(ctx, incident_id, persons, malicious, financial_risk, preliminary_due, filed_preliminary, filed_final,
                items, dismiss, close, actor) -> None:
    """事務所の判断と報告の本文を記録する（すべて監査記録に残ります）."""
    changes: dict = {}
    if persons is not None:
        changes["persons"] = persons
    if malicious is not None:
        changes["malicious"] = malicious
    if financial_risk is not None:
        changes["financial_risk"] = {"yes": True, "no": False, "auto": None}[financial_risk]
    for name, value in (("preliminary_due", preliminary_due), ("preliminary_filed_on", filed_preliminary),
                        ("final_filed_on", filed_final)):
        if value is not None:
            changes[name] = _date(value, "--" + name.replace("_", "-"))
    narrative = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep:
            raise click.BadParameter("KEY=TEXT の形で指定してください", param_hint="--item")
        narrative[key.strip()] = text
    state, reason = (("dismissed", dismiss) if dismiss is not None else ("closed", close) if close is not None else (None, ""))
    app = get_app(ctx)
    try:
        with app.unit_of_work() as uow:
            incident = _incident(uow, incident_id)
            incidents.update_incident(uow, incident, actor or default_actor(), narrative=narrative, state=state,
                                      reason=reason or "", **changes)
            emit_json(incidents.incident_json(incident, app.policy))
    except incidents.IncidentRefused as exc:
        raise _refused(exc) from None


@incidents_group.command("ingest")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@config_option
@click.pass_context
def ingest_command(ctx, files) -> None:
    """ファクスサーバーの配信報告を読み、受信機ID（CSI）を照合する
    (HylaFAX xferfaxlog, HylaFAX doneq/qN, SMTP delivery status notification)."""
    reports = []
    for file in files:
        try:
            reports += parse_report(file.read_bytes(), file.name)
        except ReportError as exc:
            raise click.ClickException(f"{file}: {exc}") from None
    result = incident_actions.ingest(get_app(ctx), reports)
    for job_id, check in result.checks:
        click.echo(f"{job_id}: {check.verdict} {check.explanation_ja}")
    click.echo(f"報告 {result.stored} 件を記録、該当ジョブなし {result.unmatched} 件、誤送信のおそれ {len(result.opened)} 件")
    if result.opened:
        ctx.exit(3)  # scripts and monitoring see at once that something may have gone astray


@incidents_group.command("remind")
@config_option
@click.pass_context
def remind_command(ctx) -> None:
    """期限が近い・過ぎた報告を個人情報保護の担当にメールで知らせる."""
    click.echo(f"{incident_actions.send_reminders(get_app(ctx))} 件を知らせました")
