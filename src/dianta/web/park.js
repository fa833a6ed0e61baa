// Park pages (GREEN-POWER.md §10): a park's account of a year — its progress to the green target, the month × hour
// shortfall map, its members — and the list of parks. The park's management (role park) sees its own park and its
// consenting members' figures; the operator every park and member, and defines parks; the regulator every park's
// aggregates and never a member (the API leaves `members` out for it).

import { api, ApiError, withQuery } from "./api.js";
import { lang, monthName, t } from "./i18n.js";
import { findingColumns } from "./enterprise.js";
import {
  badge, card, cards, chart, cols, disposeChartsIn, downloadButton, el, errorMessage, field, fmt, gradeText, industryName,
  message, section, table, toast, todayCst, translated,
} from "./ui.js";

const parkPath = (id, tail = "") => `/parks/${encodeURIComponent(id)}${tail}`;
const parkHash = (id, year) => `#/park/${encodeURIComponent(id)}${year ? `/${year}` : ""}`;
const blank = (v) => v === null || v === undefined;
const newestFirst = (years) => [...new Set(years || [])].map(Number).sort((a, b) => b - a);

/** A region as words: its name with the code when the API names it, else the code. */
const regionText = (x) => (x.region_name ? `${x.region_name} (${x.region_code})` : x.region_code || "–");

/** The alert codes of a park account (strings, or {code} objects) in words. */
const alertCodes = (account) => (account && account.alerts ? account.alerts : []).map((a) => (typeof a === "string" ? a : a.code));

/** "100 % by 2030" / "目标 100 %（2030年）": the target of a park definition or account. */
function targetText(x) {
  const share = fmt.pct(blank(x.target_green_share) ? 1 : x.target_green_share, 0);
  return blank(x.target_year) ? t("park.targetNoYear", { target: share })
    : t("park.target", { target: share, year: x.target_year });
}

// ---------------------------------------------------------------- one park

/** The park role's home: its own park (the one park GET /parks answers it). */
export async function myParkPage(ctx) {
  let id = ctx.me.park_id;
  if (!id) {
    const list = await api(withQuery("/parks", { year: ctx.year }));
    id = list.items.length ? list.items[0].park_id : null;
  }
  if (!id) return section(t("park.title"), message("info", t("park.none")));
  return parkView(ctx, id, Number(ctx.args[0]) || null, { hashOf: (y) => `#/my-park/${y}` });
}

/** A park opened from the list (operator, regulator): #/park/<id>/<year>. */
export async function parkPage(ctx) {
  const [id, year] = ctx.args;
  return parkView(ctx, id, Number(year) || null, { hashOf: (y) => parkHash(id, y), back: true });
}

/** The park `id` in `year` (else the global year; a year without an account falls back to the newest one). */
async function parkView(ctx, id, year, { hashOf, back = false }) {
  const asked = year || ctx.year;
  let body = await api(withQuery(parkPath(id), { year: asked }));
  const years = newestFirst(body.years);
  let notice = null;
  if (!body.account && years.length && !years.includes(asked) && !year) {
    notice = message("info", t("park.shownYear", { year: asked, shown: years[0] }));
    body = await api(withQuery(parkPath(id), { year: years[0] }));
  }
  const p = body.park;
  const a = body.account;
  const shown = a ? a.year : body.year || (notice ? years[0] : asked);
  const choice = el("select", { id: "park-year", name: "year", onchange: () => { location.hash = hashOf(choice.value); } },
    (years.includes(shown) ? years : [shown, ...years]).map((y) => el("option", { value: String(y),
      selected: y === shown }, t("park.yearOption", { year: y }))));
  const supplier = ctx.me.role !== "regulator" && p.supplier_credit_code;
  const head = el("section", { class: "panel park-head" },
    back ? el("a", { href: "#/parks", class: "back" }, `‹ ${t("common.back")}`) : null,
    el("h1", { id: "park-name" }, p.name || p.park_id),
    el("dl", { class: "meta" },
      el("dt", {}, t("field.park_id")), el("dd", { id: "park-id" }, p.park_id),
      el("dt", {}, t("field.region_code")), el("dd", { id: "park-region" }, regionText(p)),
      el("dt", {}, t("field.members")), el("dd", { id: "park-members-count" }, fmt.int(a ? a.members : p.members)),
      el("dt", {}, t("field.target_green_share")), el("dd", { id: "park-target" }, targetText(p)),
      supplier ? el("dt", {}, t("field.supplier_credit_code")) : null, supplier ? el("dd", {}, supplier) : null),
    el("div", { class: "inline-form" }, field(t("common.year"), choice)),
    notice);
  if (!a) {
    return [head, section(null, message("info", t("park.noAccount", { year: shown }))), membersPanel(ctx, body, shown),
      downloads(p.park_id, shown)].filter(Boolean);
  }
  return [head, figures(a), alertsPanel(a), shortfallPanel(a), membersPanel(ctx, body, shown),
    downloads(p.park_id, a.year)].filter(Boolean);
}

/** The headline figures: green share against target and trajectory, hourly CFE, shortfall, hours fully green,
 * load without interval data, emissions both ways, intensity. */
function figures(a) {
  const hourlyNull = blank(a.cfe_score);
  const hourly = (v) => (blank(v) ? "–" : fmt.pct(v));
  const nullNote = hourlyNull ? t("park.hourlyNull") : null;
  return section(t("park.progress", { year: a.year }), cards(
    card(t("field.green_share"), fmt.pct(a.green_share), [targetText(a), blank(a.expected_green_share)
      ? t("park.noTrajectory") : t("park.expected", { share: fmt.pct(a.expected_green_share) })].join(" · "),
    "green_share"),
    card(t("field.cfe_score"), hourly(a.cfe_score), nullNote, "cfe_score"),
    card(t("field.shortfall_mwh"), fmt.energy(a.shortfall_mwh * 1000), t("park.shortfallOf", {
      target: fmt.pct(a.target_green_share, 0) }), "shortfall_mwh"),
    card(t("field.hours_fully_green_share"), hourly(a.hours_fully_green_share), nullNote, "hours_fully_green_share"),
    card(t("field.uncovered_load_share"), fmt.pct(a.uncovered_load_share), null, "uncovered_load_share"),
    card(t("field.kwh_total"), fmt.energy(a.kwh_total), `${t("field.kwh_green")}: ${fmt.energy(a.kwh_green)}`,
      "kwh_total"),
    card(t("field.emissions_location_t"), fmt.tco2(a.emissions_location_t), null, "emissions_location_t"),
    card(t("field.emissions_market_t"), fmt.tco2(a.emissions_market_t), null, "emissions_market_t"),
    card(t("field.intensity"), fmt.intensity(a.intensity), null, "intensity"),
  ));
}

function alertsPanel(a) {
  const codes = alertCodes(a);
  if (!codes.length) return section(t("park.alerts"), el("div", { id: "park-alerts" }, message("ok", t("park.noAlerts"))));
  return section(t("park.alerts"), el("ul", { class: "alerts", id: "park-alerts" }, codes.map((code) =>
    el("li", { class: "alert", dataset: { alert: code } }, el("strong", {}, translated("alert", code)),
      code === "park_below_target" ? ` ${t("park.belowTargetText", { year: a.year, share: fmt.pct(a.green_share),
        expected: fmt.pct(a.expected_green_share), shortfall: fmt.energy(a.shortfall_mwh * 1000) })}` : null))));
}

// ---------------------------------------------------------------- month × hour shortfall map

const HOURS = Array.from({ length: 24 }, (_, h) => h);
const hourName = (h) => t("park.hourLabel", { h });

/** The shortfall map (12 months × 24 hours, MWh) as an ECharts heat map with a summary sentence and, as its text
 * alternative, the same numbers in a table. */
function shortfallPanel(a) {
  const map = a.shortfall_map_mwh;
  const title = t("park.mapTitle");
  if (!map) return section(title, el("div", { id: "shortfall-map" }, message("info", t("park.hourlyNull"))));
  let total = 0;
  let top = { m: 0, h: 0, v: 0 };
  const data = [];
  map.forEach((row, m) => row.forEach((v, h) => {
    total += v;
    if (v > top.v) top = { m, h, v };
    data.push([h, m, +v.toFixed(3)]);
  }));
  const mwh = (v) => `${fmt.num(v, 2)} ${t("unit.mwh")}`;
  const summary = top.v > 0 ? t("park.mapSummary", { total: mwh(total), month: monthName(top.m), hour: hourName(top.h),
    value: mwh(top.v) }) : t("park.mapNone");
  const months = Array.from({ length: 12 }, (_, m) => monthName(m));
  const heat = chart({
    tooltip: { trigger: "item", renderMode: "richText",
      formatter: (x) => `${months[x.value[1]]} ${hourName(x.value[0])}: ${mwh(x.value[2])}` },
    grid: { left: 8, right: 16, top: 16, bottom: 56, containLabel: true },
    xAxis: { type: "category", data: HOURS.map(String), name: t("park.hour"), splitArea: { show: true } },
    yAxis: { type: "category", data: months, inverse: true, splitArea: { show: true } },
    visualMap: { min: 0, max: top.v || 1, orient: "horizontal", left: "center", bottom: 0, itemHeight: 240,
      text: [mwh(top.v), mwh(0)], inRange: { color: ["#eef6f3", "#e3b30b", "#d64545"] } },
    series: [{ type: "heatmap", name: t("field.shortfall_map_mwh"), data }],
  }, { tall: true });
  heat.setAttribute("role", "img");
  heat.setAttribute("aria-label", `${title}: ${summary}`);
  const rows = map.map((row, m) => ({ month: months[m], total: row.reduce((s, v) => s + v, 0),
    ...Object.fromEntries(row.map((v, h) => [`h${h}`, v])) }));
  const text = table([
    { key: "month", label: t("park.month"), nowrap: true },
    ...HOURS.map((h) => ({ key: `h${h}`, label: hourName(h), numeric: true, format: (r) => fmt.num(r[`h${h}`], 2) })),
    { key: "total", label: t("common.total"), unit: t("unit.mwh"), numeric: true, format: (r) => fmt.num(r.total, 2) },
  ], rows, { csvName: `park-shortfall-${a.park_id}-${a.year}.csv`, caption: `${title} (${t("unit.mwh")})` });
  return section(title, el("p", { class: "muted" }, t("park.mapIntro")),
    el("div", { id: "shortfall-map" }, el("p", { id: "shortfall-summary" }, summary), heat,
      el("details", { id: "shortfall-table" }, el("summary", {}, t("park.mapTable")), text)));
}

// ---------------------------------------------------------------- members

const FIGURES = ["green_share", "cfe_score", "kwh_total", "emissions_location_t", "emissions_market_t", "intensity",
  "grade", "score"];

/** The members (operator: all with figures; park: every name, figures only of those that consented); the regulator
 * gets no members from the API and sees a note instead. */
function membersPanel(ctx, body, year) {
  if (!Array.isArray(body.members)) {
    return ctx.me.role === "regulator" ? section(t("park.members"), el("p", { class: "muted", id: "park-members-note" },
      t("park.regulatorNote"))) : null;
  }
  const operator = ctx.me.role === "operator";
  const rows = body.members.map((m) => ({ ...m, ...Object.fromEntries(FIGURES.map((k) => [k, m.account ? m.account[k]
    : null])), shared: Boolean(m.account) }));
  const status = (r) => (r.shared ? t("park.consented") : r.consent === false ? t("park.noConsent")
    : t("park.noMemberAccount"));
  const statusBadge = (r) => badge(status(r), r.shared ? "ok" : r.consent === false ? "warn" : "info");
  const columns = [
    { key: "name", label: t("field.name"), value: (r) => r.name || r.credit_code,
      format: (r) => (operator ? el("a", { href: `#/account/${encodeURIComponent(r.credit_code)}/${year}` },
        r.name || r.credit_code) : r.name || r.credit_code) },
    { key: "credit_code", label: t("field.credit_code") },
    { key: "industry_code", label: t("field.industry"), value: (r) => industryName(r.industry_code) },
    { key: "valid_from", label: t("park.validFrom"), value: (r) => r.valid_from || t("park.always") },
    { key: "valid_to", label: t("park.validTo"), value: (r) => r.valid_to || t("park.always") },
    operator ? null : { key: "consent", label: t("park.consent"), value: status, format: statusBadge },
    { key: "grade", label: t("field.grade"), numeric: true, value: (r) => r.grade || null,
      format: (r) => (r.shared ? gradeText(r.grade) : "–") },
    cols.share("green_share", t("field.green_share")),
    cols.share("cfe_score", t("field.cfe_score")),
    cols.energy("kwh_total", t("field.kwh_total")),
    cols.tco2("emissions_location_t", t("field.emissions_location_t")),
    cols.tco2("emissions_market_t", t("field.emissions_market_t")),
    cols.intensity("intensity", t("field.intensity")),
  ].filter(Boolean);
  return section(t("park.members"), el("p", { class: "muted" }, t(operator ? "park.membersIntroOperator"
    : "park.membersIntroPark")), el("div", { id: "park-members" }, table(columns, rows, {
    csvName: `park-members-${body.park.park_id}-${year}.csv`, empty: t("park.noMembers"),
    rowClass: (r) => (r.shared ? null : "no-consent") })));
}

/** The park report and label (GET /parks/{id}/report and /label; a year without a park account answers 404). */
function downloads(id, year) {
  const status = el("div", { class: "report-status", id: "park-report-status" });
  const unavailable = t("park.reportUnavailable");
  const forbidden = (detail) => t("account.reportForbidden", { detail });
  const report = (format, l) => withQuery(parkPath(id, "/report"), { year, format, lang: l });
  const label = (format) => withQuery(parkPath(id, "/label"), { year, format, lang: lang() });
  const name = (kind, l, ext) => `park-${id}-${year}-${kind}-${l}.${ext}`;
  const opts = { notFound: unavailable, forbidden };
  return section(t("park.reports"), el("div", { class: "buttons", id: "park-downloads" },
    downloadButton(t("account.reportPdfZh"), report("pdf", "zh"), name("report", "zh", "pdf"), status, opts),
    downloadButton(t("account.reportPdfEn"), report("pdf", "en"), name("report", "en", "pdf"), status, opts),
    downloadButton(t("account.reportHtml"), report("html", lang()), name("report", lang(), "html"), status, opts),
    downloadButton(t("park.labelSvg"), label("svg"), name("label", lang(), "svg"), status, opts),
    downloadButton(t("park.labelPng"), label("png"), name("label", lang(), "png"), status, opts)), status);
}

// ---------------------------------------------------------------- the list of parks (operator, regulator)

/** The parks with their accounts of a year (#/parks/<year>); the operator also defines parks and members. */
export async function parksPage(ctx) {
  let years = [];
  try {
    years = newestFirst((await api("/parks/years")).years);
  } catch (exc) {
    if (!(exc instanceof ApiError && exc.status === 404)) throw exc;
  }
  const year = Number(ctx.args[0]) || (years.length && !years.includes(ctx.year) ? years[0] : ctx.year);
  const operator = ctx.me.role === "operator";
  const choice = el("select", { id: "parks-year", name: "year", onchange: () => { location.hash = `#/parks/${choice.value}`; } },
    (years.includes(year) ? years : [year, ...years]).map((y) => el("option", { value: String(y), selected: y === year },
      t("park.yearOption", { year: y }))));
  const listBox = el("div", { id: "parks-body" });
  const forms = operator ? defineForms(() => load()) : null;
  async function load() {
    const list = await api(withQuery("/parks", { year }));
    if (ctx.stale()) return;
    disposeChartsIn(listBox);
    listBox.replaceChildren(...parksList(list.items, year, operator));
    if (forms) forms.parks(list.items);
  }
  await load();
  const head = section(t("park.listTitle"), el("p", { class: "muted" }, t(operator ? "park.listIntroOperator"
    : "park.listIntro", { year })), el("div", { class: "inline-form" }, field(t("common.year"), choice)), listBox);
  return forms ? [head, forms.node] : head;
}

/** The chart and table of the parks of `year` (each row opens the park). */
function parksList(items, year, operator) {
  const rows = items.map((p) => ({ ...p, ...(p.account ? pick(p.account) : {}), computed: Boolean(p.account) }));
  const columns = [
    { key: "name", label: t("field.park_name"), value: (r) => r.name,
      format: (r) => el("a", { href: parkHash(r.park_id, year) }, r.name || r.park_id) },
    { key: "park_id", label: t("field.park_id") },
    { key: "region_code", label: t("field.region_code"), value: regionText },
    { key: "members", label: t("field.members"), numeric: true },
    { key: "target", label: t("field.target_green_share"), value: targetText },
    cols.share("green_share", t("field.green_share")),
    cols.share("expected_green_share", t("field.expected_green_share")),
    cols.share("cfe_score", t("field.cfe_score")),
    { key: "shortfall_mwh", label: t("field.shortfall_mwh"), unit: t("unit.mwh"), numeric: true,
      format: (r) => fmt.num(r.shortfall_mwh, 1) },
    cols.share("hours_fully_green_share", t("field.hours_fully_green_share")),
    cols.tco2("emissions_location_t", t("field.emissions_location_t")),
    cols.tco2("emissions_market_t", t("field.emissions_market_t")),
    { key: "alerts", label: t("park.alerts"), value: (r) => (r.computed ? alertCodes(r).map((c) => translated("alert", c))
      .join("; ") || t("common.none") : t("park.notComputed")) },
    operator ? { key: "supplier_credit_code", label: t("field.supplier_credit_code") } : null,
  ].filter(Boolean);
  const computed = rows.filter((r) => r.computed);
  return [
    computed.length ? progressChart(computed) : null,
    el("div", { id: "parks-list" }, table(columns, rows, { csvName: `parks-${year}.csv`, empty: t("park.none"),
      rowLink: (r) => parkHash(r.park_id, year) })),
  ].filter(Boolean);
}

/** Each park's green share (bars) against its trajectory and its target (marks), in percent. */
function progressChart(rows) {
  const pct = (v) => (blank(v) ? null : +(v * 100).toFixed(2));
  const mark = (name, key, symbol, colour) => ({ name, type: "scatter", symbol, symbolSize: [28, 4],
    itemStyle: { color: colour }, data: rows.map((r) => pct(r[key])) });
  return chart({
    title: { text: t("park.chartTitle"), textStyle: { fontSize: 14 } },
    legend: { top: 0, right: 0 },
    grid: { left: 8, right: 24, top: 48, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: rows.map((r) => r.name || r.park_id), axisLabel: { interval: 0, hideOverlap: true } },
    yAxis: { type: "value", name: "%", max: 100 },
    series: [
      { name: t("field.green_share"), type: "bar", barMaxWidth: 56, itemStyle: { color: "#2f7d6d" },
        data: rows.map((r) => pct(r.green_share)) },
      mark(t("field.expected_green_share"), "expected_green_share", "rect", "#e3b30b"),
      mark(t("field.target_green_share"), "target_green_share", "rect", "#d64545"),
    ],
  });
}

/** The aggregates of a park account shown in the list. */
function pick(account) {
  const keys = ["green_share", "expected_green_share", "cfe_score", "shortfall_mwh", "hours_fully_green_share",
    "emissions_location_t", "emissions_market_t", "alerts", "members"];
  return Object.fromEntries(keys.filter((k) => k in account).map((k) => [k, account[k]]));
}

// ---------------------------------------------------------------- the operator defines parks and members

/** A batch's findings (a refused one's, or an applied one's warnings) in the page's language. */
function findingsTable(findings, id) {
  const rows = (findings || []).map((f) => ({ ...f, message_zh: f.message_zh ?? f.zh, message_en: f.message_en ?? f.en }));
  return el("div", { class: "park-findings", id: `${id}-findings` }, table(findingColumns({ withBatch: false }), rows,
    { csvName: `${id}-findings.csv`, empty: t("op.noFindings") }));
}

/** POST `path` with `json`; the answer (batch, status, findings) or the refusal's findings go into `result`. */
async function submitBatch(form, path, json, result, id) {
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  result.replaceChildren(message("info", t("common.loading")));
  try {
    const r = await api(path, { method: "POST", json });
    // no batch when the row changed nothing (status unchanged)
    const text = blank(r.batch_id) ? t("park.unchanged") : t("park.accepted", { id: r.batch_id,
      status: translated("status", r.status) });
    result.replaceChildren(...[message("ok", text), (r.findings || []).length ? findingsTable(r.findings, id) : null]
      .filter(Boolean));
    toast(text);
    return true;
  } catch (exc) {
    const answer = exc instanceof ApiError && exc.body ? exc.body : null;
    const findings = answer && (answer.findings || (answer.detail && answer.detail.findings));
    if (exc instanceof ApiError && exc.status === 422 && Array.isArray(findings)) {
      const batch = answer.batch_id ?? (answer.detail && answer.detail.batch_id);
      result.replaceChildren(message("error", blank(batch) ? t("park.refused") : t("park.refusedBatch", { id: batch })),
        findingsTable(findings, id));
    } else {
      result.replaceChildren(errorMessage(exc));
    }
    return false;
  } finally {
    button.disabled = false;
  }
}

/** The two forms of the operator: define a park, add a member; `node` to show, `parks(items)` refills the parks
 * of the member form, `onDefined` is called when a park was accepted. */
function defineForms(onDefined) {
  const input = (name, attrs) => el("input", { id: `park-${name}`, name, ...attrs });
  // define a park
  const parkId = input("park_id", { type: "text", required: true, maxLength: 64, placeholder: "QH-GEM-ZCP" });
  const name = input("name", { type: "text", required: true, maxLength: 200 });
  const region = input("region_code", { type: "text", required: true, pattern: "\\d{6}", maxLength: 6,
    placeholder: "632801", inputMode: "numeric" });
  const target = input("target", { type: "number", min: 0, max: 100, step: "0.1", placeholder: "100" });
  const targetYear = input("target_year", { type: "number", min: 1901, max: 2199, step: 1 });
  const supplier = input("supplier", { type: "text", maxLength: 18, placeholder: t("park.optional") });
  const defineResult = el("div", { id: "park-define-result" });
  const defineForm = el("form", { class: "inline-form", id: "park-define-form", onsubmit: async (event) => {
    event.preventDefault();
    const json = { park_id: parkId.value.trim(), name: name.value.trim(), region_code: region.value.trim() };
    if (target.value !== "") json.target_green_share = +(Number(target.value) / 100).toFixed(6);
    if (targetYear.value !== "") json.target_year = Number(targetYear.value);
    if (supplier.value.trim()) json.supplier_credit_code = supplier.value.trim();
    if (await submitBatch(defineForm, "/parks", json, defineResult, "park-define")) await onDefined();
  } }, field(t("field.park_id"), parkId), field(t("field.park_name"), name), field(t("field.region_code"), region),
  field(`${t("field.target_green_share")} (%)`, target), field(t("field.target_year"), targetYear),
  field(t("field.supplier_credit_code"), supplier),
  el("button", { type: "submit", class: "btn btn-primary" }, t("park.define")));
  // add a member
  const park = el("select", { id: "member-park", name: "park_id", required: true });
  const code = el("input", { id: "member-code", name: "credit_code", type: "text", required: true, maxLength: 18,
    minLength: 18 });
  const from = el("input", { id: "member-from", name: "valid_from", type: "date", required: true, value: todayCst() });
  const to = el("input", { id: "member-to", name: "valid_to", type: "date" });
  const memberResult = el("div", { id: "park-member-result" });
  const memberForm = el("form", { class: "inline-form", id: "park-member-form", onsubmit: async (event) => {
    event.preventDefault();
    const json = { credit_code: code.value.trim(), valid_from: from.value };
    if (to.value) json.valid_to = to.value;
    await submitBatch(memberForm, parkPath(park.value, "/members"), json, memberResult, "park-member");
  } }, field(t("park.park"), park), field(t("field.credit_code"), code), field(t("park.validFrom"), from),
  field(t("park.validTo"), to), el("button", { type: "submit", class: "btn btn-primary" }, t("park.addMember")));
  const parks = (items) => {
    const chosen = park.value;
    park.replaceChildren(...items.map((p) => el("option", { value: p.park_id, selected: p.park_id === chosen },
      `${p.name} (${p.park_id})`)));
    memberForm.querySelector("button[type=submit]").disabled = !items.length;
  };
  const node = el("div", { class: "two-col" },
    section(t("park.defineTitle"), el("p", { class: "muted" }, t("park.defineIntro")), defineForm, defineResult),
    section(t("park.memberTitle"), el("p", { class: "muted" }, t("park.memberIntro")), memberForm, memberResult));
  return { node, parks };
}
