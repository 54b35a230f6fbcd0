"""Staff accounts for administrators: the list, adding an account, changing role, department,
privacy officer and whether it may sign in, and setting a new password. Every change is an
audit event; gateway.core.user_editor decides what is allowed."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request

from gateway.storage.tables import User
from gateway.core.access import ROLES
from gateway.core import access
from gateway.entrypoints.web import labels
from gateway.services import user_changes as user_store
from gateway.entrypoints.web.core import Refusal, Viewer, Web
from gateway.entrypoints.web.i18n import N_
from gateway.core.user_editor import Settings


def add_user_routes(router: APIRouter, web: Web) -> None:
    app = web.app
    poster = web.poster()

    def require_admin(viewer: Viewer) -> None:
        if not access.may_manage_users(viewer.person):
            raise Refusal(viewer, N_("Only administrators may manage users."), 403)

    def account(uow, user_id: int, viewer: Viewer) -> User:
        user = uow.users.get(user_id)
        if user is None:
            raise Refusal(viewer, N_("There is no such user."), 404)
        return user

    def settings_from(role: str, department: str, privacy_officer: str, active: str) -> Settings:
        return Settings(role, department.strip()[:200], privacy_officer == "1", active == "1")

    @router.get("/users")
    def users(request: Request, notice: str = "", viewer: Viewer = Depends(web.viewer)):
        require_admin(viewer)
        with app.unit_of_work(read_only=True) as uow:
            people = uow.users.everyone()
        return web.render(request, viewer, "users.html", people=people, notice=labels.USER_MESSAGES.get(notice), error=None)

    def new_form(request: Request, viewer: Viewer, draft: dict, problems: list[str], status: int = 200):
        return web.render(request, viewer, "user_new.html", status=status, draft=draft, problems=problems, roles=ROLES)

    @router.get("/users/new")
    def new_user(request: Request, viewer: Viewer = Depends(web.viewer)):
        require_admin(viewer)
        return new_form(request, viewer, {"name": "", "email": "", "role": "staff", "department": "",
                                          "privacy_officer": False}, [])

    @router.post("/users")
    def add(request: Request, name: str = Form(""), email: str = Form(""), role: str = Form(""),
            department: str = Form(""), privacy_officer: str = Form(""), password: str = Form(""),
            viewer: Viewer = Depends(poster)):
        require_admin(viewer)
        settings = settings_from(role, department, privacy_officer, "1")
        try:
            with app.unit_of_work() as uow:
                user_store.create(uow, viewer.person, viewer.name, name.strip()[:200], email[:300], settings,
                                  password[:2000])
        except user_store.Refused as refused:
            draft = {"name": name[:200], "email": email[:300], "role": role, "department": settings.department,
                     "privacy_officer": settings.privacy_officer}
            return new_form(request, viewer, draft, refused.problems, status=422)
        return web.redirect("/users?notice=added")

    def edit_form(request: Request, viewer: Viewer, user_id: int, problems: list[str], status: int = 200,
                  notice: str | None = None):
        with app.unit_of_work(read_only=True) as uow:
            user = account(uow, user_id, viewer)
            return web.render(request, viewer, "user_edit.html", status=status, person=user, problems=problems,
                              roles=ROLES, notice=notice, error=None)

    @router.get("/users/{user_id}")
    def edit_user(request: Request, user_id: int, notice: str = "", viewer: Viewer = Depends(web.viewer)):
        require_admin(viewer)
        return edit_form(request, viewer, user_id, [], notice=labels.USER_MESSAGES.get(notice))

    @router.post("/users/{user_id}")
    def change(request: Request, user_id: int, role: str = Form(""), department: str = Form(""),
               privacy_officer: str = Form(""), active: str = Form(""), viewer: Viewer = Depends(poster)):
        require_admin(viewer)
        try:
            with app.unit_of_work() as uow:
                changed = user_store.change(uow, viewer.person, viewer.name, account(uow, user_id, viewer),
                                            settings_from(role, department, privacy_officer, active))
        except user_store.Refused as refused:
            return edit_form(request, viewer, user_id, refused.problems, status=422)
        return web.redirect(f"/users/{user_id}?notice={'changed' if changed else 'unchanged'}")

    @router.post("/users/{user_id}/password")
    def reset_password(request: Request, user_id: int, password: str = Form(""), viewer: Viewer = Depends(poster)):
        require_admin(viewer)
        try:
            with app.unit_of_work() as uow:
                user_store.reset_password(uow, viewer.person, viewer.name, account(uow, user_id, viewer),
                                          password[:2000])
        except user_store.Refused as refused:
            return edit_form(request, viewer, user_id, refused.problems, status=422)
        return web.redirect(f"/users/{user_id}?notice=password_reset")
