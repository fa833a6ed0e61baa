// DOM building (text only: values never go through innerHTML), number formats with units, sortable and
// exportable tables, ECharts charts, downloads through Blob URLs.

import { api, ApiError, fileName } from "./api.js";
import { QUALIFYING_FLAGS } from "./glossary.js";
import { has, lang, locale, t } from "./i18n.js";

// ---------------------------------------------------------------- DOM

/** An element; `attrs` may hold class, dataset, on* handlers, and any property; children are nodes or text. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key in node && !key.startsWith("aria") && key !== "for") node[key] = value;
    else node.setAttribute(key === "for" ? "for" : key, String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function section(title, ...children) {
  return el("section", { class: "panel" }, title ? el("h2", {}, title) : null, ...children);
}

/** A status message: kind is info, warn, error or ok. */
export function message(kind, text) {
  return el("p", { class: `msg msg-${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

/** What the server said about a failed call, in the page's language: every error answer carries `detail`
 * (English) and `detail_zh` (Chinese) with its `code` (dianta.messages). */
export function detailText(exc) {
  const body = exc instanceof ApiError ? exc.body : null;
  if (lang() === "zh" && body && typeof body.detail_zh === "string" && body.detail_zh) return body.detail_zh;
  return exc.detail;
}

/** A message for a failed API call: 404 of a route not yet offered, 403, anything else. */
export function errorMessage(exc, { notFound } = {}) {
  if (exc instanceof ApiError) {
    if (exc.status === 404) return message("info", notFound || t("common.unavailable"));
    if (exc.status === 403) return message("warn", t("common.forbidden", { detail: detailText(exc) }));
    if (exc.status === 0) return message("error", t("common.networkError"));
    return message("error", t("common.error", { detail: detailText(exc) }));
  }
  return message("error", t("common.error", { detail: String(exc && exc.message ? exc.message : exc) }));
}

/** A headline figure. */
export function card(label, value, extra, field) {
  return el("div", { class: "card", dataset: field ? { field } : undefined }, el("div", { class: "card-label" }, label),
    el("div", { class: "card-value" }, value), extra ? el("div", { class: "card-extra" }, extra) : null);
}

export function cards(...items) {
  return el("div", { class: "cards" }, ...items);
}

let toastTimer;
/** A short notice at the bottom of the page. */
export function toast(text, kind = "ok") {
  const node = document.getElementById("toast");
  node.className = `toast toast-${kind} show`;
  node.textContent = text;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => node.classList.remove("show"), 4000);
}

// ---------------------------------------------------------------- numbers with units

function number(value, digits, minDigits = digits) {
  return new Intl.NumberFormat(locale(), { minimumFractionDigits: minDigits, maximumFractionDigits: digits })
    .format(value);
}

const blank = (v) => v === null || v === undefined || Number.isNaN(v);

export const fmt = {
  int: (v) => (blank(v) ? "–" : number(v, 0)),
  num: (v, digits = 2) => (blank(v) ? "–" : number(v, digits)),
  /** kWh below 10,000 as kWh, else MWh with one decimal. */
  energy: (kwh) => {
    if (blank(kwh)) return "–";
    return Math.abs(kwh) < 10_000 ? `${number(kwh, 0)} ${t("unit.kwh")}` : `${number(kwh / 1000, 1, 1)} ${t("unit.mwh")}`;
  },
  kwh: (kwh) => (blank(kwh) ? "–" : `${number(kwh, 0)} ${t("unit.kwh")}`),
  tco2: (v) => (blank(v) ? "–" : `${number(v, 2, 2)} ${t("unit.tco2")}`),
  intensity: (v) => (blank(v) ? "–" : `${number(v, 3, 3)} ${t("unit.intensity")}`),
  /** a share 0–1 as a percentage with one decimal (or `digits`) */
  pct: (share, digits = 1) => (blank(share) ? "–" : `${number(share * 100, digits, digits)} %`),
  signedPct: (share) => (blank(share) ? "–" : `${share > 0 ? "+" : ""}${number(share * 100, 1, 1)} %`),
  score: (v) => (blank(v) ? t("common.notRated") : number(v, 1)),
  /** an amount in CNY with thousands separators and two decimals */
  cny: (v) => (blank(v) ? "–" : `${number(v, 2, 2)} ${t("unit.cny")}`),
  /** an interest rate in percent: two to three decimals */
  rate: (v) => (blank(v) ? "–" : `${number(v, 3, 2)} %`),
  /** basis points (0.01 %), up to one decimal */
  bp: (v) => (blank(v) ? "–" : `${number(v, 1, 0)} ${t("unit.bp")}`),
  /** a signed change in basis points */
  signedBp: (v) => (blank(v) ? "–" : `${v > 0 ? "+" : ""}${number(v, 1, 0)} ${t("unit.bp")}`),
  /** a plain number with up to `digits` decimals (no trailing zeros) */
  dec: (v, digits = 2) => (blank(v) ? "–" : number(v, digits, 0)),
  /** an ISO timestamp as local date and time */
  time: (iso) => {
    if (!iso) return "–";
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString(locale(), { hour12: false });
  },
  date: (iso) => (iso ? String(iso).slice(0, 10) : "–"),
  /** an amount in CNY as 亿元 (100 million CNY) with two decimals: programme-scale amounts */
  yi: (v) => (blank(v) ? "–" : `${number(v / 1e8, 2, 2)} ${t("unit.yi")}`),
  /** an amount in CNY as 万元 (10,000 CNY) with two decimals */
  wan: (v) => (blank(v) ? "–" : `${number(v / 1e4, 2, 2)} ${t("unit.wan")}`),
  /** tonnes of CO2 as 万吨 (10,000 t) with two decimals */
  wanTonnes: (v) => (blank(v) ? "–" : `${number(v / 1e4, 2, 2)} ${t("unit.wanTco2")}`),
};

/** Today in China Standard Time as YYYY-MM-DD: the day the API takes when none is given. */
export function todayCst() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit",
    day: "2-digit" }).format(new Date());
}

/** A labelled form field: the label text above its input. */
export function field(label, input, extra) {
  return el("label", { class: "field" }, el("span", {}, label), input, extra || null);
}

/** A short badge (flagged, eligible…): kind picks the colour. */
export function badge(text, kind = "info") {
  return el("span", { class: `badge badge-${kind}` }, text);
}

// grade colours (app.css --g1…--g5): the badges' text has a WCAG AA contrast of 4.5:1 or more on each
// (white on 1 and 5, dark on 2, 3 and 4: tests/test_web_contrast.py computes it)
export const GRADE_COLOURS = { 1: "#1a7f37", 2: "#7cc36e", 3: "#e3b30b", 4: "#ef8a2c", 5: "#c53030" };
export const COLOUR_OF_GRADE = { 1: "dark_green", 2: "light_green", 3: "yellow", 4: "orange", 5: "red" };

/** "2级 · 浅绿" / "Grade 2 · light green"; "not rated" without a grade. */
export function gradeText(grade, colour) {
  if (!grade) return t("common.notRated");
  return t("grade.label", { grade, colour: t(`colour.${colour || COLOUR_OF_GRADE[grade]}`) });
}

/** A coloured grade badge. */
export function gradeBadge(grade, colour) {
  const badge = el("span", { class: `grade grade-${grade || 0}` }, gradeText(grade, colour));
  return badge;
}

/** The flags of `flags` that qualify a grade (METHODOLOGY.md §7b; the list is the glossary's), in its order. */
export function qualifyingFlags(flags) {
  const present = new Set(flags || []);
  return QUALIFYING_FLAGS.filter((f) => present.has(f));
}

/** A grade badge with the flags that qualify it beneath (§7b: shown wherever the grade is shown). */
export function gradeWithFlags(grade, colour, flags) {
  const notes = grade ? qualifyingFlags(flags) : [];
  if (!notes.length) return gradeBadge(grade, colour);
  return el("span", { class: "grade-with-flags" }, gradeBadge(grade, colour),
    el("ul", { class: "grade-flags", "aria-label": t("field.label.flags") },
      notes.map((f) => el("li", { class: "grade-flag", "data-flag": f }, translated("flag", f)))));
}

export function industryName(code) {
  const letter = String(code || "").slice(0, 1).toUpperCase();
  return has(`industry.${letter}`) ? `${letter} ${t(`industry.${letter}`)}` : letter || "–";
}

export function translated(prefix, code) {
  return has(`${prefix}.${code}`) ? t(`${prefix}.${code}`) : code;
}

// ---------------------------------------------------------------- tables

/** Numeric columns: the unit in the header, plain numbers in the cells, base units in the CSV. */
const scaled = (v, factor) => (blank(v) ? null : v * factor);
export const cols = {
  energy: (key, label) => ({ key, label, unit: t("unit.mwh"), csvUnit: t("unit.kwh"), numeric: true,
    format: (r) => fmt.num(scaled(r[key], 1 / 1000), 1) }),
  tco2: (key, label) => ({ key, label, unit: t("unit.tco2"), numeric: true, format: (r) => fmt.num(r[key], 2) }),
  intensity: (key, label) => ({ key, label, unit: t("unit.intensity"), numeric: true, format: (r) => fmt.num(r[key], 3) }),
  share: (key, label, digits = 1) => ({ key, label, unit: "%", numeric: true,
    value: (r) => (blank(r[key]) ? null : +(r[key] * 100).toFixed(4)),
    format: (r) => fmt.num(scaled(r[key], 100), digits) }),
  cny: (key, label) => ({ key, label, unit: t("unit.cny"), numeric: true, format: (r) => fmt.num(r[key], 2) }),
  /** CNY shown in 亿元 / 万元 (the CSV keeps CNY) */
  yi: (key, label) => ({ key, label, unit: t("unit.yi"), csvUnit: t("unit.cny"), numeric: true,
    format: (r) => fmt.num(scaled(r[key], 1e-8), 2) }),
  wan: (key, label) => ({ key, label, unit: t("unit.wan"), csvUnit: t("unit.cny"), numeric: true,
    format: (r) => fmt.num(scaled(r[key], 1e-4), 2) }),
  bp: (key, label) => ({ key, label, unit: t("unit.bp"), numeric: true, format: (r) => fmt.dec(r[key], 1) }),
  rate: (key, label) => ({ key, label, unit: "%", numeric: true,
    format: (r) => (blank(r[key]) ? "–" : number(r[key], 3, 2)) }),
};

/** The CSV header and rows of `rows` under `columns` (the unit of the CSV in each header, raw values). */
export function tableCsv(columns, rows) {
  const raw = (col, row) => (col.value ? col.value(row) : row[col.key]);
  return csv(columns.map((c) => (c.csvUnit || c.unit ? `${c.label} (${c.csvUnit || c.unit})` : c.label)),
    rows.map((r) => columns.map((c) => raw(c, r))));
}

/**
 * A sortable table with a CSV export button.
 * columns: [{key, label, unit (in the header), csvUnit (in the CSV header, default unit), value(row) -> raw value
 * (sorting, CSV), format(row) -> text or node, numeric, nowrap, sort (the server's sort field of a server-side
 * list)}]; rowClass(row) -> a class of the row's <tr>, or null.
 * server (a list paged by the server, see lists.js): {sort ("-score"), onSort(sort), total, first (the number of
 * the page's first row), exportAll() (every row, in the server's order), pager (a node)}: only the columns with
 * a `sort` field sort, and they sort every row on the server; the export writes every row, not only the page.
 */
export function table(columns, rows, { csvName, empty, rowLink, caption, rowClass, server } = {}) {
  const wrap = el("div", { class: "table-wrap" });
  if (!rows.length) {
    wrap.append(message("info", empty || t("common.noRows")));
    return wrap;
  }
  const raw = (col, row) => (col.value ? col.value(row) : row[col.key]);
  let sortKey = null;
  let ascending = true;
  const tbody = el("tbody");
  const headers = columns.map((col) => {
    const serverField = server ? col.sort : undefined;
    const sortable = !server || serverField;
    const th = el("th", { scope: "col", class: [col.numeric ? "num" : null, sortable ? "sortable" : null]
      .filter(Boolean).join(" ") || null, tabIndex: sortable ? 0 : undefined, dataset: { key: col.key },
    title: sortable ? t(server ? "list.serverSortHint" : "common.sortHint") : undefined },
    col.unit ? `${col.label} (${col.unit})` : col.label);
    if (!sortable) return th;
    if (server && server.sort && server.sort.replace(/^-/, "") === serverField) {
      th.setAttribute("aria-sort", server.sort.startsWith("-") ? "descending" : "ascending");
    }
    const sort = () => {
      if (server) {
        const descending = server.sort === serverField; // a second click on the ascending column: descending
        server.onSort(descending ? `-${serverField}` : serverField);
        return;
      }
      ascending = sortKey === col.key ? !ascending : true;
      sortKey = col.key;
      for (const other of headers) other.removeAttribute("aria-sort");
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      render();
    };
    th.addEventListener("click", sort);
    th.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        sort();
      }
    });
    return th;
  });
  const collator = new Intl.Collator(locale(), { numeric: true });
  function ordered() {
    if (sortKey === null) return rows;
    const col = columns.find((c) => c.key === sortKey);
    const sign = ascending ? 1 : -1;
    return [...rows].sort((a, b) => {
      const x = raw(col, a);
      const y = raw(col, b);
      if (blank(x) && blank(y)) return 0;
      if (blank(x)) return 1; // blanks last either way
      if (blank(y)) return -1;
      if (typeof x === "number" && typeof y === "number") return sign * (x - y);
      return sign * collator.compare(String(x), String(y));
    });
  }
  function render() {
    tbody.replaceChildren(...ordered().map((row) => {
      const tr = el("tr", { class: rowClass ? rowClass(row) : null }, columns.map((col) => {
        const shown = col.format ? col.format(row) : raw(col, row);
        const cls = [col.numeric ? "num" : null, col.nowrap ? "nowrap" : null].filter(Boolean).join(" ");
        return el("td", { class: cls || null }, blank(shown) ? "–" : shown);
      }));
      if (rowLink) {
        tr.classList.add("link-row");
        tr.addEventListener("click", (event) => {
          if (!event.target.closest("a,button")) location.hash = rowLink(row);
        });
      }
      return tr;
    }));
  }
  render();
  const exportButton = el("button", { type: "button", class: "btn btn-small", onclick: async (event) => {
    const button = event.currentTarget;
    if (!server) {
      downloadText(tableCsv(columns, ordered()), csvName || "export.csv", "text/csv;charset=utf-8");
      return;
    }
    button.disabled = true;
    button.textContent = t("list.exporting");
    try {
      downloadText(tableCsv(columns, await server.exportAll()), csvName || "export.csv", "text/csv;charset=utf-8");
    } catch (exc) {
      toast(errorMessage(exc).textContent, "error");
    } finally {
      button.disabled = false;
      button.textContent = t("common.exportCsv");
    }
  }, title: server ? t("list.exportAll") : undefined }, t("common.exportCsv"));
  const count = server ? t("list.rows", { total: number(server.total, 0), from: number(server.first, 0),
    to: number(server.first + rows.length - 1, 0) }) : t("common.rows", { n: rows.length });
  append(wrap, [
    el("div", { class: "table-tools" }, el("span", { class: "muted table-count" }, count), exportButton),
    el("div", { class: "table-scroll", tabIndex: 0, role: "region", "aria-label": caption || t("list.table") },
      el("table", { class: "data" }, caption ? el("caption", {}, caption) : null,
        el("thead", {}, el("tr", {}, headers)), tbody)),
    server && server.pager ? server.pager : null,
  ]);
  return wrap;
}

/** Text that starts like a spreadsheet formula (= + - @ TAB CR): the server's exports write it with a leading
 * quote, so a spreadsheet shows it as text and never runs it (safe_text in dianta/accounts/export.py). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** A text value neutralised as safe_text does; numbers and anything else unchanged. */
export function safeText(value) {
  return typeof value === "string" && FORMULA_START.test(value) ? `'${value}` : value;
}

/** CSV text (RFC 4180) with a UTF-8 byte-order mark, so spreadsheet programs read the Chinese text; text cells
 * that start like a formula are neutralised (safeText). */
export function csv(header, rows) {
  const cell = (v) => {
    if (blank(v)) return "";
    const s = safeText(typeof v === "object" ? JSON.stringify(v) : v);
    const text = String(s);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return `\ufeff${[header, ...rows].map((r) => r.map(cell).join(",")).join("\r\n")}\r\n`;
}

// ---------------------------------------------------------------- downloads

export function downloadBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = el("a", { href: url, download: name, class: "hidden" });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function downloadText(text, name, type) {
  downloadBlob(new Blob([text], { type }), name);
}

/** Fetch a file from the API with the Authorization header and save it; returns the file name. */
export async function downloadFromApi(path, fallbackName) {
  const response = await api(path, { raw: true });
  const name = fileName(response, fallbackName);
  downloadBlob(await response.blob(), name);
  return name;
}

/** A button that downloads `path`, reporting success or the reason in `status` (`path` and `fallbackName` may be
 * functions, called at each click: a path made from a form's fields). */
export function downloadButton(label, path, fallbackName, status, { notFound, forbidden } = {}) {
  const now = (x) => (typeof x === "function" ? x() : x);
  return el("button", { type: "button", class: "btn", onclick: async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    try {
      const name = await downloadFromApi(now(path), now(fallbackName));
      status.replaceChildren(message("ok", t("account.downloaded", { file: name })));
    } catch (exc) {
      if (exc instanceof ApiError && exc.status === 403 && forbidden) {
        status.replaceChildren(message("warn", forbidden(detailText(exc))));
      } else {
        status.replaceChildren(errorMessage(exc, { notFound }));
      }
    } finally {
      button.disabled = false;
    }
  } }, label);
}

// ---------------------------------------------------------------- charts (ECharts, local copy)

const charts = new Set();
const observer = new ResizeObserver((entries) => {
  for (const entry of entries) {
    const chart = echarts.getInstanceByDom(entry.target);
    if (chart) chart.resize();
  }
});

/** The text alternative of a chart (WCAG 1.1.1): its title, or the heading of the panel it is in, and the values
 * of its first series (category charts and pies; up to 24 values). */
export function chartText(option, box) {
  const heading = box && box.closest(".panel") ? box.closest(".panel").querySelector("h2, h3") : null;
  const titled = [option.title].flat().find((x) => x && x.text);
  const title = (titled && titled.text) || (heading && heading.textContent) || "";
  const series = [option.series].flat().find((x) => x && Array.isArray(x.data));
  const axes = [option.xAxis, option.yAxis].flat().filter(Boolean);
  const categories = (axes.find((a) => a.type === "category" && Array.isArray(a.data)) || {}).data;
  const value = (d) => (d && typeof d === "object" && !Array.isArray(d) ? d.value : d);
  const shown = (v) => (typeof v === "number" ? number(v, 2, 0) : Array.isArray(v) ? v.map(shown).join(", ") : v);
  const pairs = series ? series.data.slice(0, 24).map((d, i) => {
    const name = (d && d.name) || (categories && categories[i]);
    const v = value(d);
    return blank(v) ? null : name !== undefined ? `${name} ${shown(v)}` : String(shown(v));
  }).filter(Boolean) : [];
  const head = title ? t("a11y.chart", { title }) : t("a11y.chartUntitled");
  return pairs.length ? `${head}${lang() === "zh" ? "：" : ": "}${pairs.join(lang() === "zh" ? "；" : "; ")}` : head;
}

/** An ECharts chart in a new box; tooltips are drawn on the canvas (no inline HTML styles: strict CSP). The box is
 * an image to assistive technology, its text alternative `label` or chartText's. */
export function chart(option, { tall = false, label } = {}) {
  const first = label || chartText(option, null);
  const box = el("div", { class: tall ? "chart chart-tall" : "chart", role: "img", "aria-label": first });
  const full = {
    animation: false,
    color: ["#2f7d6d", "#7cc36e", "#e3b30b", "#ef8a2c", "#4e79a7", "#d64545", "#8c6bb1", "#9aa5a2"],
    textStyle: { fontFamily: "'Noto Sans CJK SC', 'Noto Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif" },
    tooltip: { trigger: "axis", renderMode: "richText" },
    grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
    ...option,
  };
  // ECharts needs the box in the page to measure it: draw once it is attached (a page is attached when all its
  // data has arrived; a box never attached, of a page left meanwhile, is given up after about ten seconds)
  let frames = 0;
  const draw = () => {
    if (!box.isConnected) {
      if (++frames < 600) requestAnimationFrame(draw);
      return;
    }
    // with the heading of its panel, unless the caller gave or set its own text
    if (!label && box.getAttribute("aria-label") === first) box.setAttribute("aria-label", chartText(option, box));
    const instance = echarts.init(box, null, { renderer: "canvas", locale: lang() === "zh" ? "ZH" : "EN" });
    instance.setOption(full);
    charts.add(instance);
    observer.observe(box);
    box.dataset.ready = "true";
  };
  requestAnimationFrame(draw);
  return box;
}

/** Dispose the charts inside `node` (before a part of a page is drawn again). */
export function disposeChartsIn(node) {
  for (const instance of [...charts]) {
    const dom = instance.getDom();
    if (dom && node.contains(dom)) {
      observer.unobserve(dom);
      instance.dispose();
      charts.delete(instance);
    }
  }
}

/** Dispose every chart (before a page is replaced). */
export function disposeCharts() {
  for (const instance of charts) {
    const dom = instance.getDom();
    if (dom) observer.unobserve(dom);
    instance.dispose();
  }
  charts.clear();
}

/** A bar chart of groups: [{name, value, colour?}] */
export function barChart(title, items, { unit = "", horizontal = false, percent = false, counts = false, max,
  interval } = {}) {
  const names = items.map((i) => i.name);
  const values = items.map((i) => ({ value: percent ? +(i.value * 100).toFixed(2) : i.value,
    itemStyle: i.colour ? { color: i.colour } : undefined }));
  const category = { type: "category", data: names,
    axisLabel: horizontal ? { width: 150, overflow: "truncate" } : { interval: 0, hideOverlap: true } };
  const valueAxis = { type: "value", name: percent ? "%" : unit, minInterval: counts ? 1 : undefined, max, interval,
    splitNumber: horizontal ? 4 : undefined, axisLabel: { hideOverlap: true } };
  return chart({
    title: title ? { text: title, textStyle: { fontSize: 14 } } : undefined,
    grid: { left: 8, right: 24, top: title ? 40 : 16, bottom: 8, containLabel: true },
    xAxis: horizontal ? valueAxis : category,
    yAxis: horizontal ? { ...category, inverse: true } : valueAxis,
    series: [{ type: "bar", data: values, barMaxWidth: 56, itemStyle: { color: "#2f7d6d" } }],
  });
}

export function pieChart(title, items) {
  return chart({
    title: { text: title, textStyle: { fontSize: 14 } },
    tooltip: { trigger: "item", renderMode: "richText" },
    legend: { bottom: 0, type: "scroll" },
    series: [{ type: "pie", radius: ["35%", "65%"], top: 30, bottom: 30,
      data: items.map((i) => ({ name: i.name, value: i.value, itemStyle: i.colour ? { color: i.colour } : undefined })) }],
  });
}
