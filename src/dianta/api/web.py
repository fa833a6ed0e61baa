"""The web dashboard (电碳 dashboard): plain static files served at /app, `/` redirects there.

The pages use the REST API only (bearer token kept in the browser's sessionStorage). The dashboard's own
responses carry a Content-Security-Policy that differs from the API's in one point: images may come from
``blob:`` URLs (the label image is fetched with the Authorization header and shown from a Blob). The app's
security-header middleware only fills headers a response does not already have, so the header set here wins.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

import dianta

#: the package folder holding index.html, the ES modules, the stylesheet and vendor/echarts.min.js
WEB_DIR = Path(dianta.__file__).resolve().parent / "web"
#: scripts and styles only from the dashboard's own origin (no inline code); images also from blob: and data:
DASHBOARD_CSP = ("default-src 'self'; img-src 'self' blob: data:; object-src 'none'; base-uri 'none'; "
                 "form-action 'self'; frame-ancestors 'none'")


class DashboardFiles(StaticFiles):
    """Static files with the dashboard's CSP; revalidated on each load (ETag) rather than never stored."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Content-Security-Policy"] = DASHBOARD_CSP
        response.headers["Cache-Control"] = "no-cache"
        return response


def mount_dashboard(app: FastAPI) -> None:
    """Serve the dashboard at /app/ (index.html) and redirect / there; neither appears in the OpenAPI."""

    @app.get("/", include_in_schema=False)
    def dashboard_home() -> RedirectResponse:
        return RedirectResponse("/app/", status_code=307)

    app.mount("/app", DashboardFiles(directory=WEB_DIR, html=True), name="dashboard")
