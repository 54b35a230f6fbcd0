"""Signing in and out, the language switch and the stylesheet."""

from __future__ import annotations

import math
import secrets
from pathlib import Path

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse

from gateway.services.jobs import utcnow
from gateway.entrypoints.web import i18n, sessions
from gateway.services import login
from gateway.entrypoints.web.core import Viewer, Web, safe_next
from gateway.entrypoints.web.i18n import N_

# Before anyone is signed in there is no session to bind a CSRF token to: the login form's
# token is also set as a cookie, and the two must match (double submit), so no other site
# can sign a browser in to an account of its choosing.
LOGIN_CSRF_COOKIE = "faxgate_login_csrf"
STYLESHEET = Path(__file__).with_name("static") / "style.css"
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600
# Why a sign-in was refused when the password was not simply wrong (see gateway.services.login).
LOGIN_PROBLEMS = {
    "directory_unavailable": (503, N_("The directory server (LDAP) cannot be reached, so the password cannot be checked and nobody can sign in with it now. Try again later; if it goes on, tell the system administrator.")),
    "no_access": (403, N_("Your account is not in any group that may use faxgate. Ask your department's administrator.")),
    "deactivated": (403, N_("Your account has been switched off in faxgate. Ask a faxgate administrator.")),
    "conflict": (409, N_("Your directory account has the name or e-mail address of another faxgate account. Ask a faxgate administrator.")),
    "incomplete": (409, N_("Your directory account has no e-mail address, which faxgate needs. Ask the system administrator.")),
}


def add_auth_routes(router: APIRouter, web: Web) -> None:
    app = web.app

    def login_page(request: Request, next_page: str, status: int = 200, error: str | None = None, account: str = ""):
        token = secrets.token_urlsafe(32)
        page = web.render(request, None, "login.html", status=status, csrf_token=token, next_page=safe_next(next_page),
                          error=error, account=account)
        page.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=web.secure_cookies,
                        path="/login")
        return page

    @router.get("/login")
    def login_form(request: Request, next_page: str = Query("/", alias="next")):
        return login_page(request, next_page)

    @router.post("/login")
    def sign_in(request: Request, account: str = Form(""), password: str = Form(""), csrf_token: str = Form(""),
                next_page: str = Form("/", alias="next")):
        _ = web.gettext(request)
        if not sessions.tokens_match(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf_token):
            return login_page(request, next_page, 403, _("The form had expired. Please sign in again."), account)
        now = utcnow()
        result = login.attempt(app.unit_of_work, account[:200], password[:1024], now, app.directory_server)
        if result.user_id is None:
            if result.wait:
                minutes = math.ceil(result.wait.total_seconds() / 60)
                return login_page(request, next_page, 429, _("Too many failed attempts. Try again in %(minutes)d minute(s).")
                                  % {"minutes": minutes}, account)
            if result.problem:
                status, message = LOGIN_PROBLEMS[result.problem]
                return login_page(request, next_page, status, _(message), account)
            return login_page(request, next_page, 401, _("The name or the password is wrong."), account)
        with app.unit_of_work() as uow:
            token = sessions.start(uow, uow.users.get(result.user_id), now, request.cookies.get(sessions.COOKIE))
        response = web.redirect(safe_next(next_page))
        response.set_cookie(sessions.COOKIE, token, httponly=True, samesite="lax", secure=web.secure_cookies, path="/")
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
        return response

    @router.post("/logout")
    def sign_out(request: Request, viewer: Viewer = Depends(web.poster())):
        with app.unit_of_work() as uow:
            sessions.end(uow, request.cookies.get(sessions.COOKIE, ""))
            uow.audit.append(f"user:{viewer.name}", "user.logout", f"user:{viewer.name}")
        response = web.redirect("/login")
        response.delete_cookie(sessions.COOKIE, path="/")
        return response

    @router.get("/lang/{language}")
    def switch_language(language: str, next_page: str = Query("/", alias="next")):
        response = web.redirect(safe_next(next_page))
        if language in i18n.LANGUAGES:
            response.set_cookie(i18n.COOKIE, language, max_age=LANGUAGE_COOKIE_SECONDS, samesite="lax",
                                secure=web.secure_cookies, path="/")
        return response

    @router.get("/static/style.css")
    def stylesheet():
        return FileResponse(STYLESHEET, media_type="text/css", headers={"Cache-Control": "max-age=3600"})
