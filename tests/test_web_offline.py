"""The dashboard and the API docs in a browser with no internet (issue 17): Debian's Chromium driven by Playwright
against a real `dianta serve`, every request to another origin refused by the test. The API docs (Swagger UI,
shipped in api/static/swagger/) render every operation; the dashboard loads ECharts gzip-compressed and draws
its charts from it.

Skipped only when /usr/bin/chromium is missing and DIANTA_REQUIRE_BROWSER is not set (as test_dashboard.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from service import PASSWORD, Service, start_service, stop_service

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    if os.environ.get("DIANTA_REQUIRE_BROWSER"):
        pytest.fail(f"DIANTA_REQUIRE_BROWSER is set but {CHROMIUM} is missing (apt-get install chromium)",
                    pytrace=False)
    pytest.skip(f"{CHROMIUM} is missing: the browser tests need Debian's chromium", allow_module_level=True)

from playwright.sync_api import Browser, BrowserContext, Page, Route, expect, sync_playwright  # noqa: E402
from test_dashboard import wait_until  # noqa: E402 - polls without eval (the page's CSP)

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    s = start_service("sqlite", tmp_path_factory.mktemp("offline"), request)
    yield s
    stop_service(s)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


class Offline:
    """A browser context that reaches only the service: every other request is aborted and remembered."""

    def __init__(self, browser: Browser, service: Service) -> None:
        self.service = service
        self.context: BrowserContext = browser.new_context(viewport={"width": 1400, "height": 1000},
                                                           locale="en-GB")
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page: Page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        self.page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)

    def _route(self, route: Route) -> None:
        url = route.request.url
        if url.startswith(self.service.url + "/") or url.startswith("data:") or url.startswith("blob:"):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("internetdisconnected")

    def close(self) -> None:
        self.context.close()
        assert self.blocked == [], f"requests to other origins: {self.blocked}"
        assert self.errors == [], "\n".join(self.errors)


def test_api_docs_work_offline(browser: Browser, service: Service) -> None:
    spec = httpx.get(service.url + "/api/v1/openapi.json").json()
    operations = sum(len(methods) for methods in spec["paths"].values())
    assert operations > 50  # the whole API, so that the count below means something
    s = Offline(browser, service)
    page = s.page
    compressed: dict[str, str | None] = {}
    page.on("response", lambda r: compressed.__setitem__(r.url.rsplit("/", 1)[-1],
                                                          r.all_headers().get("content-encoding")))
    page.goto(service.url + "/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Dianta 电碳 API")
    expect(page.locator(".swagger-ui .opblock")).to_have_count(operations)
    page.locator(".swagger-ui .opblock-summary-path[data-path='/api/v1/me']").first.click()
    expect(page.locator(".swagger-ui .opblock.is-open .responses-table").first).to_be_visible()
    assert compressed["swagger-ui-bundle.js"] == "gzip" and compressed["swagger-ui.css"] == "gzip"
    s.close()


def test_dashboard_loads_compressed_echarts_offline(browser: Browser, service: Service) -> None:
    s = Offline(browser, service)
    page = s.page
    loaded: dict[str, tuple[str | None, int]] = {}

    def on_finished(request) -> None:  # noqa: ANN001 - playwright Request
        response = request.response()
        if response is not None and request.url.startswith(service.url + "/app/"):
            loaded[request.url.removeprefix(service.url)] = (response.all_headers().get("content-encoding"),
                                                             request.sizes()["responseBodySize"])

    page.on("requestfinished", on_finished)
    page.goto(service.url + "/")
    page.fill("#username", "ent_a")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector('#main .page[data-page="my-account"][data-ready="true"]')
    wait_until(page, "document.querySelectorAll('.chart').length > 0 && [...document.querySelectorAll("
                     "'.chart')].every(c => c.dataset.ready === 'true' && c.querySelector('canvas'))")
    assert page.evaluate("typeof window.echarts") == "object"
    encoding, size = loaded["/app/vendor/echarts.min.js"]
    raw = len(httpx.get(service.url + "/app/vendor/echarts.min.js", headers={"Accept-Encoding": "identity"}).content)
    # 1,121,883 bytes as a file; 368,202 sent (gzip level 9)
    assert encoding == "gzip" and 0 < size < raw / 3, (encoding, size, raw)
    assert loaded["/app/app.js"][0] == "gzip" and loaded["/app/app.css"][0] == "gzip"
    s.close()
