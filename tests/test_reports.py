"""Account reports, labels and the portfolio report on the hand-computed province (tests/province.py).

PDFs are checked the way a reader sees them: poppler's pdftotext (the text, in the right characters),
pdffonts (the CJK font embedded), pdftoppm (every page rendered to PNG, kept under test-artifacts/).
"""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import open_store, write_table
from fontTools.ttLib import TTFont
from openpyxl import load_workbook
from province import A, C, D, E, F, H, write_batch_2022, write_batch_2023

from dianta.accounts.compute import compute_year
from dianta.accounts.labels import verify_label
from dianta.accounts.query import get_account
from dianta.errors import NotFound, UsageError
from dianta.ingest.apply import ingest_batch
from dianta.ledger.store import Store
from dianta.reports.content import gather_account_report
from dianta.reports.i18n import catalogue
from dianta.reports.labels import label_image
from dianta.reports.portfolio import bank_portfolio, portfolio_xlsx, render_portfolio
from dianta.reports.render import account_report_html, html_to_pdf
from dianta.reports.typeface import FONTS
from dianta.security import consents, users

ARTIFACTS = Path(os.environ.get("DIANTA_ARTIFACTS", Path(__file__).parent.parent / "test-artifacts")) / "reports"
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
POPPLER = shutil.which("pdftoppm") is not None


@pytest.fixture(scope="module")
def province(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    root = tmp_path_factory.mktemp("reports")
    store = open_store("sqlite", root, request)
    for folder in (write_batch_2022(root / "2022"), write_batch_2023(root / "2023")):
        assert ingest_batch(store, folder).status == "applied"
    compute_year(store, 2023)
    yield store
    store.close()


def _pdf(tmp: Path, name: str, data: bytes) -> tuple[Path, str, int]:
    """Write the PDF, render its pages to PNG under test-artifacts/, return (path, text, pages)."""
    if not POPPLER:
        if os.environ.get("DIANTA_REQUIRE_PG"):  # CI installs poppler-utils
            pytest.fail("pdftoppm is missing: install Debian's poppler-utils")
        pytest.skip("pdftoppm is missing (Debian's poppler-utils)")
    path = tmp / f"{name}.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    text = " ".join(text.split())  # lines wrap where the page wraps them
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(path), str(ARTIFACTS / name)], check=True)
    pngs = sorted(ARTIFACTS.glob(f"{name}-*.png"))
    assert len(pngs) == pages
    for png in pngs:  # a rendered page, not a blank one: an A4 page at 60 dpi with drawing on it
        width, height = struct.unpack(">II", png.read_bytes()[16:24])
        assert (abs(width - 496), abs(height - 702)) <= (1, 1)  # A4 at 60 dpi
        assert png.stat().st_size > 8_000, png
    return path, text, pages


def _cjk_font_covers(text: str) -> list[str]:
    """The CJK characters of ``text`` that the font shipped with the package has no glyph for."""
    cmap = TTFont(FONTS / "NotoSansSC-Regular.woff2").getBestCmap()
    return sorted({ch for ch in CJK.findall(text) if ord(ch) not in cmap})


def _without_system_fonts(tmp_path: Path) -> dict[str, str]:
    """An environment in which fontconfig sees no font at all (a machine without fonts installed)."""
    (tmp_path / "no-fonts").mkdir()
    (tmp_path / "fonts.conf").write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f'<dir>{tmp_path / "no-fonts"}</dir><cachedir>{tmp_path / "cache"}</cachedir></fontconfig>')
    return {**os.environ, "FONTCONFIG_FILE": str(tmp_path / "fonts.conf")}


def _visible_text(html: str) -> str:
    html = re.sub(r"<(style|svg)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_chinese_pdf_report_has_every_section_and_the_hand_computed_figures(province: Store, tmp_path: Path):
    report = gather_account_report(province, credit_code=A, year=2023)
    html = account_report_html(report, "zh")
    path, text, pages = _pdf(tmp_path, "account-A-zh", html_to_pdf(html))
    assert 2 <= pages <= 6
    for key in ("report_title", "s_enterprise", "s_electricity", "s_emissions", "s_indicators", "s_evaluation",
                "s_green", "s_quality", "s_reproduce"):
        assert catalogue()["text"][key][0] in text, key
    # the worked example of tests/test_accounts_worked.py: C_loc 604.884 t, C_mkt 512.064 t, share 26.3 %, K
    for figure in ("测试企业0", A, "604.9 tCO2", "512.1 tCO2", "0.5306", "0.6096", "26.3", "0.5121", "219.5",
                   "1,140.0 MWh", "0.787", "C32", "用电骤降", "2023-06"):
        assert figure in text, figure
    code = get_account(province, credit_code=A, year=2023)["label"]["verification_code"]
    assert code in text
    assert report.run["inputs_fingerprint"] in text and report.record_fingerprint in text
    # Chinese text is drawn with an embedded CJK font, and the font has every character the page shows
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "Dianta-Sans-SC" in fonts  # the font shipped with the package (reports/fonts/), whatever the system has
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:]), fonts  # every font embedded
    assert _cjk_font_covers(_visible_text(html)) == []
    assert "\ufffd" not in text and "\u25a1" not in text


def test_chinese_renders_with_the_shipped_font_on_a_machine_without_cjk_fonts(province: Store, tmp_path: Path):
    """Issue 14: a machine with no CJK font (here: fontconfig pointed at an empty folder) still gets a readable
    Chinese PDF, because the package ships its font and every PDF uses it."""
    html = tmp_path / "report.html"
    html.write_text(account_report_html(gather_account_report(province, credit_code=A, year=2023), "zh"),
                    encoding="utf-8")
    env = _without_system_fonts(tmp_path)
    listed = subprocess.run(["fc-list"], capture_output=True, text=True, env=env).stdout if shutil.which("fc-list") \
        else ""
    assert listed.strip() == ""  # the check is meaningful: fontconfig sees no font at all
    script = ("import sys, pathlib; from dianta.reports.render import html_to_pdf; "
              "sys.stdout.buffer.write(html_to_pdf(pathlib.Path(sys.argv[1]).read_text(encoding='utf-8')))")
    pdf = subprocess.run([sys.executable, "-W", "ignore", "-c", script, str(html)], capture_output=True, env=env,
                         check=True).stdout
    path, text, _ = _pdf(tmp_path, "no-system-fonts-account-A-zh", pdf)
    assert "测试企业0" in text and catalogue()["text"]["s_evaluation"][0] in text
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert {line.split()[0].split("+")[-1] for line in fonts.splitlines()[2:]} == {
        "Dianta-Sans-SC", "Dianta-Sans-SC-Bold"}, fonts


def test_english_report_is_in_english_with_the_same_numbers(province: Store, tmp_path: Path):
    report = gather_account_report(province, credit_code=A, year=2023)
    html = account_report_html(report, "en")
    _, text, _ = _pdf(tmp_path, "account-A-en", html_to_pdf(html))
    for key in ("report_title", "s_electricity", "s_green", "s_reproduce"):
        assert catalogue()["text"][key][1] in text, key
    assert "604.9 tCO2" in text and "512.1 tCO2" in text and "Sharp drop" in text
    # only the enterprise's own Chinese names remain (its name, industry and region from the code tables)
    visible = _visible_text(html)
    label_words = set("碳评价等级标识电账户方法配置得分验证码")  # the label is bilingual whatever the report's language
    allowed = set("测试企业0") | set(report.industry_name) | set(report.region_name) | label_words
    assert set(CJK.findall(visible)) <= allowed


def test_interval_enterprise_report_has_the_matching_heat_map(province: Store, tmp_path: Path):
    report = gather_account_report(province, credit_code=H, year=2023)
    html = account_report_html(report, "en")
    assert "Hourly matching heat map" in html and "No complete 15-minute data" not in html
    assert "16.7 %" in html  # cfe = 1/6, against an annual green share of 25 %
    assert "25.0 %" in html
    # 12 months × 24 hours of cells in the heat map (matplotlib's pcolormesh draws one path per cell)
    images = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)" alt="Hourly matching heat map', html)
    assert len(images) == 1 and base64.b64decode(images[0]).count(b"<path") >= 288
    _, text, _ = _pdf(tmp_path, "account-H-en", html_to_pdf(html))
    assert "K1" in text and "solar" in text
    # A has monthly data only: the heat map says why it is missing
    assert "No complete 15-minute data" in account_report_html(gather_account_report(
        province, credit_code=A, year=2023), "en")


def test_report_is_escaped_and_reproducible(province: Store):
    report = gather_account_report(province, credit_code=A, year=2023)
    report.enterprise = {**report.enterprise, "name": "<script>alert(1)</script>"}
    assert "<script>alert(1)" not in account_report_html(report, "zh")
    assert "&lt;script&gt;" in account_report_html(report, "zh")
    first = gather_account_report(province, credit_code=D, year=2023).record_fingerprint
    compute_year(province, 2023)  # same inputs, same profile: a new run, the same account
    again = gather_account_report(province, credit_code=D, year=2023)
    assert again.record_fingerprint == first
    assert verify_label(province, again.record["label"]["verification_code"])["status"] == "valid"
    with pytest.raises(UsageError, match="--lang"):
        account_report_html(again, "fr")


def test_label_images(province: Store):
    record = get_account(province, credit_code=A, year=2023)
    svg = label_image(record, name="测试企业0", fmt="svg").decode()
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg") and root.get("width") == "480"
    assert record["label"]["verification_code"] in svg and ">2<" in svg and "#6cbf4a" in svg  # grade 2, light green
    assert "2023" in svg and "default" in svg
    png = label_image(record, name="测试企业0", fmt="png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (960, 400)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "label-A.png").write_bytes(png)
    with pytest.raises(NotFound, match="not rated"):
        label_image({**record, "label": None, "grade": None}, name="测试企业0", fmt="svg")


def test_flags_that_qualify_the_grade_show_with_it(province: Store):
    """METHODOLOGY.md §7b: E's intensity is on revenue (grade 2): the flag shows on its label (both languages, a
    line below the label's body: 200 + 16 + 20 px), on the label's verification and in the portfolio (data,
    report, xlsx); A has no qualifying flag and its label keeps its 480 × 200 size."""
    e, a = (get_account(province, credit_code=c, year=2023) for c in (E, A))
    assert e["label"]["flags"] == ["intensity_basis_revenue"] and a["label"]["flags"] == []
    svg = label_image(e, name="测试企业4", fmt="svg").decode()
    assert ET.fromstring(svg).get("height") == "236"
    assert "※ 强度按营业收入计算（非增加值） · intensity on revenue, not value added" in svg
    assert struct.unpack(">II", label_image(e, name="测试企业4", fmt="png")[16:24]) == (960, 472)
    plain = label_image(a, name="测试企业0", fmt="svg").decode()
    assert ET.fromstring(plain).get("height") == "200" and "※" not in plain
    assert verify_label(province, e["label"]["verification_code"])["flags"] == ["intensity_basis_revenue"]
    p = bank_portfolio(province, year=2023, codes=None, bank_id=None)
    flags = {r["credit_code"]: r["flags"] for r in p["enterprises"]}
    assert flags[E] == ["intensity_basis_revenue"] and flags[A] == []
    from dianta.reports.portfolio import portfolio_html

    assert "※ intensity on revenue, not value added" in portfolio_html(p, "en")
    assert "※ 强度按营业收入计算（非增加值）" in portfolio_html(p, "zh")
    rows = {r[0]: r for r in load_workbook(io.BytesIO(portfolio_xlsx(p, "en")))["Enterprises"].values}
    assert rows["Credit code"][4:6] == ("Grade", "Flags qualifying the grade")
    assert rows[E][4:6] == (2, "intensity on revenue, not value added") and rows[A][5] in ("", None)


def test_png_label_draws_chinese_on_a_machine_without_cjk_fonts(province: Store, tmp_path: Path):
    """Issue 14: cairo draws the PNG label; with fontconfig seeing no font at all, the label's Chinese title is
    still drawn, in the shipped face (without it, every character is the same box)."""
    record = get_account(province, credit_code=A, year=2023)
    svg = label_image(record, name="测试企业0", fmt="svg")
    (tmp_path / "label.svg").write_bytes(svg)
    script = """if True:
        import io, pathlib, sys, cairosvg
        from PIL import Image
        from dianta.reports.typeface import register_with_fontconfig
        svg = pathlib.Path(sys.argv[1]).read_text(encoding="utf-8")
        permuted = svg.replace(">碳评价标识<", ">标识碳评价<")
        def title(text):  # the pixels where the title is drawn (x 168-260, y 20-42 at scale 2)
            png = cairosvg.svg2png(bytestring=text.encode(), scale=2)
            return Image.open(io.BytesIO(png)).convert("L").crop((336, 40, 520, 84)).tobytes()
        if sys.argv[2] == "register":
            register_with_fontconfig()
        print(title(svg) != title(permuted))  # missing glyphs are drawn as identical boxes"""
    env = _without_system_fonts(tmp_path)
    drawn = {how: subprocess.run([sys.executable, "-W", "ignore", "-c", script, str(tmp_path / "label.svg"), how],
                                 capture_output=True, text=True, env=env, check=True).stdout.strip()
             for how in ("as-is", "register")}
    assert drawn == {"as-is": "False", "register": "True"}  # boxes without the shipped face, the characters with it


def test_label_verification_follows_the_published_account(tmp_path: Path, request: pytest.FixtureRequest):
    store = open_store("sqlite", tmp_path, request)
    for folder in (write_batch_2022(tmp_path / "2022"), write_batch_2023(tmp_path / "2023")):
        ingest_batch(store, folder)
    compute_year(store, 2023)
    code = get_account(store, credit_code=A, year=2023)["label"]["verification_code"]
    result = verify_label(store, code.lower().replace("-", ""))  # as typed by someone reading the label
    assert (result["status"], result["grade"], result["name"], result["credit_code"]) == ("valid", 2, "测试企业0", A)
    # a correction: A's value added for 2023 was 100, not 1,000: intensity 5.12064, benchmark 3255.264 / 4,100,
    # K 6.45 -> 20; r = 5.12064 / 0.73152 − 1 > 5 % -> 20; green 60: score 0.5·20 + 0.25·20 + 0.25·60 = 30 -> 5
    folder = tmp_path / "fix"
    write_table(folder, "economics", ["credit_code", "year", "value_added_10k_cny"], [(A, 2023, 100)])
    assert ingest_batch(store, folder, reason="value added corrected").status == "applied"
    compute_year(store, 2023)
    old = verify_label(store, code)
    assert (old["status"], old["grade"]) == ("superseded", 2)
    assert "current_grade" not in old and 5 not in old.values()  # issue 12: a superseded label tells no more
    new_code = get_account(store, credit_code=A, year=2023)["label"]["verification_code"]
    assert new_code != code and verify_label(store, new_code)["status"] == "valid"
    with pytest.raises(NotFound, match="not genuine"):
        verify_label(store, "AAAA-BBBB-CCCC-DDDD")
    with pytest.raises(UsageError, match="XXXX-XXXX"):
        verify_label(store, "1234")


def test_portfolio_groups_are_sums_over_the_consented_enterprises(province: Store, tmp_path: Path):
    users.create_organisation(province, org_id="BANK-P", kind="bank", name="组合银行")
    for code in (A, D):
        consents.grant_consent(province, credit_code=code, bank_org_id="BANK-P", scope="summary",
                               expires_on="2099-12-31", granted_by="test")
    accounts = {c: get_account(province, credit_code=c, year=2023) for c in (A, D)}
    p = bank_portfolio(province, year=2023, codes={A, D}, bank_id="BANK-P")
    assert [r["credit_code"] for r in p["enterprises"]] == sorted([A, D])
    t = p["totals"]
    # A: 512.064 t over 1,000 (10k CNY); D: 182.88 t over 1,000 -> 694.944 / 2,000
    assert t["enterprises"] == 2
    assert t["emissions_t"] == pytest.approx(512.064 + 182.88)
    assert t["intensity"] == pytest.approx((512.064 + 182.88) / 2000)
    assert t["green_share"] == pytest.approx(300_000 / (1_140_000 + 300_000))
    assert {g["group"]: g["enterprises"] for g in p["by_grade"]} == {"2": 2}
    assert [g["group"] for g in p["by_region"]] == ["630100"]
    assert accounts[A]["grade"] == accounts[D]["grade"] == 2
    book = load_workbook(io.BytesIO(portfolio_xlsx(p, "en")))
    assert book.sheetnames == ["Enterprises", "By grade", "By industry", "By region"]
    rows = list(book["Enterprises"].values)
    assert rows[0][:2] == ("Credit code", "Enterprise") and len(rows) == 3  # the glossary's names (issue 14)
    assert rows[1][7] == pytest.approx(512.064)
    _, text, pages = _pdf(tmp_path, "portfolio-zh", render_portfolio(p, fmt="pdf", lang="zh"))
    assert "银行电碳账户组合报告" in text and "BANK-P" in text and "694.9 tCO2" in text and "测试企业3" in text


def test_cli_report_label_and_verify(province: Store, tmp_path: Path):
    db = str(province.root)
    run = lambda *args: subprocess.run([sys.executable, "-m", "dianta", "--db", db, *args],  # noqa: E731
                                       capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})
    out = tmp_path / "a.html"
    done = run("report", A, "--year", "2023", "--format", "html", "--lang", "en", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "Enterprise electricity-carbon account report" in out.read_text()
    assert run("report", A, "--year", "2023", "--format", "docx").returncode == 2
    missing = run("report", A, "--year", "2019", "--format", "html")
    assert missing.returncode == 1 and "no published account" in missing.stderr
    code = get_account(province, credit_code=A, year=2023)["label"]["verification_code"]
    ok = run("verify-label", code)
    assert ok.returncode == 0 and "valid" in ok.stdout and "测试企业0" in ok.stdout
    assert run("verify-label", "AAAA-BBBB-CCCC-DDDD").returncode == 1
    png = tmp_path / "label.png"
    assert run("label", A, "--year", "2023", "--format", "png", "--out", str(png)).returncode == 0
    assert png.read_bytes()[:4] == b"\x89PNG"
    xlsx = tmp_path / "p.xlsx"
    assert run("portfolio", "--year", "2023", "--format", "xlsx", "--out", str(xlsx)).returncode == 0
    assert load_workbook(xlsx)["企业明细"].max_row == 9  # header + the 8 accounts of the province


def test_portfolio_report_lists_the_largest_emitters_and_points_to_the_xlsx(province: Store, monkeypatch):
    from dianta.reports import portfolio as module

    monkeypatch.setattr(module, "MAX_LISTED", 2)
    p = bank_portfolio(province, year=2023, codes=None, bank_id=None)
    html = module.portfolio_html(p, "en")
    listed = re.findall(r"<span class=\"mono\">(\w{18})</span>", html)
    # F (1,463.04 t) and C (731.52 t) emit the most of the 8 accounts
    assert listed == [F, C]
    assert "The 2 largest emitters are listed; the other 6 are in the xlsx report." in html
    assert load_workbook(io.BytesIO(portfolio_xlsx(p, "en")))["Enterprises"].max_row == 9
