"""`faxgate send FILE --to SD --from NAME`: submit a fax through the gateway's own SMTP intake,
exactly as an MFD would (the first try of the README, a check after an install). Prints the
job id on stdout, nothing else, so the next command can use it."""

from __future__ import annotations

import email.policy
import smtplib
from email.message import EmailMessage
from pathlib import Path

import click

from gateway.entrypoints.cli.support import config_option, get_app
from gateway.services.users import UserError, user_by_name

CONTENT_TYPES = {".pdf": ("application", "pdf"), ".tif": ("image", "tiff"), ".tiff": ("image", "tiff")}


@click.command("send")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--to", "to", required=True, help="宛先（例: sd-1、FAX=+81354321111、0354321111）。@ 以降は省略可")
@click.option("--from", "sender", required=True, help="依頼者（職員の利用者名またはメールアドレス）")
@config_option
@click.pass_context
def send_command(ctx, file: Path, to: str, sender: str) -> None:
    """ファクスを SMTP 受付に送る（複合機と同じ経路）。受付番号を表示する."""
    content_type = CONTENT_TYPES.get(file.suffix.lower())
    if content_type is None:
        raise click.BadParameter("PDF (.pdf) か TIFF (.tif, .tiff) を指定してください", param_hint="FILE")
    app = get_app(ctx)
    smtp = app.config.smtp
    if "@" not in sender:
        try:
            with app.unit_of_work(read_only=True) as uow:
                sender = user_by_name(uow, sender).email
        except UserError as exc:
            raise click.ClickException(str(exc)) from None
    recipient = to if "@" in to else f"{to}@{smtp.domain}"
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, recipient, file.name
    message.add_attachment(file.read_bytes(), maintype=content_type[0], subtype=content_type[1], filename=file.name)
    host = "127.0.0.1" if smtp.host in ("", "0.0.0.0") else "::1" if smtp.host == "::" else smtp.host
    try:
        with smtplib.SMTP(host, smtp.port, timeout=60) as client:
            client.ehlo()
            for step in (lambda: client.mail(sender), lambda: client.rcpt(recipient),
                         lambda: client.data(message.as_bytes(policy=email.policy.SMTP))):
                code, text = step()
                if code >= 400:
                    raise click.ClickException(f"受け付けられませんでした (refused): {code} {text.decode('utf-8', 'replace')}")
    except (OSError, smtplib.SMTPException) as exc:
        raise click.ClickException(f"SMTP 受付 {host}:{smtp.port} に接続できません (is `faxgate serve` running?): {exc}") from None
    reply = text.decode("utf-8", "replace")
    click.echo(reply, err=True)
    click.echo(reply.rsplit(" ", 1)[1])
