"""The app as served: its docs work offline and its responses are compressed."""

import re


def test_the_docs_page_loads_swagger_ui_from_this_server(client):
    page = client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") for s in sources), sources  # no CDN
    for s in sources:
        asset = client.get(s)
        assert asset.status_code == 200 and len(asset.content) > 1000, s
    assert client.get("/redoc").status_code == 200


def test_pages_scripts_and_reports_are_gzip_compressed(client):
    for path in ("/", "/ui/agent.js", "/ui/tactful.css", "/openapi.json"):
        r = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert r.status_code == 200 and r.headers.get("content-encoding") == "gzip", path


def test_event_streams_are_not_compressed(client):
    with client.stream("POST", "/v1/drafts/stream", json={"message": "快递还没收到"},
                       headers={"Accept-Encoding": "gzip"}) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in r.headers
        assert "event: draft" in r.read().decode()
