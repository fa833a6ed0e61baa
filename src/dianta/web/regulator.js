// Regulator pages: programme statistics and the green-finance programme totals (aggregates only, never one
// enterprise's data).

import { api, withQuery } from "./api.js";
import { t } from "./i18n.js";
import { mapPanel } from "./map.js";
import { headlineView } from "./programme.js";
import {
  barChart, card, cards, cols, disposeChartsIn, el, errorMessage, field, fmt, GRADE_COLOURS, industryName, message,
  pieChart, section, table, todayCst,
} from "./ui.js";

/** Columns of a statistics group table; `group` is the first column (its text also goes into the CSV). */
function groupColumns(group) {
  return [
    group,
    { key: "accounts", label: t("field.accounts"), numeric: true },
    cols.energy("kwh_total", t("field.kwh_total")),
    cols.energy("kwh_green", t("field.kwh_green")),
    cols.share("green_share", t("field.green_share")),
    cols.tco2("emissions_t", t("field.emissions_t")),
  ];
}

const gradeName = (group) => (/^[1-5]$/.test(group) ? t("grade.short", { grade: group }) : t("common.notRated"));

export async function statisticsPage(ctx) {
  const year = ctx.year;
  const stats = await api(withQuery("/statistics", { year }));
  let banks = [];
  try {
    banks = await api(withQuery("/organisations", { kind: "bank" }));
  } catch {
    banks = [];
  }
  const bankName = new Map(banks.map((b) => [b.org_id, b.name]));
  const sum = (key) => stats.by_grade.reduce((s, g) => s + (g[key] || 0), 0);
  const kwhTotal = sum("kwh_total");
  const loans = stats.loans_by_bank || [];
  const head = section(t("stats.title"), el("p", { class: "muted" }, t("stats.subtitle", { year })), cards(
    card(t("field.accounts"), fmt.int(stats.accounts), null, "accounts"),
    card(t("field.kwh_total"), fmt.energy(kwhTotal), null, "kwh_total"),
    card(t("field.emissions_t"), fmt.tco2(sum("emissions_t")), null, "emissions_t"),
    card(t("field.green_share"), fmt.pct(kwhTotal ? sum("kwh_green") / kwhTotal : 0), null, "green_share"),
    card(t("field.loan_outstanding_cny"), fmt.yi(loans.reduce((s, b) => s + b.outstanding_cny, 0)),
      `${t("prog.on", { day: fmt.date(stats.loans_as_of) })}${t("progh.allLoans", {
        n: fmt.int(loans.reduce((s, b) => s + b.loans, 0)) })}`, "outstanding"),
  ));
  const charts = el("div", { class: "grid-3" },
    section(t("stats.byGrade"), barChart(t("field.accounts"), stats.by_grade.map((g) => ({ name: gradeName(g.group),
      value: g.accounts, colour: GRADE_COLOURS[g.group] || "#999" })), { counts: true })),
    section(t("stats.emissionsByIndustry"), barChart(`${t("field.emissions_t")} (${t("unit.tco2")})`,
      stats.by_industry.map((g) => ({ name: industryName(g.group), value: +g.emissions_t.toFixed(2) })),
      { horizontal: true })),
    section(t("stats.byRegion"), pieChart(t("field.accounts"), stats.by_region.map((g) => ({
      name: g.name ? `${g.name} ${g.group}` : g.group, value: g.accounts })))),
  );
  const hasInterest = loans.some((b) => "interest_saved_cny" in b);
  const loanColumns = [
    { key: "bank_id", label: t("loan.bank"), value: (b) => (bankName.has(b.bank_id) ? `${bankName.get(b.bank_id)} (${b.bank_id})` : b.bank_id) },
    { key: "loans", label: t("loan.count"), numeric: true },
    cols.yi("principal_cny", t("loan.principal")),
    cols.yi("outstanding_cny", t("field.loan_outstanding_cny")),
    hasInterest ? cols.wan("interest_saved_cny", t("field.interest_saved_cny")) : null,
  ].filter(Boolean);
  return [
    head,
    charts,
    section(t("stats.byGrade"), table(groupColumns({ key: "group", label: t("field.grade"),
      value: (g) => (/^[1-5]$/.test(g.group) ? Number(g.group) : null), format: (g) => gradeName(g.group) }),
    stats.by_grade, { csvName: `statistics-${year}-grade.csv` })),
    section(t("stats.byIndustry"), table(groupColumns({ key: "group", label: t("field.industry"),
      value: (g) => industryName(g.group) }), stats.by_industry, { csvName: `statistics-${year}-industry.csv` })),
    section(t("stats.byRegion"), table(groupColumns({ key: "group", label: t("field.region"),
      value: (g) => (g.name ? `${g.name} (${g.group})` : g.group) }), stats.by_region,
    { csvName: `statistics-${year}-region.csv` })),
    section(t("stats.loans"), loans.length ? table(loanColumns, loans, { csvName: `loans-${year}.csv` })
      : message("info", t("stats.noLoans"))),
  ];
}

// ---------------------------------------------------------------- programme totals (green finance)

let lastThrough = null;

function programmeColumns(group) {
  return [
    group,
    { key: "loans", label: t("loan.count"), numeric: true },
    { key: "borrowers", label: t("prog.borrowers"), numeric: true },
    { key: "borrowers_with_accounts", label: t("prog.borrowersWithAccounts"), numeric: true },
    cols.yi("principal_cny", t("loan.principal")),
    cols.yi("outstanding_cny", t("field.loan_outstanding_cny")),
    cols.wan("interest_saved_cny", t("field.interest_saved_cny")),
  ];
}

function programmeView(p, bankName) {
  const tot = p.totals;
  const through = p.through;
  const head = section(null, cards(
    card(t("prog.enterprisesWithAccounts"), fmt.int(p.enterprises_with_accounts), null, "enterprises_with_accounts"),
    card(t("loan.count"), fmt.int(tot.loans), t("prog.borrowersText", { n: fmt.int(tot.borrowers),
      m: fmt.int(tot.borrowers_with_accounts) }), "loans"),
    card(t("loan.principal"), fmt.yi(tot.principal_cny), null, "principal"),
    card(t("field.loan_outstanding_cny"), fmt.yi(tot.outstanding_cny), t("prog.on", { day: fmt.date(through) }),
      "outstanding"),
    card(t("field.interest_saved_cny"), fmt.wan(tot.interest_saved_cny), t("interest.through", { through }),
      "interest_saved"),
  ), el("p", { class: "muted", id: "programme-fingerprint" }, t("prog.fingerprint", { fp: p.fingerprint })));
  if (!tot.loans) return [head, section(null, message("info", t("prog.noLoans", { through })))];
  const bankLabel = (g) => (bankName.has(g.group) ? `${bankName.get(g.group)} (${g.group})` : g.group);
  const regionLabel = (g) => (g.name ? `${g.name} (${g.group})` : g.group);
  const wan = (v) => +(Number(v || 0) / 1e4).toFixed(2);
  const yi = (v) => +(Number(v || 0) / 1e8).toFixed(4);
  const charts = el("div", { class: "grid-3" },
    section(t("prog.byBank"), barChart(`${t("field.interest_saved_cny")}（${t("unit.wan")}）`,
      p.by_bank.map((g) => ({ name: bankLabel(g), value: wan(g.interest_saved_cny) })))),
    section(t("prog.byIndustry"), barChart(`${t("field.loan_outstanding_cny")}（${t("unit.yi")}）`,
      p.by_industry.map((g) => ({ name: industryName(g.group), value: yi(g.outstanding_cny) })), { horizontal: true })),
    section(t("prog.byMonth"), barChart(`${t("field.interest_saved_cny")}（${t("unit.wan")}）`,
      p.by_month.map((m) => ({ name: m.month, value: wan(m.interest_saved_cny) })))),
  );
  return [
    head,
    charts,
    section(t("prog.byBank"), el("div", { id: "programme-by-bank" }, table(programmeColumns({ key: "group",
      label: t("loan.bank"), value: bankLabel }), p.by_bank, { csvName: `programme-${through}-bank.csv` }))),
    section(t("prog.byIndustry"), table(programmeColumns({ key: "group", label: t("field.industry"),
      value: (g) => industryName(g.group) }), p.by_industry, { csvName: `programme-${through}-industry.csv` })),
    section(t("prog.byRegion"), table(programmeColumns({ key: "group", label: t("field.region"), value: regionLabel }),
      p.by_region, { csvName: `programme-${through}-region.csv` })),
    section(t("prog.byMonth"), el("div", { id: "programme-by-month" }, table([
      { key: "month", label: t("account.month") },
      { key: "loans_drawn", label: t("prog.loansDrawn"), numeric: true },
      cols.yi("principal_drawn_cny", t("prog.principalDrawn")),
      cols.wan("interest_saved_cny", t("field.interest_saved_cny")),
    ], p.by_month, { csvName: `programme-${through}-month.csv` }))),
  ];
}

export async function programmePage(ctx) {
  const through = el("input", { type: "date", id: "programme-through", name: "through", required: true,
    value: lastThrough || todayCst() });
  const body = el("div", { id: "programme-body" });
  let banks = [];
  try {
    banks = await api(withQuery("/organisations", { kind: "bank" }));
  } catch {
    banks = [];
  }
  const bankName = new Map(banks.map((b) => [b.org_id, b.name]));
  let asked = 0; // only the newest request draws
  async function load() {
    const id = ++asked;
    try {
      const [h, p] = await Promise.all([api(withQuery("/programme/headline", { on: through.value })),
        api(withQuery("/programme/totals", { through: through.value }))]);
      if (ctx.stale() || id !== asked) return;
      lastThrough = through.value;
      disposeChartsIn(body);
      // the headline and its breakdowns (programme.js), then the loan records' totals by month
      body.replaceChildren(...headlineView(h, bankName), section(t("prog.details")), ...programmeView(p, bankName));
      body.dataset.through = p.through;
    } catch (exc) {
      if (id === asked) body.replaceChildren(errorMessage(exc));
    }
  }
  await load();
  const form = el("form", { class: "inline-form", id: "programme-form", onsubmit: async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      await load();
    } finally {
      button.disabled = false;
    }
  } }, field(t("interest.throughLabel"), through), el("button", { type: "submit", class: "btn btn-primary" },
    t("common.show")));
  return [section(t("prog.title"), el("p", { class: "muted" }, t("prog.subtitle")), form), body,
    mapPanel(ctx.year, "regulator")];
}
