// ReplyChecker: one reply with its review, used by every page.
//
// Editable (agent and review views): a <textarea> over a backdrop that repeats the text with
// each finding's span in a <mark> coloured by category. The textarea keeps the browser's own
// editing, undo and IME; the backdrop only draws. As the text changes the marks shift with it,
// and after `delay` ms without typing the text is re-reviewed (POST /v1/reviews). Hovering a
// highlight, or moving the cursor into one, shows its reason and suggested rewrite with an
// Apply button (Tab reaches it; Alt+Enter applies at the cursor; Escape closes it), and says
// them to screen readers; the findings list beside it offers the same with buttons.
//
// Read-only (report examples): the text with focusable marks and the same popover.
//
// Offsets from the API are code points; they are mapped to UTF-16 once per review.

import { api } from "./api.js";
import { catClass, codePointMap, h, truncate } from "./dom.js";
import { catLabel, onLangChange, t } from "./i18n.js";

export const SECTIONS = ["apology", "restatement", "remedy", "close"];
let counter = 0;
let shown = null; // the checker whose popover is open: one at a time

// Escape closes an open popover wherever focus is (it may be open under the pointer only)
document.addEventListener("keydown", (ev) => {
  if (ev.key === "Escape" && !ev.defaultPrevented && shown) shown._escape(false);
});

export class ReplyChecker {
  constructor({
    editorHost, panelHost = null, editable = true, labelKey = "rc.label", text = "", review = null,
    getComplaint = () => null, getLang = () => null, onError = () => {}, onChange = () => {}, delay = 400,
    policy = false,
  }) {
    Object.assign(this, { editable, getComplaint, getLang, onError, onChange, delay, policy });
    this.uid = `rc${++counter}`;
    this.text = "";
    this.review = null;
    // {f, idx, s, e, src}: s/e are UTF-16 offsets (null for structure findings and for findings an
    // edit overlapped), src the words the review found there
    this.items = [];
    this.sections = {}; // name -> {s, e, text} or null
    this.state = "empty";
    this.seq = 0;
    this.edit = null; // {s, e, text}: the replacement apply() is making
    this.timer = 0;
    this.ctl = null;
    this.markEls = new Map();
    this.overIdx = null; // the finding under the pointer (editable)
    // dismissed: the finding Escape closed ({s, e} of its span) and the caret then; it stays
    // closed until the caret moves, the pointer comes back to it or the text changes
    this.pop = { idx: null, via: null, hover: false, timer: 0, dismissed: null };
    this._buildEditor(editorHost, labelKey);
    if (panelHost) this._buildPanel(panelHost);
    if (this.editable || this.panel) onLangChange(() => {
      this._renderPanel();
      this._setState(this.state);
      if (this.pop.idx !== null) this._fillPop(this.pop.idx);
    });
    if (text) this.setText(text, review);
    else {
      this._renderMarks();
      this._renderPanel();
      this._setState("empty");
    }
  }

  get value() { return this.text; }

  /** Replace the text; with a review of exactly this text, show it, else review it now. */
  setText(text, review = null) {
    this._cancelReview();
    this._hidePop();
    this.text = String(text ?? "");
    if (this.input) {
      this.input.value = this.text;
      this._autosize();
    }
    if (review) {
      this._setReview(review);
      this._setState("done");
    } else {
      this.review = null;
      this.items = [];
      this.sections = {};
      this._renderMarks();
      this._renderPanel();
      if (this.text.trim() && this.editable) this.reviewNow();
      else this._setState("empty");
    }
  }

  focus() { (this.input || this.root).focus(); }

  // ------------------------------------------------------------------ reviewing

  scheduleReview(delay = this.delay) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.reviewNow(), delay);
  }

  _cancelReview() {
    clearTimeout(this.timer);
    this.seq++;
    if (this.ctl) this.ctl.abort();
    this.ctl = null;
  }

  async reviewNow() {
    clearTimeout(this.timer);
    const text = this.text;
    if (!text.trim()) {
      this._cancelReview();
      this.review = null;
      this.items = [];
      this.sections = {};
      this._renderMarks();
      this._renderPanel();
      this._setState("empty");
      return;
    }
    const seq = ++this.seq;
    if (this.ctl) this.ctl.abort();
    const ctl = (this.ctl = new AbortController());
    this._setState("checking");
    const body = { reply: text };
    const complaint = this.getComplaint();
    if (complaint && complaint.trim()) body.complaint = complaint;
    const lang = this.getLang();
    if (lang) body.lang = lang;
    if (this.policy) body.policy = true; // a draft's times, amounts and links stay checked against the policy
    try {
      const review = await api("/v1/reviews", { method: "POST", json: body, signal: ctl.signal });
      if (seq !== this.seq || text !== this.text) return; // the text moved on; a newer review follows
      this._setReview(review);
      this._setState("done");
      this.onError(null);
    } catch (err) {
      if ((err && err.name === "AbortError") || seq !== this.seq) return;
      this._setState("error");
      this.onError(err);
    }
  }

  _setReview(review) {
    // the popover belongs to the old findings: close it, and reopen it at the cursor if it was there
    const via = this.pop.via;
    this._hidePop();
    this.review = review;
    const map = codePointMap(this.text);
    const n = map.length - 1;
    const conv = (x) => (Number.isInteger(x) && x >= 0 && x <= n ? map[x] : null);
    this.items = (review.findings || []).map((f, idx) => {
      let s = conv(f.start);
      let e = conv(f.end);
      if (s === null || e === null || e <= s) s = e = null;
      return { f, idx, s, e, src: s === null ? null : this.text.slice(s, e) };
    });
    this.sections = {};
    for (const name of SECTIONS) {
      const r = review.sections ? review.sections[name] : null;
      const s = Array.isArray(r) ? conv(r[0]) : null;
      const e = Array.isArray(r) ? conv(r[1]) : null;
      this.sections[name] = s !== null && e !== null && e > s ? { s, e, text: this.text.slice(s, e) } : null;
    }
    this._renderMarks();
    this._renderPanel();
    if (via === "caret" && document.activeElement === this.input) this._caret();
    if (this.structEl) {
      // findings about the whole reply (a missing section) have no span to highlight
      const whole = this.items.filter((it) => it.s === null);
      this.structEl.replaceChildren(...whole.map((it) => h("span", {
        class: `chip ${catClass(it.f.category)}`, title: it.f.message, dataset: { category: it.f.category },
      }, catLabel(it.f.category))));
    }
  }

  _setState(state) {
    this.state = state;
    this.root.dataset.state = state;
    if (this.panel) {
      this.panel.dataset.state = state;
      this.stateEl.textContent = t(`rc.state_${state}`);
    }
  }

  // ------------------------------------------------------------------ editor

  _buildEditor(host, labelKey) {
    this.root = h("div", { class: this.editable ? "rc rc-edit" : "rc rc-view" });
    // Editable: a non-modal dialog (it holds the Apply button that Tab reaches), named by its
    // heading and described by the reason and the suggestion; moving the caret into a finding
    // also says them in a live region, since focus stays in the textarea. Read-only: a tooltip
    // that describes the focused highlight (aria-describedby on each mark).
    this.popEl = h("div", {
      class: "rc-pop", id: `${this.uid}-pop`, hidden: true, role: this.editable ? "dialog" : "tooltip",
      "aria-labelledby": this.editable ? `${this.uid}-pop-head` : null,
      "aria-describedby": this.editable ? `${this.uid}-pop-msg ${this.uid}-pop-sugg` : null,
    });
    this.popEl.addEventListener("mouseenter", () => { this.pop.hover = true; this._cancelHide(); });
    this.popEl.addEventListener("mouseleave", () => { this.pop.hover = false; this._hideSoon(); });
    this.popEl.addEventListener("focusout", (ev) => {
      if (!this.popEl.contains(ev.relatedTarget) && ev.relatedTarget !== this.input) this._hideSoon();
    });
    this.popEl.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") {
        ev.preventDefault();
        this._escape(true);
      }
    });
    if (this.editable) {
      const id = `${this.uid}-input`;
      this.secLayer = h("div", { class: "rc-layer rc-sec", "aria-hidden": "true" });
      this.backdrop = h("div", { class: "rc-layer rc-marks", "aria-hidden": "true" });
      this.input = h("textarea", {
        id, class: "rc-input", spellcheck: "false", autocomplete: "off", maxlength: "20000", rows: "8",
        "aria-describedby": `${this.uid}-hint`,
      });
      const field = h("div", { class: "rc-field" }, this.secLayer, this.backdrop, this.input);
      this.liveEl = h("p", { class: "visually-hidden", role: "status", "aria-live": "polite", "aria-atomic": "true" });
      this.root.append(
        h("label", { for: id, class: "rc-label", "data-i18n": labelKey }, t(labelKey)),
        field, this.popEl, this.liveEl,
        h("p", { class: "hint", id: `${this.uid}-hint`, "data-i18n": "rc.hint" }, t("rc.hint")));
      this._wireEditor();
    } else {
      this.view = h("div", { class: "rc-text" });
      this.structEl = h("p", { class: "rc-struct" });
      this.root.append(this.view, this.structEl, this.popEl);
    }
    host.replaceChildren(this.root);
  }

  _wireEditor() {
    const ta = this.input;
    ta.addEventListener("input", () => this._onInput());
    ta.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape" && this.pop.idx !== null) {
        ev.preventDefault();
        this._escape(false);
      } else if (ev.key === "Enter" && ev.altKey) {
        const it = this._itemAtCaret();
        if (it && it.f.suggestion) {
          ev.preventDefault();
          this.apply(it.idx);
        }
      }
    });
    ta.addEventListener("keyup", () => {
      if (this._typed) { this._typed = false; return; }
      this._caret();
    });
    ta.addEventListener("mouseup", () => this._caret());
    ta.addEventListener("focus", () => this._caret());
    ta.addEventListener("blur", (ev) => {
      if (this.popEl.contains(ev.relatedTarget)) return;
      if (this.pop.via === "caret") this._hideSoon();
    });
    ta.addEventListener("mousemove", (ev) => {
      const x = ev.clientX;
      const y = ev.clientY;
      if (this._raf) cancelAnimationFrame(this._raf);
      this._raf = requestAnimationFrame(() => { this._raf = 0; this._hover(x, y); });
    });
    ta.addEventListener("mouseleave", () => {
      this.overIdx = null;
      if (this.pop.dismissed) this.pop.dismissed.away = true;
      ta.classList.remove("over-mark");
      if (this.pop.via === "hover") this._hideSoon();
    });
    window.addEventListener("resize", () => { this._autosize(); this._hidePop(); });
  }

  _onInput() {
    const neu = this.input.value;
    const ed = this.edit; // the replacement apply() is making, when this input is it
    this.edit = null;
    const exact = ed && neu === this.text.slice(0, ed.s) + ed.text + this.text.slice(ed.e);
    const dropped = this._shift(this.text, neu, exact ? ed : null);
    this.text = neu;
    this.pop.dismissed = null;
    this._typed = true;
    this._autosize();
    this._renderMarks();
    this._showSection(null);
    this._hidePop();
    this._setState(neu.trim() ? "pending" : "empty");
    if (dropped) this._renderPanel(); // a finding the edit overlapped offers no more Apply or Show
    if (this.panel) this.panel.classList.add("stale");
    this.scheduleReview();
    this.onChange(neu);
  }

  /** Keep highlights on their words while the text changes: spans after the edit move, spans it
   *  touched are dropped (until the next review finds them again). `edit` is the range [s, e) that
   *  was replaced, when known (an applied suggestion); else it is read from the two texts, which
   *  cannot tell where a replacement that begins or ends like the words it replaced really went.
   *  Returns whether a finding was dropped. */
  _shift(old, neu, edit = null) {
    if (old === neu) return false;
    let p;
    let oldEnd;
    if (edit) {
      p = edit.s;
      oldEnd = edit.e;
    } else {
      const max = Math.min(old.length, neu.length);
      p = 0;
      while (p < max && old.charCodeAt(p) === neu.charCodeAt(p)) p++;
      let q = 0;
      while (q < max - p && old.charCodeAt(old.length - 1 - q) === neu.charCodeAt(neu.length - 1 - q)) q++;
      oldEnd = old.length - q;
    }
    const delta = neu.length - old.length;
    let dropped = false;
    for (const it of this.items) {
      if (it.s === null) continue;
      if (it.s >= oldEnd) {
        it.s += delta; // after the edit
        it.e += delta;
      } else if (it.e > p) {
        it.s = it.e = null; // the edit overlapped its words
      }
      if (it.s === null || neu.slice(it.s, it.e) !== it.src) {
        it.s = it.e = null;
        it.stale = true;
        dropped = true;
      }
    }
    return dropped;
  }

  _autosize() {
    const ta = this.input;
    const y = window.scrollY;
    ta.style.height = "auto";
    ta.style.height = `${ta.scrollHeight}px`;
    if (window.scrollY !== y) window.scrollTo(window.scrollX, y);
  }

  /** The text again, with each finding's span in a <mark> (earliest start wins an overlap). */
  _renderMarks() {
    const layer = this.editable ? this.backdrop : this.view;
    const text = this.text;
    const spans = this.items.filter((it) => it.s !== null && it.e <= text.length)
      .sort((a, b) => a.s - b.s || (b.e - b.s) - (a.e - a.s));
    const frag = document.createDocumentFragment();
    this.markEls = new Map();
    let pos = 0;
    for (const it of spans) {
      if (it.s < pos) continue;
      frag.append(text.slice(pos, it.s));
      const m = h("mark", {
        class: `hl ${catClass(it.f.category)} sev-${it.f.severity}`,
        dataset: { category: it.f.category, index: it.idx },
      }, text.slice(it.s, it.e));
      if (!this.editable) this._wireStaticMark(m, it.idx);
      this.markEls.set(it.idx, m);
      frag.append(m);
      pos = it.e;
    }
    frag.append(text.slice(pos));
    if (this.editable) frag.append("\n"); // a trailing newline in the textarea still takes a line
    layer.replaceChildren(frag);
  }

  _wireStaticMark(m, idx) {
    m.tabIndex = 0;
    m.setAttribute("aria-describedby", this.popEl.id);
    m.addEventListener("focus", () => this._showPop(idx, "focus"));
    m.addEventListener("blur", () => this._hideSoon());
    m.addEventListener("mouseenter", () => this._showPop(idx, "hover"));
    m.addEventListener("mouseleave", () => this._hideSoon());
    m.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape" && !this.popEl.hidden) {
        ev.preventDefault();
        this._hidePop(); // focus stays on the highlight
      }
    });
  }

  _showSection(name) {
    if (!this.secLayer) return;
    const sec = name ? this.sections[name] : null;
    if (!sec || sec.e > this.text.length || this.text.slice(sec.s, sec.e) !== sec.text) {
      this.secLayer.replaceChildren();
      return;
    }
    this.secLayer.replaceChildren(this.text.slice(0, sec.s),
      h("span", { class: `sec-hl sec-${name}` }, this.text.slice(sec.s, sec.e)), this.text.slice(sec.e), "\n");
  }

  // ------------------------------------------------------------------ popover

  _itemAtCaret() {
    if (!this.input) return null;
    const pos = this.input.selectionStart;
    let best = null;
    for (const it of this.items) {
      if (it.s === null || !this.markEls.has(it.idx)) continue;
      if (it.s < pos && pos < it.e) return it;
      if (!best && (it.s === pos || it.e === pos)) best = it;
    }
    return best;
  }

  _caret() {
    const d = this.pop.dismissed;
    // closed under the pointer only, or the caret moved on since: the caret may open it again
    if (d && (d.at === null || this.input.selectionStart !== d.at)) this.pop.dismissed = null;
    const it = this._itemAtCaret();
    if (it && !this._dismissed(it)) this._showPop(it.idx, "caret");
    else if (this.pop.via === "caret") this._hidePop();
  }

  _dismissed(it) {
    const d = this.pop.dismissed;
    return Boolean(d && it && it.s === d.s && it.e === d.e);
  }

  /** Escape: close the popover and keep it closed for this finding (until the caret moves or the
   *  pointer leaves and comes back). From inside the popover, focus goes back to the finding: the
   *  textarea, with the caret on the highlighted words. */
  _escape(fromPop) {
    const it = this.pop.idx !== null ? this.items[this.pop.idx] : null;
    if (!this.editable || !it || it.s === null) {
      this._hidePop();
      return;
    }
    const ta = this.input;
    if (fromPop && (ta.selectionStart < it.s || ta.selectionStart > it.e)) ta.setSelectionRange(it.s, it.s);
    const inText = fromPop || document.activeElement === ta;
    // away: the pointer is not on it, so coming onto it opens it again
    this.pop.dismissed = { s: it.s, e: it.e, at: inText ? ta.selectionStart : null, away: this.overIdx !== it.idx };
    this._hidePop();
    if (fromPop) ta.focus();
  }

  _hover(x, y) {
    const d = this.pop.dismissed;
    for (const [idx, m] of this.markEls) {
      for (const r of m.getClientRects()) {
        if (x >= r.left && x <= r.right && y >= r.top && y <= r.bottom) {
          this.overIdx = idx;
          this.input.classList.add("over-mark");
          if (this._dismissed(this.items[idx])) {
            if (!d.away) return; // closed with Escape while the pointer was on it
            this.pop.dismissed = null; // the pointer left and came back
          }
          this._cancelHide();
          if (this.pop.idx !== idx) this._showPop(idx, "hover");
          return;
        }
      }
    }
    this.overIdx = null;
    if (d) d.away = true;
    this.input.classList.remove("over-mark");
    if (this.pop.via === "hover") this._hideSoon();
  }

  _showPop(idx, via) {
    const m = this.markEls.get(idx);
    if (!m) return;
    this._cancelHide();
    if (shown && shown !== this) shown._hidePop();
    shown = this;
    if (this.pop.idx !== idx) this._fillPop(idx);
    this.pop.idx = idx;
    this.pop.via = via;
    for (const el of this.markEls.values()) el.classList.toggle("active", el === m);
    this.popEl.hidden = false;
    const host = this.root.getBoundingClientRect();
    const rects = m.getClientRects();
    const r = rects.length ? rects[0] : m.getBoundingClientRect();
    const width = this.popEl.offsetWidth;
    const left = Math.max(0, Math.min(r.left - host.left, host.width - width));
    this.popEl.style.left = `${left}px`;
    this.popEl.style.top = `${r.bottom - host.top + 6}px`;
    if (via === "caret") this._say(this._popText(idx));
  }

  /** What the popover says, as one sentence for the live region. */
  _popText(idx) {
    const f = this.items[idx].f;
    const parts = [`${catLabel(f.category)}, ${t(`severity.${f.severity}`)}: ${f.message}`];
    if (f.suggestion) parts.push(`${t("rc.suggestion")} ${f.suggestion}`);
    if (this.editable && f.suggestion) parts.push(t("rc.pop_keys"));
    return parts.join(" ");
  }

  _say(text) {
    if (this.liveEl && this.liveEl.textContent !== text) this.liveEl.textContent = text;
  }

  _fillPop(idx) {
    const it = this.items[idx];
    if (!it) return;
    const f = it.f;
    const lang = this.review ? this.review.lang : null;
    const id = (part) => (this.editable ? `${this.uid}-pop-${part}` : null);
    const parts = [
      h("div", { class: "pop-head", id: id("head") },
        h("span", { class: `chip ${catClass(f.category)}` }, catLabel(f.category)), " ",
        h("span", { class: `sev sev-${f.severity}` }, t(`severity.${f.severity}`))),
      h("p", { class: "pop-msg", id: id("msg"), lang }, f.message),
    ];
    if (f.suggestion) {
      parts.push(h("p", { class: "pop-sugg", id: id("sugg") }, h("span", { class: "lbl" }, t("rc.suggestion")), " ",
        h("span", { class: "sugg-text", lang }, f.suggestion)));
    }
    if (this.editable && f.suggestion && it.s !== null) {
      parts.push(h("div", { class: "pop-actions" },
        h("button", { type: "button", class: "btn small primary", dataset: { act: "apply" }, onclick: () => this.apply(idx) },
          t("rc.apply")),
        h("span", { class: "hint" }, t("rc.apply_keys"))));
    }
    this.popEl.replaceChildren(...parts);
  }

  _hideSoon() {
    clearTimeout(this.pop.timer);
    this.pop.timer = setTimeout(() => {
      if (this.pop.hover || this.popEl.contains(document.activeElement)) return;
      if (this.pop.via === "caret" && document.activeElement === this.input && this._itemAtCaret()) return;
      this._hidePop();
    }, 250);
  }

  _cancelHide() { clearTimeout(this.pop.timer); }

  _hidePop() {
    if (shown === this) shown = null;
    clearTimeout(this.pop.timer);
    this.popEl.hidden = true;
    this.pop.idx = null;
    this.pop.via = null;
    this.pop.hover = false;
    for (const el of this.markEls.values()) el.classList.remove("active");
    this._say("");
  }

  // ------------------------------------------------------------------ actions

  /** Replace a finding's span with its suggestion (as an edit the browser can undo), select the
   *  first [placeholder] of the inserted text so typing fills it, and review again at once. */
  apply(idx) {
    const it = this.items[idx];
    if (!this.editable || !it || it.s === null || !it.f.suggestion) return;
    const ta = this.input;
    const { s, e } = it;
    if (ta.value !== this.text || this.text.slice(s, e) !== it.src) {
      // never splice at offsets that no longer hold the finding's words: drop it, review again
      it.s = it.e = null;
      it.stale = true;
      this._renderMarks();
      this._renderPanel();
      this.reviewNow();
      return;
    }
    const sugg = it.f.suggestion;
    const before = ta.value;
    this._hidePop();
    ta.focus();
    ta.setSelectionRange(s, e);
    // _onInput moves the other findings by exactly this replacement: those it overlapped are
    // dropped, those after it shift, whatever the suggestion shares with the words around it
    this.edit = { s, e, text: sugg };
    let done = false;
    try { done = document.execCommand("insertText", false, sugg); } catch { done = false; }
    if (!done || ta.value === before) {
      this.edit = { s, e, text: sugg };
      ta.setRangeText(sugg, s, e, "end");
      this._onInput();
    }
    this.edit = null;
    const ph = /\[[^\]\n]*\]/.exec(sugg);
    if (ph) ta.setSelectionRange(s + ph.index, s + ph.index + ph[0].length);
    this._typed = true;
    this.reviewNow();
  }

  select(idx) {
    const it = this.items[idx];
    if (!this.editable || !it || it.s === null) return;
    this.input.focus();
    this.input.setSelectionRange(it.s, it.e);
    const m = this.markEls.get(idx);
    if (m) {
      m.scrollIntoView({ block: "nearest" });
      this._showPop(idx, "caret");
    }
  }

  // ------------------------------------------------------------------ panel

  _buildPanel(host) {
    this.scoreNum = h("span", { class: "score-num" }, "—");
    this.badge = h("span", { class: "badge", hidden: true });
    this.stateEl = h("p", { class: "rc-state" });
    this.countsEl = h("p", { class: "rc-counts" });
    this.secList = h("ol", { class: "secmap" });
    this.findList = h("ul", { class: "findings" });
    this.findCount = h("span", { class: "count" });
    this.panel = h("div", { class: "rc-panel" },
      h("div", { class: "scorebox" },
        h("div", { class: "score", role: "status", "aria-live": "polite" },
          h("span", { class: "score-label", "data-i18n": "rc.score" }, t("rc.score")), " ",
          this.scoreNum, h("span", { class: "score-of" }, "/100"), " ", this.badge),
        this.stateEl),
      this.countsEl,
      h("h3", { "data-i18n": "rc.sections" }, t("rc.sections")), this.secList,
      h("h3", {}, h("span", { "data-i18n": "rc.findings" }, t("rc.findings")), " ", this.findCount),
      this.findList);
    host.replaceChildren(this.panel);
  }

  _renderPanel() {
    if (!this.panel) return;
    const r = this.review;
    this.panel.classList.remove("stale");
    this.secList.replaceChildren(...SECTIONS.map((name) => this._sectionItem(name)));
    if (!r) {
      this.scoreNum.textContent = "—";
      this.badge.hidden = true;
      this.countsEl.textContent = "";
      this.findCount.textContent = "";
      this.findList.replaceChildren(h("li", { class: "empty" }, t("rc.no_review")));
      return;
    }
    this.scoreNum.textContent = String(r.score);
    this.badge.hidden = false;
    this.badge.className = `badge ${r.passed ? "pass" : "fail"}`;
    this.badge.textContent = r.passed ? `✓ ${t("rc.pass")}` : `✗ ${t("rc.fail")}`;
    const n = { error: 0, warning: 0, info: 0 };
    for (const it of this.items) n[it.f.severity] = (n[it.f.severity] || 0) + 1;
    this.countsEl.textContent = t("rc.counts", { errors: n.error, warnings: n.warning, infos: n.info });
    this.findCount.textContent = `(${this.items.length})`;
    if (!this.items.length) {
      this.findList.replaceChildren(h("li", { class: "empty" }, t("rc.no_findings")));
      return;
    }
    const order = [...this.items].sort((a, b) => (a.f.start ?? Infinity) - (b.f.start ?? Infinity) || a.idx - b.idx);
    this.findList.replaceChildren(...order.map((it) => this._findingItem(it)));
  }

  _sectionItem(name) {
    const sec = this.sections[name];
    const present = Boolean(sec);
    const known = Boolean(this.review);
    const li = h("li", { class: "sec", dataset: { section: name, state: known ? (present ? "present" : "missing") : "unknown" } },
      h("span", { class: "sec-icon", "aria-hidden": "true" }, known ? (present ? "✓" : "✗") : "·"),
      h("span", { class: "sec-name" }, t(`section.${name}`)),
      known && !present ? h("span", { class: "sec-missing" }, t("rc.missing")) : null,
      present ? h("span", { class: "sec-excerpt", lang: this.review.lang }, truncate(sec.text.trim(), 80)) : null);
    if (present && this.editable) {
      li.tabIndex = 0;
      li.setAttribute("aria-label", `${t(`section.${name}`)}: ${sec.text.trim()}`);
      li.addEventListener("mouseenter", () => this._showSection(name));
      li.addEventListener("mouseleave", () => this._showSection(null));
      li.addEventListener("focus", () => this._showSection(name));
      li.addEventListener("blur", () => this._showSection(null));
    }
    return li;
  }

  _findingItem(it) {
    const f = it.f;
    const lang = this.review ? this.review.lang : null;
    const li = h("li", { class: `finding sev-${f.severity}${it.stale ? " stale" : ""}`, dataset: { category: f.category, index: it.idx } },
      h("div", { class: "f-head" },
        h("span", { class: `chip ${catClass(f.category)}` }, catLabel(f.category)),
        h("span", { class: `sev sev-${f.severity}` }, t(`severity.${f.severity}`))),
      f.text ? h("p", { class: "f-text", lang }, h("q", {}, f.text)) : null,
      h("p", { class: "f-msg", lang }, f.message),
      f.suggestion ? h("p", { class: "f-sugg" }, h("span", { class: "lbl" }, t("rc.suggestion")), " ",
        h("span", { class: "sugg-text", lang }, f.suggestion)) : null);
    if (this.editable && it.s !== null) {
      const label = f.text ? `“${f.text}”` : "";
      li.append(h("div", { class: "f-actions" },
        h("button", { type: "button", class: "btn small", dataset: { act: "show" }, "aria-label": `${t("rc.show")} ${label}`, onclick: () => this.select(it.idx) }, t("rc.show")),
        f.suggestion ? h("button", { type: "button", class: "btn small primary", dataset: { act: "apply" }, "aria-label": `${t("rc.apply")} ${label}`, onclick: () => this.apply(it.idx) }, t("rc.apply")) : null));
      const on = () => { const m = this.markEls.get(it.idx); if (m) m.classList.add("active"); };
      const off = () => { const m = this.markEls.get(it.idx); if (m && this.pop.idx !== it.idx) m.classList.remove("active"); };
      li.addEventListener("mouseenter", on);
      li.addEventListener("mouseleave", off);
      li.addEventListener("focusin", on);
      li.addEventListener("focusout", off);
    }
    return li;
  }
}
