"""What every page shares: who is asking (from the session cookie), the CSRF check on every
form, rendering in the person's language, and refusals shown as pages rather than JSON."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from directory.dialplan import display_number
from gateway.core.confirmation import Person
from gateway.services.jobs import utcnow
from gateway.core.office_time import OFFICE_TIME, office_clock
from gateway.entrypoints.web import i18n, labels, sessions
from gateway.services import queues
from gateway.services.previews import PagePreviews

TEMPLATES = Path(__file__).with_name("templates")
# Pages carry personal data and are used on shared panels: never cached, never framed, no scripts.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'self'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@dataclass(frozen=True)
class Viewer:
    user_id: int
    name: str
    role: str
    department: str
    csrf_token: str
    pending: int  # confirmations waiting for this person, shown in the header
    privacy_officer: bool = False
    not_sent: int = 0  # their own faxes not sent that they have not seen yet, shown in the header
    inbox_waiting: int = 0  # in-house deliveries to their section nobody has acknowledged yet

    @property
    def person(self) -> Person:
        return Person(self.user_id, self.role, self.department, self.privacy_officer)


class Refusal(Exception):
    """Ends a request with a page instead of the handler's answer."""

    def __init__(self, viewer: Viewer | None = None, message: str = "", status: int = 403):
        super().__init__(message)
        self.viewer, self.message, self.status = viewer, message, status


class LoginRequired(Refusal):
    pass


class FormExpired(Refusal):
    pass


def safe_next(target: str | None) -> str:
    """Only a path on this site: a login link must not send anyone elsewhere."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def _here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def office_today() -> dt.date:
    """The date on the office's calendar (the server may keep UTC, nine hours behind)."""
    return dt.datetime.now(OFFICE_TIME).date()


office_time = office_clock  # the pages' filter


def _environment(language: str) -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined, extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True,
    )
    environment.install_gettext_translations(i18n.translations(language), newstyle=True)
    environment.filters["office_time"] = office_time
    environment.filters["display_number"] = display_number
    environment.globals["labels"] = labels
    environment.globals["language_names"] = i18n.LANGUAGE_NAMES
    return environment


class Web:
    def __init__(self, app):
        self.app = app
        self.previews = PagePreviews(app.load_document)
        self.environments = {language: _environment(language) for language in i18n.LANGUAGES}
        self.secure_cookies = app.public_url.startswith("https://")

    # -- language

    def language(self, request: Request) -> str:
        return i18n.language_of(request.cookies.get(i18n.COOKIE))

    def gettext(self, request: Request) -> Callable[[str], str]:
        return i18n.translations(self.language(request)).gettext

    # -- who is asking

    def viewer(self, request: Request) -> Viewer:
        """Dependency of every page: the signed-in person, or off to the login page."""
        token = request.cookies.get(sessions.COOKIE)
        if not token:
            raise LoginRequired()
        now = utcnow()
        with self.app.unit_of_work() as uow:
            row = sessions.resume(uow, token, now)
            viewer = row and Viewer(row.user.id, row.user.name, row.user.role, row.user.department, row.csrf_token,
                                    pending=0, privacy_officer=row.user.privacy_officer)
            if viewer:
                pending = len(queues.waiting_for(uow, viewer.person, now, self.app.policy))
                not_sent = sum(row.unseen for row in queues.not_sent_for(uow, viewer.user_id, viewer.name))
                inbox_waiting = uow.inbox.unacknowledged(viewer.department) if viewer.department else 0
        if viewer is None:  # raised outside the unit of work, so the expired session's removal is kept
            raise LoginRequired()
        return replace(viewer, pending=pending, not_sent=not_sent, inbox_waiting=inbox_waiting)

    def poster(self) -> Callable[..., Viewer]:
        """Dependency of every form post: the signed-in person, and the form's CSRF token must
        be the one bound to their session."""

        async def posted_token(request: Request) -> str:
            form = await request.form()
            return str(form.get("csrf_token", ""))

        def checked_viewer(request: Request, token: str = Depends(posted_token)) -> Viewer:
            viewer = self.viewer(request)
            if not sessions.tokens_match(viewer.csrf_token, token):
                raise FormExpired(viewer)
            return viewer

        return checked_viewer

    # -- answers

    def render(self, request: Request, viewer: Viewer | None, template: str, status: int = 200, **values) -> HTMLResponse:
        language = self.language(request)
        html = self.environments[language].get_template(template).render(
            viewer=viewer, language=language, here=_here(request), **values
        )
        return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)

    def redirect(self, target: str) -> RedirectResponse:
        return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})

    def refusal_page(self, request: Request, refusal: Refusal) -> Response:
        if isinstance(refusal, LoginRequired):
            target = "/login"
            if request.method == "GET" and request.url.path != "/":
                target += "?" + urlencode({"next": _here(request)})
            response = self.redirect(target)
            response.delete_cookie(sessions.COOKIE, path="/")
            return response
        return self.render(request, refusal.viewer, "refused.html", status=refusal.status,
                           expired=isinstance(refusal, FormExpired), message=refusal.message)

    def route_class(self) -> type[APIRoute]:
        web = self

        class WebRoute(APIRoute):
            def get_route_handler(self):
                handle = super().get_route_handler()

                async def handle_refusals(request: Request) -> Response:
                    try:
                        return await handle(request)
                    except Refusal as refusal:
                        return web.refusal_page(request, refusal)

                return handle_refusals

        return WebRoute
