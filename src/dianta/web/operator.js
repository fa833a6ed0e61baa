// Operator pages: batches and their findings, the quarantine, corrections, recalculation.

import { api, withQuery } from "./api.js";
import { lang, t } from "./i18n.js";
import { findingColumns } from "./enterprise.js";
import { barChart, card, cards, el, errorMessage, fmt, GRADE_COLOURS, message, section, table, translated } from "./ui.js";
// the operator's intake (issue 17): upload with a preview, refused batches, quarantine re-sent, diffs, dry run
import { correctionsDiffPage, dryRunPanel, intakePage } from "./intake.js";
import { serverTable } from "./lists.js";

export { intakePage };

const COUNT_KINDS = ["new", "unchanged", "corrected", "quarantined"];
const totalOf = (batch, kind) => Object.values(batch.counts || {}).reduce((s, c) => s + (c[kind] || 0), 0);
const batchHash = (b) => `#/batch/${b.batch_id}`;

const batchList = {}; // the page and sort of the batch list, kept while the operator opens a batch and comes back

export async function batchesPage() {
  // paged and sorted by the server; the export writes every batch (lists.js)
  return section(t("op.batchesTitle"), await serverTable([
    { key: "batch_id", label: t("finding.batch"), numeric: true, sort: "batch_id",
      format: (b) => el("a", { href: batchHash(b) }, String(b.batch_id)) },
    { key: "received_at", label: t("op.receivedAt"), format: (b) => fmt.time(b.received_at), sort: "received_at" },
    { key: "received_by", label: t("op.receivedBy"), sort: "received_by" },
    { key: "reason", label: t("op.reason") },
    { key: "status", label: t("op.status"), value: (b) => translated("status", b.status), sort: "status" },
    ...["new", "corrected", "quarantined"].map((kind) => ({ key: kind, label: t(`op.${kind}`), numeric: true,
      value: (b) => totalOf(b, kind), format: (b) => fmt.int(totalOf(b, kind)) })),
    { key: "warnings", label: t("op.warnings"), numeric: true },
  ], "/batches", {}, { pageSize: 50, state: batchList, csvName: "batches.csv", rowLink: batchHash,
    empty: t("op.noBatches"), id: "batch-list" }));
}

export async function batchPage(ctx) {
  const id = Number(ctx.args[0]);
  const [batch, findings, quarantined] = await Promise.all([
    api(`/batches/${id}`), api(`/batches/${id}/findings`), api(withQuery("/quarantine", { batch_id: id }))]);
  const counts = Object.entries(batch.counts || {}).map(([name, c]) => ({ table: name, ...c }));
  return [
    section(t("op.batch", { id }), el("a", { href: "#/batches", class: "back" }, `‹ ${t("common.back")}`), cards(
      card(t("op.status"), translated("status", batch.status), null, "status"),
      card(t("op.receivedAt"), fmt.time(batch.received_at), batch.received_by, "received_at"),
      card(t("op.warnings"), fmt.int(batch.warnings), null, "warnings"),
      card(t("op.quarantined"), fmt.int(totalOf(batch, "quarantined")), null, "quarantined"),
    ), batch.reason ? el("p", {}, `${t("op.reason")}: `, batch.reason) : null),
    section(t("op.counts"), table([
      { key: "table", label: t("finding.table") },
      ...COUNT_KINDS.map((kind) => ({ key: kind, label: t(`op.${kind}`), numeric: true, format: (c) => fmt.int(c[kind]) })),
    ], counts, { csvName: `batch-${id}-counts.csv` })),
    section(t("op.findings"), el("div", { id: "batch-findings" }, table(findingColumns({ withBatch: false }), findings,
      { csvName: `batch-${id}-findings.csv`, empty: t("op.noFindings") }))),
    section(t("op.quarantineTitle"), quarantineTable(quarantined)),
  ];
}

function reasonsText(reasons) {
  const l = lang();
  return (reasons || []).map((r) => (r && typeof r === "object" ? `${r.code}${r.column ? ` (${r.column}${r.header ? ` · ${r.header}` : ""})` : ""}: ${r[l] || r.en || ""}` : String(r))).join("; ");
}

function quarantineTable(rows) {
  return table([
    { key: "quarantine_id", label: t("op.id"), numeric: true },
    { key: "batch_id", label: t("finding.batch"), numeric: true,
      format: (q) => el("a", { href: `#/batch/${q.batch_id}` }, String(q.batch_id)) },
    { key: "table", label: t("finding.table") },
    { key: "file", label: t("finding.file") },
    { key: "row", label: t("finding.row"), numeric: true },
    { key: "n_rows", label: t("op.nRows"), numeric: true },
    { key: "reasons", label: t("op.reasons"), value: (q) => reasonsText(q.reasons) },
    { key: "state", label: t("op.state") },
  ], rows, { csvName: "quarantine.csv", empty: t("op.noQuarantine") });
}

export async function quarantinePage() {
  return section(t("op.quarantineTitle"), quarantineTable(await api("/quarantine")));
}

export async function correctionsPage() {
  return correctionsDiffPage(); // each changed column as old → new, with who, when and why (intake.js)
}

/** The accounts marked for recalculation (GET /accounts/stale). */
async function stalePanel() {
  try {
    const rows = await api("/accounts/stale");
    return section(t("op.stale"), el("div", { id: "stale-accounts" }, table([
      { key: "credit_code", label: t("field.credit_code") },
      { key: "year", label: t("common.year"), numeric: true },
    ], rows, { csvName: "stale-accounts.csv", empty: t("op.noStale") })));
  } catch (exc) {
    return section(t("op.stale"), errorMessage(exc));
  }
}

export async function computePage(ctx) {
  const year = el("input", { type: "number", id: "compute-year", name: "year", min: 1901, max: 2199, required: true,
    value: String(ctx.year) });
  const profile = el("input", { type: "text", id: "compute-profile", name: "profile", value: "default",
    maxLength: 64, required: true });
  const result = el("div", { id: "compute-result" });
  const field = (label, input) => el("label", { class: "field" }, el("span", {}, label), input);
  const form = el("form", { class: "inline-form", id: "compute-form", onsubmit: async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    result.replaceChildren(message("info", t("op.running")));
    try {
      const r = await api("/compute", { method: "POST", json: { year: Number(year.value), profile: profile.value } });
      const grades = Object.entries(r.by_grade).map(([g, n]) => ({ name: /^[1-5]$/.test(g) ? t("grade.short", { grade: g })
        : t("common.notRated"), value: n, colour: GRADE_COLOURS[g] || "#999" }));
      result.replaceChildren(message("ok", t("op.computed", { run: r.run_id, n: r.accounts })),
        barChart(t("stats.byGrade"), grades, { counts: true }));
      const fresh = await stalePanel(); // the run settled the year's marks
      stale.replaceWith(fresh);
      stale = fresh;
    } catch (exc) {
      result.replaceChildren(errorMessage(exc));
    } finally {
      button.disabled = false;
    }
  } }, field(t("common.year"), year), field(t("field.profile_id"), profile),
  el("button", { type: "submit", class: "btn btn-primary" }, t("op.run")));
  let stale = await stalePanel();
  return [dryRunPanel(ctx.year), section(t("op.computeTitle"), el("p", { class: "muted" }, t("op.computeIntro")), form, result),
    stale];
}
