// Lists paged by the server (issue 17 item 9): a page of rows at a time, sorted on the server over every row,
// a pager with page numbers, and a CSV export of every row in the same order and filter.

import { api, withQuery } from "./api.js";
import { t } from "./i18n.js";
import { el, errorMessage, message, table } from "./ui.js";

/** The page numbers a pager offers around `page` of `pages`: the first, the last, two either side; null: a gap. */
export function pageNumbers(page, pages) {
  const shown = [...new Set([1, page - 2, page - 1, page, page + 1, page + 2, pages])]
    .filter((n) => n >= 1 && n <= pages).sort((a, b) => a - b);
  return shown.flatMap((n, i) => (i && n - shown[i - 1] > 1 ? [null, n] : [n]));
}

/** A pager: previous, page numbers, next, and "page x of y"; `go(n)` opens page n. */
export function pager(page, pages, go) {
  const button = (n, text, label, current = false) => el("button", { type: "button",
    class: current ? "btn btn-small btn-primary" : "btn btn-small", disabled: n < 1 || n > pages || current,
    "aria-label": label, "aria-current": current ? "page" : undefined, dataset: { page: String(n) },
    onclick: () => go(n) }, text);
  return el("nav", { class: "pager", "aria-label": t("list.pages") },
    button(page - 1, "‹", t("list.prev")),
    pageNumbers(page, pages).map((n) => (n === null ? el("span", { class: "pager-gap", "aria-hidden": "true" }, "…")
      : button(n, String(n), t("list.goto", { n }), n === page))),
    button(page + 1, "›", t("list.next")),
    el("span", { class: "muted pager-text" }, t("list.page", { page, pages })));
}

/**
 * A table of a list the server pages: `path` and `params` name the list (GET, answering {items, total}); the
 * columns with a `sort` field sort on the server; `pageSize` rows a page; export: every row (pages of 500) in
 * the same order. Resolves once the first page is drawn; `state` ({page, sort}) is kept across visits by the
 * caller when it passes the same object; onPage(body) is told of each page before it is drawn.
 */
export async function serverTable(columns, path, params, { pageSize = 50, state = {}, csvName, empty, rowLink,
  caption, rowClass, id, onPage } = {}) {
  const box = el("div", { class: "server-list", id: id || undefined });
  const query = (page, size) => withQuery(path, { ...params, page, page_size: size, sort: state.sort || undefined });
  const exportAll = async () => {
    const rows = [];
    for (let page = 1; ; page += 1) {
      const body = await api(query(page, 500));
      rows.push(...body.items);
      if (!body.items.length || rows.length >= body.total) return rows;
    }
  };
  async function draw(page) {
    state.page = page;
    try {
      const body = await api(query(page, pageSize));
      const pages = Math.max(1, Math.ceil(body.total / pageSize));
      if (body.total && !body.items.length && page > 1) return draw(pages); // a page gone since: the last one
      if (onPage) onPage(body);
      box.replaceChildren(table(columns, body.items, { csvName, empty, rowLink, caption, rowClass, server: {
        sort: state.sort, total: body.total, first: (page - 1) * pageSize + 1, exportAll,
        onSort: (sort) => {
          state.sort = sort;
          box.replaceChildren(message("info", t("common.loading")));
          draw(1);
        },
        pager: pages > 1 ? pager(page, pages, (n) => draw(n)) : null,
      } }));
    } catch (exc) {
      box.replaceChildren(errorMessage(exc));
    }
    return box;
  }
  return draw(state.page || 1);
}
