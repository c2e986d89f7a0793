// DOM helpers. Text from customers, agents or models only ever becomes a text node or an
// attribute value: nothing here parses markup from a string.

/** h("li", {class: "x", dataset: {id: 1}, onclick: fn}, "text", child, [more]) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k === "dataset") for (const [dk, dv] of Object.entries(v)) el.dataset[dk] = String(dv);
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of [children].flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c)); // a string becomes a text node
  }
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

/** Offsets from the API are Python str indices (code points); JS strings count UTF-16 units.
 *  Returns an array mapping each code-point offset 0..n to its UTF-16 offset. */
export function codePointMap(text) {
  const map = [0];
  let u = 0;
  for (const ch of text) {
    u += ch.length;
    map.push(u);
  }
  return map;
}

/** A category id as a CSS class (the same rule as report_html.css_id). */
export function catClass(id) {
  return "cat-" + (String(id || "other").replace(/[^A-Za-z0-9_-]/g, "_") || "other");
}

export function truncate(text, n) {
  const chars = Array.from(text);
  return chars.length > n ? chars.slice(0, n - 1).join("") + "…" : text;
}

/** Copy text: the async clipboard API where allowed (https, localhost), else a hidden textarea. */
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch { /* fall through */ }
  const ta = h("textarea", { class: "offscreen", "aria-hidden": "true", tabindex: "-1" });
  ta.value = text;
  document.body.append(ta);
  ta.select();
  let ok = false;
  try { ok = document.execCommand("copy"); } catch { ok = false; }
  ta.remove();
  return ok;
}
