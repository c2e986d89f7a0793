"""The Intercom connector end to end: the real app and a fake Intercom on loopback built from
Intercom's documented webhooks and Conversations API (tests/helpdesks.py). A user's message in
(conversation.user.created / .replied, X-Hub-Signature), a note out through
POST /conversations/{id}/reply as the account's admin, with Bearer auth and Intercom-Version."""

import json

import pytest
from fastapi.testclient import TestClient

from helpdesks import SECRET, FakeIntercom, Webhooks, fast_settings
from service import store
from service.connectors import accounts, get_connector
from service.errors import InputError
from service.web.app import create_app

COMPLAINT = "我买的蓝牙耳机左耳没有声音\n订单20261103886,你们尽快处理"
APP = FakeIntercom.APP_ID


@pytest.fixture
def intercom():
    with FakeIntercom(token="ic-access-token") as fake:
        yield fake


def start(tmp_path, fake, **settings):
    s = fast_settings(tmp_path, **settings)
    store.migrate(s.db_path)
    accounts.add_account(s.db_path, "intercom", APP, base_url=fake.url, token=fake.token, secret=SECRET,
                         admin_id=FakeIntercom.ADMIN)
    return s


@pytest.fixture
def hooks(tmp_path, intercom):
    with TestClient(create_app(start(tmp_path, intercom))) as client:
        yield Webhooks(client, intercom, "intercom", APP)


def test_a_new_conversation_comes_back_as_a_note_from_the_admin(hooks, intercom):
    r = hooks.send(intercom.user_starts("215470", COMPLAINT))
    assert r.status_code == 202 and r.json()["accepted"] == 1
    [d] = hooks.wait("posted")
    [get] = intercom.calls("get")
    assert get["path"] == "/conversations/215470"
    [post] = intercom.calls("post")
    assert post["path"] == "/conversations/215470/reply"
    assert post["headers"]["authorization"] == "Bearer ic-access-token"
    assert post["headers"]["intercom-version"] == "2.11"
    body = post["json"]
    assert set(body) == {"message_type", "type", "admin_id", "body"}
    assert body["message_type"] == "note" and body["type"] == "admin" and body["admin_id"] == FakeIntercom.ADMIN
    assert body["body"].startswith("<p><strong>tactful 建议回复（内部备注，客户看不到）</strong></p>")
    assert "20261103886" in body["body"] and "检查通过" in body["body"]
    [note] = intercom.notes("215470")
    assert d["remote_id"] == note["id"]
    assert d["ticket_url"] == f"{intercom.url}/a/inbox/{APP}/inbox/conversation/215470"
    request = hooks.client.get(f"/v1/drafts/{d['draft_id']}").json()["request"]
    assert request["message"] == "我买的蓝牙耳机左耳没有声音\n\n订单20261103886,你们尽快处理"  # HTML read as text
    assert request["customer_name"] == "王小明" and request["channel"] == "chat"


def test_a_reply_is_drafted_with_the_thread_and_notes_and_bots_stay_out(hooks, intercom):
    intercom.user_starts("215471", "耳机坏了")
    intercom.bot_replies("215471", "我是 Fin,请问订单号是多少?")
    intercom.admin_replies("215471", "请提供订单号")
    intercom.admin_replies("215471", "内部: 仓库缺货", note=True)
    hooks.send(intercom.user_replies("215471", "订单20261103886"))
    [d] = hooks.wait("posted")
    request = hooks.client.get(f"/v1/drafts/{d['draft_id']}").json()["request"]
    assert request["message"] == "订单20261103886"
    assert [(m["role"], m["text"]) for m in request["thread"]] == [("customer", "耳机坏了"), ("agent", "请提供订单号")]


def test_other_topics_and_an_admins_part_are_ignored(hooks, intercom):
    intercom.user_starts("215472", COMPLAINT)
    conv = intercom.conversations["215472"]
    admin = intercom.notification("conversation.admin.replied", conv, [intercom.admin_replies("215472", "您好")])
    ping = {"type": "notification_event", "topic": "ping", "app_id": APP, "data": {"item": {"message": "hi"}}}
    mixed = intercom.notification("conversation.user.replied", conv, [intercom.admin_replies("215472", "请稍等")])
    for event in (admin, ping, mixed):
        r = hooks.send(event)
        assert r.status_code == 202 and r.json()["ignored"] == 1, event["topic"]
    assert hooks.deliveries() == []


def test_a_wrong_or_missing_signature_is_refused(hooks, intercom):
    event = intercom.user_starts("215473", COMPLAINT)
    body = json.dumps(event).encode()
    for headers in ({"Content-Type": "application/json"}, {"X-Tactful-Secret": SECRET},
                    intercom.sign(body, "another-client-secret")):
        assert hooks.send(None, raw=body, headers=headers).status_code == 401, headers
    changed = json.dumps(event | {"app_id": APP, "id": "notif_other"}, sort_keys=True).encode()
    assert hooks.send(None, raw=changed, headers=intercom.sign(body, SECRET)).status_code == 401
    assert hooks.deliveries() == []


def test_a_notification_for_another_workspace_is_refused(hooks, intercom):
    intercom.user_starts("215474", COMPLAINT)
    other = intercom.notification("conversation.user.created", intercom.conversations["215474"], [],
                                  app_id="otherapp")
    r = hooks.send(other)
    assert r.status_code == 422 and r.json()["error"]["field"] == "app_id"


def test_a_redelivered_notification_is_ignored(hooks, intercom):
    event = intercom.user_starts("215475", COMPLAINT)
    assert hooks.send(event).json()["accepted"] == 1
    again = event | {"delivery_attempts": 2}  # Intercom's retry: the same message, counted again
    assert hooks.send(again).json()["duplicates"] == 1
    hooks.wait("posted")
    assert hooks.send(again).json()["duplicates"] == 1
    assert len(intercom.notes("215475")) == 1


def test_a_burst_of_replies_is_one_note(tmp_path, intercom):
    with TestClient(create_app(start(tmp_path, intercom, connector_quiet_s=0.4))) as client:
        hooks = Webhooks(client, intercom, "intercom", APP)
        hooks.send(intercom.user_starts("215476", "你好"))
        hooks.send(intercom.user_replies("215476", "耳机左耳没有声音"))
        hooks.send(intercom.user_replies("215476", "订单20261103886"))
        [d] = hooks.wait("posted")
        assert d["events"] == 3 and len(intercom.notes("215476")) == 1
        message = client.get(f"/v1/drafts/{d['draft_id']}").json()["request"]["message"]
        assert message == "你好\n\n耳机左耳没有声音\n\n订单20261103886"


def test_429_is_retried_after_the_retry_after_it_asks_for(hooks, intercom):
    intercom.fault("post", 429, retry_after=1)
    hooks.send(intercom.user_starts("215477", COMPLAINT))
    [d] = hooks.wait("posted")
    first, second = intercom.calls("post")
    assert second["at"] - first["at"] >= 1.0
    assert len(intercom.notes("215477")) == 1 and d["last_error"] is None


def test_5xx_forever_parks_the_delivery_then_a_manual_retry_posts_once(hooks, intercom):
    intercom.fail_forever("post", 503)
    hooks.send(intercom.user_starts("215478", COMPLAINT))
    [d] = hooks.wait("failed")
    assert d["attempts"] == 4 and "503" in d["last_error"] and intercom.notes("215478") == []
    intercom.heal()
    assert hooks.client.post(f"/v1/connectors/deliveries/{d['id']}/retry").json()["state"] == "posting"
    hooks.wait("posted")
    assert len(intercom.notes("215478")) == 1


def test_a_refused_token_and_a_missing_conversation_fail_at_once(tmp_path, intercom):
    s = fast_settings(tmp_path)
    store.migrate(s.db_path)
    accounts.add_account(s.db_path, "intercom", APP, base_url=intercom.url, token="wrong", secret=SECRET,
                         admin_id=FakeIntercom.ADMIN)
    with TestClient(create_app(s)) as client:
        hooks = Webhooks(client, intercom, "intercom", APP)
        hooks.send(intercom.user_starts("215479", COMPLAINT))
        [d] = hooks.wait("failed")
        assert d["attempts"] == 1 and "401" in d["last_error"] and "wrong" not in d["last_error"]
        accounts.add_account(s.db_path, "intercom", APP, base_url=intercom.url, token=intercom.token,
                             secret=SECRET, admin_id=FakeIntercom.ADMIN, replace=True)
        event = intercom.user_starts("215480", COMPLAINT)
        del intercom.conversations["215480"]
        hooks.send(event)
        [gone] = [x for x in hooks.wait("failed", 2) if x["conversation_id"] == "215480"]
        assert "404" in gone["last_error"] and gone["attempts"] == 1


def test_an_account_needs_its_admin_and_links_to_the_inbox(tmp_path):
    store.migrate(tmp_path / "t.db")
    with pytest.raises(InputError) as e:
        accounts.add_account(tmp_path / "t.db", "intercom", APP, token="t", secret=SECRET)
    assert e.value.field == "admin_id"
    made, _ = accounts.add_account(tmp_path / "t.db", "intercom", APP, token="t", secret=SECRET, admin_id="814860")
    assert made.base_url == "https://api.intercom.io"
    assert get_connector("intercom").ticket_url(made, "9") == f"https://app.intercom.com/a/inbox/{APP}/inbox/conversation/9"


@pytest.mark.parametrize("event,field", [
    ({"topic": "conversation.user.created", "app_id": APP, "data": {}}, "data.item"),
    ({"topic": "conversation.user.created", "app_id": APP, "data": {"item": {"id": "../admins"}}}, "data.item.id"),
    ({"topic": "conversation.user.created", "app_id": APP, "data": {"item": {"id": "5"}}}, "data.item.source"),
    (["not", "an", "object"], "body"),
])
def test_a_malformed_notification_is_a_422_naming_the_field(hooks, event, field):
    r = hooks.send(event)
    assert r.status_code == 422 and r.json()["error"]["field"] == field
