// The operator's intake (issue 17, item 7): a batch uploaded from the page and checked before it is applied (the
// findings in the page's language), the refused batches kept with their files, the quarantine downloaded with its
// reasons and sent back corrected, corrections as column diffs, and a recomputation tried (dry run: which grades
// would change) before it is confirmed.

import { ApiError, api, token, withQuery } from "./api.js";
import { INPUT_TABLES } from "./glossary.js";
import { CATALOGUE, lang, t } from "./i18n.js";
import { detailText, downloadFromApi, el, errorMessage, field, fmt, gradeText, message, section, table, translated } from "./ui.js";

// ---------------------------------------------------------------- texts (this page's, in both languages)

const TEXT = {
  zh: {
    "nav.intake": "数据接收",
    "intake.title": "上传数据批次",
    "intake.intro": "选择本批次的数据表文件（CSV、XLSX、区间数据 Parquet，或打包成一个 ZIP），先检查再应用：检查只读取账本，不写入任何数据。",
    "intake.files": "文件",
    "intake.reason": "原因（可选）",
    "intake.partial": "部分应用：隔离未通过检查的行，其余行写入账本",
    "intake.check": "检查",
    "intake.checking": "检查中…",
    "intake.apply": "应用批次",
    "intake.applyRefused": "仍然提交（将被拒收并留档）",
    "intake.applying": "正在应用…",
    "intake.noFiles": "请先选择文件。",
    "intake.applicable": "全部 {rows} 行通过检查，可以应用。",
    "intake.partialNote": "有 {rejected} 行未通过检查：应用时这些行进入隔离区，其余行写入账本。",
    "intake.refusedNote": "有 {errors} 项错误：该批次将被整体拒收。请更正文件后重新检查，或勾选“部分应用”隔离有问题的行。",
    "intake.warnings": "另有 {n} 项警告（不影响应用）。",
    "intake.tables": "各表预计变化",
    "intake.rowsRead": "读取行数",
    "intake.rejected": "未通过",
    "intake.findings": "检查结果",
    "intake.noFindings": "没有检查结果：每一行都通过了检查。",
    "intake.applied": "批次 {id} 已应用：新增 {new} 行，更正 {corrected} 行，隔离 {quarantined} 行；{marked} 个账户待重新计算。",
    "intake.unchanged": "该批次与账本中的数据相同，未做任何更改。",
    "intake.refused": "批次 {id} 被拒收，已留档（见下方“被拒收的批次”）；账本未做任何更改。",
    "intake.open": "查看批次",
    "intake.resubmitting": "本次提交将作为隔离条目 {ids} 的更正；应用后这些条目标记为已重新提交。",
    "intake.clearResubmit": "取消",
    "intake.refusedTitle": "被拒收的批次",
    "intake.noRefused": "没有被拒收的批次。",
    "intake.errors": "错误数",
    "intake.filesSent": "所发文件",
    "intake.notKept": "{name}（过大，未保留）",
    "intake.quarantineTitle": "隔离区",
    "intake.quarantineIntro": "未通过检查而被隔离的行：下载含原因的 CSV，在文件中更正（原因列可保留，提交时自动忽略），然后重新提交。",
    "intake.noQuarantine": "隔离区为空。",
    "intake.downloadCsv": "下载 {table}（含原因）",
    "intake.resend": "更正后重新提交 {table}",
    "intake.downloaded": "已下载 {file}。",
    "intake.table": "数据表",
    "intake.row": "行",
    "intake.column": "列",
    "intake.value": "值",
    "intake.message": "说明",
    "intake.severity": "级别",
    "intake.file": "文件",
    "intake.state": "状态",
    "intake.entry": "条目",
    "intake.batch": "批次",
    "intake.rows": "行数",
    "intake.reasons": "原因",
    "intake.receivedAt": "接收时间",
    "intake.receivedBy": "提交人",
    "intake.why": "原因",
    "state.open": "待处理",
    "state.resubmitted": "已重新提交",
    "status.refused": "已拒收",
    "severity.error": "错误",
    "severity.warning": "警告",
    "dryrun.title": "重新计算：先试算，再确认",
    "dryrun.intro": "试算按正式计算的方法计算一个年度的全部账户，但不发布；列出评级或得分将发生变化的企业。确认后才正式计算并发布。",
    "dryrun.run": "试算",
    "dryrun.running": "试算中…",
    "dryrun.summary": "{year} 年试算：{n} 个账户，{changed} 个评级或得分将变化，{same} 个不变（数据截至批次 {batch}）。",
    "dryrun.none": "发布后不会有任何评级或得分变化。",
    "dryrun.confirm": "确认计算并发布 {year} 年",
    "dryrun.confirming": "计算并发布中…",
    "dryrun.published": "计算批次 {run}：已发布 {n} 个账户。",
    "dryrun.creditCode": "统一社会信用代码",
    "dryrun.name": "企业名称",
    "dryrun.grade": "评级（原 → 新）",
    "dryrun.score": "得分（原 → 新）",
    "dryrun.kind": "变化",
    "dryrun.kind.changed": "评级变化",
    "dryrun.kind.score": "仅得分变化",
    "dryrun.kind.added": "新增账户",
    "dryrun.kind.removed": "账户不再计算",
    "dryrun.noAccount": "无账户",
    "corr.changes": "变化（原值 → 新值）",
    "corr.table": "数据表",
    "corr.key": "记录",
    "corr.empty": "（空）",
  },
  en: {
    "nav.intake": "Intake",
    "intake.title": "Upload a batch",
    "intake.intro": "Choose the batch's table files (CSV, XLSX, interval Parquet, or one ZIP of them), check them, then apply: the check only reads the ledger and writes nothing.",
    "intake.files": "Files",
    "intake.reason": "Reason (optional)",
    "intake.partial": "Partial: quarantine the rows that fail the checks and apply the rest",
    "intake.check": "Check",
    "intake.checking": "Checking…",
    "intake.apply": "Apply the batch",
    "intake.applyRefused": "Send anyway (it will be refused and kept)",
    "intake.applying": "Applying…",
    "intake.noFiles": "Choose the files first.",
    "intake.applicable": "All {rows} rows pass the checks: the batch can be applied.",
    "intake.partialNote": "{rejected} rows fail the checks: applying quarantines them and stores the other rows.",
    "intake.refusedNote": "{errors} errors: the batch would be refused as a whole. Correct the files and check again, or tick Partial to quarantine the failing rows.",
    "intake.warnings": "{n} warnings besides (they do not stop the batch).",
    "intake.tables": "What applying would change",
    "intake.rowsRead": "Rows read",
    "intake.rejected": "Failing",
    "intake.findings": "Findings",
    "intake.noFindings": "No findings: every row passes the checks.",
    "intake.applied": "Batch {id} applied: {new} rows new, {corrected} corrected, {quarantined} quarantined; {marked} accounts marked for recalculation.",
    "intake.unchanged": "The batch holds what the ledger holds already: nothing was changed.",
    "intake.refused": "Batch {id} was refused and kept (see Refused batches below); the ledger was not changed.",
    "intake.open": "Open the batch",
    "intake.resubmitting": "This batch is sent as the correction of quarantine entries {ids}; once applied they are marked resubmitted.",
    "intake.clearResubmit": "Cancel",
    "intake.refusedTitle": "Refused batches",
    "intake.noRefused": "No batch was refused.",
    "intake.errors": "Errors",
    "intake.filesSent": "Files sent",
    "intake.notKept": "{name} (too large, not kept)",
    "intake.quarantineTitle": "Quarantine",
    "intake.quarantineIntro": "Rows quarantined because they failed the checks: download them as CSV with the reasons, correct them in the file (the reasons column may stay: it is ignored when sent) and send the file again.",
    "intake.noQuarantine": "The quarantine is empty.",
    "intake.downloadCsv": "Download {table} (with reasons)",
    "intake.resend": "Send {table} again, corrected",
    "intake.downloaded": "Downloaded {file}.",
    "intake.table": "Table",
    "intake.row": "Row",
    "intake.column": "Column",
    "intake.value": "Value",
    "intake.message": "What to do",
    "intake.severity": "Severity",
    "intake.file": "File",
    "intake.state": "State",
    "intake.entry": "Entry",
    "intake.batch": "Batch",
    "intake.rows": "Rows",
    "intake.reasons": "Reasons",
    "intake.receivedAt": "Received at",
    "intake.receivedBy": "Sent by",
    "intake.why": "Reason",
    "state.open": "open",
    "state.resubmitted": "resubmitted",
    "status.refused": "refused",
    "severity.error": "error",
    "severity.warning": "warning",
    "dryrun.title": "Recalculation: try it, then confirm",
    "dryrun.intro": "A dry run computes every account of a year exactly as the real run does, and publishes nothing: it lists the enterprises whose grade or score would change. Only the confirmation computes and publishes.",
    "dryrun.run": "Dry run",
    "dryrun.running": "Trying…",
    "dryrun.summary": "Dry run of {year}: {n} accounts, {changed} would change grade or score, {same} unchanged (data up to batch {batch}).",
    "dryrun.none": "Publishing would change no grade or score.",
    "dryrun.confirm": "Confirm: compute and publish {year}",
    "dryrun.confirming": "Computing and publishing…",
    "dryrun.published": "Run {run}: {n} accounts published.",
    "dryrun.creditCode": "Credit code",
    "dryrun.name": "Enterprise",
    "dryrun.grade": "Grade (old → new)",
    "dryrun.score": "Score (old → new)",
    "dryrun.kind": "Change",
    "dryrun.kind.changed": "grade changes",
    "dryrun.kind.score": "score only",
    "dryrun.kind.added": "new account",
    "dryrun.kind.removed": "no longer computed",
    "dryrun.noAccount": "no account",
    "corr.changes": "Changes (old → new)",
    "corr.table": "Table",
    "corr.key": "Record",
    "corr.empty": "(empty)",
  },
};
for (const l of ["zh", "en"]) {
  for (const [key, text] of Object.entries(TEXT[l])) if (!(key in CATALOGUE[l])) CATALOGUE[l][key] = text;
}

// ---------------------------------------------------------------- helpers

const tableName = (name) => (lang() === "zh" && INPUT_TABLES[name] ? INPUT_TABLES[name].zh : name);
const columnName = (tbl, column) => {
  if (!column) return "–";
  const zh = INPUT_TABLES[tbl] && INPUT_TABLES[tbl].columns[column];
  return lang() === "zh" && zh ? zh : column;
};
const shown = (v) => (v === null || v === undefined || v === "" ? t("corr.empty")
  : typeof v === "number" ? fmt.dec(v, 6) : String(v));
/** The Chinese reason of a refusal where the server gives one. */
const detailOf = detailText;
const failure = (exc) => (exc instanceof ApiError && exc.status >= 400 && exc.status !== 403 && exc.status !== 404
  ? message("error", t("common.error", { detail: detailOf(exc) })) : errorMessage(exc));

/** POST `files` (and the form `fields`) as multipart/form-data; JSON back, ApiError (with its body) on failure. */
async function postFiles(path, files, fields = {}) {
  const form = new FormData();
  for (const f of files) form.append("files", f, f.name);
  for (const [key, value] of Object.entries(fields)) {
    for (const v of Array.isArray(value) ? value : [value]) if (v !== undefined && v !== null && v !== "") form.append(key, String(v));
  }
  let response;
  try {
    response = await fetch(`/api/v1${path}`, { method: "POST", body: form, credentials: "omit", cache: "no-store",
      headers: token() ? { Authorization: `Bearer ${token()}` } : {} });
  } catch (exc) {
    throw new ApiError(0, exc.message);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const detail = body && typeof body.detail === "string" ? body.detail : response.statusText;
    throw new ApiError(response.status, detail, body);
  }
  return body;
}

/** The findings of a batch: severity, file, row, column and message in the page's language (no raw codes). */
export function findingTable(findings, csvName) {
  const msg = `message_${lang()}`;
  return table([
    { key: "severity", label: t("intake.severity"), value: (f) => t(`severity.${f.severity}`),
      format: (f) => el("span", { class: `sev sev-${f.severity}` }, t(`severity.${f.severity}`)) },
    { key: "file", label: t("intake.file"), value: (f) => f.file || tableName(f.table) },
    { key: "row", label: t("intake.row"), numeric: true, format: (f) => (f.row === null ? "–" : fmt.int(f.row)) },
    { key: "column", label: t("intake.column"), value: (f) => columnName(f.table, f.column) },
    { key: "value", label: t("intake.value"), value: (f) => (f.value === null || f.value === undefined ? "–" : f.value) },
    { key: msg, label: t("intake.message") },
  ], findings, { csvName, empty: t("intake.noFindings") });
}

// ---------------------------------------------------------------- upload, check, apply

function uploadPanel(refresh) {
  const files = el("input", { type: "file", id: "intake-files", name: "files", multiple: true,
    accept: ".csv,.xlsx,.parquet,.zip" });
  const reason = el("input", { type: "text", id: "intake-reason", name: "reason", maxLength: 500 });
  const partial = el("input", { type: "checkbox", id: "intake-partial", name: "partial" });
  const result = el("div", { id: "intake-result", "aria-live": "polite" });
  const resend = el("div", { id: "intake-resubmits" });
  const state = { resubmits: [] };
  const chosen = () => [...files.files];
  const fields = () => ({ reason: reason.value.trim(), partial: partial.checked ? "true" : "",
    resubmits: state.resubmits });

  const apply = async (button) => {
    button.disabled = true;
    button.textContent = t("intake.applying");
    try {
      const r = await postFiles("/batches", chosen(), fields());
      const sum = (kind) => Object.values(r.counts || {}).reduce((s, c) => s + (c[kind] || 0), 0);
      result.replaceChildren(r.batch_id === null ? message("info", t("intake.unchanged")) : el("div", {},
        message("ok", t("intake.applied", { id: r.batch_id, new: fmt.int(sum("new")), corrected: fmt.int(sum("corrected")),
          quarantined: fmt.int(sum("quarantined")), marked: fmt.int(r.marked_accounts) })),
        el("a", { href: `#/batch/${r.batch_id}`, id: "intake-applied-link" }, t("intake.open"))));
      setResubmits([]);
    } catch (exc) {
      if (exc instanceof ApiError && exc.status === 422 && exc.body && exc.body.batch_id) {
        result.replaceChildren(message("error", t("intake.refused", { id: exc.body.batch_id })),
          findingTable(exc.body.findings || [], `batch-${exc.body.batch_id}-findings.csv`));
      } else {
        result.replaceChildren(failure(exc));
      }
    }
    await refresh();
  };

  const check = async (event) => {
    event.preventDefault();
    if (!chosen().length) {
      result.replaceChildren(message("warn", t("intake.noFiles")));
      return;
    }
    const button = event.submitter || form.querySelector("button[type=submit]");
    button.disabled = true;
    result.replaceChildren(message("info", t("intake.checking")));
    try {
      const p = await postFiles("/batches/preview", chosen(), { partial: partial.checked ? "true" : "" });
      const rows = Object.values(p.tables).reduce((s, c) => s + c.rows, 0);
      const rejected = Object.values(p.tables).reduce((s, c) => s + c.rejected, 0);
      const verdict = p.status === "applicable" ? message("ok", t("intake.applicable", { rows: fmt.int(rows) }))
        : p.status === "partial" ? message("warn", t("intake.partialNote", { rejected: fmt.int(rejected) }))
          : message("error", t("intake.refusedNote", { errors: fmt.int(p.errors) }));
      const counts = Object.entries(p.tables).map(([name, c]) => ({ table: name, ...c }));
      const count = (key, label) => ({ key, label, numeric: true, format: (c) => fmt.int(c[key]) });
      const applyButton = el("button", { type: "button", id: "intake-apply", class: "btn btn-primary",
        onclick: (e) => apply(e.currentTarget) }, p.status === "refused" ? t("intake.applyRefused") : t("intake.apply"));
      result.replaceChildren(el("div", { id: "intake-preview", dataset: { status: p.status } }, verdict,
        p.warnings ? message("info", t("intake.warnings", { n: fmt.int(p.warnings) })) : null,
        counts.length ? el("h3", {}, t("intake.tables")) : null,
        counts.length ? table([
          { key: "table", label: t("intake.table"), value: (c) => tableName(c.table) },
          count("rows", t("intake.rowsRead")), count("rejected", t("intake.rejected")), count("new", t("op.new")),
          count("unchanged", t("op.unchanged")), count("corrected", t("op.corrected")),
        ], counts, { csvName: "preview-tables.csv" }) : null,
        el("h3", {}, t("intake.findings")), el("div", { id: "intake-findings" }, findingTable(p.findings, "preview-findings.csv")),
        el("p", {}, applyButton)));
    } catch (exc) {
      result.replaceChildren(failure(exc));
    } finally {
      button.disabled = false;
    }
  };

  const form = el("form", { class: "inline-form", id: "intake-form", onsubmit: check },
    field(t("intake.files"), files), field(t("intake.reason"), reason),
    el("label", { class: "check" }, partial, " ", t("intake.partial")),
    el("button", { type: "submit", class: "btn", id: "intake-check" }, t("intake.check")));

  function setResubmits(ids) {
    state.resubmits = ids;
    resend.replaceChildren(ids.length ? el("p", { class: "msg msg-info" },
      t("intake.resubmitting", { ids: ids.map((i) => `#${i}`).join(lang() === "zh" ? "、" : ", ") }), " ",
      el("button", { type: "button", class: "btn", onclick: () => setResubmits([]) }, t("intake.clearResubmit"))) : "");
  }

  return { node: section(t("intake.title"), el("p", { class: "muted" }, t("intake.intro")), resend, form, result),
    resubmit: (ids) => {
      setResubmits(ids);
      files.focus();
    } };
}

// ---------------------------------------------------------------- refused batches

async function refusedPanel(node) {
  const status = el("div");
  try {
    const { items } = await api(withQuery("/batches", { status: "refused", limit: 100 }));
    const fileLinks = (b) => el("span", {}, ...b.files.map((f) => (f.kept
      ? el("button", { type: "button", class: "btn btn-link", onclick: async () => {
        try {
          const name = await downloadFromApi(`/batches/${b.batch_id}/files/${encodeURIComponent(f.name)}`, f.name);
          status.replaceChildren(message("ok", t("intake.downloaded", { file: name })));
        } catch (exc) {
          status.replaceChildren(failure(exc));
        }
      } }, f.name)
      : el("span", {}, t("intake.notKept", { name: f.name })))));
    node.replaceChildren(status, table([
      { key: "batch_id", label: t("intake.batch"), numeric: true,
        format: (b) => el("a", { href: `#/batch/${b.batch_id}` }, String(b.batch_id)) },
      { key: "received_at", label: t("intake.receivedAt"), format: (b) => fmt.time(b.received_at) },
      { key: "received_by", label: t("intake.receivedBy") },
      { key: "reason", label: t("intake.why"), value: (b) => b.reason || "–" },
      { key: "errors", label: t("intake.errors"), numeric: true, format: (b) => fmt.int(b.errors) },
      { key: "files", label: t("intake.filesSent"), value: (b) => b.files.map((f) => f.name).join(", "), format: fileLinks },
    ], items, { csvName: "refused-batches.csv", empty: t("intake.noRefused") }));
  } catch (exc) {
    node.replaceChildren(failure(exc));
  }
}

// ---------------------------------------------------------------- quarantine

/** A quarantined row's reasons as text: column (as the page's language names it): message. */
export function reasonsText(tbl, reasons) {
  const l = lang();
  const sep = l === "zh" ? "；" : "; ";
  return (reasons || []).map((r) => {
    if (!r || typeof r !== "object") return String(r);
    const where = r.header || columnName(tbl, r.column);
    const text = r[l] || r.en || "";
    return r.column ? `${where}${l === "zh" ? "：" : ": "}${text}` : text;
  }).join(sep);
}

async function quarantinePanel(node, resubmit) {
  try {
    const rows = await api("/quarantine");
    const tables = [...new Set(rows.map((q) => q.table))];
    const status = el("div");
    const actions = tables.map((name) => el("p", { class: "actions" },
      el("button", { type: "button", class: "btn", dataset: { table: name }, onclick: async () => {
        try {
          const file = await downloadFromApi(withQuery("/quarantine/csv", { table: name, lang: lang() }),
            `quarantine-${name}.csv`);
          status.replaceChildren(message("ok", t("intake.downloaded", { file })));
        } catch (exc) {
          status.replaceChildren(failure(exc));
        }
      } }, t("intake.downloadCsv", { table: tableName(name) })), " ",
      el("button", { type: "button", class: "btn", dataset: { resend: name }, onclick: () => {
        resubmit(rows.filter((q) => q.table === name).map((q) => q.quarantine_id));
      } }, t("intake.resend", { table: tableName(name) }))));
    node.replaceChildren(el("p", { class: "muted" }, t("intake.quarantineIntro")), ...actions, status, table([
      { key: "quarantine_id", label: t("intake.entry"), numeric: true },
      { key: "batch_id", label: t("intake.batch"), numeric: true,
        format: (q) => el("a", { href: `#/batch/${q.batch_id}` }, String(q.batch_id)) },
      { key: "table", label: t("intake.table"), value: (q) => tableName(q.table) },
      { key: "row", label: t("intake.row"), numeric: true, format: (q) => (q.row === null ? "–" : fmt.int(q.row)) },
      { key: "n_rows", label: t("intake.rows"), numeric: true },
      { key: "reasons", label: t("intake.reasons"), value: (q) => reasonsText(q.table, q.reasons) },
      { key: "state", label: t("intake.state"), value: (q) => translated("state", q.state) },
    ], rows, { csvName: "quarantine.csv", empty: t("intake.noQuarantine") }));
  } catch (exc) {
    node.replaceChildren(failure(exc));
  }
}

// ---------------------------------------------------------------- corrections as diffs

/** The columns of the corrections table: who, when, why, and each changed column as old → new. */
export function correctionColumns() {
  const diff = (c) => (c.changes && c.changes.length
    ? c.changes.map((x) => `${lang() === "zh" ? x.column_zh : x.column}${lang() === "zh" ? "：" : ": "}${shown(x.old)} → ${shown(x.new)}`)
      .join(lang() === "zh" ? "；" : "; ")
    : c.note || "–");
  return [
    { key: "batch_id", label: t("intake.batch"), numeric: true,
      format: (c) => el("a", { href: `#/batch/${c.batch_id}` }, String(c.batch_id)) },
    { key: "received_at", label: t("intake.receivedAt"), format: (c) => fmt.time(c.received_at) },
    { key: "received_by", label: t("intake.receivedBy") },
    { key: "reason", label: t("intake.why"), value: (c) => c.reason || "–" },
    { key: "table", label: t("corr.table"), value: (c) => (lang() === "zh" && c.table_zh ? c.table_zh : c.table) },
    { key: "row_key", label: t("corr.key"), value: (c) => {
      try {
        const key = JSON.parse(c.row_key);
        return Array.isArray(key) ? key.join(" · ") : c.row_key;
      } catch {
        return c.row_key;
      }
    } },
    { key: "changes", label: t("corr.changes"), value: diff,
      format: (c) => el("ul", { class: "diff" }, ...(c.changes && c.changes.length ? c.changes.map((x) => el("li", {},
        el("span", { class: "diff-col" }, lang() === "zh" ? x.column_zh : x.column), lang() === "zh" ? "：" : ": ",
        el("del", {}, shown(x.old)), " → ", el("ins", {}, shown(x.new)))) : [el("li", {}, c.note || "–")])) },
  ];
}

export async function correctionsDiffPage() {
  const rows = await api("/corrections");
  return section(t("op.correctionsTitle"), el("div", { id: "corrections" }, table(correctionColumns(), rows.slice().reverse(),
    { csvName: "corrections.csv", empty: t("op.noCorrections") })));
}

// ---------------------------------------------------------------- recompute: dry run, then confirm

export function dryRunPanel(year) {
  const yearInput = el("input", { type: "number", id: "dryrun-year", name: "year", min: 1901, max: 2199, required: true,
    value: String(year) });
  const result = el("div", { id: "dryrun-result", "aria-live": "polite" });
  const kind = (c) => (!c.published ? "added" : !c.computed ? "removed" : c.grade_changed ? "changed" : "score");
  const grade = (g, present) => (present ? gradeText(g) : t("dryrun.noAccount"));
  const score = (s, present) => (present ? fmt.score(s) : "–");
  const confirm = async (button, y) => {
    button.disabled = true;
    button.textContent = t("dryrun.confirming");
    try {
      const r = await api("/compute", { method: "POST", json: { year: y } });
      result.replaceChildren(message("ok", t("dryrun.published", { run: r.run_id, n: fmt.int(r.accounts) })));
    } catch (exc) {
      result.replaceChildren(failure(exc));
    }
  };
  const form = el("form", { class: "inline-form", id: "dryrun-form", onsubmit: async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    result.replaceChildren(message("info", t("dryrun.running")));
    const y = Number(yearInput.value);
    try {
      const r = await api("/compute/dry-run", { method: "POST", json: { year: y } });
      result.replaceChildren(el("div", { id: "dryrun-answer", dataset: { changes: String(r.changes.length) } },
        message(r.changes.length ? "warn" : "ok", t("dryrun.summary", { year: y, n: fmt.int(r.accounts),
          changed: fmt.int(r.changes.length), same: fmt.int(r.unchanged), batch: r.last_batch_id })),
        r.changes.length ? table([
          { key: "credit_code", label: t("dryrun.creditCode"), format: (c) => el("a", { href: `#/account/${c.credit_code}` }, c.credit_code) },
          { key: "name", label: t("dryrun.name"), value: (c) => c.name || "–" },
          { key: "grade", label: t("dryrun.grade"), value: (c) => `${grade(c.old_grade, c.published)} → ${grade(c.new_grade, c.computed)}` },
          { key: "score", label: t("dryrun.score"), value: (c) => `${score(c.old_score, c.published)} → ${score(c.new_score, c.computed)}` },
          { key: "kind", label: t("dryrun.kind"), value: (c) => t(`dryrun.kind.${kind(c)}`) },
        ], r.changes, { csvName: `dry-run-${y}.csv` }) : message("info", t("dryrun.none")),
        el("p", {}, el("button", { type: "button", id: "dryrun-confirm", class: "btn btn-primary",
          onclick: (e) => confirm(e.currentTarget, y) }, t("dryrun.confirm", { year: y })))));
    } catch (exc) {
      result.replaceChildren(failure(exc));
    } finally {
      button.disabled = false;
    }
  } }, field(t("common.year"), yearInput), el("button", { type: "submit", class: "btn" }, t("dryrun.run")));
  return section(t("dryrun.title"), el("p", { class: "muted" }, t("dryrun.intro")), form, result);
}

// ---------------------------------------------------------------- the page

export async function intakePage(ctx) {
  const refused = el("div", { id: "intake-refused" });
  const quarantine = el("div", { id: "intake-quarantine" });
  let upload = null;
  const refresh = () => Promise.all([refusedPanel(refused), quarantinePanel(quarantine, (ids) => upload.resubmit(ids))]);
  upload = uploadPanel(refresh);
  await refresh();
  return [upload.node, section(t("intake.refusedTitle"), refused), section(t("intake.quarantineTitle"), quarantine),
    dryRunPanel(ctx.year)];
}
