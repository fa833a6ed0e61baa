// The electricity-carbon map (电碳地图, issue 17): a province's prefectures or counties coloured by a metric (GET
// /api/v1/map), boundaries from the package (/app/maps/<province>.json, registered to ECharts), a legend with units,
// a click on a region (or a row of the table, the map's text alternative) showing its figures (the regulator) or its
// enterprises (a bank).

import { api, withQuery } from "./api.js";
import { lang } from "./i18n.js";
import { card, cards, chart, cols, disposeChartsIn, el, errorMessage, fmt, gradeBadge, message, section, table } from "./ui.js";

const TEXT = {
  zh: {
    title: "电碳地图", subtitleRegulator: "{year} 年各地区汇总；企业少于 {n} 家的地区只显示家数，不显示数值。",
    subtitleBank: "{year} 年本行已授权企业按地区汇总；点击地区查看其企业。", metric: "指标", level: "层级",
    province: "省份", prefecture: "市（州）", county: "县（区）", emissions: "碳排放量", intensity: "碳排放强度",
    green_share: "绿电占比", accounts: "账户数", loans: "贷款余额", t10k: "万吨", pct: "%", count: "个",
    cny10k: "万元", cny100m: "亿元", intensityUnit: "tCO₂/万元", region: "地区", enterprises: "企业数",
    borrowers: "借款人数", loanCount: "贷款笔数", suppressed: "企业不足 {n} 家，仅显示家数", noShape: "（地图无此地区边界）",
    noData: "无数据", empty: "{year} 年没有可显示的地区数据。", asOf: "贷款余额截至 {day}", pick: "点击地图上的地区或表格中的一行查看详情。",
    regionEnterprises: "{name}的企业", regionStats: "{name}的统计", grades: "评级分布", notRated: "未评级",
    grade: "{g} 级", table: "各地区数据（地图的文字版）", enterprise: "企业名称", code: "统一社会信用代码",
    gradeCol: "评级", mapLabel: "{province}{level}{metric}地图",
  },
  en: {
    title: "Electricity-carbon map", subtitleRegulator: "Regions in {year}; a region with fewer than {n} enterprises shows its counts only.",
    subtitleBank: "Your consented enterprises by region in {year}; click a region to see its enterprises.",
    metric: "Metric", level: "Level", province: "Province", prefecture: "Prefectures", county: "Counties",
    emissions: "Emissions", intensity: "Carbon intensity", green_share: "Green share", accounts: "Accounts",
    loans: "Loans outstanding", t10k: "10k tCO₂", pct: "%", count: "", cny10k: "10k CNY", cny100m: "100m CNY",
    intensityUnit: "tCO₂/10k CNY", region: "Region", enterprises: "Enterprises", borrowers: "Borrowers",
    loanCount: "Loans", suppressed: "fewer than {n} enterprises: counts only", noShape: " (no boundary on the map)",
    noData: "no data", empty: "No region has data for {year}.", asOf: "Loans outstanding on {day}",
    pick: "Click a region on the map or a row of the table for its details.", regionEnterprises: "Enterprises of {name}",
    regionStats: "Statistics of {name}", grades: "Accounts by grade", notRated: "not rated", grade: "Grade {g}",
    table: "Regions (the map as text)", enterprise: "Enterprise", code: "Credit code", gradeCol: "Grade",
    mapLabel: "{province}: {metric} by {level}",
  },
};
const tx = (key, params = {}) => TEXT[lang()][key].replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ""));

const METRICS = ["emissions", "intensity", "green_share", "accounts", "loans"];
const shapes = new Map(); // province file -> GeoJSON, fetched once

/** How a metric's values are shown: a factor from the API's unit and the unit's words. */
function scale(metric, regions) {
  if (metric === "emissions") return { factor: 1e-4, unit: tx("t10k"), digits: 2 };
  if (metric === "intensity") return { factor: 1, unit: tx("intensityUnit"), digits: 3 };
  if (metric === "green_share") return { factor: 100, unit: tx("pct"), digits: 1 };
  if (metric === "accounts") return { factor: 1, unit: tx("count"), digits: 0 };
  const max = Math.max(0, ...regions.map((r) => r.value || 0));
  return max >= 1e8 ? { factor: 1e-8, unit: tx("cny100m"), digits: 2 } : { factor: 1e-4, unit: tx("cny10k"), digits: 2 };
}

async function boundaries(file) {
  if (!shapes.has(file)) {
    const response = await fetch(`maps/${file}`, { credentials: "omit" });
    if (!response.ok) throw new Error(`maps/${file}: ${response.status}`);
    shapes.set(file, await response.json());
  }
  return shapes.get(file);
}

function registered(file, level) {
  const name = `dianta-${file}-${level}`;
  if (!echarts.getMap(name)) {
    const all = shapes.get(file);
    echarts.registerMap(name, { type: "FeatureCollection", features: all.features.filter((f) => f.properties.level === level) });
  }
  return name;
}

function select(id, label, options, value) {
  const node = el("select", { id, name: id }, options.map(([v, text]) => el("option", { value: v, selected: v === value }, text)));
  return { node, wrap: el("label", { class: "field" }, el("span", {}, label), node) };
}

/** The map panel of `role` ("regulator" or "bank") for `year`: a section to put on the page. */
export function mapPanel(year, role) {
  const state = { metric: "emissions", level: "prefecture", province: "" };
  const body = el("div", { id: "map-body" });
  const metric = select("map-metric", tx("metric"), METRICS.map((m) => [m, tx(m)]), state.metric);
  const level = select("map-level", tx("level"), [["prefecture", tx("prefecture")], ["county", tx("county")]], state.level);
  const province = select("map-province", tx("province"), [], "");
  const form = el("div", { class: "inline-form", id: "map-form" }, metric.wrap, level.wrap, province.wrap);
  const panel = section(tx("title"), el("p", { class: "muted", id: "map-subtitle" }), form, body);
  panel.id = "map-panel";
  let asked = 0;
  async function load() {
    const id = ++asked;
    try {
      const m = await api(withQuery("/map", { year, level: state.level, metric: state.metric, province: state.province }));
      if (m.map_file) await boundaries(m.map_file);
      if (id !== asked) return;
      panel.querySelector("#map-subtitle").textContent = role === "regulator"
        ? tx("subtitleRegulator", { year, n: m.min_enterprises }) : tx("subtitleBank", { year });
      province.node.replaceChildren(...m.provinces.map((p) => el("option", { value: p.code, selected: p.code === m.province }, p.name || p.code)));
      disposeChartsIn(body);
      body.replaceChildren(...view(m, role, year));
      body.dataset.metric = m.metric;
      body.dataset.level = m.level;
    } catch (exc) {
      if (id === asked) body.replaceChildren(errorMessage(exc));
    }
  }
  metric.node.addEventListener("change", () => { state.metric = metric.node.value; load(); });
  level.node.addEventListener("change", () => { state.level = level.node.value; load(); });
  province.node.addEventListener("change", () => { state.province = province.node.value; load(); });
  load();
  return panel;
}

function view(m, role, year) {
  if (!m.regions.length) return [message("info", tx("empty", { year }))];
  const { factor, unit, digits } = scale(m.metric, m.regions);
  const shown = (v) => (v === null || v === undefined ? null : +(v * factor).toFixed(digits + 2));
  const valueText = (r) => (r.suppressed && m.metric !== "accounts" ? tx("suppressed", { n: m.min_enterprises })
    : r.value === null ? tx("noData") : `${fmt.num(shown(r.value), digits)}${unit ? ` ${unit}` : ""}`);
  const byCode = new Map(m.regions.map((r) => [r.code, r]));
  const detail = el("div", { id: "map-detail", "aria-live": "polite" }, message("info", tx("pick")));
  const show = (code) => {
    const r = byCode.get(code);
    if (!r) return;
    detail.replaceChildren(role === "regulator" ? regionStats(r, m) : regionEnterprises(r, year));
    detail.dataset.region = code;
  };
  const parts = [];
  if (m.map_file) {
    const values = m.regions.filter((r) => r.on_map && r.value !== null).map((r) => shown(r.value));
    const max = values.length ? Math.max(...values) : 1;
    const min = values.length ? Math.min(...values, 0) : 0;
    const name = registered(m.map_file, m.level);
    const provinceName = m.province_name || m.province;
    const box = chart({
      title: { text: `${tx(m.metric)}${unit ? `（${unit}）` : ""}`, textStyle: { fontSize: 14 } },
      tooltip: { trigger: "item", renderMode: "richText",
        formatter: (p) => { const r = byCode.get(p.name); return r ? `${r.name}\n${valueText(r)}` : `${regionName(m, p.name)}\n${tx("noData")}`; } },
      visualMap: { type: "continuous", min, max: max > min ? max : min + 1, calculable: true, left: 8, bottom: 8,
        text: [`${fmt.num(max, digits)} ${unit}`.trim(), `${fmt.num(min, digits)} ${unit}`.trim()],
        inRange: { color: m.metric === "green_share" ? ["#edf8e9", "#1a7f37"] : ["#fff5eb", "#b5400b"] } },
      series: [{ type: "map", map: name, nameProperty: "code", roam: true, top: 36, bottom: 8,
        itemStyle: { areaColor: "#eef1f0", borderColor: "#6b7a76" }, emphasis: { label: { show: false } },
        label: { show: false },
        data: m.regions.filter((r) => r.on_map).map((r) => ({ name: r.code, value: shown(r.value) })) }],
    }, { tall: true });
    box.id = "map-chart";
    box.setAttribute("role", "img");
    box.setAttribute("aria-label", tx("mapLabel", { province: provinceName, level: tx(m.level), metric: tx(m.metric) }));
    let frames = 0;
    const bind = () => { // ui.chart draws once the box is in the page
      const instance = box.dataset.ready && echarts.getInstanceByDom(box);
      if (instance) instance.on("click", (p) => show(p.name));
      else if (++frames < 600) requestAnimationFrame(bind);
    };
    requestAnimationFrame(bind);
    parts.push(box);
  }
  if (m.metric === "loans" || role === "bank") parts.push(el("p", { class: "muted" }, tx("asOf", { day: m.as_of })));
  const rows = m.regions.map((r) => ({ ...r, label: `${r.name || r.code}${r.on_map ? "" : tx("noShape")}`,
    metricValue: r.value === null ? null : shown(r.value), metricText: valueText(r) }));
  const columns = [
    { key: "label", label: tx("region") },
    { key: "enterprises", label: tx("enterprises"), numeric: true },
    { key: "accounts", label: tx("accounts"), numeric: true },
    { key: "metricValue", label: tx(m.metric), unit, numeric: true, format: (r) => r.metricText },
  ];
  const list = table(columns, rows, { csvName: `map-${m.province}-${m.level}-${m.metric}-${m.year}.csv` });
  list.id = "map-table";
  for (const tr of list.querySelectorAll("tbody tr")) tr.classList.add("link-row");
  list.addEventListener("click", (event) => {
    const tr = event.target.closest("tbody tr");
    if (!tr) return;
    const label = tr.cells[0].textContent;
    const r = rows.find((x) => x.label === label);
    if (r) show(r.code);
  });
  return [...parts, el("div", { class: "grid-2" }, section(tx("table"), list), detail)];
}

function regionName(m, code) {
  const r = m.regions.find((x) => x.code === code);
  return r ? r.name : code;
}

function regionStats(r, m) {
  const gradeItems = r.grades ? Object.entries(r.grades).sort().map(([g, n]) => el("li", {},
    `${/^[1-5]$/.test(g) ? tx("grade", { g }) : tx("notRated")}：${fmt.int(n)}`)) : [];
  return section(tx("regionStats", { name: r.name || r.code }),
    r.suppressed ? message("info", tx("suppressed", { n: m.min_enterprises })) : null,
    cards(
      card(tx("enterprises"), fmt.int(r.enterprises)), card(tx("accounts"), fmt.int(r.accounts)),
      card(tx("borrowers"), fmt.int(r.borrowers)), card(tx("loanCount"), fmt.int(r.loans)),
      r.suppressed ? null : card(tx("emissions"), `${fmt.num(r.emissions_t / 1e4, 2)} ${tx("t10k")}`),
      r.suppressed ? null : card(tx("intensity"), fmt.intensity(r.intensity)),
      r.suppressed ? null : card(tx("green_share"), fmt.pct(r.green_share)),
      r.suppressed ? null : card(tx("loans"), `${fmt.num(r.outstanding_cny / 1e4, 2)} ${tx("cny10k")}`),
    ),
    gradeItems.length ? el("div", {}, el("h3", {}, tx("grades")), el("ul", { class: "plain" }, gradeItems)) : null);
}

function regionEnterprises(r, year) {
  const rows = (r.enterprise_list || []).map((e) => ({ ...e, name: e.name || e.credit_code }));
  return section(tx("regionEnterprises", { name: r.name || r.code }), table([
    { key: "name", label: tx("enterprise"), format: (e) => el("a", { href: `#/account/${encodeURIComponent(e.credit_code)}/${year}` }, e.name) },
    { key: "credit_code", label: tx("code"), nowrap: true },
    { key: "grade", label: tx("gradeCol"), format: (e) => (e.grade ? gradeBadge(e.grade, e.colour) : tx("notRated")) },
    cols.tco2("emissions_t", tx("emissions")),
    cols.intensity("intensity", tx("intensity")),
    cols.share("green_share", tx("green_share")),
    { key: "outstanding_cny", label: tx("loans"), unit: tx("cny10k"), numeric: true,
      value: (e) => e.outstanding_cny / 1e4, format: (e) => fmt.num(e.outstanding_cny / 1e4, 2) },
  ], rows, { csvName: `map-${r.code}-${year}.csv` }));
}
