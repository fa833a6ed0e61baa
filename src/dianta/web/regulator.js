// Regulator page: programme statistics (aggregates only, never one enterprise's data).

import { api, withQuery } from "./api.js";
import { t } from "./i18n.js";
import { barChart, card, cards, cols, el, fmt, GRADE_COLOURS, industryName, message, pieChart, section, table } from "./ui.js";

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
    card(t("stats.greenShare"), fmt.pct(kwhTotal ? sum("kwh_green") / kwhTotal : 0), null, "green_share"),
    card(t("loan.outstanding"), fmt.cny(loans.reduce((s, b) => s + b.outstanding_cny, 0)),
      `${t("loan.count")}: ${fmt.int(loans.reduce((s, b) => s + b.loans, 0))}`, "outstanding"),
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
    cols.cny("principal_cny", t("loan.principal")),
    cols.cny("outstanding_cny", t("loan.outstanding")),
    hasInterest ? cols.cny("interest_saved_cny", t("loan.interestSaved")) : null,
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
