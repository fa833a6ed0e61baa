"""The application: routers, error mapping, security headers, OpenAPI at /api/v1/openapi.json."""

from __future__ import annotations

import json
import os

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
from dianta.security.throttle import LoginThrottle, TooManyAttempts

STATUS = ((AuthError, 401), (Forbidden, 403), (NotFound, 404), (Conflict, 409), (InputRefused, 422),
          (ReferenceDataError, 422), (UsageError, 400), (StoreError, 503), (TooManyAttempts, 429))
#: the largest request body accepted [bytes]: a batch upload of interval data as Parquet (override with
#: $DIANTA_MAX_BODY_MB)
MAX_BODY_BYTES = int(os.environ.get("DIANTA_MAX_BODY_MB", "512")) * 1024 * 1024
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
                    "Cache-Control": "no-store",
                    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'"}


class BodyLimit:
    """ASGI middleware: a request whose body exceeds ``max_bytes`` is answered 413 (by its Content-Length
    before anything is read, else as soon as the streamed body passes the limit)."""

    def __init__(self, app, *, max_bytes: int):  # noqa: ANN001 - an ASGI app
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):  # noqa: ANN001, ANN204 - the ASGI signature
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._refuse(send)
        seen, refused = 0, False

        async def counted():  # noqa: ANN202
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request" and not refused:
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:  # answer now; the app sees the client gone
                    refused = True
                    await self._refuse(send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message):  # noqa: ANN001, ANN202 - after a 413 the app's own answer is dropped
            if not refused:
                await send(message)

        try:
            return await self.app(scope, counted, guarded)
        except Exception:
            if refused:  # the app failed on the cut-off body; the client has its answer
                return None
            raise

    async def _refuse(self, send):  # noqa: ANN001, ANN202
        body = json.dumps({"detail": f"the request is larger than {self.max_bytes // (1024 * 1024)} MB; send "
                                     "the batch in parts (e.g. one file per month)"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def create_app(store: Store, *, cors_origins: list[str] | None = None, max_body_bytes: int = MAX_BODY_BYTES
               ) -> FastAPI:
    app = FastAPI(title="Dianta 电碳 API", version=dianta.__version__,
                  description="Enterprise electricity-carbon accounts for banks (企业电碳账户).",
                  openapi_url="/api/v1/openapi.json", docs_url="/api/v1/docs", redoc_url=None)
    app.state.store = store
    app.state.login_throttle = LoginThrottle()
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
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
        if isinstance(exc, TooManyAttempts):
            headers = {"Retry-After": str(exc.retry_after)}
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
