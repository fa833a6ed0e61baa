// Peers and multi-year trend of an account (issue 17), on the account page the bank, the enterprise and the operator
// share (bank.js accountView). Data: GET /accounts/{code}/{year}/peers (rank, percentile and an anonymous sorted
// distribution per figure, or "too small") and GET /accounts/{code}/trend (every year on record, year-on-year changes).

import { api, ApiError } from "./api.js";
import { lang, t } from "./i18n.js";
import { card, cards, chart, el, errorMessage, fmt, gradeText, industryName, message, section } from "./ui.js";

const enc = encodeURIComponent;
const blank = (v) => v === null || v === undefined || Number.isNaN(v);

/** How each compared figure is shown: its value formatted, and scaled for a chart axis. */
const SHOWN = {
  intensity: { text: (v) => fmt.intensity(v), axis: (v) => v, unit: () => t("unit.intensity") },
  score: { text: (v) => fmt.score(v), axis: (v) => v, unit: () => "" },
  green_share: { text: (v) => fmt.pct(v), axis: (v) => +(v * 100).toFixed(2), unit: () => "%" },
};

/** The two panels, filled when their data arrive: peers of the year and the trend over the years. */
export function peersAndTrend(code, year) {
  const peers = section(t("peers.title"), message("info", t("common.loading")));
  peers.id = "peers-panel";
  const trend = section(t("trend.title"), message("info", t("common.loading")));
  trend.id = "trend-panel";
  fill(peers, t("peers.title"), () => api(`/accounts/${enc(code)}/${enc(year)}/peers`), peersBody);
  fill(trend, t("trend.title"), () => api(`/accounts/${enc(code)}/trend`), (data) => trendBody(data, year));
  return [peers, trend];
}

async function fill(panel, title, load, body) {
  let content;
  try {
    content = body(await load());
  } catch (exc) {
    content = exc instanceof ApiError && exc.status === 404 ? message("info", t("common.unavailable"))
      : errorMessage(exc);
  }
  panel.replaceChildren(el("h2", {}, title), ...[content].flat());
  panel.dataset.ready = "true";
}

// ---------------------------------------------------------------- peers

function groupText(f) {
  const letter = industryName(f.group);
  const name = f.group_level === "division"
    ? (lang() === "zh" && f.group_name_zh ? `${f.group} ${f.group_name_zh}` : `${f.group} · ${letter}`) : letter;
  return t(`peers.level.${f.group_level}`, { group: name });
}

function peersBody(p) {
  const intro = el("p", { class: "muted" }, t("peers.intro", { min: p.min_group_size }));
  return [intro, el("div", { class: "peers" }, p.figures.map((f) => figureBlock(f, p.min_group_size)))];
}

function figureBlock(f, min) {
  const shown = SHOWN[f.metric];
  const head = el("h3", {}, t(`field.${f.metric}`), " ",
    el("span", { class: "muted small" }, t(f.higher_is_better ? "peers.higherBetter" : "peers.lowerBetter")));
  const box = el("div", { class: "peer-figure", dataset: { metric: f.metric, status: f.status } }, head);
  if (f.status === "no_industry") {
    box.append(message("info", t("peers.noIndustry")));
    return box;
  }
  box.append(el("p", { class: "peer-group" }, groupText(f)));
  if (f.status === "too_small") {
    box.append(message("info", t("peers.tooSmall", { min })));
    return box;
  }
  if (f.status === "ranked") {
    box.append(el("p", { class: "peer-rank" }, t("peers.rankText", { value: shown.text(f.value), rank: f.rank,
      size: f.size, pct: blank(f.percentile) ? "–" : fmt.pct(f.percentile, 0) })));
    if (!f.member) box.append(el("p", { class: "muted small" }, t("peers.placed")));
  } else {
    box.append(message("info", t("peers.noValue")));
  }
  if (f.excluded > 0) box.append(el("p", { class: "muted small" }, t("peers.excluded", { n: f.excluded })));
  box.append(strip(f));
  return box;
}

/** A strip of the group's values (anonymous dots) with this firm marked, best to the right. */
function strip(f) {
  const shown = SHOWN[f.metric];
  const values = (f.distribution || []).map(shown.axis);
  const own = blank(f.value) ? null : shown.axis(f.value);
  const series = [{ name: t("peers.others"), type: "scatter", symbolSize: 12, itemStyle: { color: "#9aa5a2", opacity: 0.7 },
    data: values.map((v) => [v, 0]) }];
  if (own !== null) {
    series.push({ name: t("peers.thisFirm"), type: "scatter", symbol: "diamond", symbolSize: 20,
      itemStyle: { color: "#1a7f37" }, data: [[own, 0]],
      label: { show: true, position: "top", formatter: t("peers.thisFirm") } });
  }
  const box = chart({
    tooltip: { trigger: "item", renderMode: "richText" },
    legend: { top: 0 },
    grid: { left: 16, right: 24, top: 34, bottom: 24, containLabel: true },
    xAxis: { type: "value", name: shown.unit(), nameLocation: "middle", nameGap: 26, inverse: !f.higher_is_better,
      scale: true, axisLabel: { hideOverlap: true } },
    yAxis: { type: "value", show: false, min: -1, max: 1 },
    series,
  });
  box.classList.add("chart-strip");
  box.setAttribute("role", "img");
  box.setAttribute("aria-label", t("peers.chartAlt", { metric: t(`field.${f.metric}`), size: values.length,
    values: (f.distribution || []).map(shown.text).join(t("peers.listSeparator")), own: own === null ? "–" : shown.text(f.value) }));
  return box;
}

// ---------------------------------------------------------------- trend over the years

/** The trend's figures: the API field, how to show a value and a change, and whether a rise is better. */
const TREND = [
  { key: "grade", text: (v) => (blank(v) ? t("common.notRated") : gradeText(v)), change: (c) => t("trend.steps", { v: signed(c, 0) }),
    riseIsBetter: false, axis: (v) => v },
  { key: "score", text: (v) => fmt.score(v), change: (c) => t("trend.scorePoints", { v: signed(c, 1) }), riseIsBetter: true,
    axis: (v) => v },
  { key: "intensity", text: (v) => fmt.intensity(v), change: (c) => fmt.signedPct(c), riseIsBetter: false, axis: (v) => v },
  { key: "emissions_t", text: (v) => fmt.tco2(v), change: (c) => fmt.signedPct(c), riseIsBetter: false, axis: (v) => v },
  { key: "green_share", text: (v) => fmt.pct(v), change: (c) => t("trend.sharePoints", { v: signed(c * 100, 1) }),
    riseIsBetter: true, axis: (v) => +(v * 100).toFixed(2) },
  { key: "cfe_score", text: (v) => fmt.pct(v), change: (c) => t("trend.sharePoints", { v: signed(c * 100, 1) }),
    riseIsBetter: true, axis: (v) => +(v * 100).toFixed(2) },
];

function signed(v, digits) {
  return `${v > 0 ? "+" : ""}${fmt.num(v, digits)}`;
}

/** ▲ / ▼ with the change in words, coloured better or worse; without the year before (or a value either year),
 * says which. */
function arrow(spec, change, hasPrevious) {
  if (blank(change)) return el("span", { class: "yoy yoy-none" }, t(hasPrevious ? "trend.notComparable" : "trend.noPrevious"));
  if (change === 0) return el("span", { class: "yoy yoy-same" }, `＝ ${t("trend.same")}`);
  const better = (change > 0) === spec.riseIsBetter;
  return el("span", { class: `yoy ${better ? "yoy-better" : "yoy-worse"}` },
    `${change > 0 ? "▲" : "▼"} ${spec.change(change)} · ${t(better ? "trend.better" : "trend.worse")}`);
}

function trendBody(data, year) {
  const years = data.years || [];
  const current = years.find((y) => y.year === Number(year)) || years[years.length - 1];
  const hasPrevious = years.some((y) => y.year === current.year - 1);
  const figures = cards(...TREND.map((spec) => card(t(`field.${spec.key}`), spec.text(current[spec.key]),
    el("span", {}, `${t("trend.against", { year: current.year - 1 })} `,
      arrow(spec, current.changes[spec.key], hasPrevious)),
    `trend-${spec.key}`)));
  if (years.length < 2) return [figures, message("info", t("trend.single"))];
  const labels = years.map((y) => String(y.year));
  const lines = chart({
    legend: { top: 0, type: "scroll", selectedMode: "single" },
    xAxis: { type: "category", data: labels, name: t("common.year") },
    yAxis: { type: "value", scale: true, axisLabel: { hideOverlap: true } },
    // the grade is in the cards and the table: on a shared axis its scale (1 = best) would read upside down
    series: TREND.filter((spec) => spec.key !== "grade").map((spec) => ({ name: t(`field.${spec.key}`), type: "line", symbolSize: 8, connectNulls: false,
      data: years.map((y) => (blank(y[spec.key]) ? null : spec.axis(y[spec.key]))) })),
  }, { tall: true });
  lines.setAttribute("role", "img");
  lines.setAttribute("aria-label", t("trend.chartAlt", { from: labels[0], to: labels[labels.length - 1] }));
  const rows = years.map((y) => el("tr", {}, el("th", { scope: "row" }, String(y.year)),
    TREND.map((spec) => el("td", { class: spec.key === "grade" ? null : "num" }, spec.text(y[spec.key])))));
  const tableBox = el("div", { class: "table-wrap table-scroll" }, el("table", { class: "data trend-table" },
    el("caption", { class: "visually-hidden" }, t("trend.tableCaption")),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("common.year")),
      TREND.map((spec) => el("th", { scope: "col" }, t(`field.${spec.key}`))))),
    el("tbody", {}, rows)));
  return [figures, lines, tableBox];
}
