"""`faxgate jobs`: what the queue holds, one job's facts, and a person's word on a
delivery_unknown job (checked with the fax server, never re-sent automatically)."""

from __future__ import annotations

import click

from gateway.services import jobs
from gateway.services.confirm import job_json
from gateway.entrypoints.cli.support import config_option, default_actor, emit_json, get_app
from gateway.core.states import STATES, JobState
from gateway.entrypoints.cli.terminal_tables import render_table


@click.group("jobs")
def jobs_group() -> None:
    """送信ジョブ (fax jobs)."""


@jobs_group.command("list")
@click.option("--state", type=click.Choice(STATES), default=None)
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@config_option
@click.pass_context
def list_jobs(ctx, state, limit, as_json) -> None:
    """新しい順にジョブを表示する."""
    app = get_app(ctx)
    with app.unit_of_work(read_only=True) as uow:
        rows = [(j.id, j.state, j.submitter_email, j.e164 or j.destination_input, ",".join(r["code"] for r in j.reasons))
                for j in uow.jobs.newest(limit, state)]
    if as_json:
        emit_json([dict(zip(("id", "state", "submitter", "destination", "reasons"), row)) for row in rows])
        return
    click.echo(render_table(["ID", "状態", "依頼者", "宛先", "理由"], [list(row) for row in rows]))


@jobs_group.command("show")
@click.argument("job_id")
@config_option
@click.pass_context
def show_job(ctx, job_id) -> None:
    """ジョブの全情報 (JSON)."""
    app = get_app(ctx)
    with app.unit_of_work(read_only=True) as uow:
        job = uow.jobs.get(job_id)
        if job is None:
            raise click.ClickException(f"ジョブ {job_id} はありません (no such job)")
        # The operator at the server's console, who holds the database anyway: no one confirms here.
        emit_json(job_json(uow, job, reveal_number=True))


@jobs_group.command("resolve")
@click.argument("job_id")
@click.option("--outcome", type=click.Choice(["sent", "failed"]), required=True,
              help="ファクスサーバーの記録で確かめた結果")
@click.option("--note", required=True, help="確かめた内容（例: サーバーの送信ログで送信済みを確認）")
@click.option("--by", "actor", default=None)
@config_option
@click.pass_context
def resolve_job(ctx, job_id, outcome, note, actor) -> None:
    """送達不明 (delivery_unknown) のジョブに、確認した結果を記録する."""
    app = get_app(ctx)
    with app.unit_of_work() as uow:
        job = uow.jobs.get(job_id)
        if job is None:
            raise click.ClickException(f"ジョブ {job_id} はありません (no such job)")
        if job.state != JobState.DELIVERY_UNKNOWN:
            raise click.ClickException(f"ジョブ {job_id} は送達不明ではありません（状態: {job.state}）")
        jobs.move(uow, job, outcome, actor or default_actor(), note)
    click.echo(f"{job_id}: {outcome}")
