"""The Zendesk connector end to end: the real app and a fake Zendesk on loopback built from
Zendesk's documented Tickets and Ticket Comments APIs (tests/helpdesks.py). The trigger's body
names the ticket; the comments are fetched (HTML bodies, users sideloaded); the note goes back
as a private comment through PUT /api/v2/tickets/{id}.json with basic auth."""

import base64
import json
import textwrap
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from helpdesks import SECRET, FakeZendesk, Webhooks, fast_settings
from service import store
from service.connectors import accounts
from service.connectors.zendesk import TRIGGER_BODY
from service.web.app import create_app


@pytest.fixture
def zendesk():
    with FakeZendesk(email="bot@acme.example", token="zd-api-token") as fake:
        yield fake


@pytest.fixture
def hooks(tmp_path, zendesk):
    s = fast_settings(tmp_path)
    store.migrate(s.db_path)
    accounts.add_account(s.db_path, "zendesk", "acme", base_url=zendesk.url, email=zendesk.email,
                         token=zendesk.token, secret=SECRET)
    with TestClient(create_app(s)) as client:
        yield Webhooks(client, zendesk, "zendesk", "acme")


def test_a_requesters_comment_comes_back_as_an_internal_note(hooks, zendesk):
    event = zendesk.customer_comments(501, "你好\n我的订单20261103886已经一周没发货了,太慢了!")
    r = hooks.send(event, invocation="01HINV0001")
    assert r.status_code == 202 and r.json()["accepted"] == 1
    [d] = hooks.wait("posted")
    # the comments were fetched newest first with their authors, as documented
    [get] = [c for c in zendesk.calls("get")]
    assert get["path"] == "/api/v2/tickets/501/comments.json"
    assert get["query"] == {"include": "users", "sort_order": "desc"}
    [put] = zendesk.calls("post")
    assert put["method"] == "PUT" and put["path"] == "/api/v2/tickets/501.json"
    auth = base64.b64encode(b"bot@acme.example/token:zd-api-token").decode()
    assert put["headers"]["authorization"] == f"Basic {auth}"
    comment = put["json"]["ticket"]["comment"]
    assert comment["public"] is False and set(comment) == {"html_body", "public"}
    html = comment["html_body"]
    assert html.startswith("<p><strong>tactful 建议回复（内部备注，客户看不到）</strong></p>")
    assert "王小明您好" in html and "20261103886" in html and "检查通过" in html
    [note] = zendesk.notes(501)
    assert d["remote_id"] == str(note["id"]) and d["ticket_url"] == f"{zendesk.url}/agent/tickets/501"
    # the HTML comment was read as text, its two paragraphs as two lines
    request = hooks.client.get(f"/v1/drafts/{d['draft_id']}").json()["request"]
    assert request["message"] == "你好\n\n我的订单20261103886已经一周没发货了,太慢了!"
    assert request["channel"] == "email" and request["customer_name"] == "王小明"


def test_the_trigger_body_in_the_readme_is_the_one_the_connector_reads(hooks, zendesk):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert textwrap.indent(TRIGGER_BODY, "   ") in readme  # step 4 of "Connect your helpdesk"
    filled = {"{{ticket.id}}": "502", "{{ticket.updated_at_with_timestamp}}": "2026-11-02T08:15Z",
              "{{ticket.requester.id}}": "9001", "{{current_user.id}}": "9001"}
    body = TRIGGER_BODY
    for placeholder, value in filled.items():
        body = body.replace(placeholder, value)
    zendesk.customer_comments(502, "耳机坏了")
    assert hooks.send(json.loads(body)).json()["accepted"] == 1
    hooks.wait("posted")


def test_an_update_by_an_agent_or_by_tactful_is_ignored(hooks, zendesk):
    zendesk.customer_comments(503, "耳机坏了")
    assert hooks.send(zendesk.agent_replies(503, "您好,马上处理")).json()["ignored"] == 1
    assert hooks.send(zendesk.trigger_body(503, FakeZendesk.API_USER)).json()["ignored"] == 1
    assert hooks.deliveries() == []


def test_unsigned_or_wrongly_signed_webhooks_are_refused(hooks, zendesk):
    event = zendesk.customer_comments(504, "耳机坏了")
    body = json.dumps(event).encode()
    assert hooks.send(None, raw=body, headers={"Content-Type": "application/json"}).status_code == 401
    assert hooks.send(None, raw=body, headers={"X-Tactful-Secret": SECRET}).status_code == 401  # Zendesk signs
    bad = zendesk.sign(body, "another-secret-entirely")
    assert hooks.send(None, raw=body, headers=bad).status_code == 401
    old = zendesk.sign(body, SECRET, timestamp="2020-01-01T00:00:00Z")
    assert hooks.send(None, raw=body, headers=old).status_code == 401
    assert hooks.deliveries() == []


def test_a_retried_invocation_is_ignored(hooks, zendesk):
    event = zendesk.customer_comments(505, "耳机坏了,订单20261103886")
    assert hooks.send(event, invocation="01HINV0005").json()["accepted"] == 1
    assert hooks.send(event, invocation="01HINV0005").json()["duplicates"] == 1
    hooks.wait("posted")
    assert hooks.send(event, invocation="01HINV0005").json()["duplicates"] == 1
    assert len(zendesk.notes(505)) == 1


def test_a_second_invocation_for_comments_already_answered_posts_nothing(hooks, zendesk):
    """Two triggers (or a retry with a new id) for the same comments: the second delivery finds
    nothing new from the requester and is skipped."""
    event = zendesk.customer_comments(506, "耳机坏了")
    hooks.send(event, invocation="01HINV0006")
    hooks.wait("posted")
    hooks.send(event, invocation="01HINV0007")
    [skipped] = hooks.wait("skipped")
    assert "already answers" in skipped["last_error"] and len(zendesk.notes(506)) == 1


def test_two_comments_in_a_burst_are_one_note_over_both(hooks, zendesk):
    hooks.send(zendesk.customer_comments(507, "耳机左耳没有声音"), invocation="01HINV0008")
    hooks.send(zendesk.customer_comments(507, "订单20261103886,请尽快"), invocation="01HINV0009")
    [d] = hooks.wait("posted")
    assert d["events"] == 2 and len(zendesk.notes(507)) == 1
    message = hooks.client.get(f"/v1/drafts/{d['draft_id']}").json()["request"]["message"]
    assert message == "耳机左耳没有声音\n\n订单20261103886,请尽快"


def test_the_agents_reply_ends_a_burst_and_joins_the_thread(hooks, zendesk):
    zendesk.customer_comments(508, "耳机坏了")
    zendesk.agent_replies(508, "请提供订单号")
    hooks.send(zendesk.customer_comments(508, "订单20261103886"))
    [d] = hooks.wait("posted")
    request = hooks.client.get(f"/v1/drafts/{d['draft_id']}").json()["request"]
    assert request["message"] == "订单20261103886"
    assert [(m["role"], m["text"]) for m in request["thread"]] == [("customer", "耳机坏了"), ("agent", "请提供订单号")]


def test_a_409_from_a_concurrent_update_is_retried(hooks, zendesk):
    zendesk.fault("post", 409, body={"error": "Conflict", "description": "the ticket was updated"})
    hooks.send(zendesk.customer_comments(509, "耳机坏了"))
    hooks.wait("posted")
    assert len(zendesk.calls("post")) == 2 and len(zendesk.notes(509)) == 1


def test_a_ticket_that_does_not_exist_fails_at_once(hooks, zendesk):
    hooks.send(zendesk.trigger_body(510, FakeZendesk.REQUESTER))  # no such ticket in the fake
    [d] = hooks.wait("failed")
    assert "404" in d["last_error"] and d["attempts"] == 1


def test_a_comment_body_is_data_and_its_html_never_reaches_the_note(hooks, zendesk):
    hooks.send(zendesk.customer_comments(511, '耳机坏了 <img src=x onerror=alert(1)> <a href="http://evil.example">x</a>'))
    hooks.wait("posted")
    [put] = zendesk.calls("post")
    html = put["json"]["ticket"]["comment"]["html_body"]
    assert "<img" not in html and "<a " not in html


@pytest.mark.parametrize("event,field", [
    ({"ticket_id": "12; drop table"}, "ticket_id"),
    ({"ticket_id": 12}, "updated_at"),
    (["not", "an", "object"], "body"),
])
def test_a_malformed_trigger_body_is_a_422_naming_the_field(hooks, event, field):
    r = hooks.send(event)
    assert r.status_code == 422 and r.json()["error"]["field"] == field
    assert hooks.deliveries() == []
