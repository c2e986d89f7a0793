// The QA view (/batches): upload an export, follow the job, read its report, download results.

import { ApiError, api, authHeaders, download, errorFrom, getKey } from "./api.js";
import { $, catClass, h } from "./dom.js";
import { catLabel, fmtDate, fmtNumber, fmtPct, onLangChange, t, tOr } from "./i18n.js";
import { ReplyChecker } from "./reply.js";
import { initPage, showError } from "./shell.js";

await initPage();

const POLL_MS = 600;
const ACTIVE = new Set(["queued", "running"]);
let current = null; // the job shown: its id and last status
let report = null; // its report, once done
let pollTimer = 0;

// ------------------------------------------------------------------ upload

const form = $("#upload-form");
const fileInput = $("#file");
const uploadBtn = $("#upload-btn");
let uploading = false;

/** While a file uploads the button says so with aria-disabled and ignores presses. It is never
 *  `disabled`: that would drop a keyboard user's focus to the page body. */
function setUploading(on) {
  uploading = on;
  if (on) uploadBtn.setAttribute("aria-disabled", "true");
  else uploadBtn.removeAttribute("aria-disabled");
}

form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  if (uploading) return; // one upload at a time
  const file = fileInput.files && fileInput.files[0];
  if (!file) {
    fileInput.setAttribute("aria-invalid", "true");
    showProgress({ name: "", state: "", text: t("batches.no_file") });
    fileInput.focus();
    return;
  }
  fileInput.removeAttribute("aria-invalid");
  const data = new FormData();
  data.append("file", file, file.name);
  const format = $("#format").value;
  if (format) data.append("format", format);
  const encoding = $("#encoding").value;
  if (encoding) data.append("encoding", encoding);

  // XMLHttpRequest rather than fetch: it reports upload progress, and exports can be large.
  const xhr = new XMLHttpRequest();
  xhr.open("POST", "/v1/batches");
  for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
  xhr.setRequestHeader("Accept", "application/json");
  xhr.upload.addEventListener("progress", (e) => {
    if (!e.lengthComputable) return;
    showProgress({ name: file.name, state: t("batches.uploading"), value: e.loaded, max: e.total,
      text: t("batches.upload_progress", { pct: Math.round((e.loaded / e.total) * 100) }) });
  });
  xhr.addEventListener("load", () => {
    setUploading(false);
    if (xhr.status === 202 || xhr.status === 200) {
      showError(null);
      const job = JSON.parse(xhr.responseText);
      form.reset();
      openJob(job.id, job);
      loadPast();
    } else {
      const err = errorFrom(xhr.status, xhr.responseText, xhr.getResponseHeader("Retry-After"));
      showProgress({ name: file.name, state: t("state.failed"), text: err.message });
      showError(err);
    }
  });
  xhr.addEventListener("error", () => {
    setUploading(false);
    showError(new ApiError(0, "network", "network error"));
  });
  setUploading(true);
  showProgress({ name: file.name, state: t("batches.uploading"), value: 0, max: file.size || 1, text: t("batches.upload_progress", { pct: 0 }) });
  xhr.send(data);
});

function showProgress({ name, state, value = null, max = 1, text }) {
  $("#progress-box").hidden = false;
  $("#progress-name").textContent = name || "";
  $("#progress-state").textContent = state || "";
  const bar = $("#progress");
  bar.max = Math.max(1, max);
  if (value === null) bar.removeAttribute("value");
  else bar.value = Math.min(value, bar.max);
  $("#progress-text").textContent = text || "";
}

// ------------------------------------------------------------------ one job

async function openJob(id, known = null) {
  clearTimeout(pollTimer);
  current = { id, job: known };
  report = null;
  $("#report").hidden = true;
  if (location.hash.slice(1) !== id) history.replaceState(null, "", `#${encodeURIComponent(id)}`);
  markCurrent();
  await poll();
}

async function poll() {
  const id = current && current.id;
  if (!id) return;
  let job;
  try {
    job = await api(`/v1/batches/${encodeURIComponent(id)}`);
    showError(null);
  } catch (err) {
    showError(err);
    if (err instanceof ApiError && err.status === 404) return;
    pollTimer = setTimeout(poll, POLL_MS * 4);
    return;
  }
  if (!current || current.id !== id) return;
  current.job = job;
  renderProgress(job);
  if (ACTIVE.has(job.state)) {
    pollTimer = setTimeout(poll, POLL_MS);
    return;
  }
  loadPast();
  if (job.state === "done") await loadReport(id);
}

function renderProgress(job) {
  const total = job.rows_total || 0;
  const done = job.rows_done || 0;
  let text;
  if (job.state === "done") text = t("batches.done", { done: fmtNumber(done), errors: fmtNumber(job.errors || 0) });
  else if (job.state === "failed") text = t("batches.failed", { error: job.error || "" });
  else if (job.state === "cancelled") text = t("batches.cancelled");
  else if (job.state === "queued") text = t("batches.queued");
  else text = t("batches.progress", { done: fmtNumber(done), total: fmtNumber(total), rate: job.rows_per_s ? fmtNumber(job.rows_per_s) : "—" });
  showProgress({
    name: job.filename, state: tOr(`state.${job.state}`, job.state),
    value: job.state === "queued" ? null : (job.state === "done" ? Math.max(total, done) : done),
    max: Math.max(total, done, 1), text,
  });
  $("#progress-box").dataset.state = job.state;
  $("#cancel-btn").hidden = !ACTIVE.has(job.state);
}

$("#cancel-btn").addEventListener("click", async () => {
  if (!current) return;
  try {
    const job = await api(`/v1/batches/${encodeURIComponent(current.id)}`, { method: "DELETE" });
    renderProgress(job);
    loadPast();
  } catch (err) {
    showError(err);
  }
});

async function loadReport(id) {
  try {
    report = await api(`/v1/batches/${encodeURIComponent(id)}/report`);
    showError(null);
  } catch (err) {
    showError(err);
    return;
  }
  if (!current || current.id !== id) return;
  renderReport();
}

// ------------------------------------------------------------------ past batches

async function loadPast() {
  let jobs;
  try {
    jobs = await api("/v1/batches?limit=50");
  } catch (err) {
    showError(err);
    return;
  }
  const body = $("#past-body");
  // the rows are rebuilt: a focused Open button keeps its focus on the new row of the same batch
  const focused = document.activeElement && body.contains(document.activeElement)
    ? document.activeElement.closest("tr").dataset.id : null;
  $("#past-empty").hidden = jobs.length > 0;
  $("#past-table").hidden = jobs.length === 0;
  body.replaceChildren(...jobs.map((job) => h("tr", { dataset: { id: job.id, state: job.state } },
    h("td", { class: "file" }, job.filename || job.id),
    h("td", {}, fmtDate(job.created_at)),
    h("td", {}, h("span", { class: `state state-${job.state}` }, tOr(`state.${job.state}`, job.state))),
    h("td", { class: "num" }, `${fmtNumber(job.rows_done)} / ${fmtNumber(job.rows_total)}`),
    h("td", {}, h("button", {
      type: "button", class: "btn small", "aria-label": `${t("batches.open")}: ${job.filename || job.id}`,
      onclick: () => openJob(job.id),
    }, t("batches.open"))))));
  if (focused) {
    const again = $(`#past-body tr[data-id="${CSS.escape(focused)}"] button`);
    if (again) again.focus();
  }
  markCurrent();
}

function markCurrent() {
  for (const tr of document.querySelectorAll("#past-body tr")) {
    if (current && tr.dataset.id === current.id) tr.setAttribute("aria-current", "true");
    else tr.removeAttribute("aria-current");
  }
}

$("#refresh-btn").addEventListener("click", loadPast);
document.addEventListener("tactful:key", () => { loadPast(); if (current) poll(); });

// ------------------------------------------------------------------ the report

function renderReport() {
  const r = report;
  const id = current.id;
  const root = $("#report-body");
  const cats = (r.categories || []).map((c) => ({ id: c.id, label: catLabel(c.id, c.labels) }));
  const o = r.overall || {};
  const base = `/v1/batches/${encodeURIComponent(id)}`;

  const downloads = h("div", { class: "downloads" },
    h("span", { class: "lbl" }, t("report.download")),
    dl(`${base}/results?format=jsonl`, `${id}.jsonl`, "report.results_jsonl"),
    dl(`${base}/results?format=csv`, `${id}.csv`, "report.results_csv"),
    dl(`${base}/report?format=html`, `report-${id}.html`, "report.html", true));

  const job = r.job || {};
  const head = h("div", { class: "report-head" },
    h("p", { class: "meta" },
      h("strong", {}, job.filename || id), " · ", fmtDate(job.created_at), " · ",
      t("report.rubric", { version: r.rubric_version || "—" })),
    downloads);

  const tiles = h("dl", { class: "tiles" },
    tile("report.rows", fmtNumber(o.rows)),
    tile("report.reviewed", fmtNumber(o.reviewed)),
    tile("report.pass_rate", fmtPct(o.pass_rate)),
    tile("report.mean_score", fmtNumber(o.mean_score, 1)),
    tile("report.errors", fmtNumber(o.errors)));

  root.replaceChildren(head, tiles,
    section("report.categories", categoryBars(cats, o.per_100 || {})),
    section("report.agents", groupTable(r.by_agent || [], "agent", "report.col_agent", cats)),
    section("report.channels", groupTable(r.by_channel || [], "channel", "report.col_channel", cats, (v) => tOr(`channel.${v}`, v))),
    section("report.weekly", weekly(r.weekly || [])),
    section("report.phrases", phrases(o.top_phrases || [])),
    section("report.examples", examples(r.by_agent || [])));
  $("#report").hidden = false;
}

function dl(url, filename, key, html = false) {
  const a = h("a", { class: "btn small", href: url }, t(key));
  if (!html) a.setAttribute("download", filename);
  else { a.target = "_blank"; a.rel = "noopener"; }
  a.addEventListener("click", async (ev) => {
    if (!getKey()) return; // a plain link works when the API needs no key
    ev.preventDefault();
    try { await download(url, filename); } catch (err) { showError(err); }
  });
  return a;
}

function tile(key, value) {
  return h("div", { class: "tile" }, h("dt", {}, t(key)), h("dd", {}, value));
}

function section(key, content) {
  return h("section", { class: "report-sec", dataset: { sec: key.split(".")[1] } }, h("h3", {}, t(key)), content);
}

function categoryBars(cats, per100) {
  const max = Math.max(1, ...cats.map((c) => Number(per100[c.id]) || 0));
  const list = h("ul", { class: "bars" });
  for (const c of cats) {
    const v = Number(per100[c.id]) || 0;
    const fill = h("span", { class: `bar-fill ${catClass(c.id)}` });
    fill.style.width = `${(v / max) * 100}%`;
    list.append(h("li", { class: "bar-row", dataset: { category: c.id } },
      h("span", { class: "bar-label" }, h("span", { class: `swatch ${catClass(c.id)}`, "aria-hidden": "true" }), c.label),
      h("span", { class: "bar-track", "aria-hidden": "true" }, fill),
      h("span", { class: "bar-value" }, fmtNumber(v, 1))));
  }
  return h("div", {}, h("p", { class: "hint" }, t("report.per_100_hint")), list);
}

function topCats(group, cats, n = 3) {
  return cats.map((c) => ({ ...c, v: Number((group.per_100 || {})[c.id]) || 0 }))
    .filter((c) => c.v > 0).sort((a, b) => b.v - a.v).slice(0, n);
}

function groupTable(groups, key, headKey, cats, show = (v) => v) {
  if (!groups.length) return h("p", { class: "empty" }, t("report.none"));
  const rows = groups.map((g) => h("tr", { dataset: { [key]: g[key] } },
    h("th", { scope: "row" }, show(g[key])),
    h("td", { class: "num" }, fmtNumber(g.reviewed)),
    h("td", { class: "num" }, fmtPct(g.pass_rate)),
    h("td", { class: "num" }, fmtNumber(g.mean_score, 1)),
    h("td", {}, topCats(g, cats).map((c) => h("span", { class: `chip ${catClass(c.id)}` }, `${c.label} ${fmtNumber(c.v, 1)}`)))));
  return h("div", { class: "table-wrap" }, h("table", { class: "data" },
    h("caption", { class: "visually-hidden" }, t("report.worst_first")),
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, t(headKey)),
      h("th", { scope: "col", class: "num" }, t("report.col_replies")),
      h("th", { scope: "col", class: "num" }, t("report.pass_rate")),
      h("th", { scope: "col", class: "num" }, t("report.mean_score")),
      h("th", { scope: "col" }, t("report.col_top")))),
    h("tbody", {}, rows)));
}

function weekly(weeks) {
  if (!weeks.length) return h("p", { class: "empty" }, t("report.no_weeks"));
  const rows = weeks.map((w) => {
    const fill = h("span", { class: "bar-fill pass-fill" });
    fill.style.width = `${(Number(w.pass_rate) || 0) * 100}%`;
    return h("tr", { dataset: { week: w.week } },
      h("th", { scope: "row" }, w.week),
      h("td", { class: "num" }, fmtNumber(w.reviewed)),
      h("td", { class: "trend" }, h("span", { class: "bar-track", "aria-hidden": "true" }, fill), h("span", { class: "bar-value" }, fmtPct(w.pass_rate))),
      h("td", { class: "num" }, fmtNumber(w.mean_score, 1)));
  });
  return h("div", { class: "table-wrap" }, h("table", { class: "data" },
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, t("report.col_week")),
      h("th", { scope: "col", class: "num" }, t("report.col_replies")),
      h("th", { scope: "col" }, t("report.pass_rate")),
      h("th", { scope: "col", class: "num" }, t("report.mean_score")))),
    h("tbody", {}, rows)));
}

function phrases(list) {
  if (!list.length) return h("p", { class: "empty" }, t("report.none"));
  return h("div", { class: "table-wrap" }, h("table", { class: "data" },
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, t("report.col_phrase")),
      h("th", { scope: "col" }, t("report.col_category")),
      h("th", { scope: "col", class: "num" }, t("report.col_count")))),
    h("tbody", {}, list.slice(0, 10).map((p) => h("tr", {},
      h("td", {}, h("q", {}, p.text)),
      h("td", {}, h("span", { class: `chip ${catClass(p.category)}` }, catLabel(p.category))),
      h("td", { class: "num" }, fmtNumber(p.count)))))));
}

function examples(groups) {
  const withExamples = groups.filter((g) => (g.examples || []).length).slice(0, 8);
  if (!withExamples.length) return h("p", { class: "empty" }, t("report.none"));
  const wrap = h("div", { class: "examples" });
  for (const g of withExamples) {
    const items = h("ol", { class: "example-list" });
    for (const ex of g.examples) {
      const host = h("div", {});
      items.append(h("li", { class: "example", dataset: { id: ex.id ?? "" } },
        h("p", { class: "meta" },
          ex.id !== null && ex.id !== undefined ? `#${ex.id}` : t("report.line", { line: ex.line }),
          " · ", t("report.score", { score: ex.score })),
        host));
      new ReplyChecker({ editorHost: host, editable: false, text: ex.reply, review: { score: ex.score, passed: false, findings: ex.findings || [], sections: {} } });
    }
    wrap.append(h("div", { class: "example-group" }, h("h4", {}, t("report.agent", { agent: g.agent })), items));
  }
  return h("div", {}, h("p", { class: "hint" }, t("report.examples_hint")), wrap);
}

onLangChange(() => {
  loadPast();
  if (current && current.job) renderProgress(current.job);
  if (report) renderReport();
});

// ------------------------------------------------------------------ start

await loadPast();
const wanted = decodeURIComponent(location.hash.slice(1));
if (/^[0-9a-f]{32}$/.test(wanted)) openJob(wanted);
document.documentElement.dataset.ready = "true"; // for tests and scripts: the page is wired up
