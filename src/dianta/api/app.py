"""The application: routers, error mapping, security headers, OpenAPI at /api/v1/openapi.json."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.middleware.cors import CORSMiddleware

import dianta
from dianta.api.routers import accounts, admin, auth, batches, consents, finance, programme, reports
from dianta.api.web import mount_dashboard
from dianta.errors import (
    AuthError,
    Conflict,
    DiantaError,
    Forbidden,
    InputRefused,
    NotFound,
    ReferenceDataError,
    StoreError,
    UsageError,
)
from dianta.ledger.store import Store

STATUS = ((AuthError, 401), (Forbidden, 403), (NotFound, 404), (Conflict, 409), (InputRefused, 422),
          (ReferenceDataError, 422), (UsageError, 400), (StoreError, 503))
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
                    "Cache-Control": "no-store",
                    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'"}


def create_app(store: Store, *, cors_origins: list[str] | None = None) -> FastAPI:
    app = FastAPI(title="Dianta 电碳 API", version=dianta.__version__,
                  description="Enterprise electricity-carbon accounts for banks (企业电碳账户).",
                  openapi_url="/api/v1/openapi.json", docs_url="/api/v1/docs", redoc_url=None)
    app.state.store = store
    for module in (auth, admin, batches, accounts, consents, programme, reports, finance):
        app.include_router(module.router, prefix="/api/v1")
    mount_dashboard(app)
    if cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=cors_origins, allow_methods=["GET", "POST", "PATCH",
                           "DELETE"], allow_headers=["Authorization", "X-API-Key", "Content-Type"])

    @app.exception_handler(DiantaError)
    def dianta_error(_request: Request, exc: DiantaError) -> JSONResponse:
        status = next((code for kind, code in STATUS if isinstance(exc, kind)), 400)
        body: dict[str, object] = {"detail": str(exc)}
        if isinstance(exc, InputRefused):
            body["findings"] = [f.as_dict() for f in exc.findings]
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(body, status_code=status, headers=headers)

    @app.exception_handler(sa.exc.DataError)
    def data_error(_request: Request, _exc: sa.exc.DataError) -> JSONResponse:
        # e.g. a NUL character, which PostgreSQL text cannot hold: the input is refused, never a 500
        return JSONResponse({"detail": "the request holds characters or values the ledger cannot store "
                                       "(such as a NUL character); correct them"}, status_code=400)

    @app.exception_handler(sa.exc.OperationalError)
    def busy(_request: Request, exc: sa.exc.OperationalError) -> JSONResponse:
        # the ledger is locked or unreachable for now (SQLite under a long write, a PostgreSQL restart);
        # any other operational error is a defect and stays a 500
        text = str(exc.orig).lower()
        if not any(word in text for word in ("locked", "connect", "terminat", "shutdown")):
            raise exc
        return JSONResponse({"detail": "the ledger is busy or unreachable; try again shortly"}, status_code=503,
                            headers={"Retry-After": "5"})

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # noqa: ANN001, ANN202 - Starlette's signature
        response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        return response

    return app
