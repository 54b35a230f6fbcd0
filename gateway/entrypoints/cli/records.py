"""`faxgate records …`: check a signed record; create, look at and renew the signing key.

gateway.records.certify and gateway.records.verify are imported inside the commands: pyHanko takes ~0.6 s to
import, and every other `faxgate` command would pay for it."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import click

from gateway.entrypoints.cli.support import config_option, get_app
from gateway.records.config import DEFAULT_DIR


@click.group("records")
def records_group() -> None:
    """署名付き記録 (signed transmission records and their signing key)."""


@records_group.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--trust-root", type=click.Path(dir_okay=False), default=None,
              help="信頼の起点とする CA 証明書 (PEM)。省略時は設定の [records] trust_root。")
@click.option("--tsa-trust-root", type=click.Path(dir_okay=False), default=None,
              help="タイムスタンプ局の CA 証明書 (PEM)。省略時は設定の [records] tsa_trust_root、それもなければ信頼の起点。")
@click.option("--json", "as_json", is_flag=True, help="JSON で出力")
@config_option
@click.pass_context
def records_verify(ctx: click.Context, file: Path, trust_root: str | None, tsa_trust_root: str | None,
                   as_json: bool) -> None:
    """記録 FILE の署名と完全性を検証する（有効なときだけ終了コード 0、改変・不正は 1、検証できないときは 2）.
    タイムスタンプ付きの署名では、タイムスタンプも検証して報告する."""
    from gateway.records.verify import embedded_facts, signature_time_stamp, verify_record
    from gateway.records.keys.base import SigningKeyError

    config = get_app(ctx).config.records
    root = trust_root or config.trust_root
    tsa_root = tsa_trust_root or config.tsa_trust_root or None
    if not root:
        raise click.UsageError("信頼の起点がありません: --trust-root か [records] trust_root を指定してください "
                               "(no trust root: give --trust-root or set [records] trust_root)")
    # pyHanko logs each failed check with a traceback; the verdict below already says why.
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    data = file.read_bytes()
    try:
        ok, reason = verify_record(data, root, tsa_trust_root=tsa_root)
    except SigningKeyError as exc:
        click.echo(f"検証できません (cannot verify): {exc}", err=True)
        ctx.exit(2)
    if as_json:
        stamp = signature_time_stamp(data) if ok else None
        click.echo(json.dumps({"file": str(file), "valid": ok, "reason": reason,
                               "timestamp": stamp.isoformat() if stamp else None,
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
    from gateway.records.keys.base import SigningKeyError, password_from_env
    from gateway.records.pki import init_ca

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


@records_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="JSON で出力")
@config_option
@click.pass_context
def records_status(ctx: click.Context, as_json: bool) -> None:
    """署名鍵と証明書の状態（有効期限、保管場所、タイムスタンプ局）を表示する。使えないときは終了コード 1、
    期限が [records] expiry_warning_days 以内なら警告して終了コード 0 (the signing key's state)."""
    from gateway.records.keys.base import SigningKeyError
    from gateway.records.pki import expiry_warning

    app = get_app(ctx)
    config = app.config.records
    try:
        with app.signing() as key:
            certificate, source = key.certificate, key.source
    except SigningKeyError as exc:
        click.echo(f"署名できません (cannot sign): {exc}", err=True)
        ctx.exit(1)
    warning = expiry_warning(certificate, config.expiry_warning_days)
    facts = {
        "subject": certificate.subject.rfc4514_string(),
        "issuer": certificate.issuer.rfc4514_string(),
        "serial": f"{certificate.serial_number:x}",
        "not_before": certificate.not_valid_before_utc.isoformat(),
        "not_after": certificate.not_valid_after_utc.isoformat(),
        "key": source,
        "tsa_url": config.tsa_url or None,
        "warning": warning[1] if warning else None,
    }
    if as_json:
        click.echo(json.dumps(facts, ensure_ascii=False, indent=2))
    else:
        for label, name in (("証明書", "subject"), ("発行者", "issuer"), ("シリアル", "serial"),
                            ("有効期限", "not_after"), ("鍵の保管場所", "key"), ("タイムスタンプ局", "tsa_url")):
            click.echo(f"{label}: {facts[name] or '(なし)'}")
    if warning:
        click.echo(f"警告: {warning[0]} ({warning[1]})", err=True)


@records_group.command("renew-key")
@click.option("--ca-key", type=click.Path(dir_okay=False), default=None,
              help="ローカル CA の鍵（init-ca が作った ca-key.pem）。省略時は trust_root と同じディレクトリ。")
@click.option("--days", type=click.IntRange(1, 20 * 365), default=10 * 365, show_default=True,
              help="新しい証明書の有効日数")
@click.option("--pkcs12", "pkcs12", type=click.Path(exists=True, dir_okay=False), default=None,
              help="ローカル CA の代わりに、組織の CA が発行した PKCS#12 を取り込む（パスワードは [records] password_env）")
@config_option
@click.pass_context
def records_renew_key(ctx: click.Context, ca_key: str | None, days: int, pkcs12: str | None) -> None:
    """署名鍵を更新する。以前の記録とチェックポイントは CA に基づいて引き続き検証できる
    (renew the signing key; records signed before keep verifying against the CA)."""
    from gateway.records.key_renewal import default_ca_key, install_pkcs12, renew_from_local_ca
    from gateway.records.keys.base import SigningKeyError

    config = get_app(ctx).config.records
    try:
        if pkcs12:
            renewed = install_pkcs12(config, pkcs12)
        else:
            renewed = renew_from_local_ca(config, ca_key or default_ca_key(config), days=days)
    except SigningKeyError as exc:
        raise click.ClickException(str(exc)) from None
    certificate = renewed.certificate
    click.echo(f"新しい署名用証明書 (new signing certificate): {certificate.subject.rfc4514_string()}, "
               f"serial {certificate.serial_number:x}, {certificate.not_valid_after_utc.date().isoformat()} まで (until)")
    if renewed.retired:
        click.echo(f"以前の証明書を保管しました (previous certificate kept): {renewed.retired}")
    click.echo("以前の鍵は削除しました。稼働中の faxgate は次の署名から新しい鍵を使います "
               "(the previous key is gone; a running faxgate signs with the new key from the next record).", err=True)
