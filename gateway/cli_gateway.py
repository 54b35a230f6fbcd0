"""`faxgate serve`, `users`, `devices`, `audit verify`, `tls self-signed`."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import sys
from pathlib import Path

import click
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from gateway import auditlog
from gateway.cli_support import config_option, default_actor, get_app
from gateway.models import AuditCheckpoint, AuditEvent, Device
from gateway.users import ROLES, UserError, add_user, hash_password, new_token, user_by_name


@click.command("serve")
@click.option("--only", "only", default="smtp,http,worker", show_default=True,
              help="動かす部分（scale-out 用）: smtp, http, worker をカンマ区切りで")
@config_option
@click.pass_context
def serve_command(ctx, only: str) -> None:
    """SMTP 受付・Web/API・ワーカーを起動する (run the gateway)."""
    from gateway.serve import Gateway, serve_forever  # the web stack loads only for `serve`

    parts = {part.strip() for part in only.split(",") if part.strip()}
    unknown = parts - {"smtp", "http", "worker"}
    if unknown or not parts:
        raise click.BadParameter(f"unknown part(s): {', '.join(sorted(unknown)) or '(none)'}", param_hint="--only")
    app = get_app(ctx)
    gateway = Gateway(app, smtp="smtp" in parts, http="http" in parts, worker="worker" in parts)
    asyncio.run(serve_forever(gateway))


PASSWORD_PROBLEMS = {
    "password_short": "パスワードは12文字以上にしてください (at least 12 characters)",
    "password_long": "パスワードが長すぎます (the password is too long)",
}


@click.group("users")
def users_group() -> None:
    """職員アカウント (staff accounts)."""


@users_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--email", required=True)
@click.option("--department", default="")
@click.option("--password-stdin", is_flag=True, help="パスワードを標準入力から読む")
@click.option("--privacy-officer", is_flag=True,
              help="個人情報保護責任者（承認者のみ）: 個人情報を含む送信で必要な承認者になれる")
@config_option
@click.pass_context
def users_add(ctx, name, role, email, department, password_stdin, privacy_officer) -> None:
    """職員を登録する."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    if password_stdin and len(password) < 12:
        raise click.ClickException(PASSWORD_PROBLEMS["password_short"])
    app = get_app(ctx)
    try:
        with app.session() as session:
            add_user(session, name, role, email, department, password, default_actor(), privacy_officer=privacy_officer)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"利用者 {name} ({role}) を登録しました", err=True)


@users_group.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="パスワードを標準入力から1行で読む（省略時は2回入力を求める）")
@config_option
@click.pass_context
def users_passwd(ctx, name, password_stdin) -> None:
    """職員のパスワードを設定する（Web アプリへのサインイン用）。サインイン中のセッションは終わる."""
    from gateway.web import user_editor, user_store

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("新しいパスワード (new password)", hide_input=True,
                                confirmation_prompt="もう一度 (again)")
    problems = user_editor.password_problems(password)
    if problems:
        raise click.ClickException(PASSWORD_PROBLEMS[problems[0]])
    app = get_app(ctx)
    try:
        with app.session() as session:
            user = user_by_name(session, name)
            if user.source == "ldap":
                raise UserError(f"{name} はディレクトリサーバーのパスワードでサインインします "
                                "(this account signs in with its directory password)")
            user_store.set_password(session, user, password, default_actor())
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"利用者 {name} のパスワードを設定しました", err=True)


@users_group.command("token")
@click.argument("name")
@config_option
@click.pass_context
def users_token(ctx, name) -> None:
    """API トークンを発行して標準出力に出す."""
    app = get_app(ctx)
    try:
        with app.session() as session:
            token = new_token(session, user_by_name(session, name), default_actor())
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(token)


@click.group("devices")
def devices_group() -> None:
    """送信元の機器 (MFDs and fax servers allowed to submit)."""


@devices_group.command("add")
@click.argument("name")
@click.option("--address", "addresses", multiple=True, help="許可する送信元アドレス（IP または CIDR、複数可）")
@click.option("--password-stdin", is_flag=True, help="SMTP AUTH のパスワードを標準入力から読む")
@config_option
@click.pass_context
def devices_add(ctx, name, addresses, password_stdin) -> None:
    """機器を登録する（SMTP AUTH のアカウント、送信元アドレス、またはその両方）."""
    for address in addresses:
        try:
            ipaddress.ip_network(address, strict=False)
        except ValueError:
            raise click.BadParameter(f"{address!r} は IP アドレスでも CIDR でもありません", param_hint="--address") from None
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    if not addresses and not password:
        raise click.UsageError("--address か --password-stdin のどちらかが必要です")
    app = get_app(ctx)
    with app.session() as session:
        if session.query(Device).filter_by(name=name).first():
            raise click.ClickException(f"機器 {name} は登録済みです")
        session.add(Device(name=name, addresses=list(addresses), password_hash=hash_password(password) if password else None))
        auditlog.append(session, default_actor(), "device.added", f"device:{name}", "", addresses=list(addresses),
                        auth=bool(password))
    click.echo(f"機器 {name} を登録しました", err=True)


@click.group("audit")
def audit_group() -> None:
    """監査証跡 (the tamper-evident audit trail)."""


@audit_group.command("verify")
@config_option
@click.pass_context
def audit_verify(ctx) -> None:
    """監査証跡のハッシュ連鎖を検証する（改ざんがあれば最初の箇所を示して終了コード 1）."""
    from gateway.records import verify_checkpoint  # pyHanko takes ~0.6 s to import: only here

    app = get_app(ctx)
    with app.session() as session:
        report = auditlog.verify(session)
        checkpoints = [(c.id, c.cms) for c in session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id))]
        stored = {e.id: e.hash for e in session.scalars(select(AuditEvent))} if checkpoints else {}
    if not report.ok:
        click.echo(f"改ざんを検出しました (audit chain broken): {report.problem}", err=True)
        ctx.exit(1)
    # A rewritten table can be a consistent chain again; the signed checkpoints of its head cannot.
    for checkpoint_id, blob in checkpoints:
        verdict = verify_checkpoint(blob, app.config.records.trust_root, stored.get)
        if not verdict.ok:
            click.echo(f"改ざんを検出しました (signed checkpoint {checkpoint_id} fails): {verdict.reason}", err=True)
            ctx.exit(1)
    click.echo(f"ok: {report.events} events, chain intact, {len(checkpoints)} signed checkpoint(s) valid")


@click.group("tls")
def tls_group() -> None:
    """TLS 証明書 (certificates for STARTTLS)."""


@tls_group.command("self-signed")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="./tls", show_default=True)
@click.option("--hostname", default=None, help="証明書の名前（既定: [smtp] domain）")
@config_option
@click.pass_context
def tls_self_signed(ctx, out_dir, hostname) -> None:
    """初回設置用の自己署名証明書と鍵を作る（[smtp] tls_cert / tls_key に設定してください）."""
    name = hostname or get_app(ctx).config.smtp.domain
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=825))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path = out / "key.pem"
    key_path.touch(mode=0o600)
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    click.echo(f"[smtp]\ntls_cert = \"{(out / 'cert.pem').resolve()}\"\ntls_key = \"{key_path.resolve()}\"")
