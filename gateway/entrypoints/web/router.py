"""The web app's routes, for gateway.entrypoints.http.api to include next to the JSON API."""

from __future__ import annotations

from fastapi import APIRouter

from gateway.entrypoints.web.core import Web
from gateway.entrypoints.web.routes_admin import add_admin_routes
from gateway.entrypoints.web.routes_auth import add_auth_routes
from gateway.entrypoints.web.routes_directory import add_directory_routes
from gateway.entrypoints.web.routes_inbox import add_inbox_routes
from gateway.entrypoints.web.routes_incidents import add_incident_routes
from gateway.entrypoints.web.routes_jobs import add_job_routes
from gateway.entrypoints.web.routes_send import add_send_routes
from gateway.entrypoints.web.routes_sites import add_site_routes
from gateway.entrypoints.web.routes_stats import add_stats_routes
from gateway.entrypoints.web.routes_users import add_user_routes


def web_router(app) -> APIRouter:
    web = Web(app)
    router = APIRouter(route_class=web.route_class(), include_in_schema=False)
    add_auth_routes(router, web)
    add_job_routes(router, web)
    add_send_routes(router, web)
    add_inbox_routes(router, web)
    add_stats_routes(router, web)
    add_directory_routes(router, web)
    add_site_routes(router, web)
    add_admin_routes(router, web)
    add_incident_routes(router, web)
    add_user_routes(router, web)
    return router
