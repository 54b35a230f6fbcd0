"""`faxgate records …`: check a signed record, and create the signing key on first install.

gateway.records and gateway.signing are imported inside the commands: pyHanko takes ~0.6 s to
import, and every other `faxgate` command would pay for it."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import click

from gateway.cli_support import config_option, get_app
from gateway.records_config import DEFAULT_DIR


@click.group("records")
def records_group() -> None:
    """署名付き記録 (signed transmission records and their signing key)."""


@records_group.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--trust-root", type=click.Path(dir_okay=False), default=None,
              help="信頼の起点とする CA 証明書 (PEM)。省略時は設定の [records] trust_root。")
@click.option("--json", "as_json", is_flag=True, help="JSON で出力")
@config_option
@click.pass_context
def records_verify(ctx: click.Context, file: Path, trust_root: str | None, as_json: bool) -> None:
    """記録 FILE の署名と完全性を検証する（有効なときだけ終了コード 0、改変・不正は 1、検証できないときは 2）."""
    from gateway.records import embedded_facts, verify_record
    from gateway.signing import SigningKeyError

    root = trust_root or get_app(ctx).config.records.trust_root
    if not root:
        raise click.UsageError("信頼の起点がありません: --trust-root か [records] trust_root を指定してください "
                               "(no trust root: give --trust-root or set [records] trust_root)")
    # pyHanko logs each failed check with a traceback; the verdict below already says why.
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    data = file.read_bytes()
    try:
        ok, reason = verify_record(data, root)
    except SigningKeyError as exc:
        click.echo(f"検証できません (cannot verify): {exc}", err=True)
        ctx.exit(2)
    if as_json:
        click.echo(json.dumps({"file": str(file), "valid": ok, "reason": reason,
                               "record": embedded_facts(data) if ok else None}, ensure_ascii=False, indent=2))
    elif ok:
        click.echo(f"ok: {reason}")
    else:
        click.echo(f"検証に失敗しました (record not valid): {reason}", err=True)
    ctx.exit(0 if ok else 1)


@records_group.command("init-ca")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_DIR,
              show_default=True, help="鍵と証明書を書き出すディレクトリ")
@click.option("--organization", default="faxgate", show_default=True, help="証明書に記す組織名（例: 世田谷区）")
@click.option("--password-env", default=None,
              help="この環境変数の値で鍵を暗号化する（省略時は設定の [records] password_env、未設定なら暗号化しない）")
@config_option
@click.pass_context
def records_init_ca(ctx: click.Context, out_dir: Path, organization: str, password_env: str | None) -> None:
    """初回導入: ローカル CA と記録署名用の鍵・証明書を作る (a local CA and signing key for a first install)."""
    from gateway.signing import SigningKeyError, init_ca, password_from_env

    variable = password_env or get_app(ctx).config.records.password_env
    password = password_from_env(variable)
    try:
        created = init_ca(out_dir, organization=organization, password=password, password_env=variable)
    except SigningKeyError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"作成しました (created): {created.ca_cert}, {created.key}, {created.cert}", err=True)
    click.echo(f"{created.ca_key} は証明書の再発行にだけ使います。導入後はサーバーから外して保管してください "
               "(keep the CA key offline after install).", err=True)
    if password is None:
        click.echo(f"鍵は暗号化されていません。暗号化するには環境変数 {variable} を設定して作り直してください "
                   "(keys are not encrypted).", err=True)
    click.echo("設定ファイルに追加してください (add to the configuration):", err=True)
    click.echo(created.config_toml(), nl=False)
