"""What the `faxgate directory` commands share: the group, the formats, reading a device's file, who acts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from directory import formats
from directory.formats.book import BookError
from directory.formats.reading import read_book
from directory.importer import parse_date
from gateway.services import books
from gateway.services.directory_changes import NotAnAdmin, active_admin, actor_of


FORMAT_CHOICE = click.Choice(formats.FORMATS)


STATUS_JA = {"active": "有効", "needs_review": "要確認", "retired": "廃止"}


@click.group("directory")
def directory_group() -> None:
    """短縮ダイヤル宛先表 (the approved speed-dial directory)."""


def read_key_file(path: str, fmt: str | None):
    try:
        return read_book(Path(path).read_bytes(), fmt)
    except BookError as exc:
        raise click.ClickException(f"{path}: {exc}") from None


FIRST_INSTALL_ACTOR = "system:setup"


def admin_actor(uow, name: str) -> str:
    """The actor for a change `--by` an active administrator, or a clear refusal."""
    try:
        return actor_of(active_admin(uow, name))
    except NotAnAdmin as exc:
        raise click.ClickException(str(exc)) from None


BY_ADMIN = click.option("--by", "admin", required=True, help="変更する管理者の利用者名（有効な管理者）")


def date_option(value: str | None, name: str) -> dt.date | None:
    try:
        return parse_date(value) if value else None
    except ValueError:
        raise click.BadParameter(f"{value!r} は YYYY-MM-DD ではありません", param_hint=name) from None


DEVICE_OPTION = click.option("--device", default=None,
                             help="この機器の宛先表（省略時: 機器が一台ならその宛先表、機器ごとの宛先表がなければ共用の宛先表）")


def device_book(uow, app, device: str | None, *, own: bool = False) -> books.DeviceBook:
    """The book `--device` names (or the only one), or a clear refusal."""
    try:
        return books.choose(uow, device, app.profile, own=own)
    except books.BookChoiceError as exc:
        raise click.ClickException(str(exc)) from None
