"""The running gateway the end-to-end tests drive, written once. Modules and tests differ only in
the options (a `world` mark, or a policy given by indirect parametrisation of `world`):

    policy            the policy file's text
    people            "staff": harness.seed's staff with API tokens; "web": also the directory's
                      administrators and an auditor, everyone with a password (web_support.populate)
    admins            more administrators, each with an API token
    privacy_officers  people of `people` who are privacy officers
    privacy_office    [mail] privacy_office
    relay             fields of [relay] to change
    doors             "all": SMTP, HTTP and the worker; "web": the web app and the API alone
"""

from __future__ import annotations

import dataclasses
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, NamedTuple

from gateway.bootstrap import App
from gateway.entrypoints.serve import BackgroundGateway, Gateway
from gateway.services.users import add_user, new_token
from gateway.storage.tables import User
from tests.support.harness import SmtpSink, make_config, seed
from tests.support.web_support import populate


class World(NamedTuple):
    app: App
    gateway: Gateway  # started: smtp_port, http_port
    tokens: dict[str, str]  # API tokens by user name
    fax: SmtpSink  # the fax server the relay sends to
    mail: SmtpSink  # the office mail server notices go to

    @property
    def port(self) -> int:
        """The web app's and the API's port."""
        return self.gateway.http_port


def make_app(tmp_path: Path, fax: SmtpSink, mail: SmtpSink, *, policy: str | None = None, people: str = "staff",
             admins: tuple[str, ...] = (), privacy_officers: tuple[str, ...] = (), privacy_office: str | None = None,
             relay: dict | None = None) -> tuple[App, dict[str, str]]:
    """The app on a fresh SQLite database with its people, not yet running: (app, API tokens)."""
    config = make_config(tmp_path, fax.port, mail.port, policy_text=policy)
    if privacy_office is not None:
        config = dataclasses.replace(config, mail=dataclasses.replace(config.mail, privacy_office=privacy_office))
    if relay:
        config = dataclasses.replace(config, relay=dataclasses.replace(config.relay, **relay))
    app = App(config)
    tokens = {"staff": seed, "web": populate}[people](app)
    with app.unit_of_work() as uow:
        for name in admins:
            admin = add_user(uow, name, "admin", f"{name}@city.example.jp", "情報政策課", None, "test")
            tokens[name] = new_token(uow, admin, "test")
        for name in privacy_officers:
            uow.session.query(User).filter_by(name=name).one().privacy_officer = True
    return app, tokens


@contextmanager
def running_world(tmp_path: Path, fax: SmtpSink, mail: SmtpSink, *, doors: str = "all", **options) -> Iterator[World]:
    app, tokens = make_app(tmp_path, fax, mail, **options)
    web_alone = {"all": False, "web": True}[doors]
    with BackgroundGateway(app, smtp=not web_alone, worker=not web_alone) as gateway:
        yield World(app, gateway, tokens, fax, mail)


def world_options(request) -> dict:
    """The `world` marks from the module down to the test (the closest wins), then the policy given
    by `@pytest.mark.parametrize("world", [POLICY_TEXT], indirect=True)`."""
    options: dict = {}
    for mark in reversed(list(request.node.iter_markers("world"))):
        options |= mark.kwargs
    if getattr(request, "param", None) is not None:
        options["policy"] = request.param
    return options
