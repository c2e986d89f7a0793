"""An eval run's results ("tactful-eval/1") as ONE self-contained HTML file (inline CSS, no scripts,
no external resources).

The batch report's building blocks are reused (service/report_html.py): its template environment
(autoescape on, ChainableUndefined), number filters, palette and `highlight`. Everything that comes
from data is escaped: the template autoescapes, and `highlight` / `diff_html` build marked-up text by
escaping each segment separately, never by inserting tags into raw text. Any key of the results file
may be missing or null (old files): it renders as "—" or is skipped.
"""

from __future__ import annotations

import difflib
from typing import Any

from markupsafe import Markup, escape

from ..batch.report_html import PALETTE, _environment, _num, css_id, highlight

__all__ = ["render_html", "diff_html"]

TEMPLATE = "eval_report.html.j2"
LOW_MARGIN = 0.10  # a tag value is shaded when its pass rate is this far below the overall rate


def _d(x: Any) -> dict:
    return x if isinstance(x, dict) else {}


def _l(x: Any) -> list:
    return x if isinstance(x, list) else []


def _text(x: Any) -> str:
    return x if isinstance(x, str) else ("" if x is None else str(x))


def _piece(tag: str, text: str) -> Markup:
    # A whitespace-only change with a newline gets a visible marker (CSS ::before, not part of the text).
    if "\n" in text and not text.strip():
        return Markup('<{0} class="nl">{1}</{0}>').format(Markup(tag), text)
    return Markup("<{0}>{1}</{0}>").format(Markup(tag), text)


def diff_html(golden: Any, draft: Any) -> Markup:
    """A character-level diff of the golden reply against the draft, escaped piece by piece:
    equal text plain, golden-only text in <del>, draft-only text in <ins>.

    Dropping the <del> elements and the tags and unescaping gives back the draft exactly;
    dropping the <ins> elements instead gives back the golden reply."""
    a, b = _text(golden), _text(draft)
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    parts: list[Markup] = []
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            parts.append(escape(b[j1:j2]))
            continue
        if i2 > i1:
            parts.append(_piece("del", a[i1:i2]))
        if j2 > j1:
            parts.append(_piece("ins", b[j1:j2]))
    return Markup("").join(parts)


def _status(case: dict) -> str:
    if case.get("error"):
        return "error"
    passed = case.get("passed")
    if passed is True:
        return "pass"
    if passed is False:
        return "fail"
    return "unknown"


def _findings(case: dict) -> list[dict]:
    review = _d(_d(case.get("draft")).get("review"))
    return [f for f in _l(review.get("findings")) if isinstance(f, dict)]


def _categories(cases: list[dict]) -> list[dict]:
    """Every finding category in the run, in order of first appearance, each with colours."""
    seen: list[str] = []
    for c in cases:
        for f in _findings(c):
            cid = str(f.get("category") or "other")
            if cid not in seen:
                seen.append(cid)
    out = []
    for i, cid in enumerate(seen):
        bg, border = PALETTE[i % len(PALETTE)]
        out.append({"id": cid, "label": cid.replace("_", " ").capitalize(), "css": css_id(cid), "bg": bg, "border": border})
    return out


def _unique(*keys) -> list[str]:
    out: list[str] = []
    for k in keys:
        for name in k:
            if str(name) not in out:
                out.append(str(name))
    return out


def _scorers(results: dict) -> list[dict]:
    stats = _d(_d(results.get("stats")).get("scorers"))
    config = _d(_d(results.get("config")).get("scorers"))
    rows = []
    for name in _unique(stats, config):
        s, c = _d(stats.get(name)), _d(config.get(name))
        mean, threshold = _num(s.get("mean")), _num(s.get("threshold", c.get("threshold")))
        rows.append({
            "name": name, "mean": mean, "pass_rate": s.get("pass_rate"),
            "weight": s.get("weight", c.get("weight")), "threshold": threshold,
            "bar": None if mean is None else max(0.0, min(mean, 1.0)) * 100,
            "tick": None if threshold is None else max(0.0, min(threshold, 1.0)) * 100,
            "low": mean is not None and threshold is not None and mean < threshold,
        })
    return rows


def _tags(results: dict) -> list[dict]:
    stats = _d(results.get("stats"))
    ref = _num(stats.get("pass_rate"))
    groups = []
    for key, values in _d(stats.get("tags")).items():
        rows = []
        for value, row in _d(values).items():
            row = _d(row)
            pr = _num(row.get("pass_rate"))
            rows.append({"value": value, "cases": row.get("cases"), "passed": row.get("passed"),
                         "pass_rate": pr, "score": row.get("score"),
                         "low": pr is not None and ref is not None and pr < ref - LOW_MARGIN})
        if rows:
            groups.append({"key": key, "rows": rows})
    return groups


def _case(i: int, case: Any, scorer_order: list[str], cat_by_id: dict[str, dict]) -> dict:
    case = _d(case)
    status = _status(case)
    draft = case.get("draft") if isinstance(case.get("draft"), dict) else None
    findings = _findings(case)
    scores = _d(case.get("scores"))
    score_rows = []
    for name in _unique([n for n in scorer_order if n in scores], scores):
        s = _d(scores.get(name))
        ok = s.get("pass")
        score_rows.append({"name": name, "ok": ok if isinstance(ok, bool) else None,
                           "score": s.get("score"), "reason": s.get("reason")})
    cats = []
    for f in findings:
        cat = cat_by_id.get(str(f.get("category") or "other"))
        if cat and cat not in cats:
            cats.append(cat)
    golden = case.get("golden") if isinstance(case.get("golden"), str) else None
    draft_text = draft.get("text") if draft is not None and isinstance(draft.get("text"), str) else None
    return {
        "anchor": f"case-{i + 1}", "id": case.get("id"), "description": case.get("description"),
        "status": status, "open": status in ("fail", "error"),
        "score": case.get("score"), "error": case.get("error"), "latency_ms": case.get("latency_ms"),
        "tags": [(k, v) for k, v in _d(case.get("tags")).items() if v is not None and v != ""],
        "scores": score_rows, "ticket": _d(case.get("ticket")),
        "golden": golden, "draft": draft, "draft_text": draft_text,
        "review": _d(_d(draft).get("review")), "findings": findings, "cats": cats,
    }


_ORDER = {"fail": 0, "error": 0, "unknown": 1, "pass": 2}


def render_html(results: dict) -> str:
    """The eval run report as a complete, self-contained HTML document."""
    results = results if isinstance(results, dict) else {}
    raw_cases = _l(results.get("results"))
    cats = _categories([_d(c) for c in raw_cases])
    scorers = _scorers(results)
    scorer_order = [s["name"] for s in scorers]
    cat_by_id = {c["id"]: c for c in cats}
    cases = [_case(i, c, scorer_order, cat_by_id) for i, c in enumerate(raw_cases)]
    cases.sort(key=lambda c: _ORDER[c["status"]])  # stable: failed and errored first, then passed
    return _environment().get_template(TEMPLATE).render(
        r=results,
        stats=_d(results.get("stats")),
        usage=_d(_d(results.get("stats")).get("usage")),
        config=_d(results.get("config")),
        prompt_hashes=list(_d(results.get("prompt_hashes")).items()),
        scorers=scorers,
        tag_groups=_tags(results),
        cases=cases,
        failing=[c for c in cases if c["open"]],
        cats=cats,
        low_margin=LOW_MARGIN,
        diff_html=diff_html,
        highlight=highlight,
    )
