"""`faxgate keys`: the key-encryption key of encryption at rest (status, rotate, encrypt-existing)."""

from __future__ import annotations

import click

from gateway.entrypoints.cli.support import config_option, default_actor, emit_json, get_app
from gateway.services import at_rest_keys
from gateway.storage.kek import AtRestKeyError


@click.group("keys")
def keys_group() -> None:
    """保存データの暗号化の鍵 (the key-encryption key of encryption at rest)."""


def _fail(ctx: click.Context, exc: AtRestKeyError) -> None:
    click.echo(f"エラー: {exc.message_ja}\n({exc.message_en})", err=True)
    ctx.exit(1)


@keys_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="JSON で出力")
@config_option
@click.pass_context
def keys_status(ctx, as_json: bool) -> None:
    """鍵の場所と、各鍵で包まれたデータ鍵の数を表示する（鍵が使えなければ終了コード 1）."""
    app = get_app(ctx)
    try:
        keyring = app.keyring()
    except AtRestKeyError as exc:
        _fail(ctx, exc)
        return
    with app.unit_of_work(read_only=True) as uow:
        counts = uow.data_keys.by_kek()
    if as_json:
        emit_json({"source": keyring.source, "current": keyring.current_id, "data_keys": counts})
        return
    click.echo(f"鍵 (KEK): {keyring.source}\n現在の鍵: {keyring.current_id}")
    for kek_id, count in sorted(counts.items()):
        click.echo(f"  {kek_id}: データ鍵 {count} 件")


@keys_group.command("rotate")
@click.option("--by", "actor", default=None, help="監査証跡に残す実行者（既定: OS の利用者）")
@config_option
@click.pass_context
def keys_rotate(ctx, actor: str | None) -> None:
    """新しい鍵 (KEK) でデータ鍵をすべて包み直す（文書は暗号化し直さない。監査証跡に記録）."""
    app = get_app(ctx)
    try:
        rotation = at_rest_keys.rotate(app, actor or default_actor())
    except AtRestKeyError as exc:
        _fail(ctx, exc)
        return
    except at_rest_keys.NothingToRotate:
        click.echo(f"エラー: 環境変数 {app.config.keys.kek_env} の先頭の鍵がすでにすべてのデータ鍵を包んでいます。"
                   "新しい鍵を先頭に（古い鍵をその後に）置いて再起動してから実行してください。", err=True)
        ctx.exit(1)
        return
    click.echo(f"ok: {rotation.rewrapped} data key(s) re-wrapped, key {rotation.previous} → {rotation.current}")


@keys_group.command("encrypt-existing")
@click.option("--by", "actor", default=None)
@config_option
@click.pass_context
def keys_encrypt_existing(ctx, actor: str | None) -> None:
    """暗号化の導入前に保存された文書・記録を暗号化する（一度だけ。繰り返しても安全）."""
    app = get_app(ctx)
    try:
        rows = at_rest_keys.encrypt_existing(app, actor or default_actor())
    except AtRestKeyError as exc:
        _fail(ctx, exc)
        return
    click.echo(f"ok: {rows} row(s) sealed")
