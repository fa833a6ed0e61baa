"""The account report's peers section and trend table (issue 17) on the hand-computed province, in zh and en.

A in 2023 (tests/test_api_peers.py works the figures out): intensity 0.5121 ranked 2 of 5 in section C (better than
75 %), score 80.0 ranked 1 of 5 in division C32 (100 %), green share 26.3 % ranked 1 of 5 (100 %). 2022 and 2023 are
computed: score 20.0 -> 80.0 (+60.0), green share 0.0 % -> 26.3 % (+26.3 points), grade 5 -> 2 (−3).
G (section I, alone): every figure "too small", no distribution drawn.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest
from conftest import open_store
from province import A, B, C, D, E, F, G, H, write_batch_2022, write_batch_2023

from dianta.accounts.compute import compute_year
from dianta.ingest.apply import ingest_batch
from dianta.ledger.store import Store
from dianta.reports.content import gather_account_report
from dianta.reports.render import account_report_html


@pytest.fixture(scope="module")
def province(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    root = tmp_path_factory.mktemp("reports-peers")
    store = open_store("sqlite", root, request)
    for folder in (write_batch_2022(root / "2022"), write_batch_2023(root / "2023")):
        assert ingest_batch(store, folder).status == "applied"
    compute_year(store, 2022)
    compute_year(store, 2023)
    yield store
    store.close()


def _text(html: str, start: str) -> str:
    """The report's text from the heading with id ``start`` to the end of its section, tags removed."""
    part = html[html.index(f'id="{start}"'):]
    part = part[:part.index("</section>")]
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", part)))


def test_peers_and_trend_in_chinese(province: Store):
    html = account_report_html(gather_account_report(province, credit_code=A, year=2023), "zh")
    peers = _text(html, "peers")
    assert "同业比较" in peers and "不足 5 家时为门类" in peers
    assert "行业门类 C 制造业" in peers
    assert "0.5121：在 5 家中排第 2 名，优于 75 % 的同业" in peers
    assert "行业大类 C32 有色金属冶炼和压延加工业" in peers
    assert "80.0：在 5 家中排第 1 名，优于 100 % 的同业" in peers
    assert "26.3 %：在 5 家中排第 1 名，优于 100 % 的同业" in peers
    assert "另有 1 家无可比数值" in peers  # E's intensity is on revenue
    assert html.count('class="strip"') == 3
    trend = _text(html, "trend")
    assert re.search(r"2022 5 20\.0 .* 2023 2 ▼ -3 级 80\.0 ▲ \+60\.0 ", trend), trend
    assert "26.3 % ▲ +26.3 个百分点" in trend
    for other in (B, C, D, E, F, G, H):  # never another firm's code or name
        assert other not in html
    assert not re.search(r"测试企业[1-7]", html)
    assert not re.search(r"\b(None|null|undefined|NaN)\b", peers + trend)


def test_peers_and_trend_in_english(province: Store):
    html = account_report_html(gather_account_report(province, credit_code=A, year=2023), "en")
    peers = _text(html, "peers")
    assert "Among its peers" in peers and "Section C" in peers and "Division C32" in peers
    assert "0.5121: ranked 2 of 5, better than 75 % of its peers" in peers
    assert "80.0: ranked 1 of 5, better than 100 % of its peers" in peers
    assert "1 more without a comparable value" in peers
    trend = _text(html, "trend")
    assert "▼ -3 grade(s)" in trend and "▲ +26.3 points" in trend
    assert not re.search(r"[\u3400-\u9fff]", peers.replace("制造业", "").replace("有色金属冶炼和压延加工业", ""))


def test_a_group_too_small_draws_nothing(province: Store):
    for lang, words in (("zh", "同业组不足 5 家，不作比较"), ("en", "fewer than 5 firms in the group: not compared")):
        html = account_report_html(gather_account_report(province, credit_code=G, year=2023), lang)
        peers = _text(html, "peers")
        assert peers.count(words) == 3
        assert 'class="strip"' not in html
        assert "One year on record only." in html if lang == "en" else "仅有一个年度的账户。" in html
