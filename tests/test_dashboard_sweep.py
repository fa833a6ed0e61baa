"""A sweep of the dashboard (issue 17 item 9 and its closing requirement): each role (operator, bank, enterprise,
regulator, park) logs in, in Chinese and in English, and opens every page of its navigation. The sweep fails on

* "null", "undefined" or "NaN" shown anywhere on a page;
* on a Chinese page, any word of the UI's own English catalogue (the en values of i18n.js, which hold the
  glossary's English names, with four letters or more and not also in a Chinese value) shown on the page or in a
  chart's text alternative;
* a chart without a text alternative (role=img and an aria-label);
* a page wider than a 390 px phone (the body must never scroll sideways: wide tables scroll in their own box);
* a skip link that is not the first thing the keyboard reaches.

With DIANTA_DOCS_SCREENSHOTS set it writes the README's screenshots to docs/screenshots/ (the bank's credit view,
the regulator's programme, the park's page and the operator's intake, at 1,400 px and 390 px, in Chinese).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright
from province import A
from service import Service, start_service, stop_service
from test_dashboard import ARGS, CHROMIUM, Session  # the browser session of the dashboard tests (skips without it)
from test_dashboard_parks import GEM, _set_up_parks

YEAR = 2023
USERS = {"operator": "operator", "bank": "bank_a", "enterprise": "ent_a", "regulator": "regulator",
         "park": "park_gem"}
DOCS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
PHONE, DESK = {"width": 390, "height": 844}, {"width": 1400, "height": 1000}
BLANKS = re.compile(r"\b(null|undefined|NaN)\b")
WORD = re.compile(r"[A-Za-z]{4,}")
# a field name or a file cited in a method note (economics.total_equity_plus_debt_cny, METHODOLOGY.md): a code, not
# a word of the UI's English
IDENTIFIER = re.compile(r"[A-Za-z0-9]*(?:[_.][A-Za-z0-9]+)+")


@pytest.fixture(scope="module")
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """One server for the module (SQLite), with the parks of test_dashboard_parks and their user park_gem."""
    s = start_service("sqlite", tmp_path_factory.mktemp("sweep"), request)
    _set_up_parks(s)
    yield s
    stop_service(s)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _english_words(s: Session) -> set[str]:
    """The UI's own English words: the en catalogue (the glossary's names included) less the words that its
    Chinese catalogue uses too (units, CSV, PDF…), lower-case."""
    values = s.page.evaluate("""async () => { const {CATALOGUE} = await import('./i18n.js');
        return {en: Object.values(CATALOGUE.en), zh: Object.values(CATALOGUE.zh)}; }""")
    words = lambda texts: {w.lower() for v in texts for w in WORD.findall(re.sub(r"\{\w+\}", " ", v))}  # noqa: E731
    return words(values["en"]) - words(values["zh"])


def _data_words(service: Service) -> set[str]:
    """Words of the data, not the UI, that a page may show as they are: user names, batch reasons and file
    names, the fixture's park and organisation ids."""
    texts = [*USERS.values(), "bank_b", "ent_b", GEM, "PARK-QH-GEM-ZCP"]
    with service.client("operator") as op:
        for b in op.get("/api/v1/batches", params={"page_size": 500}).json()["items"]:
            texts += [b["reason"] or "", b["received_by"], *(f["name"] for f in b["files"])]
    return {w.lower() for text in texts for w in WORD.findall(text)}


def _problems(s: Session, name: str, lang: str, english: set[str]) -> list[str]:
    page = s.page
    found: list[str] = []
    text = page.evaluate("document.body.innerText")
    # text declared English (lang="en": a reference file's English-only citation) is not the UI's own words
    chinese = page.evaluate("""(() => { const declared = [...document.querySelectorAll('body [lang="en"]')];
        declared.forEach(e => e.classList.add('hidden'));
        const text = document.body.innerText;
        declared.forEach(e => e.classList.remove('hidden'));
        return text; })()""")
    found += [f"{name} ({lang}): '{m.group(0)}' shown near …{text[max(0, m.start() - 40):m.end() + 40]!r}…"
              for m in BLANKS.finditer(text)]
    charts = page.evaluate("""[...document.querySelectorAll('#main .chart')].map(c => ({role: c.getAttribute('role'),
        label: c.getAttribute('aria-label') || ''}))""")
    found += [f"{name} ({lang}): a chart without a text alternative" for c in charts
              if c["role"] != "img" or len(c["label"]) < 2]
    if lang == "zh":
        shown = chinese + "\n" + "\n".join(c["label"] for c in charts)
        prose = IDENTIFIER.sub(" ", shown)
        leaks = {m.group(0): prose[max(0, m.start() - 30):m.end() + 30] for m in WORD.finditer(prose)
                 if m.group(0).lower() in english}
        if leaks:
            found.append(f"{name} (zh): English words of the UI shown: "
                         + "; ".join(f"{w} in …{leaks[w]!r}…" for w in sorted(leaks)))
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(150)  # the charts follow their boxes (ResizeObserver)
    wide = page.evaluate("[document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth]")
    if max(wide[:2]) > wide[2]:
        culprits = page.evaluate("""(() => {  // the deepest boxes (or text) past the right edge, unless clipped
            const clipped = (e) => { for (let p = e.parentElement; p; p = p.parentElement) {
              if (getComputedStyle(p).overflowX !== 'visible') return true; } return false; };
            const out = (e) => e.getBoundingClientRect().right > innerWidth + 1 || e.scrollWidth > e.clientWidth + 1;
            return [...document.querySelectorAll('body *')].filter(e => out(e) && ![...e.children].some(out)
              && !clipped(e)).slice(0, 4)
              .map(e => `${e.tagName}.${e.className}#${e.id}: ${(e.textContent || '').slice(0, 30)}`); })()""")
        found.append(f"{name} ({lang}): {wide[0]} px wide at 390 px ({', '.join(culprits)})")
    page.set_viewport_size(DESK)
    return found


def _charts_drawn(s: Session) -> None:
    """Wait until every chart of the page is drawn (polled: the page's CSP forbids the eval of wait_for_function)."""
    for _ in range(100):
        if s.page.evaluate("[...document.querySelectorAll('.chart')].every(c => c.dataset.ready === 'true')"):
            return
        s.page.wait_for_timeout(100)
    raise AssertionError("a chart was not drawn within 10 s")


def _nav(s: Session) -> list[str]:
    return s.page.eval_on_selector_all("#nav a[data-page]", "links => links.map(a => a.dataset.page)")


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("role", list(USERS))
def test_every_page_of_every_role(browser: Browser, service: Service, role: str, lang: str) -> None:
    s = Session(browser, service, lang)
    page = s.page
    s.login(USERS[role])
    pages = []
    page.wait_for_selector('#main .page[data-ready="true"]')
    english = _english_words(s) - _data_words(service) if lang == "zh" else set()
    # the skip link is the first thing the keyboard reaches on a page loaded afresh, in the page's language; it
    # moves the focus to <main>
    page.reload()
    page.wait_for_selector('#main .page[data-ready="true"]')
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "skip-link"
    assert page.inner_text("#skip-link") == {"zh": "跳到主要内容", "en": "Skip to main content"}[lang]
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # the year choice lists the years with accounts (and the later years, marked), the newest account year chosen
    years = page.eval_on_selector_all("#year option", "os => os.map(o => o.value)")
    assert str(YEAR) in years and page.input_value("#year") == str(YEAR)
    problems: list[str] = []
    for name in _nav(s):
        s.go(name)
        _charts_drawn(s)
        pages.append(name)
        problems += _problems(s, name, lang, english)
    if role == "bank":  # the bank's main task: an enterprise's credit view
        page.goto(f"{service.url}/app/#/account/{A}/{YEAR}")
        s.ready("account")
        _charts_drawn(s)
        problems += _problems(s, "account", lang, english)
    assert len(pages) >= 1
    assert not problems, "\n".join(problems)
    s.close()


SHOTS = {  # README's screenshots: (user, hash, file)
    "bank-credit-view": ("bank_a", f"#/account/{A}/{YEAR}", "account"),
    "regulator-programme": ("regulator", "#/programme", "programme"),
    "park": ("park_gem", "#/my-park", "my-park"),
    "operator-intake": ("operator", "#/intake", "intake"),
}


@pytest.mark.skipif(not os.environ.get("DIANTA_DOCS_SCREENSHOTS"), reason="set DIANTA_DOCS_SCREENSHOTS to write "
                    "the README's screenshots to docs/screenshots/")
@pytest.mark.parametrize("shot", list(SHOTS))
def test_readme_screenshots(browser: Browser, service: Service, shot: str) -> None:
    user, where, name = SHOTS[shot]
    s = Session(browser, service, "zh")
    s.login(user)
    s.page.wait_for_selector('#main .page[data-ready="true"]')
    s.page.goto(f"{service.url}/app/{where}")
    s.ready(name)
    _charts_drawn(s)
    DOCS.mkdir(parents=True, exist_ok=True)
    for width, size in (("1400", DESK), ("390", PHONE)):
        s.page.set_viewport_size(size)
        s.page.wait_for_timeout(300)
        s.page.screenshot(path=str(DOCS / f"{shot}-{width}.png"))
        assert (DOCS / f"{shot}-{width}.png").stat().st_size > 10_000
    s.close()
