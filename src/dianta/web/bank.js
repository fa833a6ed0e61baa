// Bank pages: find an enterprise (among those that granted the bank consent), its account, the portfolio.
// The account page is shared with the enterprise (its own account) and the operator.

import { api, ApiError, withQuery } from "./api.js";
import { creditView } from "./credit.js";
import { lang, monthName, t } from "./i18n.js";
import { mapPanel } from "./map.js";
import { peersAndTrend } from "./peers.js";
import { serverTable } from "./lists.js";
import {
  badge, barChart, card, cards, chart, cols, COLOUR_OF_GRADE, downloadButton, el, errorMessage, field, fmt, GRADE_COLOURS,
  gradeText, gradeWithFlags, industryName, message, section, table, translated,
} from "./ui.js";

const path = (code, year, tail = "") => `/accounts/${encodeURIComponent(code)}/${encodeURIComponent(year)}${tail}`;
export const accountHash = (row) => `#/account/${encodeURIComponent(row.credit_code)}/${row.year}`;

// ---------------------------------------------------------------- columns shared by account tables

export function accountColumns({ link = true, regionNames } = {}) {
  // `sort`: the field the server sorts a paged list by (lists.js); names beside codes (issue 17 item 9)
  return [
    { key: "name", label: t("field.name"), value: (r) => r.name, sort: "name",
      format: (r) => (link ? el("a", { href: accountHash(r) }, r.name || r.credit_code) : r.name) },
    { key: "credit_code", label: t("field.credit_code"), sort: "credit_code" },
    { key: "industry", label: t("field.industry"), value: (r) => r.industry_code, format: (r) => industryName(r.industry_code),
      sort: "industry_code" },
    // with the names of a page's regions (GET /accounts): the name beside the code; the CSV keeps the code
    { key: "region_code", label: t(regionNames ? "field.region" : "field.region_code"), sort: "region_code",
      format: (r) => (regionNames && regionNames[r.region_code]
        ? `${regionNames[r.region_code]}（${r.region_code}）` : r.region_code) },
    { key: "grade", label: t("field.grade"), numeric: true, value: (r) => r.grade || null, sort: "grade",
      format: (r) => gradeWithFlags(r.grade, r.label && r.label.colour, r.flags) },
    { key: "score", label: t("field.score"), numeric: true, format: (r) => fmt.score(r.score), sort: "score" },
    cols.tco2("emissions_t", t("field.emissions_t")),
    cols.intensity("intensity", t("field.intensity")),
    cols.share("green_share", t("field.green_share")),
    cols.energy("kwh_total", t("field.kwh_total")),
    // an account record lists its alerts; a portfolio row (GET /portfolio) counts them
    { key: "alerts", label: t("account.alerts"), numeric: true,
      value: (r) => (Array.isArray(r.alerts) ? r.alerts.length : r.alerts ?? null) },
  ];
}

// ---------------------------------------------------------------- search

const lastSearch = { q: "", grade: "", list: {} };

export async function searchPage(ctx) {
  const results = el("div", { class: "results" });
  const q = el("input", { type: "search", id: "search-q", name: "q", value: lastSearch.q, maxLength: 100,
    placeholder: t("search.placeholder"), "aria-label": t("search.placeholder") });
  const grade = el("select", { id: "search-grade", name: "grade", "aria-label": t("field.grade") },
    el("option", { value: "" }, t("search.anyGrade")),
    [1, 2, 3, 4, 5].map((g) => el("option", { value: String(g), selected: String(g) === lastSearch.grade },
      gradeText(g))));
  async function run(newSearch) {
    if (newSearch) lastSearch.list = { sort: lastSearch.list.sort }; // a new search starts at its first page
    lastSearch.q = q.value.trim();
    lastSearch.grade = grade.value;
    results.replaceChildren(message("info", t("common.loading")));
    const count = el("p", { class: "muted", id: "search-count" });
    const regionNames = {};
    // the server pages, sorts and exports every row (lists.js); the count and region names come with each page
    const list = await serverTable(accountColumns({ regionNames }), "/accounts",
      { year: ctx.year, q: lastSearch.q, grade: lastSearch.grade }, { pageSize: 100, state: lastSearch.list,
        csvName: `accounts-${ctx.year}.csv`, empty: t("search.empty"), rowLink: accountHash, id: "search-list",
        onPage: (body) => {
          Object.assign(regionNames, body.region_names || {});
          count.textContent = t("search.results", { n: body.total });
        } });
    if (ctx.stale()) return;
    results.replaceChildren(count, list);
  }
  const form = el("form", { class: "search-form", id: "search-form", onsubmit: (event) => {
    event.preventDefault();
    run(true);
  } }, q, grade, el("button", { type: "submit", class: "btn btn-primary" }, t("common.search")));
  await run(false);
  return section(t("search.title"), ctx.me.role === "bank" ? el("p", { class: "muted" }, t("search.hintBank")) : null,
    form, results);
}

// ---------------------------------------------------------------- one account

export async function accountPage(ctx) {
  const [code, year] = ctx.args;
  // a bank's account page is its credit view (credit.js), the account's own sections below the decision
  if (ctx.me.role === "bank") {
    const y = Number(year) || ctx.year;
    return creditView(ctx, code, y, () => accountView(ctx, code, y, { detailOnly: true }));
  }
  return accountView(ctx, code, Number(year) || ctx.year, { back: ctx.me.role !== "enterprise" });
}

/** The account page of `code` for `year`: indicators, evaluation, label, alerts, trend, reports. */
export async function accountView(ctx, code, year, { back = false, detailOnly = false } = {}) {
  let a;
  try {
    a = await api(path(code, year));
  } catch (exc) {
    if (exc instanceof ApiError && exc.status === 404) return section(t("account.title"), message("info", t("account.notFound", { year })));
    throw exc;
  }
  const labelBox = el("div", { class: "label-box", id: "label-box" }, message("info", t("common.loading")));
  loadLabel(code, year, labelBox);
  const colour = (a.label && a.label.colour) || COLOUR_OF_GRADE[a.grade];
  const flags = (a.flags || []).map((f) => el("li", { class: "flag" }, translated("flag", f)));
  const header = el("section", { class: "panel account-head" },
    el("div", { class: "account-id" },
      back ? el("a", { href: "#/search", class: "back" }, `‹ ${t("common.back")}`) : null,
      el("h1", { id: "account-name" }, a.name || a.credit_code),
      el("dl", { class: "meta" },
        el("dt", {}, t("field.credit_code")), el("dd", { id: "account-code" }, a.credit_code),
        el("dt", {}, t("field.industry")), el("dd", {}, `${a.industry_code || "–"} · ${industryName(a.industry_code)}`),
        el("dt", {}, t("field.region_code")), el("dd", {}, a.region_code || "–"),
        el("dt", {}, t("common.year")), el("dd", {}, String(a.year)),
        el("dt", {}, t("field.profile_id")), el("dd", {}, a.profile_id)),
    ),
    el("div", { class: "account-grade" },
      el("div", { class: `grade-big grade-${a.grade || 0}`, id: "account-grade" }, gradeText(a.grade, colour)),
      el("div", { class: "muted" }, `${t("field.score")}: `, el("span", { id: "account-score" }, fmt.score(a.score))),
      flags.length ? el("ul", { class: "flags", "aria-label": t("field.flags") }, flags) : null),
    el("div", { class: "account-label" }, el("h3", {}, t("field.label")), labelBox),
  );
  const elec = a.electricity || {};
  const indicators = section(t("account.indicators"), cards(
    card(t("field.emissions_t"), fmt.tco2(a.emissions_t),
      `${t("field.emissions_location_t")}: ${fmt.tco2(a.emissions_location_t)}`, "emissions_t"),
    card(t("field.intensity"), fmt.intensity(a.intensity),
      `${t("field.intensity_prev")}: ${fmt.intensity(a.intensity_prev)}`, "intensity"),
    card(t("field.reduction_t"), fmt.tco2(a.reduction_t), null, "reduction_t"),
    card(t("field.kwh_green"), fmt.energy(a.kwh_green), null, "kwh_green"),
    card(t("field.green_share"), fmt.pct(a.green_share),
      a.cfe_score === null || a.cfe_score === undefined ? null : `${t("field.cfe_score")}: ${fmt.pct(a.cfe_score)}`,
      "green_share"),
    card(t("field.green_reduction_t"), fmt.tco2(a.green_reduction_t), null, "green_reduction_t"),
    card(t("field.kwh_total"), fmt.energy(a.kwh_total),
      `${t("field.electricity.year_on_year")}: ${fmt.signedPct(elec.year_on_year)}`, "kwh_total"),
  ));
  const aspects = ["intensity", "reduction", "green"];
  const scores = a.aspect_scores || {};
  const bench = a.benchmark;
  const evaluation = section(t("account.evaluation"), el("div", { class: "two-col" },
    barChart(null, aspects.map((k) => ({ name: t(`aspect.${k}`), value: scores[k] ?? null,
      colour: "#2f7d6d" })), { horizontal: true, max: 100, interval: 20 }),
    el("div", {},
      el("ul", { class: "aspects" }, aspects.map((k) => el("li", { dataset: { aspect: k } },
        el("span", {}, t(`aspect.${k}`)), el("strong", {}, fmt.score(scores[k]))))),
      el("p", {}, bench ? t("account.benchmarkText", { group: bench.group, size: bench.size,
        value: fmt.intensity(bench.value) }) : t("account.noBenchmark")),
      el("p", {}, `${t("field.k")}: ${fmt.num(a.k, 3)}`),
      factorsText(a.factors))));
  const alerts = section(t("account.alerts"), (a.alerts || []).length
    ? el("ul", { class: "alerts", id: "alerts" }, a.alerts.map((x) => el("li", { class: "alert" },
      el("strong", {}, x.month), " ", translated("alert", x.code))))
    : message("ok", t("account.noAlerts")));
  const trend = section(t("account.trend"), trendChart(a));
  const status = el("div", { class: "report-status", id: "report-status" });
  const reportName = (fmtName, l) => `${a.credit_code}-${a.year}-${l}.${fmtName}`;
  const unavailable = t("account.reportUnavailable");
  const forbidden = (detail) => t("account.reportForbidden", { detail });
  const reports = section(t("account.reports"), el("div", { class: "buttons" },
    downloadButton(t("account.reportPdfZh"), path(code, year, "/report?format=pdf&lang=zh"), reportName("pdf", "zh"),
      status, { notFound: unavailable, forbidden }),
    downloadButton(t("account.reportPdfEn"), path(code, year, "/report?format=pdf&lang=en"), reportName("pdf", "en"),
      status, { notFound: unavailable, forbidden }),
    downloadButton(t("account.reportHtml"), path(code, year, `/report?format=html&lang=${lang()}`),
      reportName("html", lang()), status, { notFound: unavailable, forbidden })), status);
  if (detailOnly) return [indicators, traceability(a), trend, evaluation, ...peersAndTrend(code, year)];
  return [header, indicators, traceability(a), el("div", { class: "two-col" }, trend, alerts), evaluation,
    ...peersAndTrend(code, year), reports]; // issue 17: peers and the trend over the years (peers.js)
}

/** Green-power traceability (GREEN-POWER.md §9–§9b): the annual and the hourly market-based figures side by side
 * (which one indicator 1 is), the method and boundary of the profile, the instruments traced to their plants in
 * or out of the boundary, and the trade months not backed by certificates. */
function traceability(a) {
  const hourly = a.emissions_market_hourly_t;
  const blank = (v) => v === null || v === undefined;
  const hourlyUsed = a.market_method === "hourly" && !blank(hourly) && a.emissions_t === hourly;
  const used = (yes, text) => [text, yes ? t("trace.usedByIndicator1") : null].filter(Boolean).join(" · ");
  const notComputed = (v, value) => (blank(v) ? "–" : value);
  const figures = cards(
    card(t("field.emissions_market_t"), fmt.tco2(a.emissions_market_t),
      used(!hourlyUsed && a.emissions_t === a.emissions_market_t, t("trace.annualMethod")), "emissions_market_t"),
    card(t("field.emissions_market_hourly_t"), notComputed(hourly, fmt.tco2(hourly)),
      blank(hourly) ? t("trace.noInterval") : used(hourlyUsed, t("trace.hourlyMethod")), "emissions_market_hourly_t"),
    card(t("field.kwh_matched_hourly"), notComputed(a.kwh_matched_hourly, fmt.energy(a.kwh_matched_hourly)), null,
      "kwh_matched_hourly"),
    card(t("field.kwh_cert_monthly_matched"),
      notComputed(a.kwh_cert_monthly_matched, fmt.energy(a.kwh_cert_monthly_matched)), null, "kwh_cert_monthly_matched"),
    card(t("field.kwh_outside_boundary"), fmt.energy(a.kwh_outside_boundary ?? 0), null, "kwh_outside_boundary"),
  );
  const rules = el("dl", { class: "meta", id: "trace-rules" },
    el("dt", {}, t("field.market_method")), el("dd", { id: "trace-method" }, translated("method", a.market_method)),
    el("dt", {}, t("field.market_boundary")),
    el("dd", { id: "trace-boundary" }, translated("boundary", a.market_boundary)));
  const plant = (r) => r.plant_id || t("trace.unknownPlant");
  const instruments = table([
    { key: "source_kind", label: t("field.instruments.source_kind"),
      value: (r) => translated("instrumentKind", r.source_kind) },
    { key: "source_id", label: t("field.instruments.source_id"),
      value: (r) => (r.last_id && r.last_id !== r.source_id ? `${r.source_id} – ${r.last_id}` : r.source_id) },
    { key: "n", label: t("field.instruments.n"), numeric: true },
    { key: "plant_id", label: t("field.instruments.plant_id"), value: plant },
    { key: "technology", label: t("field.instruments.technology"),
      value: (r) => (r.technology ? translated("technology", r.technology) : null) },
    { key: "plant_region_code", label: t("field.instruments.plant_region_code") },
    { key: "month", label: t("field.instruments.month"), value: (r) => r.month || t("trace.wholeYear") },
    cols.energy("kwh", t("field.instruments.kwh")),
    { key: "in_boundary", label: t("field.instruments.in_boundary"),
      value: (r) => (r.in_boundary ? t("trace.counted") : t("trace.outside")),
      format: (r) => (r.in_boundary ? badge(t("trace.counted"), "ok") : badge(t("trace.outside"), "warn")) },
  ], a.instruments || [], { csvName: `instruments-${a.credit_code}-${a.year}.csv`, empty: t("trace.noInstruments"),
    rowClass: (r) => (r.in_boundary ? null : "outside") });
  const unbacked = (a.unbacked_trades || []).length ? [
    el("h3", {}, t("trace.unbackedTitle")),
    el("p", { class: "muted" }, t("trace.unbackedIntro")),
    el("div", { id: "unbacked-trades" }, table([
      { key: "contract_ids", label: t("field.unbacked_trades.contract_ids"), value: (r) => r.contract_ids.join(", ") },
      { key: "plant_id", label: t("field.unbacked_trades.plant_id"), value: plant },
      { key: "month", label: t("field.unbacked_trades.month") },
      cols.energy("kwh_settled", t("field.unbacked_trades.kwh_settled")),
      cols.energy("kwh_bundled", t("field.unbacked_trades.kwh_bundled")),
    ], a.unbacked_trades, { csvName: `unbacked-trades-${a.credit_code}-${a.year}.csv` }))] : [];
  return section(t("trace.title"), figures, rules, el("h3", {}, t("trace.instrumentsTitle")),
    el("div", { id: "instruments" }, instruments), ...unbacked);
}

function factorsText(factors) {
  if (!factors) return null;
  const line = (key, f) => el("li", {}, t(key, { value: fmt.num(f.value_kg_per_kwh, 4), year: f.year,
    area: translated("area", f.area) }));
  return el("div", {}, el("h3", {}, t("field.factors")), el("ul", { class: "plain" },
    factors.location ? line("account.factorLocation", factors.location) : null,
    factors.residual ? line("account.factorResidual", factors.residual) : null));
}

function trendChart(a) {
  const elec = a.electricity || {};
  const now = elec.monthly_kwh || [];
  const prev = elec.monthly_kwh_prev_year || [];
  const months = Array.from({ length: 12 }, (_, i) => monthName(i));
  return chart({
    legend: { top: 0 },
    xAxis: { type: "category", data: months },
    yAxis: { type: "value", name: t("account.kwhAxis") },
    series: [
      { name: t("account.lastYear", { year: a.year - 1 }), type: "bar", data: prev, itemStyle: { color: "#b9c7c3" } },
      { name: t("account.thisYear", { year: a.year }), type: "line", data: now, symbolSize: 7,
        itemStyle: { color: "#2f7d6d" }, lineStyle: { width: 3 } },
    ],
  }, { tall: true });
}

export async function loadLabel(code, year, box) {
  try {
    const response = await api(path(code, year, "/label?format=svg"), { raw: true });
    const url = URL.createObjectURL(await response.blob());
    const img = el("img", { src: url, alt: t("field.label"), class: "label-img", id: "label-img" });
    img.addEventListener("load", () => URL.revokeObjectURL(url), { once: true });
    box.replaceChildren(img);
  } catch (exc) {
    box.replaceChildren(exc instanceof ApiError && exc.status !== 404 && exc.status !== 403
      ? errorMessage(exc) : message("info", t("account.labelUnavailable")));
  }
}

// ---------------------------------------------------------------- portfolio

const gradeGroupName = (group) => (/^[1-5]$/.test(group) ? t("grade.short", { grade: group }) : t("common.notRated"));

export async function portfolioPage(ctx) {
  const year = ctx.year;
  const p = await api(withQuery("/portfolio", { year }));
  let consents = [];
  try {
    consents = await api("/consents");
  } catch {
    consents = [];
  }
  const head = section(t("portfolio.title"), el("p", { class: "muted" }, t("portfolio.subtitle", { year })));
  const status = el("div", { id: "portfolio-status" });
  const downloads = el("div", { class: "buttons" },
    downloadButton(t("portfolio.exportApiCsv"), withQuery("/exports/accounts", { year, format: "csv" }),
      `accounts-${year}.csv`, status),
    downloadButton(t("portfolio.exportApiXlsx"), withQuery("/exports/accounts", { year, format: "xlsx" }),
      `accounts-${year}.xlsx`, status),
    downloadButton(t("portfolio.reportPdf"), withQuery("/portfolio/report", { year, format: "pdf", lang: lang() }),
      `portfolio-${year}.pdf`, status),
    downloadButton(t("portfolio.reportXlsx"), withQuery("/portfolio/report", { year, format: "xlsx", lang: lang() }),
      `portfolio-${year}.xlsx`, status));
  head.append(downloads, status);
  const records = p.enterprises;
  if (!records.length) return [head, section(null, message("info", t("portfolio.empty"))), consentsPanel(consents)];

  const total = p.totals;
  head.append(cards(
    card(t("field.enterprises"), fmt.int(records.length), null, "enterprises"),
    card(t("field.kwh_total"), fmt.energy(total.kwh_total), null, "kwh_total"),
    card(t("field.emissions_t"), fmt.tco2(total.emissions_t), null, "emissions_t"),
    card(t("portfolio.weightedGreen"), fmt.pct(total.green_share), null, "green_share"),
    card(t("portfolio.meanIntensity"), fmt.intensity(total.intensity), null, "intensity"),
    card(t("loan.outstanding"), fmt.cny(total.outstanding_cny), null, "outstanding"),
  ));
  const risk = transitionRisk(p);
  if (risk) head.querySelector(".cards").append(risk.card);
  const regionName = (g) => (g.name ? `${g.name} ${g.group}` : g.group);
  const charts = el("div", { class: "grid-3" },
    section(t("portfolio.byGrade"), barChart(t("field.enterprises"), p.by_grade.map((g) => ({
      name: gradeGroupName(g.group), value: g.enterprises, colour: GRADE_COLOURS[g.group] || "#9aa5a2" })),
    { counts: true })),
    section(t("portfolio.byIndustry"), barChart(`${t("field.emissions_t")} (${t("unit.tco2")})`,
      p.by_industry.map((g) => ({ name: industryName(g.group), value: +g.emissions_t.toFixed(2) })), { horizontal: true })),
    section(t("portfolio.byRegion"), barChart(t("field.green_share"),
      p.by_region.map((g) => ({ name: regionName(g), value: g.green_share || 0 })), { percent: true })),
  );
  const columns = () => [...accountColumns(), cols.cny("outstanding_cny", t("loan.outstanding")),
    ...(risk ? risk.columns() : [])];
  const groupTable = (rows, label, text, name) => table([
    { key: "group", label, value: text },
    { key: "enterprises", label: t("field.enterprises"), numeric: true },
    cols.tco2("emissions_t", t("field.emissions_t")),
    cols.intensity("intensity", t("field.intensity")),
    cols.share("green_share", t("field.green_share")),
    cols.cny("outstanding_cny", t("loan.outstanding")),
  ], rows, { csvName: `portfolio-${year}-${name}.csv` });
  const groups = el("div", { class: "groups" },
    section(t("portfolio.byGrade"), groupTable(p.by_grade, t("field.grade"), (g) => gradeGroupName(g.group), "grade")),
    section(t("portfolio.byIndustry"), groupTable(p.by_industry, t("field.industry"), (g) => industryName(g.group), "industry")),
    section(t("portfolio.byRegion"), groupTable(p.by_region, t("field.region"), regionName, "region")));
  const detailTable = el("div", { id: "portfolio-detail" });
  const drawDetail = () => detailTable.replaceChildren(table(columns(), records, { csvName: `portfolio-${year}.csv`,
    rowLink: accountHash, rowClass: risk ? risk.rowClass : null }));
  drawDetail();
  const detail = section(t("portfolio.table"), risk ? risk.selector(drawDetail) : null, detailTable);
  return [head, charts, mapPanel(year, "bank"), detail, risk ? risk.panel : null, groups, consentsPanel(consents)]
    .filter(Boolean);
}

// ---------------------------------------------------------------- transition risk (carbon-price scenarios)

let lastScenario = null;

/** The portfolio's transition risk (GET /portfolio `transition_risk`): a scenario selector, the carbon cost and
 * its share of value added per borrower under the chosen scenario, flagged borrowers marked, a count card and a
 * panel of every scenario. Null when the API gives none. */
function transitionRisk(p) {
  const summary = p.transition_risk;
  const scenarios = (summary && summary.scenarios && summary.scenarios.scenarios) || [];
  if (!scenarios.length) return null;
  const l = lang();
  const nameOf = (sc) => sc[`name_${l}`] || sc.name_en || sc.id;
  const priced = (sc) => `${nameOf(sc)} · ${fmt.dec(sc.price_cny_per_t, 2)} ${t("unit.cnyPerT")}`;
  let current = scenarios.find((sc) => sc.id === lastScenario) || scenarios[0];
  const threshold = fmt.pct(summary.threshold_share);
  const cell = (r) => (r.transition_risk && r.transition_risk.carbon_cost[current.id]) || {};
  const reasonOf = (r) => (r.transition_risk && r.transition_risk.reason
    ? r.transition_risk.reason[`message_${l}`] || r.transition_risk.reason.message_en : null);
  const flagged = (r) => Boolean(cell(r).flagged);
  const countCard = () => card(t("risk.flaggedCount"), fmt.int(summary.by_scenario[current.id]?.flagged_borrowers ?? 0),
    t("risk.cardExtra", { scenario: priced(current), threshold }), "flagged");
  const holder = el("div", { class: "card-holder" }, countCard());
  const columns = () => [
    { key: "carbon_cost", label: t("risk.costAt", { price: fmt.dec(current.price_cny_per_t, 2) }), unit: t("unit.cny"),
      numeric: true, value: (r) => cell(r).cost_cny ?? null, format: (r) => fmt.num(cell(r).cost_cny, 2) },
    { key: "cost_share", label: t("risk.share"), unit: "%", numeric: true,
      value: (r) => (cell(r).share === null || cell(r).share === undefined ? null : +(cell(r).share * 100).toFixed(4)),
      format: (r) => (cell(r).share === null || cell(r).share === undefined ? "–" : fmt.num(cell(r).share * 100, 2)) },
    { key: "risk", label: t("risk.column"), value: (r) => (flagged(r) ? t("risk.flagged") : reasonOf(r) || t("risk.below")),
      format: (r) => (flagged(r) ? badge(t("risk.flagged"), "danger")
        : reasonOf(r) ? el("span", { class: "muted" }, reasonOf(r)) : t("risk.below")) },
  ];
  const selector = (redraw) => {
    const select = el("select", { id: "risk-scenario", name: "scenario", onchange: () => {
      current = scenarios.find((sc) => sc.id === select.value) || scenarios[0];
      lastScenario = current.id;
      holder.replaceChildren(countCard());
      redraw();
    } }, scenarios.map((sc) => el("option", { value: sc.id, selected: sc.id === current.id }, priced(sc))));
    return el("div", { class: "inline-form" }, field(t("risk.scenario"), select),
      el("p", { class: "muted" }, t("risk.thresholdText", { threshold })));
  };
  const provenance = summary.scenarios;
  const panel = section(t("risk.title"), el("p", { class: "muted" }, t("risk.intro", { threshold })),
    el("div", { id: "risk-scenarios" }, table([
      { key: "name", label: t("risk.scenario"), value: nameOf },
      { key: "price_cny_per_t", label: t("risk.price"), unit: t("unit.cnyPerT"), numeric: true,
        format: (sc) => fmt.dec(sc.price_cny_per_t, 2) },
      { key: "flagged", label: t("risk.flaggedCount"), numeric: true,
        value: (sc) => summary.by_scenario[sc.id]?.flagged_borrowers ?? null },
      { key: "assessed", label: t("risk.assessed"), numeric: true,
        value: (sc) => summary.by_scenario[sc.id]?.assessed_borrowers ?? null },
      { key: "cost", label: t("risk.totalCost"), unit: t("unit.cny"), numeric: true,
        value: (sc) => summary.by_scenario[sc.id]?.cost_cny ?? null,
        format: (sc) => fmt.num(summary.by_scenario[sc.id]?.cost_cny, 2) },
      // the reference data's citations are English only: marked as such (WCAG 3.1.2) until the data has zh
      { key: "source", label: t("risk.source"), format: (sc) => el("span", { lang: "en" }, sc.source) },
    ], scenarios, { csvName: `carbon-price-scenarios-${provenance.id}.csv` })),
    el("p", { class: "muted" }, t("risk.provenance", { id: provenance.id, version: provenance.version,
      source: "" }), el("span", { lang: "en" }, provenance.source)));
  return { card: holder, columns, selector, panel, rowClass: (r) => (flagged(r) ? "flagged" : null) };
}

function consentsPanel(consents) {
  const status = (c) => (c.live ? t("consent.live") : c.revoked_at ? t("consent.revoked") : t("consent.expired"));
  return section(t("portfolio.consents"), table([
    { key: "credit_code", label: t("field.credit_code") },
    { key: "scope", label: t("consent.scope"), format: (c) => t(`scope.${c.scope}`) },
    { key: "granted_at", label: t("consent.granted"), format: (c) => fmt.time(c.granted_at) },
    { key: "expires_on", label: t("consent.expires") },
    { key: "live", label: t("consent.status"), value: status },
  ], consents, { csvName: "consents.csv", empty: t("consent.none") }));
}
