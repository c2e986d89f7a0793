// Calls to the /v1 API: the API key (when one is set) goes in the Authorization header, and
// every error becomes an ApiError read from the one error body {ok, status, error{code, message, field?}}.

import { t } from "./i18n.js";

const KEY = "tactful.apiKey";

export function getKey() {
  try { return localStorage.getItem(KEY) || ""; } catch { return ""; }
}

export function setKey(value) {
  try {
    if (value) localStorage.setItem(KEY, value);
    else localStorage.removeItem(KEY);
  } catch { /* storage disabled: the key lasts for this page only */ }
}

export function authHeaders() {
  const key = getKey();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

export class ApiError extends Error {
  constructor(status, code, message, { field = null, retryAfter = null } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAfter = retryAfter;
  }
}

/** Build an ApiError from a status, the response text and a Retry-After value. */
export function errorFrom(status, text, retryAfter = null) {
  let body = null;
  try { body = JSON.parse(text); } catch { body = null; }
  const err = body && typeof body === "object" && body.error ? body.error : {};
  return new ApiError(status, String(err.code || "error"), String(err.message || text || `HTTP ${status}`),
    { field: err.field || null, retryAfter });
}

export async function api(path, { method = "GET", json, body, signal } = {}) {
  const headers = { Accept: "application/json", ...authHeaders() };
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body, signal, credentials: "same-origin", cache: "no-store" });
  } catch (e) {
    if (e && e.name === "AbortError") throw e;
    throw new ApiError(0, "network", String((e && e.message) || e));
  }
  const text = await res.text();
  if (!res.ok) throw errorFrom(res.status, text, res.headers.get("Retry-After"));
  return text ? JSON.parse(text) : null;
}

/** A message for people: clear words for the statuses a key causes, the server's own otherwise. */
export function errorText(err) {
  if (!(err instanceof ApiError)) return t("error.generic", { status: "?", message: String((err && err.message) || err) });
  switch (err.status) {
    case 0: return t("error.network");
    case 401: return getKey() ? t("error.401_bad") : t("error.401_none");
    case 403: return t("error.403", { message: err.message });
    case 429: return err.retryAfter ? t("error.429_after", { s: err.retryAfter, message: err.message }) : t("error.429", { message: err.message });
    case 413: return t("error.413", { message: err.message });
    default: return t("error.generic", { status: err.status, message: err.message });
  }
}

export const needsKey = (err) => err instanceof ApiError && (err.status === 401 || err.status === 403);

/** Download a /v1 URL as a file; with a key the link cannot carry the header, so fetch a blob. */
export async function download(url, filename) {
  const res = await fetch(url, { headers: authHeaders(), credentials: "same-origin", cache: "no-store" });
  if (!res.ok) throw errorFrom(res.status, await res.text(), res.headers.get("Retry-After"));
  const blob = await res.blob();
  const href = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = href;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
}

/**
 * POST to an endpoint answering server-sent events; `onEvent(kind, data)` is called for each
 * event as it arrives. An `error` event (the one error body) and a non-2xx answer both throw.
 */
export async function apiStream(path, { json, signal, onEvent }) {
  const headers = { Accept: "text/event-stream", "Content-Type": "application/json", ...authHeaders() };
  let res;
  try {
    res = await fetch(path, { method: "POST", headers, body: JSON.stringify(json), signal,
                              credentials: "same-origin", cache: "no-store" });
  } catch (e) {
    if (e && e.name === "AbortError") throw e;
    throw new ApiError(0, "network", String((e && e.message) || e));
  }
  if (!res.ok) throw errorFrom(res.status, await res.text(), res.headers.get("Retry-After"));
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let kind = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) kind = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
      }
      const payload = data.length ? JSON.parse(data.join("\n")) : null;
      if (kind === "error") {
        const err = (payload && payload.error) || {};
        throw new ApiError(payload ? payload.status : 500, String(err.code || "error"), String(err.message || "error"),
          { field: err.field || null });
      }
      onEvent(kind, payload);
    }
    if (done) return;
  }
}
