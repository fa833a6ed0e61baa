// The bank officer's one-page credit view of an enterprise (issue 17): should this firm get a discount, and why.
// The decision comes first (GET /credit/{code}: grade, score and flags in words, eligible or not, the suggested
// discount and the rate it gives, the server's reasons in the page's language), then the bank's loans to the firm
// (price one, after a confirmation), the alerts (acknowledge, assign to a colleague), a rate quote, the report
// download with its progress, and the account's details below.

import { api, ApiError, fileName, withQuery } from "./api.js";
import { loadLabel } from "./bank.js";
import { lang, locale, t } from "./i18n.js";
import {
  badge, card, cards, detailText, downloadBlob, el, errorMessage, field, fmt, gradeText, industryName, message, section, table,
  todayCst, translated,
} from "./ui.js";

const enc = encodeURIComponent;
const blank = (v) => v === null || v === undefined || Number.isNaN(v);

/** An amount in 万元 (10k CNY) with two decimals. */
const wan = (cny) => (blank(cny) ? "–" : `${new Intl.NumberFormat(locale(), { minimumFractionDigits: 2,
  maximumFractionDigits: 2 }).format(cny / 10_000)} ${t("credit.wan")}`);
/** A reason of the server ({code, message_en, message_zh}) in the page's language. */
const said = (r) => (lang() === "zh" ? r.message_zh : r.message_en);
/** A refusal of the server, as it said it in the page's language (a 404 here names what is missing: a loan, a
 * policy; errorMessage would say "not offered"). */
function refusal(exc) {
  if (exc instanceof ApiError && exc.body && exc.status > 0) {
    return message(exc.status === 403 ? "warn" : "error", detailText(exc));
  }
  return errorMessage(exc);
}
const bytes = (n) => (n < 1024 ? `${n} B` : `${fmt.num(n / 1024, 1)} KB`);

// ---------------------------------------------------------------- the decision

function decisionPanel(v, reload) {
  const q = v.quote;
  const flags = v.flags.length ? v.flags.map((f) => translated("flag", f)).join("；") : t("credit.flagsNone");
  const meta = el("p", { class: "muted", id: "credit-who" }, el("span", { id: "account-code" }, v.credit_code),
    ` · ${industryName(v.industry_code)} · `,
    v.account_year ? t("credit.account", { year: v.account_year }) : t("credit.noAccount"));
  let verdict;
  let kind;
  if (!q) {
    verdict = t("credit.noPolicy", { why: said(v.no_policy) });
    kind = "warn";
  } else if (q.eligible) {
    verdict = q.final_rate_pct === null
      ? t("credit.verdictYesNoRate", { discount: fmt.bp(q.discount_bp) })
      : t("credit.verdictYes", { discount: fmt.bp(q.discount_bp), rate: fmt.rate(q.final_rate_pct) });
    kind = "ok";
  } else {
    const why = q.explained.filter((r) => !["policy", "rate"].includes(r.code)).map(said).join("；");
    verdict = t("credit.verdictNo", { why });
    kind = "warn";
  }
  const base = !q ? null : v.base_rate_source === "none" ? t("credit.baseNone")
    : t(v.base_rate_source === "loan" ? "credit.baseFromLoan" : "credit.baseGiven", { rate: fmt.rate(q.base_rate_pct) });
  const rateInput = el("input", { type: "number", id: "credit-base", name: "base_rate_pct", min: 0, max: 100,
    step: "0.01", value: q && q.base_rate_pct !== null ? q.base_rate_pct : "" });
  const rateForm = el("form", { class: "inline-form", id: "credit-base-form", onsubmit: (event) => {
    event.preventDefault();
    reload(rateInput.value === "" ? null : Number(rateInput.value));
  } }, field(t("credit.baseRate"), rateInput),
  el("button", { type: "submit", class: "btn btn-small" }, t("credit.recompute")));
  const label = el("div", { class: "label-box", id: "label-box" }, message("info", t("common.loading")));
  if (v.account_year) loadLabel(v.credit_code, v.account_year, label);
  else label.replaceChildren(message("info", t("account.labelUnavailable")));
  return el("section", { class: "panel decision", id: "decision", "aria-labelledby": "account-name" },
    el("div", { class: "decision-head" }, el("div", {}, el("h1", { id: "account-name" }, v.name || v.credit_code), meta),
      label),
    el("p", { class: `msg msg-${kind} decision-verdict`, id: "decision-verdict", role: "status" },
      el("strong", { id: "decision-eligible" }, q && q.eligible ? t("credit.eligible") : t("credit.notEligible")),
      " ", verdict),
    cards(
      card(t("field.grade"), el("span", { id: "account-grade", class: `grade grade-${v.grade || 0}` },
        gradeText(v.grade, v.colour)), el("span", { id: "credit-flags" }, flags), "grade"),
      card(t("field.score"), el("span", { id: "account-score" }, fmt.score(v.score)), null, "score"),
      card(t("credit.discount"), el("span", { id: "decision-discount" }, q ? fmt.bp(q.discount_bp) : "–"),
        q ? t("credit.policy", { version: q.policy_version, day: q.on }) : null, "discount"),
      card(t("credit.rate"), el("span", { id: "decision-rate" }, q ? fmt.rate(q.final_rate_pct) : "–"), base, "rate"),
    ),
    el("h3", {}, t("credit.why")),
    el("ol", { class: "reasons", id: "decision-reasons" },
      (q ? q.explained : [v.no_policy]).map((r) => el("li", { dataset: { code: r.code } }, said(r)))),
    rateForm);
}

// ---------------------------------------------------------------- the bank's loans, priced after a confirmation

function confirmDialog() {
  const text = el("p", { id: "price-text" });
  const day = el("input", { type: "date", id: "price-day", name: "on", required: true, value: todayCst() });
  const status = el("div", { id: "price-dialog-status" });
  const ok = el("button", { type: "submit", class: "btn btn-primary", id: "price-confirm", value: "confirm" },
    t("credit.confirm"));
  const cancel = el("button", { type: "button", class: "btn", id: "price-cancel" }, t("common.cancel"));
  const dialog = el("dialog", { id: "price-dialog", class: "dialog", "aria-labelledby": "price-title" },
    el("form", { method: "dialog" }, el("h2", { id: "price-title" }, t("credit.confirmTitle")),
      field(t("credit.confirmDay"), day), text, status, el("div", { class: "buttons" }, ok, cancel)));
  cancel.addEventListener("click", () => dialog.close("cancel"));
  return { dialog, day, text, status, ok };
}

function loansPanel(v, reload, status) {
  const box = confirmDialog();
  let current = null;
  async function preview() {
    box.status.replaceChildren();
    box.text.textContent = t("common.loading");
    box.ok.disabled = true;
    try {
      const q = await api("/quotes", { method: "POST", json: { credit_code: v.credit_code,
        base_rate_pct: current.base_rate_pct, on: box.day.value } });
      box.text.textContent = t("credit.confirmText", { version: q.policy_version, loan: current.loan_id,
        discount: fmt.bp(q.discount_bp), rate: fmt.rate(q.final_rate_pct), day: box.day.value });
      box.ok.disabled = false;
    } catch (exc) {
      box.text.textContent = "";
      box.status.replaceChildren(refusal(exc));
    }
  }
  box.day.addEventListener("change", () => current && preview());
  box.dialog.addEventListener("close", async () => {
    if (box.dialog.returnValue !== "confirm" || !current) return;
    const loan = current;
    current = null;
    try {
      const p = await api(`/loans/${enc(loan.loan_id)}/pricing`, { method: "POST", json: { on: box.day.value } });
      await reload();
      status.replaceChildren(message("ok", t("credit.priced", { loan: p.loan_id, discount: fmt.bp(p.discount_bp),
        rate: fmt.rate(p.final_rate_pct), day: p.effective_on })));
    } catch (exc) {
      status.replaceChildren(refusal(exc));
    }
  });
  function ask(loan) {
    current = loan;
    status.replaceChildren();
    box.day.value = todayCst();
    box.dialog.showModal();
    preview();
  }
  const pricing = (r) => (blank(r.discount_bp) ? t("credit.notPriced")
    : t("credit.pricedFrom", { discount: fmt.bp(r.discount_bp), rate: fmt.rate(r.final_rate_pct), day: r.priced_on }));
  const list = table([
    { key: "loan_id", label: t("loans.loan"), nowrap: true },
    { key: "product", label: t("credit.product"), value: (r) => r.product || "–" },
    { key: "outstanding_cny", label: t("credit.outstanding"), unit: t("credit.wan"), numeric: true,
      format: (r) => fmt.num(r.outstanding_cny / 10_000, 2) },
    { key: "maturity_on", label: t("credit.maturity"),
      format: (r) => (r.matured ? el("span", {}, r.maturity_on, " ", badge(t("credit.matured"), "warn")) : r.maturity_on) },
    { key: "base_rate_pct", label: t("quote.baseRate"), numeric: true, format: (r) => fmt.rate(r.base_rate_pct) },
    { key: "pricing", label: t("credit.pricing"), value: pricing },
    { key: "interest_saved_cny", label: t("credit.saved"), unit: t("credit.wan"), numeric: true,
      format: (r) => fmt.num(r.interest_saved_cny / 10_000, 2) },
    { key: "actions", label: t("consent.actions"), value: () => null,
      format: (r) => el("button", { type: "button", class: "btn btn-small btn-primary",
        dataset: { action: "price", loan: r.loan_id }, onclick: () => ask(r) }, t("credit.price")) },
  ], v.loans, { csvName: `loans-${v.credit_code}.csv`, empty: t("credit.loansNone") });
  return section(t("credit.loans"),
    cards(card(t("credit.outstanding"), wan(v.outstanding_cny), t("credit.loanCount", { n: v.loans.length }),
      "outstanding"),
    card(t("credit.saved"), wan(v.interest_saved_cny), t("credit.savedThrough", { day: v.on }), "interest_saved")),
    status, el("div", { id: "credit-loans" }, list), box.dialog);
}

// ---------------------------------------------------------------- alerts: acknowledge, assign

function alertsPanel(v, reload, status) {
  const name = (a) => `${a.month} ${translated("alert", a.code)}`;
  async function act(a, action, assignee) {
    try {
      await api(`/alerts/${action}`, { method: "POST", json: { credit_code: a.credit_code, year: a.year,
        code: a.code, month: a.month, assignee } });
      await reload();
      status.replaceChildren(message("ok", action === "assign" ? t("credit.assignedMsg", { alert: name(a), who: assignee })
        : t("credit.acknowledgedMsg", { alert: name(a) })));
    } catch (exc) {
      status.replaceChildren(refusal(exc));
    }
  }
  const state = (a) => (a.acknowledged_at
    ? t("credit.acknowledged", { who: a.acknowledged_by, when: fmt.time(a.acknowledged_at) }) : t("credit.open"));
  const actions = (a) => {
    const who = el("select", { "aria-label": t("credit.assignTo"), dataset: { role: "assignee" } },
      v.assignees.map((u) => el("option", { value: u.username, selected: u.username === a.assignee }, u.username)));
    return el("span", { class: "actions" },
      a.acknowledged_at ? null : el("button", { type: "button", class: "btn btn-small", dataset: { action: "acknowledge" },
        onclick: () => act(a, "acknowledge") }, t("credit.acknowledge")),
      who, el("button", { type: "button", class: "btn btn-small", dataset: { action: "assign" },
        onclick: () => act(a, "assign", who.value) }, t("credit.assign")));
  };
  return section(t("field.alerts"), status, el("div", { id: "credit-alerts" }, table([
    { key: "month", label: t("credit.alertMonth") },
    { key: "code", label: t("credit.alertKind"), value: (a) => translated("alert", a.code) },
    { key: "seen_on", label: t("credit.alertSeen") },
    { key: "status", label: t("credit.alertStatus"), value: state,
      format: (a) => badge(state(a), a.acknowledged_at ? "ok" : "warn") },
    { key: "assignee", label: t("credit.assignee"), value: (a) => a.assignee || t("credit.unassigned") },
    { key: "actions", label: t("consent.actions"), value: () => null, format: actions },
  ], v.alerts, { csvName: `alerts-${v.credit_code}.csv`, empty: t("credit.alertsNone") })));
}

// ---------------------------------------------------------------- a quote

function quotePanel(v) {
  const base = el("input", { type: "number", id: "credit-quote-base", name: "base_rate_pct", required: true, min: 0,
    max: 100, step: "0.01", value: v.quote && v.quote.base_rate_pct !== null ? v.quote.base_rate_pct : "" });
  const day = el("input", { type: "date", id: "credit-quote-on", name: "on", required: true, value: v.on });
  const result = el("div", { id: "credit-quote-result" });
  const form = el("form", { class: "inline-form", id: "credit-quote-form", onsubmit: async (event) => {
    event.preventDefault();
    result.replaceChildren(message("info", t("common.loading")));
    try {
      const q = await api("/quotes", { method: "POST", json: { credit_code: v.credit_code,
        base_rate_pct: Number(base.value), on: day.value } });
      result.replaceChildren(el("p", { id: "credit-quote-text" }, t("credit.quoteResult", {
        discount: fmt.bp(q.discount_bp), rate: fmt.rate(q.final_rate_pct),
        eligible: q.eligible ? t("credit.eligible") : t("credit.notEligible") })),
      el("ol", { class: "reasons" }, q.explained.map((r) => el("li", {}, said(r)))));
    } catch (exc) {
      result.replaceChildren(refusal(exc));
    }
  } }, field(t("credit.baseRate"), base), field(t("credit.quoteDay"), day),
  el("button", { type: "submit", class: "btn btn-primary" }, t("credit.quoteSubmit")));
  return section(t("credit.quote"), el("p", { class: "muted" }, t("credit.quoteIntro")), form, result);
}

// ---------------------------------------------------------------- the report, with its progress

/** Fetch `path` with the token, showing the bytes received as they arrive, then save the file. */
async function download(path, fallback, progress) {
  const response = await api(path, { raw: true });
  const name = fileName(response, fallback);
  const chunks = [];
  let received = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    progress.replaceChildren(el("span", { class: "spinner", "aria-hidden": "true" }),
      t("credit.receiving", { size: bytes(received) }));
  }
  downloadBlob(new Blob(chunks, { type: response.headers.get("Content-Type") || "" }), name);
  return { name, received };
}

function reportPanel(v, year) {
  const progress = el("div", { class: "report-progress", id: "report-progress", role: "status", "aria-live": "polite" });
  const button = (label, format) => el("button", { type: "button", class: "btn", dataset: { format },
    onclick: async (event) => {
      const b = event.currentTarget;
      b.disabled = true;
      progress.replaceChildren(el("span", { class: "spinner", "aria-hidden": "true" }),
        t("credit.receiving", { size: bytes(0) }));
      try {
        const got = await download(withQuery(`/accounts/${enc(v.credit_code)}/${year}/report`, { format, lang: lang() }),
          `${v.credit_code}-${year}-${lang()}.${format}`, progress);
        progress.replaceChildren(message("ok", t("credit.received", { file: got.name, size: bytes(got.received) })));
      } catch (exc) {
        progress.replaceChildren(exc instanceof ApiError && exc.status === 403
          ? message("warn", t("credit.reportForbidden", { detail: detailText(exc) })) : refusal(exc));
      } finally {
        b.disabled = false;
      }
    } }, label);
  return section(t("credit.report"), el("div", { class: "buttons", id: "credit-report" },
    button(t("credit.reportPdf"), "pdf"), button(t("credit.reportHtml"), "html")), progress);
}

// ---------------------------------------------------------------- the page

/** The credit view of `code` (the bank's account page); `details` renders the account's own sections below. */
export async function creditView(ctx, code, year, details) {
  const holder = el("div", { class: "credit-view" });
  const loanStatus = el("div", { id: "loan-status" });
  const alertStatus = el("div", { id: "alert-status" });
  let baseRate = null;
  async function draw(rate = baseRate) {
    baseRate = rate;
    const v = await api(withQuery(`/credit/${enc(code)}`, { base_rate_pct: rate }));
    if (ctx.stale()) return;
    holder.replaceChildren(decisionPanel(v, (r) => draw(r).catch(showError)), loansPanel(v, () => draw(), loanStatus),
      alertsPanel(v, () => draw(), alertStatus), quotePanel(v), reportPanel(v, v.account_year || year));
  }
  const showError = (exc) => holder.replaceChildren(section(t("credit.title"), refusal(exc)));
  await draw();
  let rest = [];
  try {
    rest = await details();
  } catch (exc) {
    rest = [section(t("credit.details"), errorMessage(exc))];
  }
  return [holder, ...rest];
}
