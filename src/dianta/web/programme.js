// The regulator's programme view (METHODOLOGY.md §8, issue 17 item 6): the headline as the programme publishes it
// (accounts opened, carbon-account loans issued and their amount, interest saved, to a day), then the same by bank,
// industry division, prefecture and park, each with its yearly trend. Aggregates only: the server pools every cell
// with fewer enterprises than the profile's minimum group size into "other".

import { t } from "./i18n.js";
import { barChart, card, cards, chart, cols, el, fmt, section, table } from "./ui.js";

const yi = (v) => +(Number(v || 0) / 1e8).toFixed(4);
const wan = (v) => +(Number(v || 0) / 1e4).toFixed(2);

/** The headline cards: every figure is the glossary's, each with its as-of day beneath. */
function headlineCards(p) {
  const h = p.headline;
  const on = t("prog.on", { day: fmt.date(p.as_of) });
  return cards(
    card(t("field.accounts_opened"), fmt.int(h.accounts_opened), on, "accounts_opened"),
    card(t("field.carbon_loans"), fmt.int(h.carbon_loans), t("progh.borrowers", { n: fmt.int(h.borrowers) }),
      "carbon_loans"),
    card(t("field.carbon_loan_amount_cny"), fmt.yi(h.carbon_loan_amount_cny), on, "carbon_loan_amount_cny"),
    card(t("field.carbon_loan_outstanding_cny"), fmt.yi(h.carbon_loan_outstanding_cny), on,
      "carbon_loan_outstanding_cny"),
    card(t("field.interest_saved_cny"), fmt.wan(h.interest_saved_cny), on, "interest_saved_cny"),
    card(t("field.loan_outstanding_cny"), fmt.yi(h.loan_outstanding_cny),
      `${on}${t("progh.allLoans", { n: fmt.int(h.loans) })}`, "loan_outstanding_cny"),
  );
}

/** A yearly trend: bars of the carbon-account loans issued (亿元), a line of the interest saved (万元). */
function trendChart(title, trend) {
  const years = trend.map((y) => String(y.year));
  return chart({
    title: { text: title, textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis", renderMode: "richText" },
    legend: { bottom: 0 },
    grid: { left: 8, right: 8, top: 48, bottom: 32, containLabel: true },
    xAxis: { type: "category", data: years },
    yAxis: [{ type: "value", name: t("unit.yi"), axisLabel: { hideOverlap: true } },
      { type: "value", name: t("unit.wan"), axisLabel: { hideOverlap: true } }],
    series: [
      { type: "bar", name: t("field.carbon_loan_amount_cny"), data: trend.map((y) => yi(y.carbon_loan_amount_cny)),
        itemStyle: { color: "#2f7d6d" }, barMaxWidth: 48 },
      { type: "line", name: t("field.interest_saved_cny"), yAxisIndex: 1,
        data: trend.map((y) => wan(y.interest_saved_cny)), itemStyle: { color: "#c77c02" } },
    ],
  });
}

/** The text of a year's trend for the table: "2023：1 笔，0.10 亿元" (a chart's text alternative). */
function trendText(cell) {
  return cell.trend.filter((y) => y.carbon_loans || y.accounts_opened).map((y) => t("progh.trendPoint", {
    year: y.year, n: fmt.int(y.carbon_loans), amount: fmt.yi(y.carbon_loan_amount_cny) })).join(t("progh.sep")) || "–";
}

function cellName(kind, cell, bankName) {
  if (cell.group === "other") return t("progh.other", { n: fmt.int(cell.groups) });
  if (kind === "bank") return bankName.get(cell.group) || cell.group;
  return cell.name || cell.group;
}

function breakdown(kind, cells, p, bankName) {
  const name = (c) => cellName(kind, c, bankName);
  const columns = [
    { key: "group", label: kind === "region" ? t("field.region") : t(`progh.${kind}`), value: name },
    { key: "enterprises", label: t(kind === "bank" ? "prog.borrowers" : "field.enterprises"), numeric: true },
    kind === "bank" ? null : { key: "accounts_opened", label: t("field.accounts_opened"), numeric: true },
    { key: "carbon_loans", label: t("field.carbon_loans"), numeric: true },
    cols.yi("carbon_loan_amount_cny", t("field.carbon_loan_amount_cny")),
    cols.yi("carbon_loan_outstanding_cny", t("field.carbon_loan_outstanding_cny")),
    cols.wan("interest_saved_cny", t("field.interest_saved_cny")),
    kind === "park" ? { key: "park_account", label: t("progh.parkGreen"), numeric: true,
      value: (c) => (c.park_account ? +(c.park_account.green_share * 100).toFixed(1) : null),
      format: (c) => (c.park_account ? `${fmt.pct(c.park_account.green_share)}（${c.park_account.year}）` : "–") } : null,
    kind === "park" ? { key: "park_emissions", label: t("progh.parkEmissions"), numeric: true,
      value: (c) => (c.park_account ? c.park_account.emissions_t : null),
      format: (c) => (c.park_account ? fmt.wanTonnes(c.park_account.emissions_t) : "–") } : null,
    { key: "trend", label: t("progh.trend"), value: trendText },
  ].filter(Boolean);
  const chartItems = cells.map((c) => ({ name: name(c), value: yi(c.carbon_loan_amount_cny) }));
  const totals = p.years.map((year) => ({ year, carbon_loan_amount_cny: 0, interest_saved_cny: 0 }));
  return section(t(`progh.by.${kind}`), el("div", { class: "two-col" },
    barChart(`${t("field.carbon_loan_amount_cny")}（${t("unit.yi")}）`, chartItems, { horizontal: true }),
    trendChart(t("progh.trendTitle"), cells.length ? mergeTrends(cells, totals) : totals)),
  el("div", { id: `programme-by-${kind}-cells` }, table(columns, cells, {
    csvName: `programme-${p.as_of}-${kind}.csv`, empty: t("progh.noCells") })));
}

function mergeTrends(cells, totals) {
  for (const c of cells) {
    c.trend.forEach((y, i) => {
      totals[i].carbon_loan_amount_cny += y.carbon_loan_amount_cny;
      totals[i].interest_saved_cny += y.interest_saved_cny;
    });
  }
  return totals;
}

/** The headline section and the four breakdowns of `p` (GET /programme/headline). */
export function headlineView(p, bankName) {
  return [
    section(t("progh.title"), el("p", { class: "muted", id: "programme-headline-as-of" },
      t("progh.subtitle", { day: fmt.date(p.as_of), n: p.min_group_size })), headlineCards(p),
    el("div", { class: "two-col" }, trendChart(t("progh.trendTitle"), p.headline.trend),
      table([
        { key: "year", label: t("common.year") },
        { key: "accounts_opened_to_date", label: t("field.accounts_opened"), numeric: true },
        { key: "carbon_loans", label: t("field.carbon_loans"), numeric: true },
        cols.yi("carbon_loan_amount_cny", t("field.carbon_loan_amount_cny")),
        cols.yi("carbon_loan_outstanding_cny", t("field.carbon_loan_outstanding_cny")),
        cols.wan("interest_saved_cny", t("field.interest_saved_cny")),
      ], p.headline.trend, { csvName: `programme-${p.as_of}-trend.csv`, caption: t("progh.trendCaption") }))),
    breakdown("bank", p.by_bank, p, bankName),
    breakdown("industry", p.by_industry, p, bankName),
    breakdown("region", p.by_region, p, bankName),
    breakdown("park", p.by_park, p, bankName),
  ];
}
