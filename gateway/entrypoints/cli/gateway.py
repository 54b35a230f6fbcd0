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

from gateway.entrypoints.cli.support import config_option, default_actor, get_app
from gateway.services import audit_head
from gateway.core.access import ROLES
from gateway.services.users import UserError, add_user, hash_password, new_token, user_by_name


@click.command("serve")
@click.option("--only", "only", default="smtp,http,worker", show_default=True,
              help="動かす部分（scale-out 用）: smtp, http, worker をカンマ区切りで")
@config_option
@click.pass_context
def serve_command(ctx, only: str) -> None:
    """SMTP 受付・Web/API・ワーカーを起動する (run the gateway)."""
    from gateway.entrypoints.serve import Gateway, serve_forever  # the web stack loads only for `serve`

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
        with app.unit_of_work() as uow:
            add_user(uow, name, role, email, department, password, default_actor(), privacy_officer=privacy_officer)
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
    from gateway.core import user_editor
    from gateway.services import user_changes as user_store

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
        with app.unit_of_work() as uow:
            user = user_by_name(uow, name)
            if user.source == "ldap":
                raise UserError(f"{name} はディレクトリサーバーのパスワードでサインインします "
                                "(this account signs in with its directory password)")
            user_store.set_password(uow, user, password, default_actor())
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
        with app.unit_of_work() as uow:
            token = new_token(uow, user_by_name(uow, name), default_actor())
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
@click.option("--site", default=None, help="機器のある拠点（拠点を登録した構成では必須）")
@click.option("--book", default=None,
              help="同じ宛先表を使う機器のグループ名（例 3階南）。同じ名前の機器は一つの宛先表を共有します")
@config_option
@click.pass_context
def devices_add(ctx, name, addresses, password_stdin, site, book) -> None:
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
    with app.unit_of_work() as uow:
        if uow.users.device(name):
            raise click.ClickException(f"機器 {name} は登録済みです")
        # A device's dial strings are read with its site's PBX: no site, no guessing.
        if site is None and uow.sites.any():
            raise click.UsageError("拠点が登録されています: --site で機器のある拠点を指定してください")
        if site is not None and uow.sites.get(site) is None:
            raise click.BadParameter(f"拠点 {site} は登録されていません（faxgate sites list）", param_hint="--site")
        if book is not None and not book.strip():
            raise click.BadParameter("宛先表の名前が空です", param_hint="--book")
        uow.users.add_device(name=name, addresses=list(addresses), site=site, book=book,
                             password_hash=hash_password(password) if password else None)
        uow.audit.append(default_actor(), "device.added", f"device:{name}", "", addresses=list(addresses),
                         auth=bool(password), site=site, book=book)
    click.echo(f"機器 {name} を登録しました", err=True)


@click.group("audit")
def audit_group() -> None:
    """監査証跡 (the tamper-evident audit trail)."""


@audit_group.command("verify")
@click.option("--head", "head_files", multiple=True, type=click.Path(dir_okay=False),
              help="書き出した署名付きの先頭（export-head や [records] head_file）とも照合する（複数可）")
@config_option
@click.pass_context
def audit_verify(ctx, head_files) -> None:
    """監査証跡のハッシュ連鎖を検証する（改ざんがあれば最初の箇所を示して終了コード 1）."""
    from gateway.records.verify import verify_checkpoint  # pyHanko takes ~0.6 s to import: only here

    try:
        exported = [(path, head) for path in head_files for head in audit_head.read(path)]
    except audit_head.HeadFileError as exc:
        raise click.UsageError(str(exc)) from None
    app = get_app(ctx)
    with app.unit_of_work(read_only=True) as uow:
        report = uow.audit.verify()
        checkpoints = uow.records.checkpoints()
        stored = uow.audit.hashes() if checkpoints or exported else {}
    if not report.ok:
        click.echo(f"改ざんを検出しました (audit chain broken): {report.problem}", err=True)
        ctx.exit(1)
    # A rewritten table can be a consistent chain again; the signed checkpoints of its head cannot.
    for checkpoint_id, blob in checkpoints:
        verdict = verify_checkpoint(blob, app.config.records.trust_root, stored.get)
        if not verdict.ok:
            click.echo(f"改ざんを検出しました (signed checkpoint {checkpoint_id} fails): {verdict.reason}", err=True)
            ctx.exit(1)
    # Checkpoints kept outside the database: the events after the last one inside it, too.
    for path, head in exported:
        verdict = verify_checkpoint(head.cms, app.config.records.trust_root, stored.get)
        if not verdict.ok or (verdict.last_id, verdict.last_hash) != (head.last_id, head.last_hash):
            click.echo(f"改ざんを検出しました (exported head {head.last_id} in {path} fails): {verdict.reason}", err=True)
            ctx.exit(1)
    heads = f", {len(exported)} exported head(s) valid" if head_files else ""
    click.echo(f"ok: {report.events} events, chain intact, {len(checkpoints)} signed checkpoint(s) valid{heads}")


@audit_group.command("export-head")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="このファイルの末尾に1行追記する（既定: 標準出力）")
@config_option
@click.pass_context
def audit_export_head(ctx, output) -> None:
    """監査証跡の現在の先頭に署名して書き出す（データベースの管理者が書き換えられない場所へ; verify --head で照合）."""
    from gateway.records.keys.base import SigningKeyError

    try:
        head = audit_head.sign_head(get_app(ctx))
    except SigningKeyError as exc:
        raise click.ClickException(f"署名できません: {exc.message_ja}") from None
    if head is None:
        raise click.ClickException("監査証跡にまだイベントがありません")
    if output:
        try:
            audit_head.append(output, head)
        except OSError as exc:
            raise click.ClickException(f"{output} に書き出せません ({type(exc).__name__})") from None
        click.echo(f"監査イベント {head.last_id} までの先頭を {output} に書き出しました", err=True)
    else:
        click.echo(head.line())


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
