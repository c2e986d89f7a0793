"""The HTML batch report: self-contained, escapes everything from data, tolerates missing keys."""

import copy
import re

from markupsafe import Markup

from service.batch.report_html import highlight, render_html

CATEGORY_IDS = [
    "defensive_language", "vague_promise", "over_promise", "blame_shifting", "sensitive_data_request",
    "negative_wording", "missing_apology", "missing_restatement", "missing_concrete_remedy", "missing_open_close",
]
EVIL = "<script>alert(1)</script>尽快"


def per_100(base: float) -> dict:
    return {c: round(base * (i + 1) / 3, 1) for i, c in enumerate(CATEGORY_IDS)}


def sample_report() -> dict:
    examples = [
        {"id": "r17", "reply": "您好，尽快为您处理。", "score": 55, "findings": [
            {"rule": "vague.asap", "category": "vague_promise", "severity": "error", "start": 3, "end": 5,
             "text": "尽快", "message": "Vague time promise", "suggestion": "Give a concrete time, e.g. 今天18:00前"},
            {"rule": "structure.close", "category": "missing_open_close", "severity": "warning", "start": None,
             "end": None, "text": None, "message": "No open close", "suggestion": "Ask if anything else is needed"},
        ]},
        {"id": "r18", "reply": EVIL, "score": 40, "findings": [
            {"rule": "vague.asap", "category": "vague_promise", "severity": "error", "start": len(EVIL) - 2,
             "end": len(EVIL), "text": "尽快", "message": "Vague <time> promise", "suggestion": "Say \"by 6pm\""},
        ]},
    ]
    return {
        "job": {"id": "b1", "filename": "export.csv", "created_at": "2026-11-23T09:00:00Z", "rubric_version": "2026.11.1"},
        "overall": {"rows": 1000, "reviewed": 990, "errors": 10, "pass_rate": 0.71, "mean_score": 83.4,
                    "per_100": per_100(3.0),
                    "top_phrases": [{"category": "vague_promise", "text": "尽快", "count": 120},
                                    {"category": "defensive_language", "text": "这不是我们的问题", "count": 31}]},
        "categories": [{"id": c, "label": c.replace("_", " ").capitalize()} for c in CATEGORY_IDS],
        "by_agent": [
            {"agent": "li", "rows": 120, "reviewed": 118, "pass_rate": 0.42, "mean_score": 70.1, "per_100": per_100(6.0),
             "top_phrases": [{"category": "vague_promise", "text": "尽快", "count": 40}], "examples": examples},
            {"agent": "wang", "rows": 300, "reviewed": 299, "pass_rate": 0.8, "mean_score": 88.0, "per_100": per_100(1.0),
             "top_phrases": [], "examples": []},
        ],
        "by_channel": [{"channel": "email", "rows": 600, "reviewed": 595, "pass_rate": 0.75, "mean_score": 85.2,
                        "per_100": per_100(2.5)},
                       {"channel": "chat", "rows": 400, "reviewed": 395, "pass_rate": 0.65, "mean_score": 80.9,
                        "per_100": per_100(3.5)}],
        "weekly": [{"week": f"2026-W{w}", "rows": 300, "pass_rate": 0.6 + 0.03 * i, "per_100": per_100(3.0)}
                   for i, w in enumerate(range(44, 48))],
    }


def test_sample_report_renders():
    html = render_html(sample_report())
    assert html.lstrip().startswith("<!DOCTYPE html>")
    assert "export.csv" in html and "2026.11.1" in html and "2026-11-23" in html
    assert "71.0%" in html and "83.4" in html and "1,000" in html
    assert html.count("<svg") == 2  # per-100 bars and the weekly trend
    assert "<polyline" in html and "2026-W44" in html
    assert 'class="cat-vague_promise"' in html and "Vague promise" in html
    assert "这不是我们的问题" in html
    assert '"PingFang SC"' in html and '"Microsoft YaHei"' in html and '"Noto Sans CJK SC"' in html
    # agents keep the given (worst first) order
    assert html.index(">li<") < html.index(">wang<")


def test_self_contained():
    html = render_html(sample_report())
    assert "<script" not in html.lower()  # not even an inline one: the evil reply is escaped
    assert "http://" not in html and "https://" not in html
    assert "@import" not in html and "url(" not in html
    assert not re.search(r"<(link|img|iframe|object|embed)\b", html, re.I)


def test_urls_in_data_are_text_only():
    report = sample_report()
    report["by_agent"][0]["examples"][0].update(reply='see https://evil.example/x.js "quoted"', findings=[])
    report["job"]["filename"] = "http://evil.example/a.csv"
    html = render_html(report)
    assert not re.search(r"""(src|href)\s*=""", html, re.I)
    assert "https://evil.example/x.js &#34;quoted&#34;" in html


def test_evil_reply_escaped_and_span_marked():
    html = render_html(sample_report())
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert re.search(r'<mark class="cat-vague_promise" title="[^"<>]*">尽快</mark>', html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<mark" in html
    assert "Vague &lt;time&gt; promise — Say &#34;by 6pm&#34;" in html  # title attribute escaped too


def test_structure_findings_are_badges():
    html = render_html(sample_report())
    assert re.search(r'<span class="badge cat-missing_open_close" title="No open close — Ask if anything else is needed">'
                     r"Missing open close</span>", html)


def test_highlight_escapes_segments():
    out = highlight("a<b>尽快&c", [{"category": "vague_promise", "start": 4, "end": 6, "message": "m", "suggestion": "s"}])
    assert isinstance(out, Markup)
    assert str(out) == 'a&lt;b&gt;<mark class="cat-vague_promise" title="m — s">尽快</mark>&amp;c'


def test_highlight_overlaps_and_bad_offsets():
    reply = "我们会尽快尽快处理"
    findings = [
        {"category": "vague_promise", "start": 3, "end": 7, "message": "long"},
        {"category": "over_promise", "start": 5, "end": 9, "message": "starts inside: skipped"},
        {"category": "vague_promise", "start": 3, "end": 5, "message": "same start, shorter: skipped"},
        {"category": "missing_apology", "start": None, "end": None},
        {"category": "negative_wording", "start": 7, "end": 99},  # out of range
        {"category": "negative_wording", "start": -1, "end": 2},
        {"category": "negative_wording", "start": 2, "end": 2},  # empty
        {"category": "x\" onmouseover=\"alert(1)", "start": 0, "end": 2, "message": "<i>"},
    ]
    out = str(highlight(reply, findings))
    assert out.count("<mark") == 2 and out.count("</mark>") == 2
    assert '<mark class="cat-vague_promise" title="long">尽快尽快</mark>处理' in out
    assert 'class="cat-x__onmouseover__alert_1_"' in out and 'title="&lt;i&gt;"' in out
    assert re.sub(r"<[^>]+>", "", out) == reply  # the text survives intact
    assert str(highlight(None, None)) == ""


def test_overlapping_findings_render():
    report = sample_report()
    report["by_agent"][0]["examples"][0]["findings"] += [
        {"category": "over_promise", "start": 4, "end": 8, "message": "overlap"},
        {"category": "over_promise", "start": 50, "end": 60},
    ]
    html = render_html(report)
    assert "尽快</mark>为您处理" in html


def test_empty_weekly_hides_trend():
    report = sample_report()
    report["weekly"] = []
    html = render_html(report)
    assert "<polyline" not in html and "Weekly pass rate" not in html
    del report["weekly"]
    assert "<polyline" not in render_html(report)


def test_single_week_and_missing_rate():
    report = sample_report()
    report["weekly"] = [{"week": "2026-W44", "rows": 3, "pass_rate": None}, {"week": "2026-W45", "pass_rate": 0.5}]
    html = render_html(report)
    assert "<polyline" in html and html.count("<circle") == 1


def test_agent_names_escaped():
    report = sample_report()
    report["by_agent"][0]["agent"] = "<b>li</b>"
    report["by_channel"][0]["channel"] = "<img src=x>"
    report["overall"]["top_phrases"][0]["text"] = "<u>尽快</u>"
    report["categories"][0]["label"] = "<svg onload=alert(1)>"
    html = render_html(report)
    assert "<b>li</b>" not in html and "&lt;b&gt;li&lt;/b&gt;" in html
    assert "<img" not in html and "<u>" not in html and "onload=alert" not in html.replace("&lt;svg onload=alert", "")


def test_missing_keys_render_gracefully():
    assert "<!DOCTYPE html>" in render_html({})
    minimal = {"job": None, "overall": {"per_100": None, "top_phrases": None}, "by_agent": [{"agent": "a"}],
               "by_channel": None, "weekly": None, "categories": None}
    html = render_html(minimal)
    assert "No offending phrases." in html
    report = copy.deepcopy(sample_report())
    del report["categories"]  # fall back to the ids in overall.per_100
    for a in report["by_agent"]:
        del a["per_100"], a["mean_score"]
    report["by_agent"][0]["examples"][0]["findings"][0].pop("suggestion")
    report["overall"]["mean_score"] = None
    html = render_html(report)
    assert 'class="cat-vague_promise"' in html and "—" in html
