// The agent view (/): a ticket in, a checked draft out, re-reviewed as the agent edits it.

import { api, apiStream } from "./api.js";
import { $, $$, copyText, h } from "./dom.js";
import { onLangChange, t, tOr } from "./i18n.js";
import { ReplyChecker } from "./reply.js";
import { initPage, showError } from "./shell.js";

await initPage();

let draft = null; // the DraftOut being edited
let ticket = null; // the message it answers: the complaint of every re-review

const checker = new ReplyChecker({
  editorHost: $("#editor-host"),
  panelHost: $("#panel-host"),
  labelKey: "draft.text",
  getComplaint: () => ticket,
  policy: true,
  getLang: () => (draft ? draft.lang : null),
  onError: showError,
  onChange: () => { $("#action-status").textContent = ""; },
});

const form = $("#draft-form");
const message = $("#message");
const button = $("#draft-btn");
const status = $("#draft-status");
let drafting = false;
// The inputs a 422's `error.field` can name: the one at fault is marked and focused, and the
// error box says what shape it must have (a name: letters, no digits; an order id: ASCII).
const fieldInputs = { message, customer_name: $("#customer_name"), order_id: $("#order_id") };

function markInvalid(field) {
  for (const [name, input] of Object.entries(fieldInputs)) {
    if (name === field) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }
  if (fieldInputs[field]) fieldInputs[field].focus();
}

/** While a draft is being written the button says so with aria-disabled and ignores presses. It is
 *  never `disabled`: that would drop a keyboard user's focus to the page body. */
function setDrafting(on) {
  drafting = on;
  if (on) button.setAttribute("aria-disabled", "true");
  else button.removeAttribute("aria-disabled");
}

message.addEventListener("keydown", (ev) => {
  if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
    ev.preventDefault();
    form.requestSubmit();
  }
});

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (drafting) return; // one draft at a time
  const text = message.value;
  if (!text.trim()) {
    status.textContent = t("ticket.message_empty");
    message.setAttribute("aria-invalid", "true");
    message.focus();
    return;
  }
  markInvalid(null);
  const body = { message: text, channel: $("#channel").value, tone: $("#tone").value };
  const name = fieldInputs.customer_name.value.trim();
  const order = fieldInputs.order_id.value.trim();
  const lang = $("#reply-lang").value;
  if (name) body.customer_name = name;
  if (order) body.order_id = order;
  if (lang) body.lang = lang;
  setDrafting(true);
  status.textContent = t("ticket.drafting");
  try {
    // streamed: the triage at once, the four parts as a model writes them, then the checked draft
    let d = null;
    await apiStream("/v1/drafts/stream", {
      json: body,
      onEvent: (kind, data) => {
        if (kind === "triage") renderTriage(data);
        else if (kind === "sections") showPartial(data, lang || null);
        else if (kind === "draft") d = data;
      },
    });
    preview.hidden = true;
    if (!d) throw new Error("the draft stream ended without a draft");
    showError(null);
    draft = d;
    ticket = text;
    showDraft(d);
    status.textContent = t("ticket.drafted");
  } catch (err) {
    preview.hidden = true;
    status.textContent = "";
    showError(err);
    if (err && err.status === 422) markInvalid(err.field);
  } finally {
    setDrafting(false);
  }
});

// While a model writes, its words show here (read-only); the editor takes over with the checked draft.
const preview = h("div", { class: "stream-preview", "aria-live": "polite", hidden: true });
$("#draft-empty").after(preview);

function showPartial(sections, lang) {
  const zh = lang ? lang.startsWith("zh") : /[\u4e00-\u9fff]/.test(message.value);
  const text = ["apology", "restatement", "remedy", "close"].map((k) => sections[k] || "").filter(Boolean)
    .join(zh ? "" : " ");
  $("#draft-empty").hidden = true;
  preview.hidden = false;
  preview.textContent = text;
}

/** Open a stored draft (/?draft=ID: the helpdesk notes page links here): its text as stored,
 *  with personal data masked, reviewed again in place, and a link to its helpdesk ticket. */
async function openStored(id) {
  try {
    const d = await api(`/v1/drafts/${encodeURIComponent(id)}`);
    showError(null);
    draft = { ...d, fallback: Boolean(d.fallback), repaired: Boolean(d.repaired) };
    ticket = (d.request && d.request.message) || null;
    message.value = ticket || "";
    showDraft(draft, { stored: true });
  } catch (err) {
    showError(err);
  }
}

function showDraft(d, { stored = false } = {}) {
  $("#draft-empty").hidden = true;
  $("#draft-body").hidden = false;
  $("#draft-body").dataset.draftId = d.id;
  $("#action-status").textContent = "";
  const subjectRow = $("#subject-row");
  subjectRow.hidden = !d.subject;
  $("#subject").value = d.subject || "";
  renderMeta(d);
  renderTriage(d.triage);
  // a stored draft's text is masked: its review's offsets are of the text before, so review again
  checker.setText(d.text, stored ? null : d.review);
  for (const b of $$("[data-action]")) b.disabled = false;
}

function renderMeta(d) {
  const meta = $("#draft-meta");
  const model = d.model === "offline" ? t("draft.model_offline") : t("draft.model", { model: d.model });
  meta.replaceChildren(...[
    h("span", {}, model),
    d.fallback ? h("span", { class: "warn" }, t("draft.fallback")) : null,
    d.repaired ? h("span", {}, t("draft.repaired")) : null,
    h("span", { class: "lang-tag" }, tOr(`langname.${d.lang}`, d.lang)),
    // built by the server from the configured helpdesk address; checked once more here
    typeof d.ticket_url === "string" && /^https?:\/\//i.test(d.ticket_url)
      ? h("a", { href: d.ticket_url, target: "_blank", rel: "noopener noreferrer", class: "ticket-link" }, t("draft.open_ticket"))
      : null,
  ].filter(Boolean));
}

function renderTriage(tr) {
  const dl = $("#triage");
  $("#triage-empty").hidden = true;
  dl.hidden = false;
  const rows = [
    ["triage.scenario", h("span", { dataset: { scenario: tr.scenario } }, tOr(`scenario.${tr.scenario}`, tr.scenario))],
    ["triage.severity", h("span", { class: `sevtier tier-${tr.severity}`, dataset: { severity: tr.severity } }, tOr(`tier.${tr.severity}`, tr.severity))],
    ["triage.respond_within", h("span", {}, tOr(`within.${tr.respond_within}`, tr.respond_within))],
    ["triage.escalate_to", h("span", {}, tOr(`escalate.${tr.escalate_to}`, tr.escalate_to))],
  ];
  const e = tr.entities || {};
  if (e.order_id) rows.push(["triage.order_id", h("span", {}, e.order_id)]);
  if (e.product) rows.push(["triage.product", h("span", { lang: tr.lang }, e.product)]);
  dl.replaceChildren(...rows.flatMap(([key, value]) => [h("dt", { "data-i18n": key }, t(key)), h("dd", { dataset: { field: key.split(".")[1] } }, value)]));
}

document.addEventListener("tactful:key", () => { if (draft) checker.reviewNow(); });

onLangChange(() => {
  if (draft) {
    renderMeta(draft);
    renderTriage(draft.triage);
  }
});

$("#copy-btn").addEventListener("click", async () => {
  const ok = await copyText(checker.value);
  $("#action-status").textContent = ok ? t("draft.copied") : t("draft.copy_failed");
});

for (const b of $$("[data-action]")) {
  b.addEventListener("click", async () => {
    if (!draft) return;
    const action = b.dataset.action;
    const body = { action };
    if (action !== "discarded") body.final_text = checker.value;
    else if (checker.value.trim()) body.final_text = checker.value;
    const out = $("#action-status");
    try {
      await api(`/v1/drafts/${encodeURIComponent(draft.id)}/feedback`, { method: "POST", json: body });
      showError(null);
      out.textContent = t("feedback.recorded", { action: t(`feedback.${action}`) });
    } catch (err) {
      out.textContent = "";
      showError(err);
    }
  });
}
const stored = new URLSearchParams(location.search).get("draft");
if (stored) await openStored(stored);
document.documentElement.dataset.ready = "true"; // for tests and scripts: the page is wired up
