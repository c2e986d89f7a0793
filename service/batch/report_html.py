"""A batch report as ONE self-contained HTML file (inline CSS and SVG, no external resources).

Everything that comes from data is escaped: the environment autoescapes, and `highlight` builds
marked-up replies by escaping each text segment separately, never by inserting tags into raw text.
"""

from __future__ import annotations

import functools
import math
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

__all__ = ["render_html", "highlight"]

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"  # shared with the eval report

# (background, border) per category: light tints keep dark text readable; borders carry the hue.
PALETTE = [
    ("#fde2e1", "#c62828"), ("#fff1c2", "#b26a00"), ("#e3f0ff", "#1f5fbf"), ("#f0e4ff", "#6a3fb5"),
    ("#ffe0ef", "#b0246a"), ("#e2f5e9", "#1e7a43"), ("#ffe8d6", "#b4480f"), ("#dff5f5", "#0f6f73"),
    ("#ececec", "#555555"), ("#f4f0d9", "#6b5d10"), ("#e6e9ff", "#3c44a8"),
]


def css_id(category: Any) -> str:
    """A category id safe for a CSS class name (data never reaches CSS unsanitised)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", str(category or "other")) or "other"


def _num(x: Any) -> float | None:
    if isinstance(x, bool):
        return None
    try:
        v = float(x)
    except Exception:  # None, Undefined, junk strings
        return None
    return v if math.isfinite(v) else None


def _fmt(x: Any, digits: int = 1) -> str:
    v = _num(x)
    return "—" if v is None else f"{v:,.{digits}f}"


def _int(x: Any) -> str:
    v = _num(x)
    return "—" if v is None else f"{round(v):,}"


def _pct(x: Any) -> str:
    v = _num(x)
    return "—" if v is None else f"{v * 100:.1f}%"


def _date(x: Any) -> str:
    if not isinstance(x, str) or not x:
        return "—"
    try:
        d = datetime.fromisoformat(x)
    except ValueError:
        return x
    return d.strftime("%Y-%m-%d %H:%M") + (" UTC" if d.utcoffset() is not None and not d.utcoffset() else "")


def _label(label: Any, fallback: str) -> str:
    if isinstance(label, dict):  # a rubric label {zh-Hans: ..., en: ...}
        label = label.get("en") or next(iter(label.values()), None)
    return str(label) if label else fallback


def _categories(report: dict) -> list[dict]:
    """Categories in display order, each with id, label, css class and colours."""
    given = report.get("categories") or []
    ids: list[tuple[str, Any]] = [(str(c.get("id")), c.get("label")) for c in given if isinstance(c, dict) and c.get("id")]
    if not ids:  # fall back to whatever the overall rates mention
        per_100 = (report.get("overall") or {}).get("per_100") or {}
        ids = [(str(k), None) for k in per_100]
    out = []
    for i, (cid, label) in enumerate(ids):
        bg, border = PALETTE[i % len(PALETTE)]
        out.append({"id": cid, "label": _label(label, cid), "css": css_id(cid), "bg": bg, "border": border})
    return out


def _max(values) -> float:
    nums = [v for v in (_num(x) for x in values) if v is not None]
    return max(nums, default=0.0)


def highlight(reply: str, findings: list[dict]) -> Markup:
    """The reply, escaped, with each finding's span wrapped in <mark class="cat-…" title="…">.

    Findings whose start is None or out of range are ignored; a finding that starts inside an
    already-marked span is skipped (earliest start wins, then the longer span)."""
    text = reply if isinstance(reply, str) else ("" if reply is None else str(reply))
    spans = []
    for f in findings or []:
        if not isinstance(f, dict):
            continue
        s, e = f.get("start"), f.get("end")
        if not (isinstance(s, int) and isinstance(e, int)) or isinstance(s, bool) or isinstance(e, bool):
            continue
        if 0 <= s < e <= len(text):
            spans.append((s, -e, f))
    spans.sort(key=lambda t: (t[0], t[1]))
    parts: list[Markup] = []
    pos = 0
    for s, neg_e, f in spans:
        if s < pos:
            continue
        e = -neg_e
        title = " — ".join(str(x) for x in (f.get("message"), f.get("suggestion")) if x)
        parts.append(escape(text[pos:s]))
        parts.append(Markup('<mark class="cat-{}" title="{}">{}</mark>').format(css_id(f.get("category")), title, text[s:e]))
        pos = e
    parts.append(escape(text[pos:]))
    return Markup("").join(parts)


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.ChainableUndefined,  # a missing optional key renders as empty, never crashes
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(fmt=_fmt, intfmt=_int, pct=_pct, date=_date, css_id=css_id)
    env.globals.update(highlight=highlight, num=_num, maxof=_max)
    return env


def render_html(report: dict) -> str:
    report = report if isinstance(report, dict) else {}
    cats = _categories(report)
    return _environment().get_template("report.html.j2").render(
        report=report,
        cats=cats,
        cat_label={c["id"]: c["label"] for c in cats},
    )
