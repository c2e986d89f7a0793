"""Loopback mode (no keys): other sites cannot reach the service through a browser."""

import pytest
from fastapi.testclient import TestClient

from service.settings import Settings
from service.web import guard
from service.web.app import create_app


@pytest.fixture
def local(tmp_path, monkeypatch):
    monkeypatch.setattr(guard, "LOCAL_NAMES", {"localhost"})  # the real list: no "testserver"
    app = create_app(Settings(db_path=tmp_path / "t.db", data_dir=tmp_path / "data", model=""))
    with TestClient(app, base_url="http://127.0.0.1:8000") as c:
        yield c


REVIEW = {"reply": "非常抱歉,我们今天18点前为您补发。"}


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost:8000", "[::1]:8000", "127.0.0.2", "app.localhost"])
def test_loopback_names_are_served(local, host):
    assert local.post("/v1/reviews", json=REVIEW, headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "192.168.1.10:8000", "testserver", ""])
def test_a_rebound_name_is_refused(local, host):
    r = local.get("/healthz", headers={"Host": host})
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_host"


@pytest.mark.parametrize("headers", [{"Origin": "https://evil.example"}, {"Origin": "null"},
                                     {"Sec-Fetch-Site": "cross-site"}])
def test_a_cross_site_request_that_changes_state_is_refused(local, headers):
    r = local.post("/v1/reviews", json=REVIEW, headers=headers)
    assert r.status_code == 403 and r.json()["error"]["code"] == "cross_origin"
    files = {"file": ("x.csv", b"id,reply\n1,hi\n", "text/csv")}
    assert local.post("/v1/batches", files=files, headers=headers).status_code == 403
    assert local.get("/v1/batches").json() == []  # nothing was queued


def test_same_origin_and_scripts_go_through(local):
    assert local.post("/v1/reviews", json=REVIEW, headers={"Origin": "http://127.0.0.1:8000",
                                                           "Sec-Fetch-Site": "same-origin"}).status_code == 200
    assert local.post("/v1/reviews", json=REVIEW).status_code == 200  # curl: no Origin
    assert local.get("/healthz", headers={"Origin": "https://evil.example"}).status_code == 200  # reads are CORS's


def test_with_keys_on_the_guard_is_not_installed(tmp_path, monkeypatch):
    monkeypatch.setattr(guard, "LOCAL_NAMES", {"localhost"})
    app = create_app(Settings(db_path=tmp_path / "t.db", data_dir=tmp_path / "data", model="", auth="on"))
    with TestClient(app, base_url="http://api.example.com") as c:
        assert c.get("/healthz").status_code == 200
        assert c.post("/v1/reviews", json=REVIEW).status_code == 401  # the key is what protects it
