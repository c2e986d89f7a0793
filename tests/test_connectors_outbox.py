"""The connectors' outbox and what every connector shares: a worker process killed with SIGKILL in
the middle of a delivery loses nothing and posts no second note; leases; the marker check before
a post that may have landed; key isolation of deliveries; the note's escaping; the CLI; secrets
kept out of answers and logs. Loopback only; every subprocess is killed in a `finally`."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
import respx
from fastapi.testclient import TestClient

from helpdesks import SECRET, FakeChatwoot, Webhooks, desk_for, fast_settings, wait_for
from servers import BIN, ROOT
from builtin import draft_of_1100_tokens
from service import store
from service.connectors import CONNECTORS, accounts, get_connector, note as notes, outbox
from service.connectors.base import Account, Inbound, Message
from service.connectors.worker import Worker, burst_of, draft_request
from service.errors import Conflict, InputError, NotFound
from service.playbook import Playbook
from service.web import auth
from service.web.app import create_app

COMPLAINT = "我买的蓝牙耳机左耳没有声音,订单20261103886,你们尽快处理"

os.environ.setdefault("OPENAI_API_KEY", "sk-test-not-a-real-key")  # never used: the model is mocked
os.environ["DISABLE_AIOHTTP_TRANSPORT"] = "True"  # litellm through httpx, where respx mocks it


# ---------------------------------------------------------------------- kill -9

def _worker_env(settings) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TACTFUL_")}
    return env | {"TACTFUL_DB_PATH": str(settings.db_path), "TACTFUL_MODEL": "",
                  "TACTFUL_CONNECTOR_QUIET_S": "0.1", "TACTFUL_CONNECTOR_POLL_S": "0.05",
                  # a stalled call ends (timeout) well inside the lease; the lease is short so
                  # that the next worker takes the killed one's delivery soon
                  "TACTFUL_CONNECTOR_TIMEOUT_S": "1.5", "TACTFUL_CONNECTOR_LEASE_S": "3",
                  "TACTFUL_CONNECTOR_BACKOFF_S": "0.05", "TACTFUL_CONNECTOR_BACKOFF_CAP_S": "0.2",
                  "LITELLM_LOCAL_MODEL_COST_MAP": "True",
                  "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))}


def _work(settings, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen([str(BIN / "tactful"), "connector", "work"], env=_worker_env(settings),
                                cwd=settings.db_path.parent, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(10)


def _state(settings, delivery_id: int = 1) -> str:
    with sqlite3.connect(settings.db_path) as db:
        return db.execute("select state from connector_deliveries where id = ?", [delivery_id]).fetchone()[0]


@pytest.mark.parametrize("stalled", ["post", "get"])
@pytest.mark.parametrize("name", sorted(CONNECTORS))
def test_a_worker_killed_mid_delivery_loses_nothing_and_posts_exactly_one_note(tmp_path, name, stalled):
    """For every connector of the registry, against its fake helpdesk: `tactful connector work`
    is killed with SIGKILL while its call to the helpdesk hangs: while the note is being posted
    (the helpdesk has stored it, the answer never comes back), or while the thread is being
    fetched (nothing posted yet). A second worker takes the delivery over once the lease runs
    out and finishes it: the event is not lost, and there is one note, never two, never none."""
    settings = fast_settings(tmp_path, connector_timeout_s=1.5, connector_lease_s=3.0)
    store.migrate(settings.db_path)
    desk = desk_for(name)
    with desk.fake as fake:
        desk.add(settings.db_path)
        hooks = Webhooks(TestClient(create_app(settings)), fake, name, desk.account)  # no lifespan: no worker here
        assert hooks.send(desk.opens(10, COMPLAINT)).json()["accepted"] == 1
        fake.stall(stalled)
        first = _work(settings, tmp_path / "worker1.log")
        try:
            wait_for(fake.stalled.is_set, 30, what=f"the worker's {stalled} to hang")
            _kill(first)  # no handler runs: the delivery stays leased to a dead worker
        finally:
            _kill(first)
        assert _state(settings) == ("posting" if stalled == "post" else "drafting")
        assert len(desk.notes(10)) == (1 if stalled == "post" else 0)
        fake.release()
        second = _work(settings, tmp_path / "worker2.log")
        try:
            wait_for(lambda: _state(settings) == "posted", 30, what="the second worker to finish")
        finally:
            _kill(second)
        [note] = desk.notes(10)
        [d] = outbox.list_deliveries(settings.db_path)
        assert d["remote_id"] == str(note["id"]) and d["events"] == 1
        assert len(fake.calls("post")) == 1  # after the kill the worker looked, found the note, and did not post
        with sqlite3.connect(settings.db_path) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert db.execute("select count(*) from drafts").fetchone()[0] == 1  # drafted once


def test_a_post_that_may_have_landed_is_looked_for_before_posting_again(tmp_path):
    """Posting begun, then no answer (a crash, a timeout, a proxy's 502 after Chatwoot stored it):
    the retry finds the note by its marker and does not post it twice."""
    settings = fast_settings(tmp_path)
    store.migrate(settings.db_path)
    with FakeChatwoot() as cw:
        accounts.add_account(settings.db_path, "chatwoot", "1", base_url=cw.url, token=cw.token, secret=SECRET)
        with TestClient(create_app(settings)) as client:
            hooks = Webhooks(client, cw, "chatwoot", "1")
            cw.stall("post")  # Chatwoot stores the note, the answer never comes: the worker times out (2 s)
            hooks.send(cw.customer_says(10, COMPLAINT))
            wait_for(cw.stalled.is_set, 10)
            wait_for(lambda: len(cw.calls("get")) >= 2, 10, what="the marker check")
            cw.release()
            [d] = hooks.wait("posted")
        assert len(cw.notes(10)) == 1 and len(cw.calls("post")) == 1
        assert d["remote_id"] == str(cw.notes(10)[0]["id"])


@pytest.mark.parametrize("name", sorted(CONNECTORS))
def test_the_marker_is_found_under_more_than_a_page_of_messages(tmp_path, name):
    """For every connector: a post that may have landed (the helpdesk stored the note, its answer
    never came), and by the time the worker looks, the note sits under more messages than a
    page of the helpdesk's API holds, with more than a page before it too. The worker follows
    the helpdesk's pages to the note's marker and posts no second note."""
    settings = fast_settings(tmp_path, connector_timeout_s=1.0)
    store.migrate(settings.db_path)
    desk = desk_for(name)
    with desk.fake as fake:
        desk.add(settings.db_path)
        with TestClient(create_app(settings)) as client:
            hooks = Webhooks(client, fake, name, desk.account)
            desk.opens(10, "你好")
            desk.bury(10, 4)  # a page and more before the note
            fake.stall("post")
            assert hooks.send(desk.says(10, COMPLAINT)).json()["accepted"] == 1
            wait_for(fake.stalled.is_set, 10, what="the post to hang")
            fake.page_size = 3
            desk.bury(10, 10)  # and more than three pages after it, before the worker's answer times out
            looked = len(fake.calls("get"))
            wait_for(lambda: len(fake.calls("get")) > looked, 10, what="the marker check")
            fake.release()  # a second post, if the check missed the note, would land now
            [d] = hooks.wait("posted")
        [note] = desk.notes(10)
        assert len(fake.calls("post")) == 1 and d["remote_id"] == str(note["id"])
        pages = len(fake.calls("get")) - looked
        assert pages > 1 if desk.pages else pages == 1, pages  # paged back to it, or read whole at once


# ---------------------------------------------------------------------- leases

def _delivery(settings, connector="chatwoot", conversation="10", key="message:1") -> None:
    acct = accounts.get_account(settings.db_path, connector, "1")
    outbox.receive(settings.db_path, get_connector(connector), acct,
                   [Inbound(key, conversation, key.split(":")[1], "耳机坏了")], quiet_s=0, quiet_max_s=0)


@pytest.fixture
def db(tmp_path):
    settings = fast_settings(tmp_path)
    store.migrate(settings.db_path)
    accounts.add_account(settings.db_path, "chatwoot", "1", base_url="http://127.0.0.1:9", token="t", secret=SECRET)
    return settings


def test_a_worker_that_lost_its_lease_changes_nothing(db):
    _delivery(db)
    a = outbox.claim(db.db_path, "worker-a", lease_s=0.05)
    assert a.state == "drafting" and outbox.claim(db.db_path, "worker-b", lease_s=5) is None  # leased
    time.sleep(0.1)
    b = outbox.claim(db.db_path, "worker-b", lease_s=5)  # a's lease ran out: b takes it over
    assert b.id == a.id and b.lease_owner == "worker-b"
    with pytest.raises(outbox.LeaseLost):
        outbox.fail(db.db_path, a, "a is late")
    with pytest.raises(outbox.LeaseLost):
        outbox.begin_attempt(db.db_path, a, 5)
    assert _state(db) == "drafting"


def test_many_workers_claim_each_delivery_once(db):
    for i in range(40):
        _delivery(db, conversation=str(100 + i), key=f"message:{i}")
    claimed: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def work(name):
        start.wait()
        while (d := outbox.claim(db.db_path, name, lease_s=60)) is not None:
            with lock:
                claimed.append(d.id)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == list(range(1, 41))


def test_a_conversations_notes_go_out_in_order(db):
    _delivery(db, key="message:1")
    first = outbox.claim(db.db_path, "w", lease_s=60)
    _delivery(db, key="message:2")  # a new burst while the first is drafting: a delivery of its own
    assert outbox.claim(db.db_path, "w2", lease_s=60) is None  # waits for the first
    outbox.skipped(db.db_path, first, "test")
    assert outbox.claim(db.db_path, "w2", lease_s=60).id == 2


def test_only_a_failed_delivery_is_retried(db):
    _delivery(db)
    with pytest.raises(Conflict):
        outbox.retry(db.db_path, 1)
    d = outbox.claim(db.db_path, "w", lease_s=60)
    outbox.fail(db.db_path, d, "gave up")
    assert outbox.retry(db.db_path, 1)["state"] == "drafting"
    with pytest.raises(NotFound):
        outbox.retry(db.db_path, 2)


def test_a_delivery_of_a_removed_account_fails_and_says_why(db):
    _delivery(db)
    accounts.remove_account(db.db_path, "chatwoot", "1")
    worker = Worker(db, Playbook.from_settings(db))
    assert asyncio.run(worker.run_once()) is True
    [d] = outbox.list_deliveries(db.db_path)
    assert d["state"] == "failed" and "no chatwoot account '1'" in d["last_error"]


# ---------------------------------------------------------------------- the burst and the request

def test_the_burst_is_the_customers_messages_since_the_last_reply():
    thread = [Message("1", "customer", "耳机坏了"), Message("2", "agent", "请提供订单号"),
              Message("3", "customer", "订单20261103886"), Message("4", "note", "内部: 已查"),
              Message("5", "bot", "自动回复"), Message("6", "customer", "快点")]
    burst, earlier = burst_of(thread, [{"id": 1, "message_id": "6", "text": "快点"},
                                       {"id": 2, "message_id": "7", "text": "还在吗"}])
    assert [m.id for m in burst] == ["3", "6", "7"]  # 7: in the events, not fetched yet
    assert [m.id for m in earlier] == ["1", "2"]


def test_the_draft_request_stays_within_the_requests_limits():
    burst = [Message(str(i), "customer", "长" * 9000, author="x-9 (bot)") for i in range(3)]
    earlier = [Message(str(i), "agent" if i % 2 else "customer", "字" * 4000) for i in range(80)]
    req = draft_request(burst, earlier, "chat")
    assert len(req.message) == 20_000 and req.customer_name is None  # not a name: left out
    assert len(req.thread) <= 50 and sum(len(m.text) for m in req.thread) <= 50_000


# ---------------------------------------------------------------------- the note

def test_the_note_carries_the_triage_and_every_failing_finding():
    draft = {"id": "d1", "lang": "en", "text": "We will sort it out asap.",
             "triage": {"scenario": "late_delivery", "severity": "severe", "respond_within": "1h",
                        "escalate_to": "supervisor"},
             "review": {"score": 41, "passed": False, "findings": [
                 {"rule": "vague", "category": "vague_promise", "severity": "error", "text": "asap",
                  "message": "Say when."},
                 {"rule": "w", "category": "negative_wording", "severity": "warning", "text": "sort",
                  "message": "A warning is not listed."}]}}
    n = notes.build_note(draft, "abc123")
    assert n.verdict == "Checks failed (score 41): fix before sending:"
    assert n.findings == ("[vague_promise] “asap”: Say when.",)
    assert ("Scenario", "late_delivery") in n.facts and ("Severity", "severe") in n.facts
    assert notes.plain(n).endswith("tactful · draft d1 · tactful-delivery-abc123")
    assert "<li>[vague_promise] “asap”: Say when.</li>" in notes.html_body(n)


def test_the_notes_renderings_keep_text_as_text():
    evil = "[click](http://evil.example) ![i](http://x/p.png) <b>bold</b> **x** # h\n- item"
    draft = {"id": "d", "lang": "zh-Hans", "text": evil, "triage": {"scenario": "<i>"},
             "review": {"score": 0, "passed": False, "findings": [
                 {"category": "x", "severity": "error", "text": "<script>", "message": "](javascript:1)"}]}}
    n = notes.build_note(draft, "u1")
    md, html = notes.markdown(n), notes.html_body(n)
    assert "](http" not in md and "![" not in md and "<b>" not in md and "](javascript" not in md
    assert md.endswith(" tactful-delivery-u1")  # the marker as is, findable
    assert "<b>" not in html and "<script>" not in html and "<i>" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "tactful-delivery-u1" in html


# ---------------------------------------------------------------------- key isolation

def test_deliveries_belong_to_the_key_that_owns_the_account(tmp_path):
    settings = fast_settings(tmp_path, auth="on")
    store.migrate(settings.db_path)
    owner_id, owner = auth.create_key(settings.db_path, "acme agents", ["draft"])
    _, other = auth.create_key(settings.db_path, "another team", ["draft", "review"])
    _, admin = auth.create_key(settings.db_path, "ops", ["admin"])
    with FakeChatwoot() as cw:
        accounts.add_account(settings.db_path, "chatwoot", "1", base_url=cw.url, token=cw.token, secret=SECRET,
                             owner=owner_id)
        with TestClient(create_app(settings)) as client:
            bearer = lambda k: {"Authorization": f"Bearer {k}"}  # noqa: E731
            hooks = Webhooks(client, cw, "chatwoot", "1", headers=bearer(owner))
            assert hooks.send(cw.customer_says(10, COMPLAINT)).status_code == 202  # the webhook needs no key
            [d] = hooks.wait("posted")
            assert d["owner"] == owner_id
            assert client.get("/v1/connectors/deliveries").status_code == 401
            assert client.get("/v1/connectors/deliveries", headers=bearer(other)).json() == []
            for method, path in (("get", f"/v1/connectors/deliveries/{d['id']}"),
                                 ("post", f"/v1/connectors/deliveries/{d['id']}/retry"),
                                 ("get", f"/v1/drafts/{d['draft_id']}")):
                r = getattr(client, method)(path, headers=bearer(other))
                assert r.status_code == 404, (path, r.text)
            assert client.get(f"/v1/drafts/{d['draft_id']}", headers=bearer(owner)).json()["owner"] == owner_id
            assert [x["id"] for x in client.get("/v1/connectors/deliveries", headers=bearer(admin)).json()] == [d["id"]]


@pytest.fixture
def openai():
    """The model's API mocked (a draft of 1,100 tokens); loopback (the fake helpdesks) passes through."""
    with respx.mock(assert_all_called=False) as router:
        router.route(host="127.0.0.1").pass_through()
        yield router.post("https://api.openai.com/v1/chat/completions").mock(side_effect=draft_of_1100_tokens)


def test_a_connectors_drafts_count_against_the_owner_keys_daily_tokens(tmp_path, openai):
    """A connector's draft reserves model tokens for the key that owns the account and settles
    to what the model used, as POST /v1/drafts does for the calling key: one ledger. Once the
    key's day is spent, the next delivery is not drafted past the limit: it waits, due at UTC
    midnight, with the reason; the event is kept, and POST /v1/drafts with that key is a 429 too."""
    model = openai
    settings = fast_settings(tmp_path, model="gpt-4o-mini", auth="on")
    store.migrate(settings.db_path)
    owner_id, owner = auth.create_key(settings.db_path, "acme agents", ["draft"], tokens_per_day=1000)
    _, admin = auth.create_key(settings.db_path, "ops", ["admin"])  # watches (the owner's day is spent)

    def spent() -> int:
        with store.reader(settings.db_path) as db:
            row = db.execute("select sum(tokens) from key_usage where key_id = ?", [owner_id]).fetchone()
        return row[0] or 0

    with FakeChatwoot() as cw:
        accounts.add_account(settings.db_path, "chatwoot", "1", base_url=cw.url, token=cw.token, secret=SECRET,
                             owner=owner_id)
        with TestClient(create_app(settings)) as client:
            bearer = {"Authorization": f"Bearer {admin}"}
            hooks = Webhooks(client, cw, "chatwoot", "1", headers=bearer)
            hooks.send(cw.customer_says(10, COMPLAINT))
            [first] = hooks.wait("posted")
            assert model.call_count == 1 and spent() == 1100  # settled to the usage, not the reservation
            made = client.get(f"/v1/drafts/{first['draft_id']}", headers=bearer).json()
            assert made["model"] == "gpt-4o-mini" and made["owner"] == owner_id
            hooks.send(cw.customer_says(11, COMPLAINT))
            second = wait_for(lambda: next((d for d in hooks.deliveries() if d["conversation_id"] == "11"
                                            and d["last_error"]), None), what="the second delivery to wait")
            assert "model tokens for today" in second["last_error"] and second["state"] == "drafting"
            midnight = (datetime.now(timezone.utc) + timedelta(days=1)).replace(hour=0, minute=0, second=0,
                                                                                 microsecond=0)
            due = datetime.fromisoformat(second["next_attempt_at"])
            assert midnight <= due <= midnight + timedelta(seconds=5)
            assert client.post("/v1/drafts", json={"message": COMPLAINT},
                               headers={"Authorization": f"Bearer {owner}"}).status_code == 429
        assert model.call_count == 1 and spent() == 1100 and cw.notes(11) == []
        assert second["events"] == 1  # kept, to be drafted when the key has tokens again


# ---------------------------------------------------------------------- configuration

def test_accounts_are_checked_before_they_are_stored(db):
    with pytest.raises(Conflict):
        accounts.add_account(db.db_path, "chatwoot", "1", base_url="https://chat.example.com", token="t",
                             secret=SECRET)
    cases = [
        (dict(connector="chatwoot", account="acme", base_url="https://c.example"), "account"),  # an id: digits
        (dict(connector="chatwoot", account="2", base_url="javascript:alert(1)"), "base_url"),
        (dict(connector="chatwoot", account="2", base_url="https://u:p@c.example"), "base_url"),
        (dict(connector="chatwoot", account="2", base_url="https://c.example", secret="short"), "secret"),
        (dict(connector="chatwoot", account="2", base_url="https://c.example", token="a b"), "token"),
        (dict(connector="chatwoot", account="2", base_url="https://c.example", owner="nokey"), "owner"),
        (dict(connector="zendesk", account="acme"), "email"),
        (dict(connector="zendesk", account="Acme Corp", email="a@b.c"), "account"),
    ]
    for args, field in cases:
        kw = {"token": "t", "secret": SECRET} | {k: v for k, v in args.items() if k not in ("connector", "account")}
        with pytest.raises(InputError) as e:
            accounts.add_account(db.db_path, args["connector"], args["account"], **kw)
        assert e.value.field == field, args
    with pytest.raises(NotFound):
        accounts.add_account(db.db_path, "helpscout", "1", base_url="https://h.example", token="t")
    made, secret = accounts.add_account(db.db_path, "zendesk", "acme", email="bot@acme.example", token="t")
    assert made.base_url == "https://acme.zendesk.com" and len(secret) >= 32


def test_the_connector_command_never_prints_a_token_or_secret(tmp_path, monkeypatch, capsys):
    from service.cli import main
    from service.settings import get_settings

    monkeypatch.setenv("TACTFUL_DB_PATH", str(tmp_path / "c.db"))
    get_settings.cache_clear()
    token_file = tmp_path / "token"
    token_file.write_text("cw-secret-token-42\n")
    try:
        assert main(["connector", "add", "chatwoot", "--account", "7", "--base-url", "https://chat.acme.example/",
                     "--token-file", str(token_file), "--inbox", "3", "--inbox", "4"]) == 0
        out = capsys.readouterr().out
        assert "chatwoot/7 added: https://chat.acme.example, inboxes 3, 4" in out
        assert "/v1/connectors/chatwoot/7/events" in out and "cw-secret-token-42" not in out
        secret = out.strip().splitlines()[-1]  # made for it, shown this once
        assert accounts.get_account(tmp_path / "c.db", "chatwoot", "7").secret == secret
        assert main(["connector", "list", "--json"]) == 0
        listed = capsys.readouterr().out
        assert json.loads(listed)[0]["inboxes"] == ["3", "4"]
        assert "cw-secret-token-42" not in listed and secret not in listed
        assert main(["connector", "add", "chatwoot", "--account", "7", "--base-url", "https://c.example",
                     "--token", "x"]) == 2
        assert "already configured" in capsys.readouterr().err
        assert main(["connector", "deliveries", "--state", "failed"]) == 0
        assert main(["connector", "retry", "5"]) == 2
        assert main(["connector", "remove", "chatwoot", "--account", "7"]) == 0
        assert main(["connector", "list"]) == 0
        assert "no helpdesk accounts yet" in capsys.readouterr().out
    finally:
        get_settings.cache_clear()


def test_an_accounts_repr_and_the_logs_keep_its_secrets(caplog):
    from service.privacy.logs import install_log_masking

    acct = Account("chatwoot", "1", "https://c.example", token="tok-123456", secret="sec-abcdef")
    assert "tok-123456" not in repr(acct) and "sec-abcdef" not in repr(acct)
    install_log_masking()
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "1.2.3.4", "POST",
                                                  "/v1/connectors/chatwoot/1/events?secret=sec-abcdef", "1.1", 202)
    assert "sec-abcdef" not in caplog.text and "secret=[REDACTED]" in caplog.text


def test_the_lease_must_outlast_a_call():
    from service.settings import Settings

    with pytest.raises(InputError) as e:
        Settings(connector_lease_s=10, connector_timeout_s=10)
    assert e.value.field == "TACTFUL_CONNECTOR_LEASE_S"


def test_every_registered_connector_implements_the_interface():
    for name, c in CONNECTORS.items():
        assert c.name == name and c.title
        for method in ("parse", "fetch_thread", "find_note", "post_note", "ticket_url"):
            assert getattr(type(c), method) is not getattr(type(c).__mro__[-2], method), (name, method)
    assert set(CONNECTORS) >= {"chatwoot", "zendesk"}
