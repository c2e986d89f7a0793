// The review view (/review): any reply, its highlighted findings, score and section map.

import { $, copyText } from "./dom.js";
import { t } from "./i18n.js";
import { ReplyChecker } from "./reply.js";
import { initPage, showError } from "./shell.js";

await initPage();

const complaint = $("#complaint");
const lang = $("#review-lang");
const checker = new ReplyChecker({
  editorHost: $("#editor-host"),
  panelHost: $("#panel-host"),
  labelKey: "review.reply",
  getComplaint: () => complaint.value,
  getLang: () => lang.value || null,
  onError: showError,
});

complaint.addEventListener("input", () => { if (checker.value.trim()) checker.scheduleReview(); });
lang.addEventListener("change", () => { if (checker.value.trim()) checker.reviewNow(); });
$("#review-btn").addEventListener("click", () => checker.reviewNow());
document.addEventListener("tactful:key", () => { if (checker.value.trim()) checker.reviewNow(); });
$("#copy-btn").addEventListener("click", async () => {
  const ok = await copyText(checker.value);
  $("#action-status").textContent = ok ? t("draft.copied") : t("draft.copy_failed");
});
checker.focus();
document.documentElement.dataset.ready = "true"; // for tests and scripts: the page is wired up
