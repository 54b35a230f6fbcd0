"""The web app for staff (FastAPI + Jinja2, server-rendered, no JavaScript): jobs, the
two-person confirmation, the directory with maker-checker proposals, users and the audit trail.

Kept empty on purpose: gateway.schema imports gateway.web.models for the migrations, and that
must not pull in the whole web stack. The router lives in gateway.web.router.
"""
