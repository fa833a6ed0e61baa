// Enterprise pages: its own account, what to improve, data-quality findings, consents to banks.

import { api, ApiError, withQuery } from "./api.js";
import { lang, t } from "./i18n.js";
import { accountView } from "./bank.js";
import {
  card, cards, el, errorMessage, field, fmt, gradeText, message, section, table, toast, todayCst, translated,
} from "./ui.js";

const own = (ctx) => ctx.me.credit_code;

export async function myAccountPage(ctx) {
  return accountView(ctx, own(ctx), ctx.year);
}

// ---------------------------------------------------------------- data quality

export function findingColumns({ withBatch = true } = {}) {
  const msg = `message_${lang()}`;
  return [
    withBatch ? { key: "batch_id", label: t("finding.batch"), numeric: true } : null,
    withBatch ? { key: "received_at", label: t("finding.received"), format: (f) => fmt.time(f.received_at) } : null,
    { key: "severity", label: t("finding.severity"), value: (f) => f.severity,
      format: (f) => el("span", { class: `sev sev-${f.severity}` }, t(`severity.${f.severity}`)) },
    { key: "code", label: t("finding.code") },
    { key: "file", label: t("finding.file"), value: (f) => f.file || f.table },
    { key: "row", label: t("finding.row"), numeric: true },
    { key: "column", label: t("finding.column"), value: (f) => (f.header ? `${f.column} (${f.header})` : f.column) },
    { key: "value", label: t("finding.value") },
    { key: msg, label: t("finding.message") },
  ].filter(Boolean);
}

export async function findingsPage(ctx) {
  const findings = await api(`/enterprises/${encodeURIComponent(own(ctx))}/findings`);
  return section(t("ent.findingsTitle"), table(findingColumns(), findings,
    { csvName: `findings-${own(ctx)}.csv`, empty: t("ent.noFindings") }));
}

// ---------------------------------------------------------------- consents

export async function consentsPage(ctx) {
  const [consents, banks] = await Promise.all([api("/consents"), api(withQuery("/organisations", { kind: "bank" }))]);
  const bankName = new Map(banks.map((b) => [b.org_id, b.name]));
  const named = (id) => (bankName.has(id) ? `${bankName.get(id)} (${id})` : id);
  const refresh = () => window.dispatchEvent(new HashChangeEvent("hashchange"));

  const bank = el("select", { id: "consent-bank", name: "bank", required: true },
    banks.map((b) => el("option", { value: b.org_id }, `${b.name} (${b.org_id})`)));
  const scope = el("select", { id: "consent-scope", name: "scope" },
    ["summary", "reports", "full"].map((s) => el("option", { value: s }, t(`scope.${s}`))));
  const nextYear = new Date();
  nextYear.setFullYear(nextYear.getFullYear() + 1);
  const expires = el("input", { type: "date", id: "consent-expires", name: "expires", required: true,
    value: nextYear.toISOString().slice(0, 10), min: new Date().toISOString().slice(0, 10) });
  const status = el("div", { id: "consent-status" });
  const field = (label, input) => el("label", { class: "field" }, el("span", {}, label), input);
  const form = el("form", { class: "inline-form", id: "consent-form", onsubmit: async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      await api("/consents", { method: "POST", json: { bank_org_id: bank.value, scope: scope.value,
        expires_on: expires.value } });
      toast(t("consent.grantedMsg", { bank: named(bank.value), scope: t(`scope.${scope.value}`) }));
      refresh();
    } catch (exc) {
      status.replaceChildren(errorMessage(exc));
      button.disabled = false;
    }
  } }, field(t("consent.bank"), bank), field(t("consent.scope"), scope), field(t("consent.expires"), expires),
  el("button", { type: "submit", class: "btn btn-primary" }, t("consent.grant")));

  const state = (c) => (c.live ? "live" : c.revoked_at ? "revoked" : "expired");
  function actions(c) {
    if (!c.live) return c.revoked_at ? `${fmt.time(c.revoked_at)} · ${c.revoked_by || ""}` : "";
    const cell = el("span", { class: "actions" });
    const revoke = el("button", { type: "button", class: "btn btn-small btn-danger", dataset: { consent: c.consent_id },
      onclick: () => cell.replaceChildren(confirm, cancel) }, t("consent.revoke"));
    const confirm = el("button", { type: "button", class: "btn btn-small btn-danger confirm-revoke", onclick: async () => {
      confirm.disabled = true;
      try {
        await api(`/consents/${c.consent_id}`, { method: "DELETE" });
        toast(t("consent.revokedMsg", { bank: named(c.bank_org_id) }));
        refresh();
      } catch (exc) {
        status.replaceChildren(errorMessage(exc));
        confirm.disabled = false;
      }
    } }, t("consent.confirmRevoke"));
    const cancel = el("button", { type: "button", class: "btn btn-small", onclick: () => cell.replaceChildren(revoke) },
      t("common.cancel"));
    cell.append(revoke);
    return cell;
  }
  const list = table([
    { key: "consent_id", label: t("op.id"), numeric: true },
    { key: "bank_org_id", label: t("consent.bank"), value: (c) => named(c.bank_org_id) },
    { key: "scope", label: t("consent.scope"), format: (c) => t(`scope.${c.scope}`) },
    { key: "granted_at", label: t("consent.granted"), format: (c) => fmt.time(c.granted_at) },
    { key: "granted_by", label: t("consent.grantedBy") },
    { key: "expires_on", label: t("consent.expires") },
    { key: "status", label: t("consent.status"), value: (c) => t(`consent.${state(c)}`),
      format: (c) => el("span", { class: `state state-${state(c)}` }, t(`consent.${state(c)}`)) },
    { key: "actions", label: t("consent.actions"), value: () => null, format: actions },
  ], [...consents].sort((a, b) => b.consent_id - a.consent_id), { csvName: "consents.csv", empty: t("consent.none") });
  return [
    section(t("consent.title"), el("p", { class: "muted" }, t("consent.intro")), form, status),
    section(null, el("div", { id: "consent-list" }, list)),
  ];
}

// ---------------------------------------------------------------- what to improve

const ASPECTS = ["intensity", "reduction", "green"];

/** The three aspects with their scores, weakest first; an aspect not rated goes first (rating it is the first
 * step). The order is display only: the advice itself comes from GET /accounts/{code}/{year}/advice. */
function rankedAspects(a) {
  const s = a.aspect_scores || {};
  return ASPECTS.map((aspect) => ({ aspect, score: s[aspect] ?? null }))
    .sort((x, y) => (x.score ?? -1) - (y.score ?? -1));
}

const whatIfPath = (code, year, params = {}) =>
  withQuery(`/accounts/${encodeURIComponent(code)}/${year}/what-if`, params);

/** The levers of GET …/what-if: the green power and the intensity cut that reach the next grade. */
function leverCards(w) {
  const reached = (x) => t("improve.reaches", { score: fmt.dec(x.score, 1), grade: gradeText(x.grade) });
  const items = [];
  if (w.next_grade) {
    items.push(card(t("improve.nextGradeLabel"), gradeText(w.next_grade),
      t("improve.needs", { need: fmt.dec(w.next_grade_score, 1) }), "next_grade"));
  }
  if (w.green) {
    items.push(card(t("improve.extraGreen"), `${fmt.num(w.green.extra_green_kwh / 1000, 1)} ${t("unit.mwh")}`,
      `${t("improve.greenShareTo", { share: fmt.pct(w.green.green_share) })} · ${reached(w.green)}`, "extra_green"));
  }
  if (w.intensity) {
    const cut = w.intensity.emissions_cut_t;
    items.push(card(t("improve.intensityCut"), fmt.pct(w.intensity.reduction),
      [t("improve.intensityTo", { value: fmt.intensity(w.intensity.intensity) }),
        cut === null || cut === undefined ? null : t("improve.emissionsCut", { value: fmt.tco2(cut) }),
        reached(w.intensity)].filter(Boolean).join(" · "), "intensity_cut"));
  }
  if (!w.green && !w.intensity && w.next_grade) items.push(message("info", t("improve.noLever")));
  return items.length ? cards(...items) : null;
}

/** The discount now and at the next grade under a bank's policy. */
function discountView(w, base) {
  const now = w.quote_now;
  const then = w.quote_next_grade;
  const rate = (q) => (base ? `${t("quote.finalRate")}: ${fmt.rate(q.final_rate_pct)}` : null);
  return [
    cards(
      card(t("improve.discountNow"), fmt.bp(now.discount_bp), rate(now), "discount_now"),
      then ? card(t("improve.discountNext"), fmt.bp(then.discount_bp), rate(then), "discount_next") : null,
      then ? card(t("improve.discountGain"), fmt.signedBp(w.discount_gain_bp), null, "discount_gain") : null,
    ),
    then ? null : message("info", t("improve.noLever")),
    el("h3", {}, t("improve.whyNow")),
    el("ol", { class: "reasons", id: "whatif-reasons" }, now.reasons.map((r) => el("li", {}, r))),
  ].filter(Boolean);
}

export async function improvePage(ctx) {
  const code = own(ctx);
  const year = ctx.year;
  // the distance to the next grade (a failure there leaves the rest of the page)
  const asked = api(whatIfPath(code, year)).catch((exc) => ({ error: exc }));
  let a;
  try {
    a = await api(`/accounts/${encodeURIComponent(code)}/${year}`);
  } catch (exc) {
    if (exc instanceof ApiError && exc.status === 404) return section(t("improve.title"), message("info", t("improve.noAccount", { year })));
    throw exc;
  }
  const w = await asked;
  const ranked = rankedAspects(a);
  const [{ advice }, banks] = await Promise.all([
    api(withQuery(`/accounts/${encodeURIComponent(code)}/${year}/advice`, { lang: lang() })),
    api(withQuery("/organisations", { kind: "bank" })).catch(() => []),
  ]);
  const head = (x) => el("div", { class: "advice-head" }, el("strong", {}, translated("aspect", x.aspect)),
    el("span", { class: "muted" }, ` · ${x.score === null ? t("improve.notRated")
      : t("improve.aspectScore", { score: fmt.score(x.score) })}`));

  // the discount a bank's policy would give now and at the next grade
  const named = (id) => {
    const b = banks.find((x) => x.org_id === id);
    return b ? `${b.name} (${id})` : id;
  };
  const bank = el("select", { id: "whatif-bank", name: "bank" }, el("option", { value: "" }, t("improve.noBank")),
    banks.map((b) => el("option", { value: b.org_id }, `${b.name} (${b.org_id})`)));
  const base = el("input", { type: "number", id: "whatif-rate", name: "base_rate_pct", min: 0, max: 100, step: "0.01",
    placeholder: "3.45" });
  const on = el("input", { type: "date", id: "whatif-on", name: "on", required: true, value: todayCst() });
  const result = el("div", { id: "whatif-result" }, message("info", t("improve.pickBank")));
  const form = el("form", { class: "inline-form", id: "whatif-form", onsubmit: async (event) => {
    event.preventDefault();
    if (!bank.value) {
      result.replaceChildren(message("info", t("improve.pickBank")));
      return;
    }
    const button = form.querySelector("button");
    button.disabled = true;
    result.replaceChildren(message("info", t("common.loading")));
    try {
      const answer = await api(whatIfPath(code, year, { bank_id: bank.value, base_rate_pct: base.value, on: on.value }));
      result.replaceChildren(...discountView(answer, base.value !== ""));
    } catch (exc) {
      result.replaceChildren(exc instanceof ApiError && exc.status === 404
        ? message("info", t("improve.noPolicy", { bank: named(bank.value), day: on.value })) : errorMessage(exc));
    } finally {
      button.disabled = false;
    }
  } }, field(t("consent.bank"), bank), field(`${t("quote.baseRate")} (%)`, base), field(t("quote.day"), on),
  el("button", { type: "submit", class: "btn btn-primary" }, t("improve.showDiscount")));

  return [
    section(t("improve.title"),
      el("p", {}, t("improve.intro", { year })),
      el("p", { id: "improve-current" }, t("improve.current", { score: fmt.score(a.score), grade: gradeText(a.grade) }),
        " ", a.grade === 1 ? t("improve.topGrade") : w.next_grade ? t("improve.nextGrade", {
          grade: gradeText(w.next_grade), need: fmt.dec(w.next_grade_score, 1) }) : ""),
      el("div", { id: "levers" }, w.error ? errorMessage(w.error) : leverCards(w)),
      el("ol", { class: "aspects-ranked", id: "aspects" }, ranked.map((x) => el("li", { dataset: { aspect: x.aspect } }, head(x)))),
      el("h3", {}, t("improve.advice")),
      el("ul", { class: "advice", id: "advice" }, advice.map((text) => el("li", {}, text)))),
    section(t("improve.discountTitle"), el("p", { class: "muted" }, t("improve.discountIntro")), form, result),
  ];
}
