"""The web app for staff (FastAPI + Jinja2, server-rendered, no JavaScript): jobs, the
two-person confirmation, the directory with maker-checker proposals, users and the audit trail.

Kept empty on purpose: gateway.storage.metadata imports gateway.storage.web_tables for the migrations, and that
must not pull in the whole web stack. The router lives in gateway.entrypoints.web.router.
"""
