"""The park report (园区绿电报告) and the park label (园区绿电标识), GREEN-POWER.md §10 (issue 16), through the real
ledger: PDF text as a reader sees it (pdftotext), the HTML in Chinese and English, no raw code on the Chinese page,
clear errors, and the label's verification code on the public label check (valid → superseded by a correction).

The store holds the supplier park PS of tests/test_parks.py (member B, supplier S with PV and a battery): green share
0.9 against the target 1.0, CFE 0.4, shortfall 0.1 MWh; the pooled hourly shortfall 0.6 MWh all at 20:00 of 15 March
(evening peak 16–22); storage at η 0.85 covers 0.425 MWh with 0.425 MWh and 0.5 MW, 0.175 MWh remain
(tests/test_park_gap.py works them out).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import write_table
from test_parks import TRADE, B, S, supplier_batch
from test_reports import _cjk_font_covers, _pdf, _visible_text
from test_reports_traceability import _codes
from typer.testing import CliRunner

from dianta.accounts.compute import compute_year
from dianta.accounts.labels import verify_label
from dianta.accounts.parks import read_park_accounts
from dianta.errors import NotFound, UsageError
from dianta.ingest.apply import ingest_batch
from dianta.ledger.store import Store
from dianta.reports.parks import gather_park_report, park_label_image, park_report_html, render_park_report

PARK = "PS"
FIGURES_ZH = ("源网荷储园", "园区能源", S, "90.0 %", "100 %", "40.0 %", "0.100 MWh", "晚高峰", "16–22", "0.600 MWh",
              "0.425 MWh", "0.500 MW", "0.175 MWh", "85.0 %", "1.0 MWh", "0.9 MWh")


@pytest.fixture(scope="module")
def park_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    root = tmp_path_factory.mktemp("park-report")
    store = Store(root / "store")
    assert ingest_batch(store, supplier_batch(root / "batch")).status == "applied"
    compute_year(store, 2023)
    yield store
    store.close()


def test_chinese_pdf_has_every_section_and_the_figures(park_store: Store, tmp_path: Path):
    data = render_park_report(park_store, PARK, 2023, "pdf", "zh")
    _, text, pages = _pdf(tmp_path, "park-PS-zh", data)
    assert 1 <= pages <= 4
    for title in ("园区绿电报告", "一、园区与目标", "二、园区合并核算", "三、绿电进度", "四、逐时绿电缺口分布",
                  "五、如何补足缺口", "六、预警", "七、方法说明"):
        assert title in text, title
    for figure in FIGURES_ZH:
        assert figure in text, figure
    [park] = read_park_accounts(park_store, 2023)
    assert park["verification_code"] and park["verification_code"] in text
    assert "园区乙" not in text  # the member's name (and figures) are not the park's
    assert "\ufffd" not in text and "\u25a1" not in text


def test_html_in_both_languages(park_store: Store):
    report = gather_park_report(park_store, park_id=PARK, year=2023)
    zh = " ".join(_visible_text(park_report_html(report, "zh")).split())
    en = " ".join(_visible_text(park_report_html(report, "en")).split())
    for figure in FIGURES_ZH:
        assert figure in zh, figure
    assert "绿电占比 90.0 %，目标 100 %" in zh and "储能后剩余缺口 0.175 MWh" in zh
    assert "Green share 90.0 % against a target of 100 %" in en
    for text in ("Park green-power report", "Evening peak", "Shortfall after storage 0.175 MWh",
                 "Storage power needed 0.500 MW", "Storage energy capacity needed 0.425 MWh", "Park members 1"):
        assert text in en, text
    # the close-the-gap table: every band of the profile, its hours and MWh; 0 outside the evening peak
    rows = re.findall(r"<tr><td>([^<]+)</td><td>(\d\d–\d\d)</td><td class=\"num\">([^<]+)</td></tr>",
                      park_report_html(report, "zh"))
    assert rows == [("夜间", "00–06", "0.000 MWh"), ("早间", "06–10", "0.000 MWh"), ("午间光伏", "10–16", "0.000 MWh"),
                    ("晚高峰", "16–22", "0.600 MWh"), ("深夜", "22–24", "0.000 MWh")]
    # Chinese on the English page only in names: the park's, the supplier's and the region's (GB/T 2260 names)
    names = ("源网荷储园", "园区能源", report.region_name)
    assert not re.search(r"[\u4e00-\u9fff]", re.sub("|".join(names), "", en)), en


def test_chinese_page_shows_no_raw_code_and_alerts_in_words(park_store: Store):
    report = gather_park_report(park_store, park_id=PARK, year=2023)
    report.record["alerts"] = ["park_below_target"]  # the alert's words (tests/test_parks.py raises it for real)
    html = park_report_html(report, "zh")
    visible = _visible_text(html)
    assert "园区绿电占比低于目标路径" in visible
    codes = _codes() | {"park_below_target", "night", "morning", "midday", "evening_peak", "late_evening"}
    assert [c for c in sorted(codes) if re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-])", visible)] == []
    words = set(re.findall(r"(?<![\w-])[a-z][a-z_]+(?![\w-])", visible))
    verify_hint = {"dianta", "verify", "label", "api", "labels"}  # the command and path that check a label
    assert words <= verify_hint | {"min", "default"}, words  # "default": the profile's id
    assert _cjk_font_covers(visible) == []


def test_report_without_hourly_figures_says_so(park_store: Store):
    report = gather_park_report(park_store, park_id=PARK, year=2023)
    for key in ("shortfall_map_mwh", "hour_bands", "shortfall_by_band_mwh", "gap_storage", "cfe_score"):
        report.record[key] = None  # type: ignore[literal-required]
    zh = _visible_text(park_report_html(report, "zh"))
    assert zh.count("无分时数据的负荷占比超过方法配置的上限") == 2  # the map and the close-the-gap section
    del report.record["gap_storage"], report.record["verification_code"]  # a park account published before issue 16
    assert "七、方法说明" in park_report_html(report, "zh")


def test_unknown_park_and_year_without_account_are_clear_errors(park_store: Store):
    with pytest.raises(NotFound, match="No park NOPE is defined") as err:
        render_park_report(park_store, "NOPE", 2023, "html", "zh")
    assert err.value.message_zh == "未定义园区 NOPE：请先在园区表中定义该园区。"
    with pytest.raises(NotFound, match="Park PS has no published account for 2022") as err:
        park_label_image(park_store, PARK, 2022, "svg", "en")
    assert "园区 PS 在 2022 年" in (err.value.message_zh or "") and "dianta compute --year 2022" in err.value.message_zh
    with pytest.raises(UsageError, match="docx"):
        render_park_report(park_store, PARK, 2023, "docx", "zh")


def test_label_svg_and_png(park_store: Store):
    [park] = read_park_accounts(park_store, 2023)
    svg = park_label_image(park_store, PARK, 2023, "svg", "zh").decode()
    for text in ("园区绿电标识", "Park green-power label", "源网荷储园", "90 %", "目标 100 %", "40 %", "2023",
                 park["verification_code"]):
        assert text in svg, text
    assert 'width="100.8"' in svg  # the bar: 112 × 0.9 / 1.0
    en = park_label_image(park_store, PARK, 2023, "svg", "en").decode()
    assert "Target 100 %" in en and "Hourly carbon-free score" in en
    png = park_label_image(park_store, PARK, 2023, "png", "zh")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000


def test_label_code_is_checked_valid_then_superseded_after_a_correction(tmp_path: Path):
    """The code is valid while the park account states it; a new trade of B (100 kWh in March) raises the park's green
    share to (900 + 100) / 1,000 = 1.0: a new code, the old one superseded, on the CLI, the function and the API."""
    from fastapi.testclient import TestClient

    from dianta.api.app import create_app
    from dianta.cli import app as cli

    store = Store(tmp_path / "store")
    runner = CliRunner()
    db = ["--db", str(tmp_path / "store")]
    try:
        ingest_batch(store, supplier_batch(tmp_path / "batch"))
        compute_year(store, 2023)
        [before] = read_park_accounts(store, 2023)
        old = before["verification_code"]
        assert old is not None
        compute_year(store, 2023)  # nothing changed: the same code
        assert read_park_accounts(store, 2023)[0]["verification_code"] == old
        result = verify_label(store, old)
        assert {k: result[k] for k in ("kind", "status", "park_id", "year", "green_share", "target_green_share",
                                       "cfe_score")} == {"kind": "park", "status": "valid", "park_id": PARK,
                                                         "year": 2023, "green_share": pytest.approx(0.9),
                                                         "target_green_share": 1.0, "cfe_score": pytest.approx(0.4)}
        out = runner.invoke(cli, [*db, "verify-label", old.lower().replace("-", "")])
        assert out.exit_code == 0 and "valid" in out.output and "90.0 %" in out.output, out.output
        folder = tmp_path / "fix"
        write_table(folder, "green_trades", TRADE, [("GB", B, "2023-03", 100, "solar")])
        assert ingest_batch(store, folder).status == "applied"
        compute_year(store, 2023)
        [after] = read_park_accounts(store, 2023)
        assert after["green_share"] == pytest.approx(1.0) and after["verification_code"] not in (None, old)
        assert verify_label(store, old)["status"] == "superseded"
        assert verify_label(store, after["verification_code"])["status"] == "valid"
        out = runner.invoke(cli, [*db, "verify-label", old])
        assert out.exit_code == 1 and "superseded" in out.output and "已失效" in out.output, out.output
        with TestClient(create_app(store)) as client:
            answer = client.get(f"/api/v1/labels/{old}")
            assert answer.status_code == 200, answer.text
            body = answer.json()
            assert body["kind"] == "park" and body["status"] == "superseded" and body["green_share"] == 0.9
            assert set(body) == {"kind", "code", "status", "park_id", "park_name", "year", "profile_id", "green_share",
                                 "target_green_share", "target_year", "cfe_score", "issued_at", "superseded_at"}
            assert body["superseded_at"] is not None
    finally:
        store.close()


def test_cli_report_and_label_with_park(park_store: Store, tmp_path: Path):
    from dianta.cli import app as cli

    runner = CliRunner()
    db = ["--db", str(park_store.root)]
    out = runner.invoke(cli, [*db, "report", "--park", PARK, "--year", "2023", "--format", "html", "--lang", "en",
                              "--out", str(tmp_path / "p.html")])
    assert out.exit_code == 0, out.output
    assert "Park green-power report" in (tmp_path / "p.html").read_text(encoding="utf-8")
    out = runner.invoke(cli, [*db, "label", "--park", PARK, "--year", "2023", "--out", str(tmp_path / "p.svg")])
    assert out.exit_code == 0 and "园区绿电标识" in (tmp_path / "p.svg").read_text(encoding="utf-8"), out.output
    out = runner.invoke(cli, [*db, "report", "--park", "NOPE", "--year", "2023", "--format", "html"])
    assert out.exit_code == 1 and "No park NOPE is defined" in out.output and "未定义园区 NOPE" in out.output
    out = runner.invoke(cli, [*db, "report", B, "--park", PARK, "--year", "2023"])
    assert out.exit_code == 2 and "二者取一" in out.output
