"""Conversations are the unit of QA in chat and social channels: structure is asked of the
conversation, a short factual answer passes, and `channel` changes the expectations."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from builtin import PLAYBOOK
from service.checker.conversation import Message, required_parts, review_conversation

ROOT = Path(__file__).resolve().parent.parent


def conv(*turns, channel="chat", **kw):
    msgs = [Message(role, text, agent="li" if role == "agent" else None) for role, text in turns]
    return review_conversation(PLAYBOOK, msgs, conversation_id="c1", channel=channel, **kw)


@pytest.mark.parametrize("question,answer", [
    ("这个耳机支持降噪吗", "是的"),
    ("换了新卡会有影响吗", "可以的 这个没有影响的"),
    ("Do you ship to Canada?", "Yes, we do!"),
])
def test_a_short_factual_chat_answer_to_a_question_passes(question, answer):
    card = conv(("customer", question), ("agent", answer))
    assert card["passed"], card["turn_reviews"]
    assert card["structure"]["apology"] == "n/a" and card["structure"]["close"] == "n/a"
    review = card["turn_reviews"][0]["review"]
    assert review["passed"] and not any(f["category"].startswith("missing_") for f in review["findings"])


def test_the_same_answer_as_an_email_must_carry_all_four_parts():
    card = conv(("customer", "换了新卡会有影响吗"), ("agent", "可以的 这个没有影响的"), channel="email")
    assert not card["passed"]
    assert {"missing_apology", "missing_concrete_remedy"} <= set(card["findings_by_category"])


def test_a_complaint_asks_the_first_substantive_answer_for_an_apology_and_the_last_for_a_close():
    card = conv(("customer", "我买的耳机左耳没有声音,订单20261103886"),
                ("agent", "您好"),  # holding the line, not the answer
                ("agent", "您的订单20261103886的耳机左耳没声音,我们今天18点前为您补发新耳机。"),
                ("agent", "好的"))
    assert card["complaint"] is True
    assert card["structure"] == {"apology": "missing", "restatement": "present", "remedy": "present",
                                 "close": "missing"}
    turns = card["turn_reviews"]
    assert [f["category"] for f in turns[1]["review"]["findings"]] == ["missing_apology"]
    assert [f["category"] for f in turns[2]["review"]["findings"]] == ["missing_open_close"]
    assert turns[0]["review"]["passed"]  # the greeting itself is fine
    assert not card["passed"]


def test_an_apology_in_a_later_turn_still_counts_for_the_conversation():
    card = conv(("customer", "快递三天了还没收到,太慢了"),
                ("agent", "您的快递还在路上,预计明天18点前送达。"),
                ("agent", "非常抱歉让您久等了,有任何问题随时联系我,客服小李。"))
    assert card["structure"]["apology"] == "present" and card["structure"]["close"] == "present"
    assert card["passed"], card["turn_reviews"]


def test_a_promise_without_a_time_fails_in_any_channel():
    card = conv(("customer", "请问能退吗"), ("agent", "可以的,我们会尽快为您退款。"))
    assert not card["passed"] and "vague_promise" in card["findings_by_category"]


def test_an_instruction_or_a_question_in_chat_is_not_a_missing_remedy():
    card = conv(("customer", "怎么申请信用卡"), ("agent", "您可以在App首页点击申请信用卡,按提示填写资料即可。"))
    assert card["passed"] and card["structure"]["remedy"] in ("present", "n/a"), card["turn_reviews"]


def test_bots_and_system_messages_are_context_never_scored():
    msgs = [Message("customer", "你好"), Message("bot", "我们会尽快处理"), Message("system", "转人工"),
            Message("agent", "在的,请问有什么可以帮您?")]
    card = review_conversation(PLAYBOOK, msgs, channel="chat")
    assert card["turns"] == 1 and card["passed"]


def test_a_reply_reviewed_alone_follows_its_channel():
    complaint, reply = "耳机坏了,太失望了", "您的耳机我们今天18点前为您补发新的。"
    assert required_parts(PLAYBOOK, reply, complaint, None) == {"apology", "restatement", "remedy", "close"}
    assert required_parts(PLAYBOOK, reply, complaint, "email") == {"apology", "restatement", "remedy", "close"}
    assert required_parts(PLAYBOOK, reply, complaint, "chat") == {"apology", "restatement"}
    assert required_parts(PLAYBOOK, "是的", "这个支持降噪吗", "chat") == frozenset()


def test_channel_changes_the_review_over_http_and_in_the_cli(client):
    body = {"reply": "可以的 这个没有影响的", "complaint": "换了新卡会有影响吗"}
    chat = client.post("/v1/reviews", json=body | {"channel": "chat"}).json()
    email = client.post("/v1/reviews", json=body | {"channel": "email"}).json()
    assert chat["passed"] and chat["structure"]["apology"] == "n/a"
    assert not email["passed"] and email["structure"]["apology"] == "missing"
    res = subprocess.run([sys.executable, "-m", "service", "review", body["reply"], "--complaint", body["complaint"],
                          "--channel", "chat", "--format", "json"], capture_output=True, cwd=ROOT, timeout=60)
    assert res.returncode == 0 and json.loads(res.stdout)["passed"]


@pytest.mark.parametrize("reply,script", [
    ("お問い合わせいただきありがとうございます。確認いたします。", "Japanese"),
    ("문의해 주셔서 감사합니다. 확인하겠습니다.", "Korean"),
    ("Спасибо за обращение, мы проверим заказ.", "Cyrillic"),
    ("Hola, lamentamos el inconveniente. Por favor envíanos tu número de pedido.", "Spanish"),
    ("Bonjour, nous sommes désolés pour le retard de votre commande.", "French"),
])
def test_a_language_the_rules_do_not_cover_is_said_to_be_unsupported(client, reply, script):
    r = client.post("/v1/reviews", json={"reply": reply})
    assert r.status_code == 422 and r.json()["error"]["code"] == "unsupported_language"
    assert script in r.json()["error"]["message"]


@pytest.mark.parametrize("reply", ["您好,这款の包装是新版的,我们今天18点前为您补发。", "Hi Анна, sorry about that!"])
def test_a_stray_foreign_character_is_still_reviewed(client, reply):
    assert client.post("/v1/reviews", json={"reply": reply}).status_code == 200


@pytest.mark.parametrize("reply,text", [
    ("非常抱歉,我们会在[具体时间]前为您补发。", "[具体时间]"),
    ("Sorry about that. We will [specific action] by [time].", "[specific action]"),
])
def test_an_unfilled_template_placeholder_is_not_a_concrete_remedy(client, reply, text):
    body = client.post("/v1/reviews", json={"reply": reply}).json()
    assert not body["passed"]
    assert any(f["rule"].startswith("vague.placeholder") and f["text"] == text for f in body["findings"])


def test_an_exports_anonymised_value_is_not_a_placeholder(client):
    body = client.post("/v1/reviews", json={"reply": "您好,预计[数字x]天内送达,订单[订单x]已发货。", "channel": "chat"}).json()
    assert not any(f["rule"].startswith("vague.placeholder") for f in body["findings"])
