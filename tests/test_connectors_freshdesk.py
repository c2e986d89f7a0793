"""The Freshdesk connector end to end: the real app and a fake Freshdesk on loopback built from
Freshdesk's documented API v2 (tests/helpdesks.py). The automation rule's body names the ticket
and carries the account's secret in a header; the ticket (its description) and its
conversations are fetched; the note goes back through POST /api/v2/tickets/{id}/notes,
private, with basic auth api_key:X."""

import base64
import json
import textwrap
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from helpdesks import SECRET, FakeFreshdesk, Webhooks, fast_settings
from service import store
from service.connectors import accounts
from service.connectors.freshdesk import WEBHOOK_BODY
from service.web.app import create_app

COMPLAINT = "我买的蓝牙耳机左耳没有声音\n订单20261103886,你们尽快处理"


@pytest.fixture
def freshdesk():
    with FakeFreshdesk(api_key="fd-api-key") as fake:
        yield fake


def start(tmp_path, fake, **settings):
    s = fast_settings(tmp_path, **settings)
    store.migrate(s.db_path)
    accounts.add_account(s.db_path, "freshdesk", "acme", base_url=fake.url, token=fake.api_key, secret=SECRET)
    return s


@pytest.fixture
def hooks(tmp_path, freshdesk):
    with TestClient(create_app(start(tmp_path, freshdesk))) as client:
        yield Webhooks(client, freshdesk, "freshdesk", "acme")


def test_a_new_ticket_comes_back_as_a_private_note(hooks, freshdesk):
    r = hooks.send(freshdesk.customer_creates(701, COMPLAINT))
    assert r.status_code == 202 and r.json()["accepted"] == 1
    [d] = hooks.wait("posted")
    show, convs = freshdesk.calls("get")
    assert show["path"] == "/api/v2/tickets/701" and show["query"] == {"include": "requester"}
    assert convs["path"] == "/api/v2/tickets/701/conversations" and convs["query"]["per_page"] == "100"
    [post] = freshdesk.calls("post")
    assert post["path"] == "/api/v2/tickets/701/notes"
    assert post["headers"]["authorization"] == "Basic " + base64.b64encode(b"fd-api-key:X").decode()
    assert set(post["json"]) == {"body", "private"} and post["json"]["private"] is True
    html = post["json"]["body"]
    assert html.startswith("<p><strong>tactful 建议回复（内部备注，客户看不到）</strong></p>")
    assert "20261103886" in html and "检查通过" in html
    [note] = freshdesk.notes(701)
    assert d["remote_id"] == str(note["id"]) and d["ticket_url"] == f"{freshdesk.url}/a/tickets/701"
    request = hooks.client.get(f"/v1/drafts/{d['draft_id']}").json()["request"]
    assert request["message"] == COMPLAINT  # the description, as its text
    assert request["customer_name"] == "王小明" and request["channel"] == "email"


def test_a_reply_is_drafted_over_the_customers_words_since_the_agents_reply(hooks, freshdesk):
    freshdesk.customer_creates(702, "耳机坏了")
    freshdesk.agent_replies(702, "请提供订单号")
    freshdesk.agent_replies(702, "内部: 查物流", private=True)
    hooks.send(freshdesk.customer_replies(702, "订单20261103886"))
    [d] = hooks.wait("posted")
    request = hooks.client.get(f"/v1/drafts/{d['draft_id']}").json()["request"]
    assert request["message"] == "订单20261103886"
    assert [(m["role"], m["text"]) for m in request["thread"]] == [("customer", "耳机坏了"), ("agent", "请提供订单号")]


def test_the_rule_body_in_the_readme_is_the_one_the_connector_reads(hooks, freshdesk):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert textwrap.indent(WEBHOOK_BODY, "   ") in readme
    freshdesk.customer_creates(703, "耳机坏了")
    body = WEBHOOK_BODY.replace("{{ticket.id}}", "703").replace("{{ticket.latest_public_comment}}", "")
    assert hooks.send(json.loads(body)).json()["accepted"] == 1
    hooks.wait("posted")


def test_without_the_secret_the_webhook_is_refused(hooks, freshdesk):
    event = freshdesk.customer_creates(704, COMPLAINT)
    plain = {"Content-Type": "application/json"}
    assert hooks.send(event, headers=plain).status_code == 401
    assert hooks.send(event, headers=plain | {"X-Tactful-Secret": "not-the-secret-at-all"}).status_code == 401
    assert hooks.send(event, headers=plain, query="?secret=not-the-secret-at-all").status_code == 401
    assert hooks.deliveries() == []
    assert hooks.send(event, headers=plain, query=f"?secret={SECRET}").status_code == 202


def test_a_retried_webhook_is_ignored_and_a_new_reply_is_not(hooks, freshdesk):
    event = freshdesk.customer_creates(705, COMPLAINT)
    assert hooks.send(event).json()["accepted"] == 1
    assert hooks.send(event).json()["duplicates"] == 1
    hooks.wait("posted")
    assert hooks.send(event).json()["duplicates"] == 1
    assert len(freshdesk.notes(705)) == 1
    freshdesk.agent_replies(705, "您好,已为您补发")
    assert hooks.send(freshdesk.customer_replies(705, "收到了,谢谢")).json()["accepted"] == 1
    hooks.wait("posted", 2)
    assert len(freshdesk.notes(705)) == 2


def test_a_burst_of_replies_is_one_note(tmp_path, freshdesk):
    with TestClient(create_app(start(tmp_path, freshdesk, connector_quiet_s=0.4))) as client:
        hooks = Webhooks(client, freshdesk, "freshdesk", "acme")
        hooks.send(freshdesk.customer_creates(706, "耳机左耳没有声音"))
        hooks.send(freshdesk.customer_replies(706, "订单20261103886,请尽快"))
        [d] = hooks.wait("posted")
        assert d["events"] == 2 and len(freshdesk.notes(706)) == 1
        message = client.get(f"/v1/drafts/{d['draft_id']}").json()["request"]["message"]
        assert message == "耳机左耳没有声音\n\n订单20261103886,请尽快"


def test_a_long_thread_is_read_page_by_page(hooks, freshdesk):
    freshdesk.customer_creates(707, "耳机坏了")
    for i in range(120):
        freshdesk.agent_replies(707, f"内部记录{i}", private=True)
    hooks.send(freshdesk.customer_replies(707, "订单20261103886"))
    [d] = hooks.wait("posted")
    pages = [c["query"]["page"] for c in freshdesk.calls("get") if c["path"].endswith("/conversations")]
    assert pages == ["1", "2"]
    assert hooks.client.get(f"/v1/drafts/{d['draft_id']}").json()["request"]["message"] == "耳机坏了\n\n订单20261103886"


def test_429_is_retried_after_the_retry_after_it_asks_for(hooks, freshdesk):
    freshdesk.fault("post", 429, retry_after=1)
    hooks.send(freshdesk.customer_creates(708, COMPLAINT))
    [d] = hooks.wait("posted")
    first, second = freshdesk.calls("post")
    assert second["at"] - first["at"] >= 1.0
    assert len(freshdesk.notes(708)) == 1 and d["last_error"] is None


def test_5xx_forever_parks_the_delivery_then_a_manual_retry_posts_once(hooks, freshdesk):
    freshdesk.fail_forever("post", 500)
    hooks.send(freshdesk.customer_creates(709, COMPLAINT))
    [d] = hooks.wait("failed")
    assert d["attempts"] == 4 and "500" in d["last_error"] and freshdesk.notes(709) == []
    freshdesk.heal()
    assert hooks.client.post(f"/v1/connectors/deliveries/{d['id']}/retry").json()["state"] == "posting"
    hooks.wait("posted")
    assert len(freshdesk.notes(709)) == 1


def test_a_refused_key_and_a_missing_ticket_fail_at_once(tmp_path, freshdesk):
    s = fast_settings(tmp_path)
    store.migrate(s.db_path)
    accounts.add_account(s.db_path, "freshdesk", "acme", base_url=freshdesk.url, token="wrong", secret=SECRET)
    with TestClient(create_app(s)) as client:
        hooks = Webhooks(client, freshdesk, "freshdesk", "acme")
        hooks.send(freshdesk.customer_creates(710, COMPLAINT))
        [d] = hooks.wait("failed")
        assert d["attempts"] == 1 and "401" in d["last_error"] and "wrong" not in d["last_error"]
        accounts.add_account(s.db_path, "freshdesk", "acme", base_url=freshdesk.url, token=freshdesk.api_key,
                             secret=SECRET, replace=True)
        hooks.send(freshdesk.webhook_body(711, ""))  # no such ticket
        [gone] = [x for x in hooks.wait("failed", 2) if x["conversation_id"] == "711"]
        assert "404" in gone["last_error"] and gone["attempts"] == 1


def test_the_account_is_a_subdomain_with_a_default_base_url(tmp_path):
    store.migrate(tmp_path / "t.db")
    made, _ = accounts.add_account(tmp_path / "t.db", "freshdesk", "acme", token="k")
    assert made.base_url == "https://acme.freshdesk.com"
    with pytest.raises(Exception) as e:
        accounts.add_account(tmp_path / "t.db", "freshdesk", "Acme Corp", token="k")
    assert getattr(e.value, "field", None) == "account"


@pytest.mark.parametrize("event,field", [
    ({"ticket_id": "12; drop table"}, "ticket_id"),
    ({}, "ticket_id"),
    (["not", "an", "object"], "body"),
])
def test_a_malformed_rule_body_is_a_422_naming_the_field(hooks, event, field):
    r = hooks.send(event)
    assert r.status_code == 422 and r.json()["error"]["field"] == field
