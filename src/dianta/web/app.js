// The dashboard shell: login, who am I, the navigation of each role, the language toggle, the year, and a
// hash router (#/page/arg…) that renders one page at a time into <main>.

import { api, ApiError, clearToken, login, logout, setUnauthorisedHandler, token, withQuery } from "./api.js";
import { applyStatic, lang, setLang, t } from "./i18n.js";
import { disposeCharts, el, errorMessage, message } from "./ui.js";
import { accountPage, portfolioPage, searchPage } from "./bank.js";
import { consentsPage, findingsPage, improvePage, myAccountPage } from "./enterprise.js";
import { batchPage, batchesPage, computePage, correctionsPage, intakePage, quarantinePage } from "./operator.js";
import { alertsPage, financedPage, loansPage, pricingPage } from "./finance.js";
import { programmePage, statisticsPage } from "./regulator.js";
import { myParkPage, parkPage, parksPage } from "./park.js";

/** Each role's pages, in navigation order; the first is the role's home. */
const NAV = {
  bank: [["search", "nav.search"], ["portfolio", "nav.portfolio"], ["pricing", "nav.pricing"], ["loans", "nav.loans"],
    ["financed-emissions", "nav.financed"], ["alerts", "nav.alerts"]],
  enterprise: [["my-account", "nav.myAccount"], ["improve", "nav.improve"], ["findings", "nav.findings"],
    ["consents", "nav.consents"]],
  regulator: [["statistics", "nav.statistics"], ["programme", "nav.programme"], ["parks", "nav.parks"]],
  operator: [["batches", "nav.batches"], ["intake", "nav.intake"], ["quarantine", "nav.quarantine"],
    ["corrections", "nav.corrections"],
    ["compute", "nav.compute"], ["search", "nav.accounts"], ["statistics", "nav.statistics"],
    ["programme", "nav.programme"], ["parks", "nav.parks"]],
  park: [["my-park", "nav.myPark"]],
};

/** Page name → renderer and the roles that may open it (the API decides in the end). */
const PAGES = {
  search: { render: searchPage, roles: ["bank", "operator"] },
  account: { render: accountPage, roles: ["bank", "operator", "enterprise"] },
  portfolio: { render: portfolioPage, roles: ["bank"] },
  pricing: { render: pricingPage, roles: ["bank"] },
  loans: { render: loansPage, roles: ["bank"] },
  "financed-emissions": { render: financedPage, roles: ["bank"] },
  alerts: { render: alertsPage, roles: ["bank"] },
  "my-account": { render: myAccountPage, roles: ["enterprise"] },
  improve: { render: improvePage, roles: ["enterprise"] },
  findings: { render: findingsPage, roles: ["enterprise"] },
  consents: { render: consentsPage, roles: ["enterprise"] },
  statistics: { render: statisticsPage, roles: ["regulator", "operator"] },
  programme: { render: programmePage, roles: ["regulator", "operator"] },
  intake: { render: intakePage, roles: ["operator"] },
  batches: { render: batchesPage, roles: ["operator"] },
  batch: { render: batchPage, roles: ["operator"] },
  quarantine: { render: quarantinePage, roles: ["operator"] },
  corrections: { render: correctionsPage, roles: ["operator"] },
  compute: { render: computePage, roles: ["operator"] },
  parks: { render: parksPage, roles: ["regulator", "operator"] },
  park: { render: parkPage, roles: ["regulator", "operator"] },
  "my-park": { render: myParkPage, roles: ["park"] },
};

/** Pages reached from a navigation entry: the entry stays highlighted. */
const PARENT = { account: "search", batch: "batches", park: "parks" };

const YEAR_KEY = "dianta.year";
const state = { me: null, year: null, years: [], renderId: 0 };

const $ = (id) => document.getElementById(id);

function parseHash() {
  const [name, ...args] = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  return { name: name || "", args };
}

/** The years on record (GET /years: those with published accounts, newest first) and the most recent of them,
 * unless the user picked one this session. */
async function detectYear() {
  try {
    state.years = await api("/years");
  } catch {
    state.years = []; // the pages say when a year has no accounts
  }
  const saved = Number(sessionStorage.getItem(YEAR_KEY));
  if (saved >= 1901 && saved <= 2199) return saved;
  return state.years.length ? state.years[0] : new Date().getFullYear() - 1;
}

/** The year choice: the years with published accounts, then the later years up to this one (loans and financed
 * emissions run ahead of the accounts), marked as having no accounts yet (issue 17 item 9). */
function renderYears() {
  const select = $("year");
  const published = new Set(state.years);
  const newest = state.years.length ? Math.max(...state.years) : state.year;
  const later = [];
  for (let y = new Date().getFullYear(); y > newest; y -= 1) later.push(y);
  const years = [...new Set([...later, ...state.years, state.year])].filter(Boolean).sort((a, b) => b - a);
  select.replaceChildren(...years.map((y) => el("option", { value: String(y), selected: y === state.year },
    published.has(y) ? String(y) : t("year.noAccounts", { year: y }))));
  select.title = state.years.length ? "" : t("year.none");
}

function setYear(year) {
  state.year = year;
  sessionStorage.setItem(YEAR_KEY, String(year));
  renderYears();
}

function renderNav() {
  const nav = $("nav");
  const current = parseHash().name;
  const active = PARENT[current] || current;
  nav.replaceChildren(...(NAV[state.me.role] || []).map(([name, key]) => el("a", {
    href: `#/${name}`, class: active === name ? "active" : null, "aria-current": current === name ? "page" : null,
    dataset: { page: name } }, t(key))));
}

function renderUser() {
  const me = state.me;
  $("who").textContent = `${me.actor} · ${t(`role.${me.role}`)}${me.org_id ? ` · ${me.org_id}` : ""}`;
}

/** Render the page the hash names (or the role's home). */
async function route() {
  if (!state.me) return;
  let { name, args } = parseHash();
  let page = PAGES[name];
  if (!page || !page.roles.includes(state.me.role)) {
    // an unknown page, or one of another role: the role's home (replaceState fires no hashchange)
    name = NAV[state.me.role][0][0];
    args = [];
    page = PAGES[name];
    history.replaceState(null, "", `#/${name}`);
  }
  renderNav();
  disposeCharts();
  const id = ++state.renderId;
  const root = el("div", { class: "page", dataset: { page: name } }, message("info", t("common.loading")));
  $("main").replaceChildren(root);
  const ctx = { me: state.me, year: state.year, args, root, stale: () => id !== state.renderId };
  try {
    const content = await page.render(ctx);
    if (!ctx.stale()) root.replaceChildren(...[content].flat());
  } catch (exc) {
    if (!ctx.stale()) root.replaceChildren(errorMessage(exc));
  } finally {
    if (!ctx.stale()) root.dataset.ready = "true";
  }
}

function showLogin(notice) {
  state.me = null;
  disposeCharts();
  document.body.classList.remove("signed-in");
  $("nav").replaceChildren();
  $("app").hidden = true;
  $("login").hidden = false;
  $("main").replaceChildren();
  const status = $("login-status");
  status.replaceChildren(...(notice ? [message("warn", notice)] : []));
  $("username").focus();
}

async function enter() {
  state.me = await api("/me");
  $("login").hidden = true;
  $("app").hidden = false;
  document.body.classList.add("signed-in");
  $("password").value = "";
  renderUser();
  setYear(await detectYear());
  document.body.dataset.role = state.me.role;
  await route();
}

function applyLanguage() {
  applyStatic();
  $("lang").textContent = t("lang.toggle");
  $("lang").lang = lang() === "zh" ? "en" : "zh";
  if (state.me) {
    renderUser();
    renderYears();
    route();
  }
}

function wire() {
  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = $("login-status");
    const button = $("login-submit");
    button.disabled = true;
    status.replaceChildren();
    try {
      await login($("username").value.trim(), $("password").value);
      sessionStorage.removeItem(YEAR_KEY);
      await enter();
    } catch (exc) {
      clearToken();
      status.replaceChildren(exc instanceof ApiError && exc.status === 401
        ? message("error", t("login.failed")) : errorMessage(exc));
    } finally {
      button.disabled = false;
    }
  });
  $("logout").addEventListener("click", async () => {
    try {
      await logout();
    } catch {
      // the browser has forgotten the token either way; it expires on the server
    }
    sessionStorage.removeItem(YEAR_KEY);
    history.replaceState(null, "", location.pathname);
    showLogin();
  });
  $("lang").addEventListener("click", () => {
    setLang(lang() === "zh" ? "en" : "zh");
    applyLanguage();
  });
  $("year-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const year = Number($("year").value);
    if (year >= 1901 && year <= 2199) {
      setYear(year);
      route();
    }
  });
  $("year").addEventListener("change", () => $("year-form").requestSubmit());
  // the skip link moves the focus to the page (the hash is the router's: it stays as it is)
  $("skip-link").addEventListener("click", (event) => {
    event.preventDefault();
    const target = state.me ? $("main") : $("username");
    target.focus();
  });
  window.addEventListener("hashchange", route);
  setUnauthorisedHandler(() => {
    clearToken();
    showLogin(t("login.expired"));
  });
}

async function start() {
  wire();
  applyLanguage();
  if (!token()) {
    showLogin();
    return;
  }
  try {
    await enter();
  } catch {
    clearToken();
    showLogin();
  }
}

start();
