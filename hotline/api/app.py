"""FastAPI application: composes each feature's HTTP router."""
from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from hotline.agents import http as agents_http
from hotline.api.headers import SecurityHeaders
from hotline.api.routes import health
from hotline.supervision import http as supervision_http
from hotline.tickets import http as tickets_http
from ivr import http as ivr_http


def create_app(runtime=None) -> FastAPI:
    """`runtime` (hotline.runtime.Runtime) holds the live AMI/Redis connections; routes read it from app.state."""
    app = FastAPI(title="12345 hotline IVR", version="0.1.0")
    app.state.runtime = runtime
    for router in (health.router, ivr_http.router, tickets_http.router, agents_http.router, supervision_http.router):
        app.include_router(router)
    app.add_api_route("/", lambda: RedirectResponse("/login"), include_in_schema=False)  # console or wallboard by role
    app.add_middleware(SecurityHeaders)  # CSP, no framing, nosniff on every response
    return app
