"""FastAPI application: only includes each feature's router and the one static-file mount."""
from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from hotline.admin import http as admin_http, menus_http as admin_menus_http, rules_http as admin_rules_http
from hotline.agents import http as agents_http
from hotline.api.headers import SecurityHeaders
from hotline.api.routes import calls as calls_http, health
from hotline.auth import http as auth_http
from hotline.callback import http as callback_http
from hotline.dispatch import http as dispatch_http
from hotline.hours import http as hours_http
from hotline.kb import http as kb_http
from hotline.lineadmin import http as lineadmin_http
from hotline.partners import http as partners_http
from hotline.prompts import http as prompts_http
from hotline.reports import http as reports_http
from hotline.supervision import http as supervision_http
from hotline.survey import http as survey_http
from hotline.tickets import http as tickets_http
from hotline.web import mount_static


def create_app(runtime=None) -> FastAPI:
    """`runtime` (hotline.runtime.Runtime) holds the live connections and features; routes reach them through
    hotline.api.deps."""
    app = FastAPI(title="12345 hotline IVR", version="0.1.0")
    app.state.runtime = runtime
    for router in (health.router, auth_http.router, calls_http.router, tickets_http.router, agents_http.router,
                   supervision_http.router, admin_http.router, kb_http.router, prompts_http.router,
                   reports_http.router, partners_http.router, admin_menus_http.router, admin_rules_http.router,
                   survey_http.router, hours_http.router, lineadmin_http.router, dispatch_http.router,
                   callback_http.router):
        app.include_router(router)
    mount_static(app)
    app.add_api_route("/", lambda: RedirectResponse("/login"), include_in_schema=False)  # console or wallboard by role
    app.add_middleware(SecurityHeaders)  # CSP, no framing, nosniff on every response
    return app
