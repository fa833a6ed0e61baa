"""The web dashboard (电碳 dashboard): plain static files served at /app, `/` redirects there; and the API
docs (Swagger UI) at /api/v1/docs, its assets shipped in the package (api/static/swagger/) and served from our
own origin, so the Content-Security-Policy needs no CDN and no inline script.

The pages use the REST API only (bearer token kept in the browser's sessionStorage). The dashboard's own
responses carry a Content-Security-Policy that differs from the API's in one point: images may come from
``blob:`` URLs (the label image is fetched with the Authorization header and shown from a Blob). The app's
security-header middleware only fills headers a response does not already have, so the header set here wins.
"""

from __future__ import annotations

import gzip
import os
from functools import lru_cache
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Scope

import dianta

#: the package folder holding index.html, the ES modules, the stylesheet and vendor/echarts.min.js
WEB_DIR = Path(dianta.__file__).resolve().parent / "web"
#: scripts and styles only from the dashboard's own origin (no inline code); images also from blob: and data:
DASHBOARD_CSP = ("default-src 'self'; img-src 'self' blob: data:; object-src 'none'; base-uri 'none'; "
                 "form-action 'self'; frame-ancestors 'none'")
#: the package folder of the map's boundaries, one GeoJSON per province (scripts/build_maps.py), served at /app/maps/
MAPS_DIR = Path(dianta.__file__).resolve().parent / "reference" / "maps"
#: the package folder of the API's own static files: swagger/ holds Swagger UI (see its README.txt)
API_STATIC_DIR = Path(dianta.__file__).resolve().parent / "api" / "static"
#: the API docs: everything from our origin; images also from data: (the icons inside swagger-ui.css)
DOCS_CSP = ("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'")


#: the static files sent gzip-compressed to a client that accepts it (text; the images are SVG at most)
COMPRESSIBLE = (".js", ".css", ".html", ".svg", ".json", ".txt")
#: smaller files are sent as they are: compressing them saves less than a packet [bytes]
MIN_COMPRESS_BYTES = 1024


@lru_cache(maxsize=64)
def gzipped(path: str, mtime_ns: int, size: int) -> bytes:
    """The file compressed once (level 9, no timestamp: the same bytes on every server) and kept while the
    file's modification time and size stay the same."""
    return gzip.compress(Path(path).read_bytes(), compresslevel=9, mtime=0)


def accepts_gzip(headers: Headers) -> bool:
    """Whether ``Accept-Encoding`` allows gzip (``gzip`` or ``*``, without ``q=0``)."""
    for part in headers.get("accept-encoding", "").split(","):
        coding, *params = (p.strip().lower() for p in part.split(";"))
        if coding in ("gzip", "x-gzip", "*"):
            q = next((p.removeprefix("q=") for p in params if p.startswith("q=")), "1")
            try:
                return float(q) > 0
            except ValueError:
                return False
    return False


class DashboardFiles(StaticFiles):
    """Static files with their CSP (the dashboard's unless told); revalidated on each load (ETag) rather than
    never stored. Text files of at least ``MIN_COMPRESS_BYTES`` go gzip-compressed to a client that accepts
    it (``Content-Encoding: gzip``, an ETag of their own, ``Vary: Accept-Encoding`` on every answer); a range
    or HEAD request gets the file as it is."""

    def __init__(self, *, directory: Path, html: bool = False, csp: str = DASHBOARD_CSP) -> None:
        super().__init__(directory=directory, html=html)
        self.csp = csp

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Content-Security-Policy"] = self.csp
        response.headers["Cache-Control"] = "no-cache"
        response.headers["Vary"] = "Accept-Encoding"
        return response

    def file_response(self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope,
                      status_code: int = 200) -> Response:
        request = Headers(scope=scope)
        if (status_code != 200 or scope.get("method") != "GET" or "range" in request
                or not str(full_path).endswith(COMPRESSIBLE) or stat_result.st_size < MIN_COMPRESS_BYTES
                or not accepts_gzip(request)):
            return super().file_response(full_path, stat_result, scope, status_code)
        identity = FileResponse(full_path, stat_result=stat_result)
        headers = {"Content-Type": identity.headers["content-type"], "Last-Modified": identity.headers["last-modified"],
                   "ETag": identity.headers["etag"].removesuffix('"') + '-gzip"', "Content-Encoding": "gzip",
                   "Vary": "Accept-Encoding"}
        if self.is_not_modified(Headers(headers=headers), request):
            return NotModifiedResponse(Headers(headers=headers))
        body = gzipped(str(full_path), stat_result.st_mtime_ns, stat_result.st_size)
        return Response(body, headers=headers)


def mount_docs(app: FastAPI) -> None:
    """Serve the API docs at /api/v1/docs (Swagger UI on /api/v1/openapi.json) and their assets at
    /api/v1/static/; neither appears in the OpenAPI."""

    @app.get("/api/v1/docs", include_in_schema=False)
    def api_docs() -> FileResponse:
        return FileResponse(API_STATIC_DIR / "swagger" / "index.html", media_type="text/html",
                            headers={"Content-Security-Policy": DOCS_CSP, "Cache-Control": "no-cache"})

    app.mount("/api/v1/static", DashboardFiles(directory=API_STATIC_DIR, csp=DOCS_CSP), name="api-static")


def mount_dashboard(app: FastAPI) -> None:
    """Serve the dashboard at /app/ (index.html) and redirect / there; neither appears in the OpenAPI."""

    @app.get("/", include_in_schema=False)
    def dashboard_home() -> RedirectResponse:
        return RedirectResponse("/app/", status_code=307)

    # the map's boundaries (reference/maps/, issue 17): public reference data, gzipped like the dashboard's files
    app.mount("/app/maps", DashboardFiles(directory=MAPS_DIR), name="maps")
    app.mount("/app", DashboardFiles(directory=WEB_DIR, html=True), name="dashboard")
