"""The private note a connector posts back: the draft, its triage and the findings that fail it,
in the draft's language, with a marker that names the delivery.

The note is built from the draft as it was stored (store.get_draft): its text, triage and
review are already masked exactly as every stored draft is (drafting/pipeline.py `_save`), so
a note never carries more personal data than the database does.

Each helpdesk shows notes its own way: `markdown` (Chatwoot) escapes the markup characters of
every piece of text, `html` (Zendesk) escapes every piece as HTML, so a customer's words or a
model's can never become a link, an image or markup in the agent's view.
"""

from __future__ import annotations

import html
import re

from .base import Note

__all__ = ["build_note", "marker_of", "markdown", "html_body", "plain"]

_STRINGS = {
    "zh-Hans": {
        "title": "tactful 建议回复（内部备注，客户看不到）",
        "scenario": "场景", "severity": "紧急程度", "respond_within": "回复时限", "escalate_to": "升级至",
        "passed": "检查通过（{score} 分）", "failed": "检查未通过（{score} 分），发出前请修改：",
        "draft": "草稿", "sep": "：", "quote": "「{text}」",
    },
    "zh-Hant": {
        "title": "tactful 建議回覆（內部備註，客戶看不到）",
        "scenario": "情境", "severity": "緊急程度", "respond_within": "回覆時限", "escalate_to": "升級至",
        "passed": "檢查通過（{score} 分）", "failed": "檢查未通過（{score} 分），送出前請修改：",
        "draft": "草稿", "sep": "：", "quote": "「{text}」",
    },
    "en": {
        "title": "tactful suggested reply (internal note: the customer does not see it)",
        "scenario": "Scenario", "severity": "Severity", "respond_within": "Respond within",
        "escalate_to": "Escalate to",
        "passed": "Checks passed (score {score})", "failed": "Checks failed (score {score}): fix before sending:",
        "draft": "draft", "sep": ": ", "quote": "“{text}”",
    },
}


def marker_of(uid: str) -> str:
    """The text a note carries to name its delivery: letters, digits and dashes only, so that
    no helpdesk's markup or escaping changes it."""
    return f"tactful-delivery-{uid}"


def build_note(draft: dict, uid: str) -> Note:
    """The note for a stored draft (store.get_draft's row: text, lang, triage, review)."""
    lang = draft.get("lang") if draft.get("lang") in _STRINGS else "en"
    s = _STRINGS[lang]
    triage = draft.get("triage") or {}
    facts = tuple((s[k], str(triage[k])) for k in ("scenario", "severity", "respond_within", "escalate_to")
                  if triage.get(k))
    review = draft.get("review") or {}
    score = review.get("score", "?")
    failing = [f for f in review.get("findings") or [] if f.get("severity") == "error"]
    verdict = s["passed" if review.get("passed") and not failing else "failed"].format(score=score)
    findings = tuple(_finding(f, s) for f in failing)
    marker = marker_of(uid)
    return Note(lang=lang, title=s["title"], text=draft.get("text") or "", facts=facts, verdict=verdict,
                findings=findings, footer=f"tactful · {s['draft']} {draft.get('id', '')} ·", marker=marker)


def _finding(f: dict, s: dict) -> str:
    quoted = s["quote"].format(text=f["text"]) if f.get("text") else ""
    return f"[{f.get('category', '')}] {quoted}{s['sep'] if quoted else ''}{f.get('message', '')}".strip()


# CommonMark's escapable punctuation: every one gets a backslash, so text stays text
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~=&:])")


def _md(text: str) -> str:
    return _MARKDOWN.sub(r"\\\1", text)


def markdown(note: Note) -> str:
    """The note as Markdown (Chatwoot's private notes render it)."""
    lines = [f"**{_md(note.title)}**", ""]
    lines += [_md(line) if line.strip() else "" for line in note.text.splitlines()]
    lines += ["", " · ".join(f"{_md(label)}: {_md(value)}" for label, value in note.facts), "", _md(note.verdict)]
    lines += [f"- {_md(f)}" for f in note.findings]
    lines += ["", f"{_md(note.footer)} {note.marker}"]
    return "\n".join(lines)


def html_body(note: Note) -> str:
    """The note as HTML (Zendesk's html_body), every piece escaped."""
    e = html.escape
    text = "<br>".join(e(line) for line in note.text.splitlines())
    parts = [f"<p><strong>{e(note.title)}</strong></p>", f"<p>{text}</p>",
             "<p>" + " · ".join(f"{e(label)}: {e(value)}" for label, value in note.facts) + "</p>",
             f"<p>{e(note.verdict)}</p>"]
    if note.findings:
        parts.append("<ul>" + "".join(f"<li>{e(f)}</li>" for f in note.findings) + "</ul>")
    parts.append(f"<p><small>{e(note.footer)} {note.marker}</small></p>")
    return "".join(parts)


def plain(note: Note) -> str:
    """The note as plain text (helpdesks that show notes as typed)."""
    lines = [note.title, "", note.text, "", " · ".join(f"{label}: {value}" for label, value in note.facts),
             "", note.verdict, *[f"- {f}" for f in note.findings], "", f"{note.footer} {note.marker}"]
    return "\n".join(lines)
