// The helpdesk notes view (/connectors): the notes tactful drafts for connected helpdesks, the
// failed ones first, each with a link to its ticket and its draft, and a retry button.

import { api } from "./api.js";
import { $, h } from "./dom.js";
import { fmtDate, fmtNumber, onLangChange, t, tOr } from "./i18n.js";
import { initPage, showError } from "./shell.js";

await initPage();

let rows = [];
const filter = $("#state-filter");
const status = $("#deliveries-status");

async function load() {
  const state = filter.value;
  try {
    rows = await api(`/v1/connectors/deliveries?limit=100${state ? `&state=${encodeURIComponent(state)}` : ""}`);
    showError(null);
  } catch (err) {
    rows = [];
    showError(err);
  }
  render();
}

/** A link only to a web address: the ticket URL is built by the server from the configured
 *  helpdesk address, and checked here once more. */
function safeUrl(url) {
  return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null;
}

function render() {
  const body = $("#deliveries-body");
  $("#deliveries-empty").hidden = rows.length > 0;
  $("#deliveries-table").hidden = rows.length === 0;
  body.replaceChildren(...rows.map((d) => {
    const where = `${d.connector}/${d.account} #${d.conversation_id}`;
    const ticket = safeUrl(d.ticket_url);
    return h("tr", { dataset: { id: d.id, state: d.state } },
      h("td", { class: "file" }, ticket
        ? h("a", { href: ticket, target: "_blank", rel: "noopener noreferrer" }, where)
        : where),
      h("td", {}, h("span", { class: `state state-${d.state}` }, tOr(`state.${d.state}`, d.state))),
      h("td", { class: "num" }, fmtNumber(d.attempts)),
      h("td", {}, fmtDate(d.updated_at)),
      h("td", { class: "error-text" }, d.last_error || ""),
      h("td", { class: "row-actions" },
        d.draft_id ? h("a", { class: "btn small", href: `/?draft=${encodeURIComponent(d.draft_id)}` }, t("connectors.open_draft")) : null,
        d.state === "failed" ? h("button", {
          type: "button", class: "btn small", "aria-label": `${t("connectors.retry")}: ${where}`,
          onclick: () => retry(d),
        }, t("connectors.retry")) : null));
  }));
}

async function retry(d) {
  try {
    await api(`/v1/connectors/deliveries/${encodeURIComponent(d.id)}/retry`, { method: "POST" });
    showError(null);
    status.textContent = t("connectors.retried", { id: d.id });
  } catch (err) {
    showError(err);
  }
  await load();
}

filter.addEventListener("change", load);
$("#refresh-btn").addEventListener("click", load);
document.addEventListener("tactful:key", load);
onLangChange(render);
await load();
document.documentElement.dataset.ready = "true"; // for tests and scripts: the page is wired up
