"""The browser UI through TestClient: pages and assets served with the right types and security
headers, nothing loaded from another origin, no HTML built from strings, one i18n table with the
same keys in every language, the report's category colours, and pages that need no API key
when the API does. The end-to-end behaviour in a real browser is in test_ui_e2e.py."""

import json
import re
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from service import store
from service.web.app import create_app
from service.batch.report_html import PALETTE
from service.web.routes.ui import UI_DIR
from builtin import RUBRIC
from service.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
PAGES = {"/": "agent", "/review": "review", "/batches": "batches", "/connectors": "connectors"}
TYPES = {".css": "text/css", ".js": "text/javascript", ".json": "application/json", ".svg": "image/svg+xml"}
ASSETS = sorted(p.name for p in UI_DIR.iterdir() if p.suffix in TYPES)
LANGS = ("zh-Hans", "zh-Hant", "en")


def i18n() -> dict:
    return json.loads((UI_DIR / "i18n.json").read_text(encoding="utf-8"))


def test_the_ui_folder_holds_what_the_pages_load():
    assert {"tactful.css", "i18n.json", "reply.js", "agent.js", "review.js", "batches.js"} <= set(ASSETS)
    assert len([a for a in ASSETS if a.endswith(".css")]) == 1  # one stylesheet


@pytest.mark.parametrize("path,page", PAGES.items())
def test_pages_are_html_with_their_module_and_labelled_controls(client, path, page):
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    html = r.text
    assert html.startswith("<!doctype html>")
    assert f'<script type="module" src="/ui/{page}.js' in html
    assert '<link rel="stylesheet" href="/ui/tactful.css' in html
    assert '<main id="main"' in html and 'aria-current="page"' in html
    # every form control has a label (or is labelled by aria), so the page is usable by keyboard
    # and screen reader
    ids = set(re.findall(r'<label[^>]* for="([^"]+)"', html))
    for tag, attrs in re.findall(r"<(input|select|textarea)\b([^>]*)>", html):
        control_id = re.search(r'\bid="([^"]+)"', attrs)
        assert control_id and (control_id.group(1) in ids or "aria-label" in attrs), (tag, attrs)
    assert client.head(path).status_code == 200


@pytest.mark.parametrize("name", ASSETS)
def test_assets_are_served_with_their_content_type(client, name):
    r = client.get(f"/ui/{name}")
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == TYPES[Path(name).suffix]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.content == (UI_DIR / name).read_bytes()


@pytest.mark.parametrize("path", ["/ui/nope.js", "/ui/base.html", "/ui/agent.html", "/ui/..%2Fapp.py",
                                  "/ui/%2e%2e%2fsettings.py", "/ui/.hidden.js", "/ui/sub/reply.js"])
def test_only_ui_assets_are_served(client, path):
    r = client.get(path)
    assert r.status_code == 404
    assert r.json()["ok"] is False


def _served_texts(client) -> dict[str, str]:
    texts = {path: client.get(path).text for path in PAGES}
    texts.update({name: (UI_DIR / name).read_text(encoding="utf-8") for name in ASSETS})
    texts.update({p.name: p.read_text(encoding="utf-8") for p in UI_DIR.glob("*.html")})
    return texts


def test_nothing_is_loaded_from_another_origin(client):
    """The pages work on an offline network: no CDN, no web font, no absolute URL anywhere
    (the only http:// allowed is the SVG namespace, which is a name, not a request)."""
    patterns = [
        r"""\b(src|href|action|poster|data)\s*=\s*["']?\s*(https?:)?//""",
        r"""\bimport\s*(\(|[^;]*?\bfrom\s*)\s*["'](https?:)?//""",
        r"""\b(fetch|open|importScripts|EventSource|WebSocket)\s*\(\s*["'`](https?:|wss?:)?//""",
        r"""@import""",
        r"""url\(\s*["']?(https?:)?//""",
    ]
    for name, text in _served_texts(client).items():
        for pattern in patterns:
            assert not re.search(pattern, text, re.I), (name, pattern)
        rest = text.replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert not re.search(r"(https?|wss?)://", rest), name


def test_scripts_never_build_html_from_strings():
    for path in UI_DIR.glob("*.js"):
        code = path.read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                     "new Function", "createContextualFragment", "DOMParser"):
            assert sink not in code, (path.name, sink)


def test_pages_have_no_inline_script_or_style(client):
    """The CSP forbids inline script and style, so none may be needed."""
    for path in PAGES:
        html = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert "<style" not in html and " style=" not in html, path
        assert not re.search(r"\son[a-z]+=", html), path  # no inline event handlers


def test_security_headers_on_every_ui_response(client):
    for path in [*PAGES, "/ui/config", "/ui/reply.js", "/ui/tactful.css", "/ui/i18n.json"]:
        h = client.get(path).headers
        csp = h["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "http" not in csp
        assert h["x-content-type-options"] == "nosniff"
        assert h["x-frame-options"] == "DENY" and h["referrer-policy"] == "no-referrer"


def test_the_openapi_schema_has_no_ui_route(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p in PAGES or p.startswith("/ui")], sorted(paths)
    assert "/v1/reviews" in paths


def test_every_language_has_the_same_keys_and_placeholders():
    tables = i18n()
    assert list(tables) == list(LANGS)
    keys = set(tables["en"])
    for lang in LANGS:
        assert set(tables[lang]) == keys, (lang, set(tables[lang]) ^ keys)
        for key, text in tables[lang].items():
            assert isinstance(text, str) and text.strip(), (lang, key)
            assert set(re.findall(r"\{(\w+)\}", text)) == set(re.findall(r"\{(\w+)\}", tables["en"][key])), (lang, key)
    assert tables["zh-Hans"]["nav.review"] != tables["en"]["nav.review"]


def test_every_string_the_ui_uses_is_in_the_table():
    keys = set(i18n()["en"])
    used = set()
    for path in UI_DIR.iterdir():
        if path.suffix not in (".html", ".js"):
            continue
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'data-i18n(?:-[a-z-]+)?="([a-z0-9_.]+)"', text))
        used |= set(re.findall(r'\bt(?:Or)?\("([a-z0-9_.-]+)"', text))
        used |= set(re.findall(r'(?:labelKey|headKey):\s*"([a-z0-9_.]+)"', text))
        used |= set(re.findall(r'\b(?:section|tile|dl)\([^)]*?"((?:report|batches)\.[a-z0-9_]+)"', text))
    used |= {f"title.{page}" for page in PAGES.values()}
    assert used - keys == set()
    assert len(used) > 100


def test_every_value_the_api_returns_has_a_label():
    keys = set(i18n()["en"])
    triage = yaml.safe_load((ROOT / "rubrics" / "triage.yaml").read_text(encoding="utf-8"))
    policy = yaml.safe_load((ROOT / "rubrics" / "policy.yaml").read_text(encoding="utf-8"))
    assert {f"scenario.{s}" for s in triage["scenarios"]} <= keys
    for tier, spec in policy["severity"].items():
        assert {f"tier.{tier}", f"within.{spec['respond_within']}", f"escalate.{spec['escalate_to']}"} <= keys
    assert {f"state.{s}" for s in ("queued", "running", "done", "failed", "cancelled")} <= keys
    from service.connectors.outbox import STATES  # the helpdesk notes page shows a delivery's state

    assert {f"state.{s}" for s in STATES} <= keys
    assert {f"severity.{s}" for s in ("error", "warning", "info")} <= keys
    assert {f"section.{s}" for s in ("apology", "restatement", "remedy", "close")} <= keys
    assert {f"channel.{c}" for c in ("chat", "email", "social", "phone")} <= keys
    assert {f"rc.state_{s}" for s in ("empty", "pending", "checking", "done", "error")} <= keys


def test_config_lists_the_rubric_categories_with_the_report_colours(client):
    config = client.get("/ui/config").json()
    rubric = RUBRIC
    assert config["auth"] is False and config["rubric_version"] == rubric.version
    assert [c["id"] for c in config["categories"]] == list(rubric.spec.categories)
    css = (UI_DIR / "tactful.css").read_text(encoding="utf-8")
    for i, c in enumerate(config["categories"]):
        assert (c["bg"], c["border"]) == PALETTE[i % len(PALETTE)]
        assert set(c["label"]) == set(LANGS)
        rule = re.search(r"\.cat-%s\s*\{([^}]*)\}" % re.escape(c["id"]), css)
        assert rule, c["id"]
        assert f"--cat-bg: {c['bg']}" in rule.group(1) and f"--cat-border: {c['border']}" in rule.group(1)


def test_pages_work_when_the_api_requires_keys(tmp_path):
    settings = Settings(db_path=tmp_path / "t.db", model="", auth="on")
    store.migrate(settings.db_path)
    with TestClient(create_app(settings)) as c:
        for path in [*PAGES, "/ui/config", "/ui/reply.js", "/ui/i18n.json", "/ui/tactful.css"]:
            assert c.get(path).status_code == 200, path
        assert c.get("/ui/config").json()["auth"] is True
        r = c.post("/v1/reviews", json={"reply": "您好"})
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"

