"""The operator's intake in the dashboard (issue 17, item 7), in Chinese and in English: a batch uploaded, checked
(the preview writes nothing) and applied; a refused batch kept and listed; quarantined rows downloaded with their
reasons, corrected and sent again; corrections read as diffs; a recomputation tried (dry run) and confirmed.

The province (tests/province.py): A's June 2023 grid kWh is 40,000, every other month 100,000; B's 50,000.
A's June corrected to 400,000 kWh changes A's intensity and score (tests/test_intake.py checks the dry run against
the real run's changes exactly); the dry run lists A, and the scores it shows are those published before and after.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from province import A, B
from service import Service, start_service, stop_service
from test_dashboard import ARGS, CHROMIUM, Session  # the dashboard tests' browser session (skips without it)

YEAR = 2023
MA, MB = f"M{A[-3:]}", f"M{B[-3:]}"
#: the intake page's own English words: none may show on the Chinese page
ENGLISH = ("upload", "check", "apply", "applied", "refused", "quarantine", "quarantined", "findings", "batch",
           "reason", "reasons", "dry run", "confirm", "error", "errors", "warning", "rows", "table", "column",
           "value", "changes", "open", "resubmitted", "grade", "score", "enterprise", "files", "partial", "record",
           "download", "empty", "computed", "published", "accounts", "not rated")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture(params=["zh", "en"])
def lang_service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Service]]:
    """A fresh service for each language (the test changes its data)."""
    s = start_service("sqlite", tmp_path / "svc", request)
    try:
        yield request.param, s
    finally:
        stop_service(s)


def _monthly(rows: list[tuple[str, str, object]]) -> dict[str, object]:
    text = "meter_id,month,kwh\n" + "".join(f"{m},{mo},{k}\n" for m, mo, k in rows)
    return {"name": "consumption_monthly.csv", "mimeType": "text/csv", "buffer": text.encode()}


def _text(page: Page, lang: str) -> str:
    """The page's text: never null, undefined or NaN; on the Chinese page none of the page's English words."""
    text = page.inner_text("#main")
    assert not re.search(r"\b(null|undefined|NaN)\b", text), text
    if lang == "zh":
        found = [w for w in ENGLISH if re.search(rf"(?<![A-Za-z_]){w}(?![A-Za-z_])", text, re.IGNORECASE)]
        assert not found, (found, text)
    return text


def _get(service: Service, path: str, **params: object) -> object:
    with service.client("operator") as c:
        r = c.get("/api/v1" + path, params=params)
        r.raise_for_status()
        return r.json()


def test_operator_intake_preview_apply_refuse_resend_and_dry_run(browser: Browser, lang_service: tuple[str, Service]
                                                               ) -> None:
    lang, service = lang_service
    zh = lang == "zh"
    s = Session(browser, service, lang)
    page = s.page
    s.login("operator")
    s.ready("batches")
    s.go("intake")
    expect(page.locator("#intake-refused .msg")).to_have_text("没有被拒收的批次。" if zh else "No batch was refused.")
    expect(page.locator("#intake-quarantine .msg")).to_have_text("隔离区为空。" if zh else "The quarantine is empty.")

    # 1. a correction of A's June (40,000 -> 400,000: its intensity, and so its score, changes) checked: the
    # preview says one corrected row and writes nothing
    batches_before = _get(service, "/batches")["items"]
    page.set_input_files("#intake-files", [_monthly([(MA, "2023-06", 400_000), (MB, "2023-06", 50_000)])])
    page.fill("#intake-reason", "抄表更正" if zh else "meter re-read")
    page.click("#intake-check")
    preview = page.locator('#intake-preview[data-status="applicable"]')
    expect(preview.locator(".msg").first).to_have_text("全部 2 行通过检查，可以应用。" if zh
                                                       else "All 2 rows pass the checks: the batch can be applied.")
    row = preview.locator("table.data tbody tr").first
    expect(row.locator("td")).to_have_text(["月度用电" if zh else "consumption_monthly", "2", "0", "0", "1", "1"])
    assert _get(service, "/batches")["items"] == batches_before and _get(service, "/corrections") == []
    s.shot(f"operator-intake-preview-{lang}")
    _text(page, lang)
    page.click("#intake-apply")
    applied = page.locator("#intake-result .msg-ok")
    expect(applied).to_contain_text(re.compile(r"批次 \d+ 已应用：新增 0 行，更正 1 行，隔离 0 行" if zh
                                               else r"Batch \d+ applied: 0 rows new, 1 corrected, 0 quarantined"))
    (correction,) = _get(service, "/corrections")
    assert (correction["old"]["kwh"], correction["new"]["kwh"]) == (40_000.0, 400_000.0)

    # 2. a refused batch: the preview says so, sending it anyway keeps it, listed with its errors
    page.set_input_files("#intake-files", [_monthly([(MA, "2023-13", 1), ("M999", "2023-06", -5)])])
    page.click("#intake-check")
    refused = page.locator('#intake-preview[data-status="refused"]')
    expect(refused.locator(".msg-error")).to_contain_text("该批次将被整体拒收" if zh else "refused as a whole")
    expect(page.locator("#intake-findings")).to_contain_text("不是月份" if zh else "is not a month")
    _text(page, lang)
    s.expected_failures.append(("/api/v1/batches", 422))  # the refusal the browser reports, on purpose
    page.click("#intake-apply")
    expect(page.locator("#intake-result .msg-error")).to_contain_text("被拒收，已留档" if zh
                                                                     else "was refused and kept")
    (kept,) = _get(service, "/batches", status="refused")["items"]
    refused_row = page.locator("#intake-refused table.data tbody tr")
    expect(refused_row).to_have_count(1)
    expect(refused_row.locator("td").nth(0)).to_have_text(str(kept["batch_id"]))
    expect(refused_row.locator("td").nth(4)).to_have_text(str(kept["errors"]))
    with page.expect_download() as download:
        refused_row.locator("button", has_text="consumption_monthly.csv").click()
    assert Path(download.value.path()).read_bytes().startswith(b"meter_id,month,kwh\n" + MA.encode() + b",2023-13")

    # 3. partial: the bad row quarantined, downloaded with its reason, corrected and sent again
    page.check("#intake-partial")
    page.set_input_files("#intake-files", [_monthly([(MA, "2023-13", 99_000), (MB, "2023-07", 50_000)])])
    page.click("#intake-check")
    expect(page.locator('#intake-preview[data-status="partial"] .msg-warn')).to_contain_text(
        "有 1 行未通过检查" if zh else "1 rows fail the checks")
    page.click("#intake-apply")
    expect(page.locator("#intake-result .msg-ok")).to_contain_text("隔离 1 行" if zh else "1 quarantined")
    quarantined = page.locator("#intake-quarantine table.data tbody tr")
    expect(quarantined).to_have_count(1)
    expect(quarantined.locator("td").nth(5)).to_contain_text("月份：“2023-13”不是月份" if zh
                                                             else "month: '2023-13' is not a month")
    expect(quarantined.locator("td").nth(6)).to_have_text("待处理" if zh else "open")
    s.shot(f"operator-intake-quarantine-{lang}")
    _text(page, lang)
    with page.expect_download() as download:
        page.click('#intake-quarantine button[data-table="consumption_monthly"]')
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert rows[0][-1] == ("隔离原因" if zh else "quarantine_reason") and rows[1][:3] == [MA, "2023-13", "99000"]
    rows[1][1] = "2023-12"  # corrected; the reasons column stays in the file
    fixed = io.StringIO()
    csv.writer(fixed).writerows(rows)
    page.click('#intake-quarantine button[data-resend="consumption_monthly"]')
    expect(page.locator("#intake-resubmits .msg")).to_contain_text("#")
    page.uncheck("#intake-partial")
    page.set_input_files("#intake-files", [{"name": "consumption_monthly.csv", "mimeType": "text/csv",
                                            "buffer": fixed.getvalue().encode()}])
    page.click("#intake-check")
    expect(page.locator('#intake-preview[data-status="applicable"]')).to_be_visible()
    page.click("#intake-apply")
    expect(page.locator("#intake-result .msg-ok")).to_contain_text("更正 1 行" if zh else "1 corrected")
    expect(page.locator("#intake-quarantine .msg")).to_have_text("隔离区为空。" if zh else "The quarantine is empty.")
    assert _get(service, "/quarantine") == []

    # 4. corrections as diffs: each changed column, old → new
    s.go("corrections")
    diffs = page.locator("#corrections table.data tbody tr")
    expect(diffs).to_have_count(2)
    expect(diffs.nth(0)).to_contain_text("月用电量：100,000 → 99,000" if zh else "kwh: 100,000 → 99,000")
    expect(diffs.nth(1)).to_contain_text("月用电量：40,000 → 400,000" if zh else "kwh: 40,000 → 400,000")
    expect(diffs.nth(1)).to_contain_text("抄表更正" if zh else "meter re-read")
    _text(page, lang)

    # 5. recalculation: the dry run lists A (its June and December changed), publishes nothing; confirmed, it does
    s.go("intake")
    page.fill("#dryrun-year", str(YEAR))
    before = _get(service, "/accounts", year=YEAR, size=100)["items"]
    page.click("#dryrun-form button[type=submit]")
    answer = page.locator("#dryrun-answer")
    expect(answer).to_be_visible()
    changed = int(answer.get_attribute("data-changes") or "0")
    assert changed >= 1
    expect(answer.locator("table.data tbody tr", has_text=A)).to_have_count(1)
    assert _get(service, "/accounts", year=YEAR, size=100)["items"] == before
    s.shot(f"operator-intake-dry-run-{lang}")
    _text(page, lang)
    a_row = answer.locator("table.data tbody tr", has_text=A)
    old_score, new_score = a_row.locator("td").nth(3).inner_text().split(" → ")
    page.click("#dryrun-confirm")
    expect(page.locator("#dryrun-result .msg-ok")).to_contain_text("已发布 8 个账户" if zh else "8 accounts published")
    after = {r["credit_code"]: r for r in _get(service, "/accounts", year=YEAR, size=100)["items"]}
    was = {r["credit_code"]: r for r in before}
    assert (old_score, new_score) == (f"{was[A]['score']:.1f}", f"{after[A]['score']:.1f}")
    s.close()
