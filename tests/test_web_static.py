"""The dashboard's and the API docs' static files (api/web.py): sent gzip-compressed to a client that accepts it,
with an ETag of their own and ``Vary: Accept-Encoding``, revalidated (304) on the next load; as they are to a
client that does not, to a range request and to HEAD (issue 17: "ECharts served compressed")."""

from __future__ import annotations

import asyncio
import gzip
from pathlib import Path

import httpx
import pytest
from starlette.datastructures import Headers

from dianta.api.app import create_app
from dianta.api.web import API_STATIC_DIR, WEB_DIR, accepts_gzip
from dianta.ledger.store import Store

ECHARTS = "/app/vendor/echarts.min.js"


def _get(store: Store, requests: list[tuple[str, str, dict[str, str]]]) -> list[httpx.Response]:
    """The answers to (method, path, headers), in order, from one app; the body is left as sent (no decoding)."""

    async def call() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=create_app(store))
        out = []
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            for method, path, headers in requests:
                async with client.stream(method, path, headers=headers) as r:
                    r._content = b"".join([chunk async for chunk in r.aiter_raw()])  # noqa: SLF001 - raw bytes
                    out.append(r)
        return out

    return asyncio.run(call())


@pytest.fixture
def plain_store(tmp_path: Path) -> Store:
    return Store(tmp_path / "store")


def test_echarts_is_sent_compressed_and_revalidated(plain_store: Store) -> None:
    raw = (WEB_DIR / "vendor" / "echarts.min.js").read_bytes()
    zipped, plain, ranged, head = _get(plain_store, [
        ("GET", ECHARTS, {"Accept-Encoding": "gzip, deflate, br"}),
        ("GET", ECHARTS, {"Accept-Encoding": "identity"}),
        ("GET", ECHARTS, {"Accept-Encoding": "gzip", "Range": "bytes=0-99"}),
        ("HEAD", ECHARTS, {"Accept-Encoding": "gzip"})])
    assert zipped.status_code == 200 and zipped.headers["content-encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == raw  # the same file, byte for byte
    assert int(zipped.headers["content-length"]) == len(zipped.content)
    # measured: ECharts 1,121,883 bytes, 368,202 compressed (32.8 %); a third of it at most
    assert len(zipped.content) < len(raw) / 3
    assert zipped.headers["content-type"].startswith("text/javascript")
    assert zipped.headers["vary"] == "Accept-Encoding" and zipped.headers["cache-control"] == "no-cache"
    assert "default-src 'self'" in zipped.headers["content-security-policy"]
    assert "content-encoding" not in plain.headers and plain.content == raw
    assert plain.headers["vary"] == "Accept-Encoding"
    # the two forms are different representations: different ETags (a cache never mixes them up)
    assert zipped.headers["etag"] == plain.headers["etag"][:-1] + '-gzip"'
    assert (ranged.status_code, ranged.content, "content-encoding" in ranged.headers) == (206, raw[:100], False)
    assert head.status_code == 200 and "content-encoding" not in head.headers
    again, again_plain, stale = _get(plain_store, [
        ("GET", ECHARTS, {"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["etag"]}),
        ("GET", ECHARTS, {"Accept-Encoding": "identity", "If-None-Match": plain.headers["etag"]}),
        ("GET", ECHARTS, {"Accept-Encoding": "gzip", "If-None-Match": plain.headers["etag"]})])
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", zipped.headers["etag"])
    assert again.headers["vary"] == "Accept-Encoding"
    assert (again_plain.status_code, again_plain.content) == (304, b"")
    # the identity ETag does not revalidate the compressed form: the compressed file is sent
    assert stale.status_code == 200 and gzip.decompress(stale.content) == raw


@pytest.mark.parametrize("path", ["/app/", "/app/app.js", "/app/app.css", "/app/i18n.js",
                                  "/api/v1/static/swagger/swagger-ui-bundle.js",
                                  "/api/v1/static/swagger/swagger-ui.css"])
def test_the_apps_own_files_are_compressed(plain_store: Store, path: str) -> None:
    source = {"/app/": WEB_DIR / "index.html"}.get(path) or (
        WEB_DIR / path.removeprefix("/app/") if path.startswith("/app/") else
        API_STATIC_DIR / path.removeprefix("/api/v1/static/"))
    (r,) = _get(plain_store, [("GET", path, {"Accept-Encoding": "gzip"})])
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip", r.headers
    assert gzip.decompress(r.content) == source.read_bytes()


def test_small_files_and_images_go_as_they_are(plain_store: Store) -> None:
    small = [p for p in sorted(WEB_DIR.iterdir()) if p.is_file() and p.stat().st_size < 1024]
    assert small, "a file under 1 kB to test with (favicon.svg)"
    (r,) = _get(plain_store, [("GET", f"/app/{small[0].name}", {"Accept-Encoding": "gzip"})])
    assert r.status_code == 200 and "content-encoding" not in r.headers and r.content == small[0].read_bytes()
    (api,) = _get(plain_store, [("GET", "/api/v1/openapi.json", {"Accept-Encoding": "identity"})])
    assert "content-encoding" not in api.headers  # the API's answers are not touched


@pytest.mark.parametrize(("header", "accepted"), [
    ("gzip", True), ("deflate, gzip;q=0.5", True), ("*", True), ("GZIP", True), ("br;q=1.0, gzip;q=0", False),
    ("identity", False), ("", False), ("gzip;q=0.000", False), ("gzip;q=x", False), ("deflate, br", False)])
def test_accept_encoding(header: str, accepted: bool) -> None:
    assert accepts_gzip(Headers(headers={"Accept-Encoding": header})) is accepted
