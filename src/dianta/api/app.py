"""The application: routers, error mapping, request-body limits, security headers, OpenAPI at
/api/v1/openapi.json and its docs (Swagger UI served from our own origin) at /api/v1/docs."""

from __future__ import annotations

import json
import os
from typing import Any

import anyio.to_thread
import duckdb
import pyarrow as pa
import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security.utils import get_authorization_scheme_param
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import dianta
from dianta.api.deps import get_principal, scope_client
from dianta.api.redact import redact_paths
from dianta.api.routers import ROUTERS
from dianta.api.schemas import FindingPublic
from dianta.api.web import mount_dashboard, mount_docs
from dianta.errors import (
    AuthError,
    Conflict,
    DiantaError,
    Forbidden,
    InputRefused,
    NotFound,
    ReferenceDataError,
    StoreError,
    StoreUnavailable,
    UsageError,
)
from dianta.ledger.failures import translate
from dianta.ledger.store import Store
from dianta.messages import error_text
from dianta.security.authz import authorize
from dianta.security.throttle import TooManyAttempts, api_key_throttle, login_throttle

STATUS = ((AuthError, 401), (Forbidden, 403), (NotFound, 404), (Conflict, 409), (InputRefused, 422),
          (ReferenceDataError, 422), (UsageError, 400), (StoreError, 503), (TooManyAttempts, 429))
#: the largest request body of every route but the batch upload [bytes]: forms and JSON, never data files
MAX_BODY_BYTES = 1024 * 1024
#: the largest batch upload [bytes]: interval data as Parquet (override with $DIANTA_MAX_BODY_MB)
MAX_UPLOAD_BYTES = int(os.environ.get("DIANTA_MAX_BODY_MB", "512")) * 1024 * 1024
#: the routes that may take a large body (method, path as the router matches it), each with the action and resource
#: its caller must be authorised for (as the route itself does) before a byte of the body is read
LARGE_BODY_ROUTES = {("POST", "/api/v1/batches"): ("batch.upload", "batches"),
                     ("POST", "/api/v1/batches/preview"): ("batch.upload", "batches")}
#: what a client is told while the ledger is locked or its server unreachable (503 with Retry-After): trying again
#: shortly may succeed, and the operator's remedies (dianta status, pg_isready) are not the client's
BUSY = ("the ledger is busy or unreachable; try again shortly", "账本繁忙或暂时无法连接，请稍后重试")
#: the parts of a request FastAPI's validation names (``loc[0]``), in words
WHERE = {"query": ("query parameter", "查询参数"), "path": ("path parameter", "路径参数"),
         "body": ("body field", "请求体字段"), "header": ("header", "请求头"), "cookie": ("cookie", "Cookie")}
#: what FastAPI's validation found wrong with a field (its error ``type``; ``{ctx}`` of the error), in words
WRONG = {
    "missing": ("is missing", "缺失"), "value_error": ("is not valid", "取值无效"),
    "int_parsing": ("must be a whole number", "须为整数"), "int_type": ("must be a whole number", "须为整数"),
    "float_parsing": ("must be a number", "须为数字"), "float_type": ("must be a number", "须为数字"),
    "bool_parsing": ("must be true or false", "须为 true 或 false"),
    "greater_than_equal": ("must be ≥ {ge}", "须大于或等于 {ge}"),
    "less_than_equal": ("must be ≤ {le}", "须小于或等于 {le}"),
    "greater_than": ("must be > {gt}", "须大于 {gt}"), "less_than": ("must be < {lt}", "须小于 {lt}"),
    "string_pattern_mismatch": ("does not have the expected form", "格式不符合要求"),
    "string_too_long": ("is too long", "过长"), "string_too_short": ("is too short", "过短"),
    "too_long": ("has too many entries", "条目过多"), "too_short": ("has too few entries", "条目过少"),
    "literal_error": ("must be {expected}", "须为 {expected}"), "enum": ("must be {expected}", "须为 {expected}"),
    "json_invalid": ("is not valid JSON", "不是有效的 JSON"),
    "date_parsing": ("must be a date YYYY-MM-DD", "须为 YYYY-MM-DD 格式的日期"),
    "date_from_datetime_parsing": ("must be a date YYYY-MM-DD", "须为 YYYY-MM-DD 格式的日期"),
    "string_type": ("must be text", "须为文本"), "dict_type": ("must be an object", "须为对象"),
    "list_type": ("must be a list", "须为列表"),
    "extra_forbidden": ("is not a field of this request", "不是此请求的字段"),
}
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
                    "Cache-Control": "no-store",
                    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'"}


async def _answer(send: Send, status: int, body: dict[str, object], headers: dict[str, str] | None = None) -> None:
    """Send a JSON error answer (``code``, ``detail``, ``detail_zh``) straight from a middleware."""
    data = json.dumps(body).encode()
    extra = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                            *extra]})
    await send({"type": "http.response.body", "body": data})


def coded(code: str, **values: object) -> dict[str, object]:
    """The JSON body of an answer of catalogue entry ``code`` (:data:`dianta.messages.ERRORS`)."""
    en, zh = error_text(code, **values)
    return {"code": code, "detail": en, "detail_zh": zh}


def error_answer(exc: DiantaError) -> tuple[int, dict[str, object], dict[str, str] | None]:
    """The status, JSON body (``code``, ``detail`` in English, ``detail_zh`` in Chinese) and headers answering
    ``exc``; never a server path in the body. Operational failures arrive here translated by
    :func:`dianta.ledger.failures.translate`, as in the CLI: 503, with Retry-After while the ledger is locked
    or unreachable."""
    status = next((code for kind, code in STATUS if isinstance(exc, kind)), 400)
    retry_after = getattr(exc, "retry_after", None)
    detail, detail_zh = BUSY if isinstance(exc, StoreUnavailable) and retry_after else exc.texts()
    body: dict[str, object] = {"code": exc.code, "detail": redact_paths(detail), "detail_zh": redact_paths(detail_zh)}
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    if status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    return status, body, headers


def _fields(issues: list[dict[str, Any]], zh: int) -> str:
    """The fields of FastAPI's validation ``issues`` and what is wrong with each, in words (``zh`` 1: in Chinese),
    e.g. "query parameter 'year' must be ≤ 2199"."""
    named = []
    for issue in issues:
        loc = [str(part) for part in issue["loc"]]
        where = WHERE.get(loc[0], (loc[0], loc[0]))[zh] if loc else ""
        field = ".".join(loc[1:]) or (loc[0] if loc else "")
        ctx = {k: str(v) for k, v in (issue.get("ctx") or {}).items()}
        if "expected" in ctx and zh:
            ctx["expected"] = ctx["expected"].replace(" or ", " 或 ").replace("'", "")
        reason = WRONG.get(issue["type"], (str(issue["msg"]), "取值无效"))[zh]
        try:
            reason = reason.format(**ctx)
        except (KeyError, IndexError):
            reason = WRONG["value_error"][zh]
        named.append(f"{where}“{field}”{reason}" if zh else f"{where} '{field}' {reason}")
    return ("；" if zh else "; ").join(dict.fromkeys(named)) or ("请求无效" if zh else "the request is invalid")


def _mb(n_bytes: int) -> str:
    return f"{n_bytes / (1024 * 1024):g} MB"


class BodyLimit:
    """ASGI middleware: request bodies are limited by route before the app reads any of them (issue 12: a few
    anonymous requests of 512 MB each exhausted the memory).

    Every route takes at most ``max_bytes``. A route of :data:`LARGE_BODY_ROUTES` takes up to
    ``max_upload_bytes``, and only from a caller that its headers authenticate (bearer token or X-API-Key, as
    :func:`dianta.api.deps.get_principal` does) and :func:`dianta.security.authz.authorize` allows (a refusal is
    audited): 401 or 403 otherwise, answered without reading the body. A body over the limit is answered 413 by
    its Content-Length before anything is read, else (chunked) as soon as the streamed body passes the limit."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, max_upload_bytes: int) -> None:
        self.app, self.max_bytes, self.max_upload_bytes = app, max_bytes, max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit, advice = self.max_bytes, ("requests other than a batch upload are small; check what is sent",
                                         "除批次上传外，请求都很小；请检查所发送的内容")
        gate = LARGE_BODY_ROUTES.get((scope["method"], scope["path"]))
        if gate is not None:
            refusal = await self._check_caller(scope, *gate)
            if refusal is not None:
                return await _answer(send, *refusal)
            limit, advice = self.max_upload_bytes, ("send the batch in parts (e.g. one file per month)",
                                                    "请分批发送（如每月一个文件）")
        detail = coded("too_large", limit=_mb(limit), advice=advice[0])
        detail["detail_zh"] = error_text("too_large", limit=_mb(limit), advice=advice[1])[1]
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await _answer(send, 413, detail)
        seen, refused = 0, False

        async def counted() -> Message:
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request" and not refused:
                seen += len(message.get("body", b""))
                if seen > limit:  # answer now; the app sees the client gone
                    refused = True
                    await _answer(send, 413, detail)
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:  # after a 413 the app's own answer is dropped
            if not refused:
                await send(message)

        try:
            return await self.app(scope, counted, guarded)
        except Exception:
            if refused:  # the app failed on the cut-off body; the client has its answer
                return None
            raise

    async def _check_caller(self, scope: Scope, action: str, resource: str
                            ) -> tuple[int, dict[str, object], dict[str, str] | None] | None:
        """The answer (status, body, headers) to a caller that may not send a large body to this route, or
        None when it may. The ledger is read in a worker thread, off the event loop."""
        headers = Headers(scope=scope)
        scheme, token = get_authorization_scheme_param(headers.get("authorization"))
        api_key = headers.get("x-api-key")
        store = scope["app"].state.store

        def check() -> None:
            principal = get_principal(store, token=token if scheme.lower() == "bearer" else None,
                                      api_key=api_key or None, client=scope_client(scope),
                                      throttle=scope["app"].state.api_key_throttle)
            authorize(store, principal, action, resource=resource)

        try:
            await anyio.to_thread.run_sync(check)
        except Exception as exc:
            found = translate(exc, store=store)  # a DiantaError, or an operational failure (a locked ledger, …)
            if found is None:
                raise
            return error_answer(found)
        return None


class SecurityHeaders:
    """ASGI wrapper around the whole application, outside Starlette's ServerErrorMiddleware: every response (a
    500, and the 413/401/403 of :class:`BodyLimit`, included) gets each security header it does not set itself
    (the dashboard's and the API docs' own Content-Security-Policy win)."""

    def __init__(self, app: ASGIApp, *, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {bytes(k).lower() for k, _ in headers}
                message = {**message, "headers": headers + [(k, v) for k, v in self.headers if k not in present]}
            await send(message)

        await self.app(scope, receive, with_headers)


class DiantaAPI(FastAPI):
    """FastAPI with :class:`SecurityHeaders` outermost (``app.state.security_headers``)."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack(), headers=self.state.security_headers)


def create_app(store: Store, *, cors_origins: list[str] | None = None, max_body_bytes: int = MAX_BODY_BYTES,
               max_upload_bytes: int = MAX_UPLOAD_BYTES, hsts_max_age: int = 0) -> FastAPI:
    """The application on ``store``. ``max_body_bytes`` [bytes]: the body limit of every route but the batch
    upload, which takes ``max_upload_bytes`` [bytes] from the operator; ``hsts_max_age`` [s] > 0: send
    ``Strict-Transport-Security`` on every response (for deployments served over TLS only)."""
    app = DiantaAPI(title="Dianta 电碳 API", version=dianta.__version__,
                    description="Enterprise electricity-carbon accounts for banks (企业电碳账户).",
                    openapi_url="/api/v1/openapi.json", docs_url=None, redoc_url=None)
    app.state.store = store
    app.state.login_throttle = login_throttle()  # failed logins per user and address
    app.state.api_key_throttle = api_key_throttle()
    app.state.security_headers = dict(SECURITY_HEADERS)
    if hsts_max_age > 0:
        app.state.security_headers["Strict-Transport-Security"] = f"max-age={hsts_max_age}"
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes, max_upload_bytes=max_upload_bytes)
    for router in ROUTERS:
        app.include_router(router, prefix="/api/v1")
    mount_docs(app)
    mount_dashboard(app)
    if cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=cors_origins, allow_methods=["GET", "POST", "PATCH",
                           "DELETE"], allow_headers=["Authorization", "X-API-Key", "Content-Type"])

    @app.exception_handler(DiantaError)
    def dianta_error(_request: Request, exc: DiantaError) -> JSONResponse:
        status, body, headers = error_answer(exc)
        if isinstance(exc, InputRefused):
            # each finding's texts redacted there
            body["findings"] = [FindingPublic.model_validate(f.as_dict()).model_dump() for f in exc.findings]
            if exc.batch_id is not None:  # kept as a refused batch (dianta.ingest.refused)
                body["batch_id"] = exc.batch_id
        return JSONResponse(body, status_code=status, headers=headers)

    @app.exception_handler(sa.exc.DataError)
    def data_error(_request: Request, _exc: sa.exc.DataError) -> JSONResponse:
        # e.g. a NUL character, which PostgreSQL text cannot hold: the input is refused, never a 500
        return JSONResponse(coded("bad_characters"), status_code=400)

    @app.exception_handler(RequestValidationError)
    def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's own 422: the fields that failed, named in both languages; ``errors`` keeps FastAPI's list
        issues = jsonable_encoder(exc.errors(), exclude={"input", "url"})
        body = coded("invalid_request", fields=_fields(issues, 0))
        body["detail_zh"] = error_text("invalid_request", fields=_fields(issues, 1))[1]
        body["errors"] = [{k: i[k] for k in ("loc", "msg", "type")} for i in issues]
        return JSONResponse(body, status_code=422)

    def operational(request: Request, exc: Exception) -> JSONResponse:
        # the one mapping the CLI uses too: the ledger locked or unreachable for now (503 + Retry-After), a disk
        # full or failing, a lake file missing or damaged (503); anything else is a defect and stays a 500
        found = translate(exc, store=app.state.store)
        if found is None:
            raise exc
        return dianta_error(request, found)

    for kind in (sa.exc.OperationalError, sa.exc.InterfaceError, OSError, duckdb.Error, pa.ArrowException):
        app.add_exception_handler(kind, operational)

    return app
