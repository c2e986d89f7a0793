// What every page shares: the language switch, the API key box, the alert line and /ui/config.

import { $ } from "./dom.js";
import { errorText, getKey, needsKey, setKey } from "./api.js";
import { currentLang, initI18n, onLangChange, setCategories, setLang, t } from "./i18n.js";

let config = { auth: false, categories: [] };
let lastError = null;

export async function initPage() {
  await initI18n();
  const select = $("#ui-lang");
  select.value = currentLang();
  select.addEventListener("change", () => setLang(select.value));

  const box = $("#keybox");
  const input = $("#api-key");
  input.value = getKey();
  showKeyState();
  $("#key-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    setKey(input.value.trim());
    showKeyState();
    clearAlert();
    box.open = false;
    document.dispatchEvent(new CustomEvent("tactful:key"));
  });
  $("#key-clear").addEventListener("click", () => {
    input.value = "";
    setKey("");
    showKeyState();
    document.dispatchEvent(new CustomEvent("tactful:key"));
  });
  $("#alert-close").addEventListener("click", clearAlert);
  $("#alert-key").addEventListener("click", openKeyBox);
  onLangChange(() => {
    showKeyState();
    if (lastError) showError(lastError);
  });

  try {
    const res = await fetch("/ui/config", { credentials: "same-origin" });
    config = await res.json();
  } catch { /* the pages still work; labels fall back to ids */ }
  setCategories(config.categories);
  if (config.auth && !getKey()) {
    showAlert(t("key.required"), { key: true, kind: "info" });
  }
  return config;
}

export const getConfig = () => config;

function showKeyState() {
  $("#key-state").textContent = getKey() ? t("key.set") : "";
}

export function openKeyBox() {
  const box = $("#keybox");
  box.open = true;
  $("#api-key").focus();
}

export function showAlert(message, { key = false, kind = "error" } = {}) {
  const box = $("#alert");
  $("#alert-text").textContent = message;
  $("#alert-key").hidden = !key;
  box.dataset.kind = kind;
  box.hidden = false;
}

export function clearAlert() {
  lastError = null;
  $("#alert").hidden = true;
}

/** Show an API error in the alert line (null clears a previous one). */
export function showError(err) {
  if (!err) {
    if (lastError) clearAlert();
    return;
  }
  lastError = err;
  showAlert(errorText(err), { key: needsKey(err) });
}
