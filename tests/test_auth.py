"""API keys: scopes, 401/403, revocation, hashing, per-key request and token limits, the CLI."""

import json
import os
import sqlite3

import httpx
import pytest
import respx
from fastapi.testclient import TestClient

from builtin import draft_of_1100_tokens
from service.web import auth
from service import store
from service.web.app import create_app
from service.cli import main
from service.settings import Settings

os.environ.setdefault("OPENAI_API_KEY", "sk-test-not-a-real-key")
os.environ["DISABLE_AIOHTTP_TRANSPORT"] = "True"

REVIEW = {"reply": "您好,我们会尽快处理。"}
TICKET = {"message": "我买的蓝牙耳机左耳没有声音,订单20261103886"}


@pytest.fixture
def secured(tmp_path):
    settings = Settings(db_path=tmp_path / "t.db", model="", auth="on")
    store.migrate(settings.db_path)
    with TestClient(create_app(settings)) as c:
        c.db = settings.db_path
        yield c


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize("host,on", [("127.0.0.1", False), ("::1", False), ("localhost", False),
                                     ("0.0.0.0", True), ("10.0.0.5", True), ("::", True),
                                     ("tactful.internal", True)])
def test_auth_is_on_whenever_the_server_binds_beyond_loopback(host, on):
    assert auth.auth_enabled(Settings(host=host)) is on
    assert auth.auth_enabled(Settings(host=host, auth="on")) is True
    assert auth.auth_enabled(Settings(host=host, auth="off")) is False


def test_a_missing_or_wrong_key_is_401_in_the_one_error_shape(secured):
    r = secured.post("/v1/reviews", json=REVIEW)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert r.json() == {"ok": False, "status": 401, "error": {
        "code": "unauthorized", "message": "an API key is required: send `Authorization: Bearer <key>`"}}
    _, key = auth.create_key(secured.db, "qa", ["review"])
    assert secured.post("/v1/reviews", json=REVIEW, headers=bearer(key + "x")).status_code == 401
    assert secured.post("/v1/reviews", json=REVIEW, headers=bearer("tk_nope_nope")).status_code == 401
    assert secured.post("/v1/reviews", json=REVIEW, headers=bearer("garbage")).status_code == 401
    assert secured.get("/healthz").status_code == 200  # liveness needs no key


def test_scopes_decide_what_a_key_may_do(secured):
    _, qa = auth.create_key(secured.db, "qa", ["review"])
    _, admin = auth.create_key(secured.db, "ops", ["admin"])
    assert secured.post("/v1/reviews", json=REVIEW, headers=bearer(qa)).status_code == 200
    r = secured.post("/v1/drafts", json=TICKET, headers=bearer(qa))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden" and "review" in r.json()["error"]["message"]
    assert secured.get("/v1/batches", headers=bearer(qa)).status_code == 403
    assert secured.post("/v1/drafts", json=TICKET, headers=bearer(admin)).status_code == 200
    assert secured.get("/v1/batches", headers={"X-API-Key": admin}).status_code == 200


def test_a_revoked_key_stops_working_at_once(secured):
    key_id, key = auth.create_key(secured.db, "agent", ["draft", "review"])
    assert secured.post("/v1/reviews", json=REVIEW, headers=bearer(key)).status_code == 200
    auth.revoke_key(secured.db, key_id)
    assert secured.post("/v1/reviews", json=REVIEW, headers=bearer(key)).status_code == 401


def test_only_a_hash_of_the_secret_is_stored(secured):
    _, key = auth.create_key(secured.db, "agent", ["review"])
    secret = key.split("_", 2)[2]
    raw = sqlite3.connect(secured.db).execute("select group_concat(hash) || group_concat(id) from api_keys").fetchone()[0]
    assert secret not in raw and len(secret) >= 40


def test_requests_over_the_per_minute_limit_get_429_with_retry_after(secured):
    _, key = auth.create_key(secured.db, "bot", ["review"], rpm=3)
    _, other = auth.create_key(secured.db, "other", ["review"], rpm=3)
    codes = [secured.post("/v1/reviews", json=REVIEW, headers=bearer(key)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = secured.post("/v1/reviews", json=REVIEW, headers=bearer(key))
    assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 20
    assert r.json()["error"]["code"] == "rate_limited"
    assert secured.post("/v1/reviews", json=REVIEW, headers=bearer(other)).status_code == 200  # per key


@respx.mock
def test_drafting_stops_when_the_key_has_used_its_model_tokens_for_the_day(tmp_path):
    respx.post("https://api.openai.com/v1/chat/completions").mock(side_effect=draft_of_1100_tokens)
    settings = Settings(db_path=tmp_path / "t.db", model="gpt-4o-mini", auth="on")
    store.migrate(settings.db_path)
    _, key = auth.create_key(settings.db_path, "agent", ["draft"], tokens_per_day=1000)
    with TestClient(create_app(settings)) as c:
        first = c.post("/v1/drafts", json=TICKET, headers=bearer(key))
        assert first.status_code == 200 and first.json()["usage"]["prompt_tokens"] == 900
        second = c.post("/v1/drafts", json=TICKET, headers=bearer(key))
    assert second.status_code == 429 and "tokens" in second.json()["error"]["message"]
    assert 1 <= int(second.headers["retry-after"]) <= 86400


def test_the_keys_command_creates_lists_and_revokes(tmp_path, monkeypatch, capsys):
    from service.settings import get_settings

    monkeypatch.setenv("TACTFUL_DB_PATH", str(tmp_path / "k.db"))
    get_settings.cache_clear()
    try:
        assert main(["keys", "create", "--name", "qa team", "--scopes", "review,batch", "--rpm", "30"]) == 0
        key = capsys.readouterr().out.strip().splitlines()[-1]
        assert key.startswith("tk_")
        assert main(["keys", "list", "--json"]) == 0
        (listed,) = json.loads(capsys.readouterr().out)
        assert listed["name"] == "qa team" and listed["scopes"] == "batch,review" and listed["rpm"] == 30
        assert key.split("_", 2)[2] not in json.dumps(listed)
        assert main(["keys", "create", "--name", "x", "--scopes", "everything"]) == 2
        assert "scopes must be some of" in capsys.readouterr().err
        assert main(["keys", "revoke", listed["id"]]) == 0
        assert auth.list_keys(tmp_path / "k.db")[0]["revoked_at"]
        assert main(["keys", "revoke", "nope"]) == 2
    finally:
        get_settings.cache_clear()


@respx.mock
def test_concurrent_drafts_cannot_spend_past_the_days_token_limit(tmp_path):
    """Thirty drafts at once on a key with room for about three: tokens are reserved before
    each model call, so the rest are refused (429) and the day's count stays within one
    call's overshoot of the limit."""
    import concurrent.futures


    def slow(request):
        import time

        time.sleep(0.2)  # every draft is in flight before the first one has spent anything
        return draft_of_1100_tokens()

    respx.post("https://api.openai.com/v1/chat/completions").mock(side_effect=slow)
    settings = Settings(db_path=tmp_path / "t.db", model="gpt-4o-mini", auth="on", model_max_tokens=800)
    store.migrate(settings.db_path)
    limit = 10_000  # a reservation is 5 x 800 = 4,000: room for three drafts at once
    _, key = auth.create_key(settings.db_path, "agent", ["draft"], tokens_per_day=limit, rpm=1000)
    with TestClient(create_app(settings)) as c:
        with concurrent.futures.ThreadPoolExecutor(30) as pool:
            codes = list(pool.map(lambda _: c.post("/v1/drafts", json=TICKET, headers=bearer(key)).status_code,
                                  range(30)))
    # reservations fill the day while drafts are in flight; more start as finished ones give
    # back what they did not use, but never thirty (a check made before any spend lets all by)
    ok = codes.count(200)
    assert 3 <= ok <= limit // 1100 and ok + codes.count(429) == 30, codes
    with store.reader(settings.db_path) as db:
        (spent,) = db.execute("select tokens from key_usage where key_id = ?", [key.split("_")[1]]).fetchone()
    assert spent == codes.count(200) * 1100  # settled to what the calls used, not what was reserved
    assert spent <= limit


def test_wrong_keys_from_one_address_are_slowed_down(secured):
    """Ten wrong keys a minute per client address; then 429 before any lookup, even for a
    right key from that address: the wait is the address's."""
    _, key = auth.create_key(secured.db, "bot", ["review"], rpm=1000)
    codes = [secured.post("/v1/reviews", json=REVIEW, headers=bearer(f"tk_guess{i}_nope")).status_code
             for i in range(10)]
    assert codes == [401] * 10
    r = secured.post("/v1/reviews", json=REVIEW, headers=bearer("tk_guess_again"))
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert secured.post("/v1/reviews", json=REVIEW, headers=bearer(key)).status_code == 429
