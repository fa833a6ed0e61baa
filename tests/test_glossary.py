"""One name per quantity (issue 14): every output quantity has exactly one Chinese and one English name and
unit, in the glossary, and every place that shows it — the export headers, the API schema, the reports and
the dashboard — takes the glossary's text; no other text in the reports' or the dashboard's catalogues uses a
quantity's name for something else (before, ``green_share`` was 绿电占比 in the export and the dashboard but
绿电消费占比 in the report, ``green_reduction_t`` 绿电减碳量 and 绿电减排量)."""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from dianta.accounts.build import FACTOR_FLAGS
from dianta.accounts.export import FIELDS
from dianta.accounts.record import EXPORT_FIELDS, record_fields, zh_header
from dianta.api.schemas import AccountList
from dianta.glossary import FLAGS, OUTPUTS, QUALIFYING_FLAGS, TABLES
from dianta.lang import LANGS
from dianta.reports.i18n import Words, catalogue
from dianta.reports.render import INDICATORS

#: the English title of the portfolio's list of enterprises (a sheet name) is the word, not the count
REPORT_SHARED = {("en", "portfolio_list")}
WEB = Path(__file__).parents[1] / "src" / "dianta" / "web"
#: texts that may share a quantity's words: the §7b evaluation aspects, named after the quantity they rate
#: (METHODOLOGY.md: 碳排放强度, 碳减排成效, 绿电碳中和进度), and, in English, the menu and the roles ("Accounts",
#: "Enterprise"), which are words of the interface, not names of a figure
SHARED = {"zh": re.compile(r"^aspect\."), "en": re.compile(r"^(aspect|nav|role)\.")}


def test_one_zh_and_one_en_name_per_quantity():
    for lang in ("zh", "en"):
        names = Counter(getattr(q, lang) for q in OUTPUTS.values())
        assert [n for n, k in names.items() if k > 1] == [], lang
    assert all(q.zh and q.en and q.description for q in OUTPUTS.values())


def test_a_quantity_that_is_also_an_input_column_has_the_same_chinese_name():
    for spec in TABLES.values():
        if spec.name == "plants":  # a plant's name and province are the plant's, not an enterprise's
            assert spec.column("name").zh == "电站名称" and spec.column("region_code").zh == "所在省份代码"
            continue
        if spec.name == "parks":  # a park's name is the park's (GREEN-POWER.md §10)
            assert spec.column("name").zh == OUTPUTS["park_name"].zh == "园区名称"
            continue
        for c in spec.columns:
            if c.name in OUTPUTS and c.name in ("credit_code", "name", "industry_code", "region_code"):
                assert OUTPUTS[c.name].zh == c.zh, c.name


def test_every_field_of_the_account_record_is_in_the_glossary():
    assert [f for f in record_fields() if f not in OUTPUTS] == []
    assert set(EXPORT_FIELDS) <= set(record_fields())


def test_export_headers_are_the_glossary_names():
    assert [f for f, _ in FIELDS] == list(EXPORT_FIELDS)
    for name, header in FIELDS:
        assert header == zh_header(OUTPUTS[name])
        assert header.startswith(OUTPUTS[name].zh)


def _properties(schema: dict, model: str) -> dict:
    return schema["$defs"][model]["properties"]


def test_api_schema_declares_every_record_field_described_from_the_glossary():
    schema = AccountList.model_json_schema()
    props = _properties(schema, "AccountPublic")
    top = [f for f in record_fields() if "." not in f]
    assert list(props) == top  # every field declared, nothing hidden behind extra="allow"
    assert schema["$defs"]["AccountPublic"].get("additionalProperties") is not True
    for name in top:
        q = OUTPUTS[name]
        assert props[name]["description"].startswith(f"{q.zh} · {q.en}"), name
    electricity = _properties(schema, "Electricity")
    assert electricity["peak_kw"]["description"].startswith("最大负荷 · Peak load [kW]")


@pytest.mark.parametrize("lang", LANGS)
def test_reports_take_the_glossary_names(lang: str):
    w = Words(lang)
    for key in INDICATORS:
        name, _definition = w.indicator(key)
        assert name == (OUTPUTS[key].zh if lang == "zh" else OUTPUTS[key].en)
    # no text of the report catalogue is a quantity's name under another key, nor is keyed by a quantity
    texts = catalogue()["text"]
    index = 0 if lang == "zh" else 1
    names = {getattr(q, lang): q.name for q in OUTPUTS.values()}
    clashes = {k: v[index] for k, v in texts.items() if v[index] in names and (lang, k) not in REPORT_SHARED}
    assert clashes == {}
    assert [k for k in texts if k in OUTPUTS] == []
    assert all(len(v) == 2 for v in catalogue()["indicators"].values())  # definitions only; names from the glossary


def _dashboard_catalogue() -> dict[str, dict[str, str]]:
    """The dashboard's CATALOGUE as node evaluates it (i18n.js imports the generated glossary.js)."""
    script = ("globalThis.localStorage = {getItem: () => null, setItem: () => {}};"
              "globalThis.document = {documentElement: {}};"
              f"const m = await import({json.dumps((WEB / 'i18n.js').as_uri())});"
              "process.stdout.write(JSON.stringify(m.CATALOGUE));")
    out = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_dashboard_field_texts_come_from_the_glossary():
    source = (WEB / "i18n.js").read_text(encoding="utf-8")
    assert re.findall(r'"field\.[^"]+":', source) == []  # no hand-written field.* entry left
    cat = _dashboard_catalogue()
    for lang in ("zh", "en"):
        for q in OUTPUTS.values():
            assert cat[lang][f"field.{q.name}"] == getattr(q, lang)
        names = {getattr(q, lang): q.name for q in OUTPUTS.values()}
        clashes = {k: v for k, v in cat[lang].items()
                   if v in names and k != f"field.{names[v]}" and not SHARED[lang].match(k)}
        assert clashes == {}, lang


def test_dashboard_scripts_use_only_known_field_keys():
    used = {m for f in WEB.glob("*.js") if f.name not in ("glossary.js",)
            for m in re.findall(r'"field\.([A-Za-z_.]+)"', f.read_text(encoding="utf-8"))}
    assert sorted(used - set(OUTPUTS)) == []


def test_every_flag_has_its_text_in_one_place_for_every_place_that_shows_it():
    """Flags' texts live in the glossary (FLAGS) only: the reports' words and the dashboard's catalogue take them
    from there, so every qualifying flag (§7b) and every flag the account builder sets can be shown anywhere."""
    src = Path(__file__).parents[1] / "src" / "dianta"
    emitted = set(re.findall(r'flags\.append\("([a-z_]+)"\)', (src / "accounts" / "build.py").read_text("utf-8")))
    emitted |= set(FACTOR_FLAGS)
    assert {"basis_changed", "partial_year", "intensity_basis_revenue", "factor_year_fallback"} <= emitted
    assert sorted((emitted | set(QUALIFYING_FLAGS)) - set(FLAGS)) == []
    assert "flags" not in catalogue()  # no second copy in the reports' messages
    assert re.findall(r'"flag\.[^"]+":', (WEB / "i18n.js").read_text(encoding="utf-8")) == []
    cat = _dashboard_catalogue()
    for f in FLAGS.values():
        assert (Words("zh").flag(f.code), Words("en").flag(f.code)) == (f.zh, f.en)
        assert (cat["zh"][f"flag.{f.code}"], cat["en"][f"flag.{f.code}"]) == (f.zh, f.en)
