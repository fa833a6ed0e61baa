"""Issue 12 (items 2 and 9): the HTTP layer under attack, against a real `dianta serve` on each backend.

Request bodies are limited by route before any read (1 MB; the batch upload up to $DIANTA_MAX_BODY_MB, and only
from an authenticated operator, checked before the body is read); `serve` answers 503 beyond its concurrency
limit; every response, a 500 included, carries the security headers (and HSTS when asked); absurd token claims
are a 401, never a 500. Bodies are sent over raw sockets where the point is what the server answers before (or
without) reading them.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import jwt
import pytest
from conftest import BACKENDS
from service import Service, start_service, stop_service

from dianta.api.app import SECURITY_HEADERS, create_app
from dianta.ledger.store import Store
from dianta.security.tokens import ALGORITHM, SECRET_KEY, store_secret

MB = 1024 * 1024
HSTS_MAX_AGE = 31_536_000
#: `dianta serve --limit-concurrency` of this module's server (small, so the test can exceed it)
CONCURRENCY = 6


@pytest.fixture(scope="module", params=BACKENDS)
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    s = start_service(request.param, tmp_path_factory.mktemp("http"), request,
                      serve_args=("--hsts-max-age", str(HSTS_MAX_AGE), "--limit-concurrency", str(CONCURRENCY)))
    yield s
    stop_service(s)


def _connect(service: Service, timeout: float = 15) -> socket.socket:
    url = urlsplit(service.url)
    return socket.create_connection((url.hostname, url.port), timeout=timeout)


def _send_head(sock: socket.socket, method: str, path: str, headers: dict[str, str]) -> None:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-case names) and body of the one response on ``sock`` (a timeout: no answer)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"the server closed the connection without an answer: {data!r}")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
    while len(body) < int(headers.get("content-length", "0")):
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(status_line.split()[1]), headers, body


def _declared_only(service: Service, method: str, path: str, size: int, headers: dict[str, str] | None = None
                   ) -> tuple[int, dict[str, str], bytes]:
    """Declare a body of ``size`` bytes, send none of it and read the answer: only a server that decides
    before reading the body answers (else the read times out)."""
    with _connect(service) as sock:
        _send_head(sock, method, path, {"Content-Type": "application/json", "Content-Length": str(size),
                                        **(headers or {})})
        return _read_response(sock)


def _assert_security_headers(headers: dict[str, str]) -> None:
    for name, value in SECURITY_HEADERS.items():
        if name != "Content-Security-Policy":
            assert headers[name.lower()] == value, name
    assert "default-src 'self'" in headers["content-security-policy"]


def test_a_large_body_to_an_ordinary_route_is_refused_before_authentication(service: Service) -> None:
    """A 2 MB JSON body to /compute, anonymous: 413 by its Content-Length, before a byte is read (it was read
    whole, up to 512 MB, and then refused 401)."""
    status, headers, body = _declared_only(service, "POST", "/api/v1/compute", 2 * MB)
    assert status == 413
    assert json.loads(body)["detail"] == ("the request is larger than 1 MB; requests other than a batch upload "
                                          "are small; check what is sent")
    _assert_security_headers(headers)
    assert headers["strict-transport-security"] == f"max-age={HSTS_MAX_AGE}"
    # 1 MB itself passes: the app answers (the blank body is no JSON: 422)
    with service.client() as c:
        assert c.post("/api/v1/compute", content=b" " * MB, headers={"Content-Type": "application/json"}
                      ).status_code == 422


def test_a_chunked_body_is_cut_off_at_the_limit(service: Service) -> None:
    """No Content-Length (chunked): 413 as soon as the streamed body passes 1 MB, whoever sends it."""
    for who in (None, "operator"):
        with _connect(service) as sock:
            auth = {"Authorization": f"Bearer {service.tokens[who]}"} if who else {}
            _send_head(sock, "POST", "/api/v1/compute", {"Content-Type": "application/json",
                                                         "Transfer-Encoding": "chunked", **auth})
            piece = b"x" * 65536
            for _ in range(MB // len(piece)):  # exactly 1 MB: still allowed
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            sock.sendall(b"1\r\nx\r\n")  # one byte more: refused, with nothing left unread on the socket
            status, headers, body = _read_response(sock)
        assert status == 413 and "larger than 1 MB" in json.loads(body)["detail"], (who, status, body)
        _assert_security_headers(headers)


def test_an_anonymous_upload_is_refused_before_its_body_is_read(service: Service) -> None:
    """The batch upload: anonymous (or a wrong token) → 401 without reading the declared body, whatever its
    size (600 MB was answered 413 and 100 MB waited for the body); over the upload limit → 413."""
    for size in (600 * MB, 100 * MB):
        status, headers, body = _declared_only(service, "POST", "/api/v1/batches", size,
                                               {"Content-Type": "multipart/form-data; boundary=x"})
        assert status == 401, (size, status, body)
        assert json.loads(body)["detail"].startswith("not authenticated")
        assert headers["www-authenticate"] == "Bearer"
        _assert_security_headers(headers)
    status, _, body = _declared_only(service, "POST", "/api/v1/batches", 100 * MB,
                                     {"Authorization": "Bearer not-a-token"})
    assert (status, json.loads(body)["detail"]) == (401, "invalid token")
    status, _, body = _declared_only(service, "POST", "/api/v1/batches", 600 * MB,
                                     {"Authorization": f"Bearer {service.tokens['operator']}"})
    assert status == 413 and "larger than 512 MB" in json.loads(body)["detail"]


def test_only_the_operator_may_send_a_large_upload(service: Service) -> None:
    """Another role → 403 before the body is read, and the refusal is audited; the operator's uploads (token or
    API key) work as before, bodies over 1 MB included."""
    for who, role in (("bank_a", "bank"), ("ent_a", "enterprise"), ("regulator", "regulator")):
        status, _, body = _declared_only(service, "POST", "/api/v1/batches", 100 * MB,
                                         {"Authorization": f"Bearer {service.tokens[who]}"})
        assert (status, json.loads(body)["detail"]) == (403, f"the {role} role may not batch.upload")
    with service.client("bank_a") as c:
        key = c.post("/api/v1/api-keys", json={"label": "uploader"}).json()["key"]
    status, _, _ = _declared_only(service, "POST", "/api/v1/batches", 100 * MB, {"X-API-Key": key})
    assert status == 403
    with service.client("operator") as c:
        denied = [e for e in c.get("/api/v1/audit", params={"action": "batch.upload", "limit": 1000}).json()
                  if e["outcome"] == "denied"]
        assert {(e["actor"], e["resource"]) for e in denied} >= {("bank_a", "batches"), ("ent_a", "batches"),
                                                                 ("regulator", "batches")}
        operator_key = c.post("/api/v1/api-keys", json={"label": "uploader"}).json()["key"]
        r = c.post("/api/v1/batches", data={"reason": "a correction"},
                   files=[("files", ("economics.csv", b"credit_code,year,value_added_10k_cny\n"))])
        assert r.status_code == 201, r.text
        # 2 MB: over the ordinary limit, under the upload limit: the upload's own checks answer
        big = c.post("/api/v1/batches", files=[("files", ("notes.txt", b"x" * (2 * MB)))])
        assert big.status_code in (400, 422) and "larger than" not in big.text, big.text
    with httpx.Client(base_url=service.url, headers={"X-API-Key": operator_key}, timeout=60) as c:
        r = c.post("/api/v1/batches", files=[("files", ("economics.csv", b"credit_code,year,value_added_10k_cny\n"))])
        assert r.status_code == 201, r.text


def test_absurd_token_claims_are_a_401(service: Service) -> None:
    """Tokens signed with the store's own secret but with claims we never issue: a `sub` of 5,000 digits (int()
    refused it: 500), a user id beyond a database integer (SQL overflow), a huge `exp` or `jti`: each a 401."""
    store = Store(service.db, lake=service.lake) if service.lake else Store(service.db)
    try:
        secret = store_secret(store, SECRET_KEY)
    finally:
        store.close()
    now = int(time.time())
    good = {"sub": str(service.user_ids["operator"]), "jti": "j" * 22, "iat": now, "exp": now + 600}
    bad = [{"sub": "9" * 5000}, {"sub": "9" * 11}, {"sub": str(2**31)}, {"sub": "0"}, {"sub": "１２"},
           {"exp": 10**20}, {"exp": now + 600.5}, {"iat": True}, {"jti": "j" * 1000}, {"jti": ""}]
    with httpx.Client(base_url=service.url, timeout=60) as c:
        token = jwt.encode(good, secret, algorithm=ALGORITHM)
        assert c.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()["role"] == "operator"
        for change in bad:
            token = jwt.encode({**good, **change}, secret, algorithm=ALGORITHM)
            for path in ("/api/v1/me", "/api/v1/auth/logout"):
                method = "GET" if path.endswith("me") else "POST"
                r = c.request(method, path, headers={"Authorization": f"Bearer {token}"})
                assert (r.status_code, r.json()["detail"]) == (401, "invalid token"), (change.keys(), path, r.text)


def test_hsts_only_when_asked(service: Service) -> None:
    """`serve --hsts-max-age N`: Strict-Transport-Security on every response (API, dashboard, errors)."""
    for path in ("/api/v1/openapi.json", "/app/", "/api/v1/me", "/api/v1/no-such-route", "/api/v1/docs"):
        r = httpx.get(service.url + path)
        assert r.headers["strict-transport-security"] == f"max-age={HSTS_MAX_AGE}", path


def test_no_hsts_unless_asked(tmp_path) -> None:  # noqa: ANN001 - pytest tmp_path
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(Store(tmp_path / "store")))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/api/v1/openapi.json")

    r = asyncio.run(call())
    assert r.status_code == 200 and "strict-transport-security" not in r.headers


def test_the_server_answers_503_beyond_its_concurrency_limit(service: Service) -> None:
    """`serve --limit-concurrency N`: uvicorn counts open connections, the new one included; with N - 1 requests
    in flight (each waiting for its body, unanswered) the next is answered 503 at once; once they are gone the
    server answers again."""
    held = []
    try:
        for _ in range(CONCURRENCY - 1):
            sock = _connect(service, timeout=0.3)
            held.append(sock)
            _send_head(sock, "POST", "/api/v1/auth/token", {"Content-Type": "application/x-www-form-urlencoded",
                                                            "Content-Length": "100"})
            with pytest.raises(TimeoutError):  # in flight: waiting for the body
                sock.recv(1)
        assert httpx.get(service.url + "/api/v1/openapi.json", timeout=10).status_code == 503
    finally:
        for sock in held:
            sock.close()
    deadline = time.monotonic() + 10
    while (status := httpx.get(service.url + "/api/v1/openapi.json", timeout=10).status_code) == 503 \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    assert status == 200


def test_a_500_carries_the_security_headers(store: Store) -> None:
    """A defect (an exception no handler maps) is a plain 500 from Starlette's ServerErrorMiddleware, outside
    the app's middleware: it carries the security headers (and HSTS when asked) all the same."""
    app = create_app(store, hsts_max_age=60)

    @app.get("/api/v1/defect", include_in_schema=False)
    def defect() -> None:
        raise RuntimeError("a defect")

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/api/v1/defect")

    r = asyncio.run(call())
    assert (r.status_code, r.text) == (500, "Internal Server Error")
    _assert_security_headers({k.lower(): v for k, v in r.headers.items()})
    assert r.headers["strict-transport-security"] == "max-age=60"
