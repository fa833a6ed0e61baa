// Bank green-finance pages (METHODOLOGY.md §8): the pricing policy and quotes; loans, their pricings and the
// interest saved; financed emissions (PCAF); credit-risk alerts and the daily digest.

import { api, withQuery } from "./api.js";
import { lang, t } from "./i18n.js";
import {
  badge, barChart, card, cards, cols, disposeChartsIn, downloadButton, el, errorMessage, field, fmt, gradeBadge,
  gradeWithFlags, industryName, message, section, table, todayCst, translated,
} from "./ui.js";

const ALERT_CODES = ["sharp_drop", "sustained_decline", "stoppage"];
const GRADES = ["1", "2", "3", "4", "5"];
const yesNo = (v) => t(v ? "common.yes" : "common.no");
const accountLink = (code, year) => `#/account/${encodeURIComponent(code)}/${year}`;

/** A form that runs `submit` with its submit button disabled meanwhile. */
function form(id, submit, ...children) {
  const node = el("form", { id, class: "inline-form", onsubmit: async (event) => {
    event.preventDefault();
    const button = node.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await submit();
    } finally {
      button.disabled = false;
    }
  } }, ...children);
  return node;
}

const submitButton = (label) => el("button", { type: "submit", class: "btn btn-primary" }, label);
const numberInput = (id, attrs = {}) => el("input", { type: "number", id, name: id, step: "any", ...attrs });
const dateInput = (id, value) => el("input", { type: "date", id, name: id, required: true, value });

// ---------------------------------------------------------------- pricing policy and quotes

/** The version in effect on `day`: the newest effective_from not after it (then the highest version). */
function inEffect(policies, day) {
  const live = policies.filter((p) => p.effective_from <= day);
  live.sort((a, b) => (a.effective_from === b.effective_from ? a.version - b.version
    : a.effective_from < b.effective_from ? -1 : 1));
  return live.length ? live[live.length - 1].version : null;
}

function policyTable(policies) {
  const current = inEffect(policies, todayCst());
  const link = (p) => (p.score_link ? t("pricing.linkText", { base: fmt.dec(p.score_link.base_score, 1),
    bp: fmt.dec(p.score_link.bp_per_point, 2) }) : null);
  const alerts = (p) => p.eligibility.no_discount_with_alerts.map((c) => translated("alertShort", c)).join(", ") || null;
  return table([
    { key: "version", label: t("pricing.version"), numeric: true },
    { key: "name", label: t("pricing.name") },
    { key: "effective_from", label: t("pricing.effectiveFrom") },
    { key: "status", label: t("pricing.status"), value: (p) => (p.version === current ? t("pricing.inEffect") : null),
      format: (p) => (p.version === current ? badge(t("pricing.inEffect"), "ok") : null) },
    cols.bp("cap_bp", t("pricing.cap")),
    ...GRADES.map((g) => ({ key: `grade_${g}`, label: t("grade.short", { grade: g }), unit: t("unit.bp"), numeric: true,
      value: (p) => p.grade_discount_bp[g] ?? null, format: (p) => fmt.dec(p.grade_discount_bp[g], 1) })),
    { key: "score_link", label: t("pricing.scoreLink"), value: link },
    { key: "alerts", label: t("pricing.noDiscountWith"), value: alerts },
    { key: "current", label: t("pricing.requireCurrent"), value: (p) => yesNo(p.eligibility.require_current_account) },
  ], [...policies].sort((a, b) => b.version - a.version), { csvName: "pricing-policies.csv",
    empty: t("pricing.noPolicy") });
}

/** The form of a new policy version, filled with the newest version (or left blank). */
function policyForm(latest, onSaved) {
  const v = latest || {};
  const link = v.score_link || {};
  const rules = v.eligibility || { no_discount_with_alerts: [], require_current_account: true };
  const name = el("input", { type: "text", id: "policy-name", name: "name", required: true, maxLength: 100,
    value: v.name || "" });
  const from = dateInput("policy-from", v.effective_from || todayCst());
  const cap = numberInput("policy-cap", { required: true, min: 0, max: 1000, value: v.cap_bp ?? "" });
  const grades = GRADES.map((g) => numberInput(`policy-grade-${g}`, { min: 0, max: 1000,
    value: v.grade_discount_bp?.[g] ?? "" }));
  const base = numberInput("policy-base-score", { min: 0, max: 100, value: link.base_score ?? "" });
  const perPoint = numberInput("policy-bp-per-point", { min: 0, max: 100, value: link.bp_per_point ?? "" });
  const alerts = ALERT_CODES.map((code) => el("input", { type: "checkbox", id: `policy-alert-${code}`, value: code,
    checked: rules.no_discount_with_alerts.includes(code) }));
  const current = el("input", { type: "checkbox", id: "policy-current", checked: rules.require_current_account });
  const status = el("div", { id: "policy-status" });
  const check = (box, text) => el("label", { class: "check", for: box.id }, box, el("span", {}, text));
  const node = el("form", { id: "policy-form", class: "policy-form", onsubmit: async (event) => {
    event.preventDefault();
    const byGrade = Object.fromEntries(GRADES.map((g, i) => [g, grades[i].value])
      .filter(([, x]) => x !== "").map(([g, x]) => [g, Number(x)]));
    if (!Object.keys(byGrade).length) {
      status.replaceChildren(message("warn", t("pricing.needGrade")));
      return;
    }
    const body = {
      name: name.value.trim(), effective_from: from.value, cap_bp: Number(cap.value), grade_discount_bp: byGrade,
      eligibility: { no_discount_with_alerts: alerts.filter((a) => a.checked).map((a) => a.value),
        require_current_account: current.checked },
    };
    if (base.value !== "") body.score_link = { base_score: Number(base.value), bp_per_point: Number(perPoint.value || 0) };
    const button = node.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const saved = await api("/pricing-policies", { method: "POST", json: body });
      status.replaceChildren(message("ok", t("pricing.saved", { version: saved.version, name: saved.name })));
      await onSaved();
    } catch (exc) {
      status.replaceChildren(errorMessage(exc));
    } finally {
      button.disabled = false;
    }
  } },
  el("fieldset", {}, el("legend", {}, t("pricing.policy")),
    field(t("pricing.name"), name), field(t("pricing.effectiveFrom"), from),
    field(`${t("pricing.cap")} (${t("unit.bp")})`, cap)),
  el("fieldset", {}, el("legend", {}, t("pricing.gradeDiscount")),
    GRADES.map((g, i) => field(t("grade.short", { grade: g }), grades[i]))),
  el("fieldset", {}, el("legend", {}, t("pricing.scoreLink")),
    field(t("pricing.baseScore"), base), field(t("pricing.bpPerPoint"), perPoint)),
  el("fieldset", {}, el("legend", {}, t("pricing.eligibility")),
    el("span", { class: "muted" }, t("pricing.noDiscountWith")),
    ALERT_CODES.map((code, i) => check(alerts[i], translated("alertShort", code))),
    check(current, t("pricing.requireCurrent"))),
  el("div", { class: "form-actions" }, submitButton(t("pricing.save")), el("span", { class: "muted" },
    t("pricing.saveHint"))),
  status);
  return node;
}

function quoteResult(q) {
  const parts = t("quote.parts", { grade: fmt.bp(q.grade_bp), score: fmt.bp(q.score_bp) });
  const who = [q.grade ? null : t("common.notRated"), q.score === null || q.score === undefined ? null
    : `${t("field.score")} ${fmt.score(q.score)}`, q.account_year ? t("quote.accountYear", { year: q.account_year })
    : null, t("quote.policy", { version: q.policy_version })].filter(Boolean).join(" · ");
  return [
    cards(
      card(t("quote.baseRate"), fmt.rate(q.base_rate_pct), t("quote.on", { day: q.on }), "base_rate"),
      card(t("quote.discount"), fmt.bp(q.discount_bp), parts, "discount"),
      card(t("quote.finalRate"), fmt.rate(q.final_rate_pct), null, "final_rate"),
      card(t("quote.eligible"), yesNo(q.eligible), null, "eligible"),
    ),
    el("p", {}, q.grade ? gradeWithFlags(q.grade, null, q.flags) : null, " ", el("span", { class: "muted" }, who)),
    el("h3", {}, t("quote.reasons")),
    el("ol", { class: "reasons", id: "quote-reasons" }, q.reasons.map((r) => el("li", {}, r))),
  ];
}

export async function pricingPage() {
  const [policies, consents] = await Promise.all([api("/pricing-policies"), api("/consents").catch(() => [])]);
  const list = el("div", { id: "policy-list" }, policyTable(policies));
  const editor = el("div", { id: "policy-editor" });
  async function reload() {
    const fresh = await api("/pricing-policies");
    list.replaceChildren(policyTable(fresh));
  }
  editor.append(policyForm(policies[policies.length - 1], reload));

  const codes = [...new Set(consents.filter((c) => c.live).map((c) => c.credit_code))].sort();
  const code = el("input", { type: "text", id: "quote-code", class: "code", name: "credit_code", required: true,
    maxLength: 18,
    pattern: "[0-9A-Z]{18}", placeholder: t("field.credit_code"), autocomplete: "off" });
  code.setAttribute("list", "quote-codes");
  const base = numberInput("quote-base", { required: true, min: 0, max: 100, step: "0.01", placeholder: "3.45" });
  const on = dateInput("quote-on", todayCst());
  const result = el("div", { id: "quote-result" });
  const quoteForm = form("quote-form", async () => {
    result.replaceChildren(message("info", t("common.loading")));
    try {
      const q = await api("/quotes", { method: "POST", json: { credit_code: code.value.trim(),
        base_rate_pct: Number(base.value), on: on.value } });
      result.replaceChildren(...quoteResult(q));
    } catch (exc) {
      result.replaceChildren(errorMessage(exc, { notFound: t("quote.noPolicy", { day: on.value }) }));
    }
  }, field(t("field.credit_code"), code), el("datalist", { id: "quote-codes" },
    codes.map((c) => el("option", { value: c }))),
  field(`${t("quote.baseRate")} (%)`, base), field(t("quote.day"), on), submitButton(t("quote.submit")));

  return [
    section(t("pricing.title"), el("p", { class: "muted" }, t("pricing.intro")), list),
    section(t("pricing.newVersion"), editor),
    section(t("quote.title"), el("p", { class: "muted" }, t("quote.intro")), quoteForm, result),
  ];
}

// ---------------------------------------------------------------- loans, pricings, interest saved

function historyTable(rows) {
  return table([
    { key: "pricing_id", label: t("op.id"), numeric: true },
    { key: "effective_on", label: t("loans.effectiveOn") },
    { key: "policy_version", label: t("pricing.version"), numeric: true },
    { key: "account_year", label: t("quote.account"), numeric: true },
    { key: "grade", label: t("field.grade"), numeric: true, format: (r) => (r.grade ? gradeBadge(r.grade) : null) },
    { key: "score", label: t("field.score"), numeric: true, format: (r) => fmt.score(r.score) },
    cols.rate("base_rate_pct", t("quote.baseRate")),
    cols.bp("discount_bp", t("quote.discount")),
    cols.rate("final_rate_pct", t("quote.finalRate")),
    { key: "priced_at", label: t("loans.pricedAt"), format: (r) => fmt.time(r.priced_at) },
    { key: "priced_by", label: t("loans.pricedBy") },
    { key: "reasons", label: t("quote.reasons"), value: (r) => r.reasons.join("; "),
      format: (r) => el("ul", { class: "reasons" }, r.reasons.map((x) => el("li", {}, x))) },
  ], [...rows].reverse(), { csvName: `pricing-${rows[0]?.loan_id || "loan"}.csv`, empty: t("loans.notPriced") });
}

function interestView(records, through) {
  if (!records.length) return [message("info", t("interest.none", { through }))];
  const total = records.reduce((s, r) => s + r.interest_saved_cny, 0);
  const byMonth = new Map();
  for (const r of records) byMonth.set(r.month, (byMonth.get(r.month) || 0) + r.interest_saved_cny);
  const months = [...byMonth.keys()].sort();
  return [
    cards(
      card(t("field.interest_saved_cny"), fmt.cny(total), t("interest.through", { through }), "interest_saved"),
      card(t("interest.loans"), fmt.int(new Set(records.map((r) => r.loan_id)).size), null, "loans_discounted"),
      card(t("interest.months"), fmt.int(months.length), null, "months"),
    ),
    barChart(`${t("interest.byMonth")} (${t("unit.cny")})`, months.map((m) => ({ name: m,
      value: +byMonth.get(m).toFixed(2) }))),
    table([
      { key: "loan_id", label: t("loans.loan"), nowrap: true },
      { key: "credit_code", label: t("field.credit_code") },
      { key: "month", label: t("account.month") },
      { key: "days", label: t("interest.days"), numeric: true },
      { key: "average", label: t("interest.average"), unit: t("unit.cny"), numeric: true,
        value: (r) => (r.days ? r.outstanding_cny_days / r.days : null),
        format: (r) => fmt.num(r.days ? r.outstanding_cny_days / r.days : null, 2) },
      cols.cny("interest_saved_cny", t("field.interest_saved_cny")),
    ], records, { csvName: `interest-saved-${through}.csv` }),
  ];
}

export async function loansPage(ctx) {
  const loans = await api("/loans");
  const pricingOn = dateInput("pricing-on", todayCst());
  const status = el("div", { id: "loan-status" });
  const history = el("div", { id: "loan-history" }, message("info", t("loans.pickHistory")));
  const through = dateInput("interest-through", todayCst());
  const interest = el("div", { id: "interest" });

  let asked = 0; // only the newest request draws (a pricing reloads it too)
  async function loadInterest() {
    const id = ++asked;
    interest.replaceChildren(message("info", t("common.loading")));
    try {
      const records = await api(withQuery("/interest-saved", { through: through.value }));
      if (ctx.stale() || id !== asked) return;
      disposeChartsIn(interest);
      interest.replaceChildren(...interestView(records, through.value));
    } catch (exc) {
      if (id === asked) interest.replaceChildren(errorMessage(exc));
    }
  }
  let shown = 0;
  async function showHistory(loanId) {
    const id = ++shown;
    history.replaceChildren(message("info", t("common.loading")));
    try {
      const rows = await api(`/loans/${encodeURIComponent(loanId)}/pricing`);
      if (id === shown) history.replaceChildren(el("h3", {}, t("loans.historyOf", { loan: loanId })), historyTable(rows));
    } catch (exc) {
      if (id === shown) history.replaceChildren(errorMessage(exc));
    }
  }
  async function price(loan, button) {
    button.disabled = true;
    try {
      const p = await api(`/loans/${encodeURIComponent(loan.loan_id)}/pricing`, { method: "POST",
        json: { on: pricingOn.value } });
      const text = t("loans.priced", { loan: p.loan_id, day: p.effective_on, discount: fmt.bp(p.discount_bp),
        rate: fmt.rate(p.final_rate_pct) });
      status.replaceChildren(message("ok", text));
      await Promise.all([showHistory(loan.loan_id), loadInterest()]);
    } catch (exc) {
      status.replaceChildren(errorMessage(exc, { notFound: t("quote.noPolicy", { day: pricingOn.value }) }));
    } finally {
      button.disabled = false;
    }
  }
  const actions = (loan) => el("span", { class: "actions" },
    el("button", { type: "button", class: "btn btn-small btn-primary", dataset: { action: "price", loan: loan.loan_id },
      onclick: (event) => price(loan, event.currentTarget) }, t("loans.price")),
    el("button", { type: "button", class: "btn btn-small", dataset: { action: "history", loan: loan.loan_id },
      onclick: () => showHistory(loan.loan_id) }, t("loans.history")));
  const list = table([
    { key: "loan_id", label: t("loans.loan"), nowrap: true },
    { key: "credit_code", label: t("field.credit_code") },
    { key: "product", label: t("loans.product") },
    cols.cny("principal_cny", t("loan.principal")),
    cols.cny("outstanding_cny", t("loan.outstanding")),
    { key: "as_of", label: t("loans.asOf") },
    { key: "drawn_on", label: t("loans.drawnOn") },
    { key: "maturity_on", label: t("loans.maturityOn") },
    cols.rate("base_rate_pct", t("quote.baseRate")),
    { key: "actions", label: t("consent.actions"), value: () => null, format: actions },
  ], loans, { csvName: "loans.csv", empty: t("loans.none") });

  await loadInterest();
  const interestForm = form("interest-form", loadInterest, field(t("interest.throughLabel"), through),
    submitButton(t("common.show")));
  return [
    section(t("loans.title"), el("p", { class: "muted" }, t("loans.intro")),
      el("div", { class: "inline-form" }, field(t("loans.pricingDay"), pricingOn)), status,
      el("div", { id: "loan-list" }, list)),
    section(t("loans.historyTitle"), history),
    section(t("interest.title"), el("p", { class: "muted" }, t("interest.intro")), interestForm, interest),
  ];
}

// ---------------------------------------------------------------- financed emissions (PCAF)

function feGroupTable(rows, label, text, name) {
  return table([
    { key: "group", label, value: text },
    { key: "loans", label: t("loan.count"), numeric: true },
    { key: "loans_covered", label: t("fe.loansCoveredCol"), numeric: true },
    cols.cny("outstanding_cny", t("loan.outstanding")),
    cols.share("coverage", t("fe.coverage")),
    cols.tco2("financed_emissions_t", t("fe.financed")),
    cols.intensity("waci_t_per_10k_cny", t("fe.waci")),
  ], rows, { csvName: name });
}

export async function financedPage(ctx) {
  const year = ctx.year;
  const r = await api(withQuery("/financed-emissions", { year }));
  const l = lang();
  const tot = r.totals;
  const dq = r.data_quality;
  const status = el("div", { id: "fe-status" });
  const perMillion = (v) => (v === null || v === undefined ? "–" : `${fmt.num(v, 3)} ${t("unit.tco2PerMillion")}`);
  const head = section(t("fe.title"), el("p", { class: "muted" }, t("fe.subtitle", { year, day: r.as_of })),
    cards(
      card(t("fe.financed"), fmt.tco2(tot.financed_emissions_t),
        t("fe.loansCovered", { covered: fmt.int(tot.loans_covered), loans: fmt.int(tot.loans) }), "financed_emissions"),
      card(t("fe.coveredOutstanding"), fmt.cny(tot.covered_outstanding_cny),
        `${t("fe.totalOutstanding")}: ${fmt.cny(tot.outstanding_cny)}`, "covered_outstanding"),
      card(t("fe.coverage"), fmt.pct(tot.coverage), null, "coverage"),
      card(t("fe.economicIntensity"), perMillion(tot.economic_intensity_t_per_million_cny), null,
        "economic_intensity"),
      card(t("fe.waci"), fmt.intensity(tot.waci_t_per_10k_cny), null, "waci"),
      card(t("fe.dataQuality"), fmt.dec(tot.data_quality_score ?? dq.score, 1),
        t(tot.data_quality_score === null ? "fe.dqNoneCovered" : "fe.dqWeighted", { option: dq.option }),
        "data_quality"),
    ),
    el("div", { class: "buttons" },
      downloadButton(t("fe.xlsx"), withQuery("/financed-emissions", { year, format: "xlsx", lang: l }),
        `financed-emissions-${year}.xlsx`, status)), status);
  const reasons = (row) => (row.not_covered || []).map((x) => x[`message_${l}`] || x.message_en);
  const loans = section(t("fe.loans"), el("div", { id: "fe-loans" }, table([
    { key: "loan_id", label: t("loans.loan"), nowrap: true },
    { key: "name", label: t("fe.borrower"), format: (x) => el("a", { href: accountLink(x.credit_code, year) },
      x.name || x.credit_code) },
    { key: "credit_code", label: t("field.credit_code") },
    { key: "industry", label: t("field.industry"), value: (x) => x.industry_code, format: (x) => industryName(x.industry_code) },
    cols.cny("outstanding_cny", t("fe.outstandingOn", { day: r.as_of })),
    cols.cny("total_equity_plus_debt_cny", t("fe.evic")),
    cols.share("attribution_factor", t("fe.attribution"), 2),
    cols.tco2("emissions_t", t("fe.borrowerEmissions")),
    cols.tco2("financed_emissions_t", t("fe.financed")),
    cols.intensity("intensity", t("field.intensity")),
    { key: "data_quality_score", label: t("fe.dqShort"), numeric: true },
    { key: "covered", label: t("fe.covered"), value: (x) => yesNo(x.covered),
      format: (x) => badge(yesNo(x.covered), x.covered ? "ok" : "warn") },
    { key: "not_covered", label: t("fe.notCoveredBecause"), value: (x) => reasons(x).join("; "),
      format: (x) => (reasons(x).length ? el("ul", { class: "reasons" }, reasons(x).map((m) => el("li", {}, m))) : null) },
  ], r.loans, { csvName: `financed-emissions-${year}.csv`, empty: t("fe.noLoans", { day: r.as_of }),
    rowClass: (x) => (x.covered ? null : "not-covered") })));
  const parts = [head, loans];
  if (r.left_out.length) {
    parts.push(section(t("fe.leftOut"), el("div", { id: "fe-left-out" }, table([
      { key: "loan_id", label: t("loans.loan"), nowrap: true },
      { key: "credit_code", label: t("field.credit_code") },
      { key: "reason", label: t("fe.why"), value: (x) => x.reason[`message_${l}`] || x.reason.message_en },
    ], r.left_out, { csvName: `financed-emissions-${year}-left-out.csv` }))));
  }
  if (r.loans.length) {
    const regionName = (g) => (g.name ? `${g.name} (${g.group})` : g.group);
    parts.push(el("div", { class: "two-col" },
      section(t("portfolio.byIndustry"), feGroupTable(r.by_industry, t("field.industry"), (g) => industryName(g.group),
        `financed-emissions-${year}-industry.csv`)),
      section(t("portfolio.byRegion"), feGroupTable(r.by_region, t("field.region"), regionName,
        `financed-emissions-${year}-region.csv`))));
  }
  parts.push(section(t("fe.method"), el("h3", {}, t("fe.dataQualityTitle", { score: dq.score, option: dq.option })),
    el("p", { class: "method", id: "fe-data-quality" }, dq[l] || dq.en),
    el("h3", {}, t("fe.methodTitle")), el("p", { class: "method", id: "fe-method" }, r.method[l] || r.method.en)));
  return parts;
}

// ---------------------------------------------------------------- credit-risk alerts

export async function alertsPage() {
  const events = await api("/alerts");
  const day = dateInput("digest-date", todayCst());
  const status = el("div", { id: "digest-status" });
  const digest = downloadButton(t("alerts.digestCsv"),
    () => withQuery("/alerts/digest", { date: day.value, format: "csv" }), () => `alerts-${day.value}.csv`, status);
  digest.id = "digest-download";
  const enterprises = new Set(events.map((e) => e.credit_code)).size;
  return [
    section(t("alerts.title"), el("p", { class: "muted" }, t("alerts.intro")), cards(
      card(t("alerts.count"), fmt.int(events.length), null, "alerts"),
      card(t("field.enterprises"), fmt.int(enterprises), null, "enterprises"),
      card(t("alerts.newest"), events.length ? events[0].seen_on : "–", null, "newest"),
    ), el("div", { id: "alert-list" }, table([
      { key: "seen_on", label: t("alerts.seenOn") },
      { key: "first_seen_at", label: t("alerts.firstSeen"), format: (e) => fmt.time(e.first_seen_at) },
      { key: "name", label: t("field.name"), format: (e) => el("a", { href: accountLink(e.credit_code, e.year) },
        e.name || e.credit_code) },
      { key: "credit_code", label: t("field.credit_code") },
      { key: "month", label: t("account.month") },
      { key: "code", label: t("alerts.alert"), value: (e) => translated("alert", e.code),
        format: (e) => el("span", { class: "alert" }, translated("alert", e.code)) },
    ], events, { csvName: "alerts.csv", empty: t("alerts.none") }))),
    section(t("alerts.digestTitle"), el("p", { class: "muted" }, t("alerts.digestIntro")),
      el("div", { class: "inline-form" }, field(t("alerts.digestDay"), day), digest), status),
  ];
}
