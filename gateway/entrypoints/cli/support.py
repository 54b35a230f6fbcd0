"""What every `faxgate` subcommand shares: the config option, the app, the actor, JSON output."""

from __future__ import annotations

import getpass
import json
import os

import click

from gateway.bootstrap import App
from gateway.config import load_config
from gateway.logs import configure_logging


def _remember_config(ctx: click.Context, _param, value):
    if value:
        ctx.meta["faxgate.config"] = value
    return value


def config_option(command):
    """`--config FILE` is accepted before or after the subcommand name."""
    return click.option(
        "--config",
        type=click.Path(dir_okay=False),
        expose_value=False,
        is_eager=True,
        callback=_remember_config,
        help="設定ファイル (TOML)。省略時は $FAXGATE_CONFIG、それもなければ既定値。",
    )(command)


def get_app(ctx: click.Context) -> App:
    if "faxgate.app" not in ctx.meta:
        config = load_config(ctx.meta.get("faxgate.config"))
        configure_logging(config.logging.format, config.logging.level)
        ctx.meta["faxgate.app"] = App(config)
    return ctx.meta["faxgate.app"]


def default_actor() -> str:
    return f"cli:{os.environ.get('SUDO_USER') or getpass.getuser()}"


def emit_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))
