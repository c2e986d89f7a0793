// The interface language: zh-Hans, zh-Hant or en, from the saved choice or navigator.languages.
// Every UI string is in i18n.json; elements carry data-i18n (text), data-i18n-placeholder,
// data-i18n-aria-label or data-i18n-title with a key of that table.

export const LANGS = ["zh-Hans", "zh-Hant", "en"];
const STORE = "tactful.lang";
let tables = { en: {} };
let lang = "en";
let categories = new Map(); // id -> {label: {lang: text}, bg, border}
const listeners = new Set();

/** The first supported language of a browser's preference list ("zh-TW" -> zh-Hant). */
export function pickLang(list) {
  for (const raw of list || []) {
    const tag = String(raw || "").toLowerCase().replace(/_/g, "-");
    if (tag === "zh" || tag.startsWith("zh-")) {
      if (/(^|-)hant(-|$)/.test(tag)) return "zh-Hant";
      if (/(^|-)hans(-|$)/.test(tag)) return "zh-Hans";
      if (/(^|-)(tw|hk|mo)(-|$)/.test(tag)) return "zh-Hant";
      return "zh-Hans";
    }
    if (tag === "en" || tag.startsWith("en-")) return "en";
  }
  return "en";
}

function saved() {
  try {
    const v = localStorage.getItem(STORE);
    return LANGS.includes(v) ? v : null;
  } catch { return null; }
}

export async function initI18n() {
  try {
    const res = await fetch("/ui/i18n.json", { credentials: "same-origin" });
    tables = await res.json();
    lang = saved() || pickLang(navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language]);
    applyI18n();
  } finally {
    // the page is shown once its words are in the interface language (tactful.css keeps it
    // hidden until then): the longer English of the HTML never lays it out first
    document.documentElement.dataset.langReady = "true";
  }
  return lang;
}

export const currentLang = () => lang;

export function t(key, vars = null) {
  let s = (tables[lang] && tables[lang][key]) ?? (tables.en && tables.en[key]) ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
  return s;
}

/** t() for a key that may not exist (scenario ids, states): the fallback when it does not. */
export function tOr(key, fallback) {
  const has = (tables[lang] && key in tables[lang]) || (tables.en && key in tables.en);
  return has ? t(key) : fallback;
}

export function applyI18n(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll("[data-i18n-aria-label]")) el.setAttribute("aria-label", t(el.dataset.i18nAriaLabel));
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  if (root === document) document.documentElement.lang = lang;
}

export function setLang(next) {
  if (!LANGS.includes(next) || next === lang) return;
  lang = next;
  try { localStorage.setItem(STORE, next); } catch { /* not saved */ }
  applyI18n();
  for (const fn of listeners) fn(lang);
}

export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function setCategories(list) {
  categories = new Map((list || []).map((c) => [c.id, c]));
}

/** A category's label in the interface language (the rubric's labels), else its id. */
export function catLabel(id, labels = null) {
  const l = labels || (categories.get(id) || {}).label || {};
  return l[lang] || l.en || id;
}

export function fmtNumber(x, digits = 0) {
  if (x === null || x === undefined || !Number.isFinite(Number(x))) return "—";
  return new Intl.NumberFormat(lang, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(Number(x));
}

export function fmtPct(x) {
  if (x === null || x === undefined || !Number.isFinite(Number(x))) return "—";
  return new Intl.NumberFormat(lang, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(Number(x));
}

export function fmtDate(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" }).format(d);
}
