"""The offline drafter asks for exactly what the case needs and the ticket lacks (asks.py,
policy.yaml `asks` and `offline_asks`), through the real app: the order number, a photo of
the fault, how to find the account; once each, in the customer's script, never for an ID,
a card, a password, a code or an address."""

import re

import pytest
import yaml

from builtin import PLAYBOOK
from service.checker.text import detect_lang
from service.drafting.policy import load_policy
from service.errors import RubricError

POLICY = PLAYBOOK.policy
LANGS = ("zh-Hans", "zh-Hant", "en")


def ask(ask_id, lang):
    return POLICY.render(POLICY.ask(ask_id).text(lang), tier="minor", facts={})


def post(client, message, **kw):
    r = client.post("/v1/drafts", json={"message": message, **kw})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["model"] == "offline" and d["review"]["passed"] and d["review"]["findings"] == [], d["review"]
    return d


def asked(d, lang):
    """The ids of the policy's questions the draft asks, each as often as it asks it."""
    return sorted(a.id for a in POLICY.asks for _ in range(d["text"].count(ask(a.id, lang))))


DEFECT = {"zh-Hans": "我买的蓝牙耳机左耳没有声音", "zh-Hant": "我買的藍牙耳機左耳沒有聲音", "en": "My kettle arrived cracked"}


@pytest.mark.parametrize("lang", LANGS)
def test_a_defect_with_no_order_number_and_no_photo_asks_for_both_once(client, lang):
    d = post(client, DEFECT[lang], lang=lang)
    assert d["triage"]["scenario"] == "defective_or_wrong_item"
    assert asked(d, lang) == ["fault_photo", "order_number"]
    assert detect_lang(d["text"]) == lang
    assert d["sections"]["remedy"].endswith(ask("order_number", lang) + ("" if lang != "en" else " ") + ask("fault_photo", lang))


def test_what_the_ticket_holds_is_not_asked_again(client):
    d = post(client, "My kettle arrived cracked, order 55123, photo attached")
    assert asked(d, "en") == []
    d = post(client, "我买的蓝牙耳机左耳没有声音,照片已经上传了", order_id="20261103886")
    assert asked(d, "zh-Hans") == []
    d = post(client, "我買的藍牙耳機左耳沒有聲音,訂單20261103886")  # the number found in the message
    assert asked(d, "zh-Hant") == ["fault_photo"]


@pytest.mark.parametrize("message,lang", [("我买的蓝牙耳机左耳没有声音,没有拍照片", "zh-Hans"),
                                          ("My kettle arrived cracked, I don't have a photo", "en")])
def test_a_photo_the_customer_says_they_do_not_have_is_still_asked_for(client, message, lang):
    assert "fault_photo" in asked(post(client, message, order_id="20261103886"), lang)


@pytest.mark.parametrize("message,lang", [("快递一直没到,都一周了", "zh-Hans"), ("我被扣了兩次款", "zh-Hant"),
                                          ("I was charged twice for the same thing", "en")])
def test_a_parcel_or_a_charge_with_no_order_number_asks_for_it(client, message, lang):
    d = post(client, message)
    assert d["triage"]["scenario"] in ("late_or_lost_parcel", "billing")
    assert asked(d, lang) == ["order_number"]
    assert asked(post(client, message, order_id="20261103886"), lang) == []


def test_zh_hant_asks_in_taiwan_wording(client):
    order = post(client, "快遞一直沒到,都一週了")["sections"]["remedy"]
    account = post(client, "我的帳號被盜了,有人異地登入")["sections"]["remedy"]
    assert "訂單編號" in order
    assert "帳號" in account and "電子郵件" in account
    assert not re.search(r"订单|账号|邮箱|郵箱|賬", order + account)


@pytest.mark.parametrize("message,lang", [("我的账号被盗了,有人异地登录", "zh-Hans"), ("我的帳號被盜了,有人異地登入", "zh-Hant"),
                                          ("My account was hacked, someone logged in from abroad", "en")])
def test_an_account_case_asks_how_to_find_the_account_never_for_secrets(client, message, lang):
    d = post(client, message)
    assert d["triage"]["scenario"] == "account_security"
    assert asked(d, lang) == ["account_email"]
    question = ask("account_email", lang)
    assert not re.search(r"身份证|身份證|银行卡|銀行卡|卡号|卡號|密码|密碼|验证码|驗證碼|地址|\b(?:id|card|password|code|otp|(?<!email )address)\b",
                         question.lower()), question
    # an email or a phone in the ticket already names the account
    named = post(client, message + (" my email is a.li@example.com" if lang == "en" else ",我的邮箱是a.li@example.com"))
    assert asked(named, lang) == []


def test_one_question_per_missing_fact_across_the_issues(client):
    d = post(client, "快递一直没到,而且还被扣了两次款")
    assert {"late_or_lost_parcel", "billing"} <= {i["scenario"] for i in d["triage"]["issues"]}
    assert asked(d, "zh-Hans") == ["order_number"]


@pytest.mark.parametrize("message,kw", [("我买的蓝牙耳机左耳没有声音", {"channel": "social"}),  # a public post
                                        ("我买的电暖器冒烟了,还有烧焦味", {})])                    # a danger
def test_a_public_reply_or_a_danger_asks_nothing(client, message, kw):
    assert asked(post(client, message, **kw), "zh-Hans") == []


@pytest.mark.parametrize("lang", LANGS)
def test_every_question_with_a_fact_exists_in_every_language_and_asks_for_no_secret(lang):
    facts = {a.fact for a in POLICY.asks if a.fact}
    assert facts == {"order_id", "photo", "account"}
    for a in POLICY.asks:
        text = ask(a.id, lang)
        assert text and "{" not in text
        assert not re.search(r"身份证|身份證|银行卡|銀行卡|密码|密碼|验证码|驗證碼|地址|\b(?:passport|password|otp|(?<!email )address|card number)\b",
                             text.lower()), (a.id, text)


@pytest.mark.parametrize("change,reason", [
    (lambda d: d["offline_asks"].update({"billing": ["ask_for_iban"]}), "not in the questions"),
    (lambda d: d["offline_asks"].update({"billing": ["error_screenshot"]}), "names no `fact`"),
    (lambda d: d["offline_asks"].update({"weather": ["order_number"]}), "unknown scenario"),
])
def test_a_broken_question_list_stops_the_policy_loading(tmp_path, change, reason):
    data = yaml.safe_load(PLAYBOOK.policy_path.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RubricError, match=reason):
        load_policy(path)
    load_policy.cache_clear()


def test_the_models_prompt_names_the_questions_the_ticket_needs(tmp_path):
    import json
    import os

    import respx
    from fastapi.testclient import TestClient

    from builtin import model_answer
    from service.settings import Settings
    from service.web.app import create_app

    os.environ.setdefault("OPENAI_API_KEY", "sk-test-not-a-real-key")
    os.environ["DISABLE_AIOHTTP_TRANSPORT"] = "True"
    words = {"apology": "非常抱歉给您添麻烦了。", "restatement": "您的蓝牙耳机左耳没有声音。",
             "remedies": ["exchange_defect"], "asks": ["order_number"], "close": "感谢您的耐心。"}
    settings = Settings(db_path=tmp_path / "t.db", model="gpt-4o-mini", model_backoff_s=0.001, model_timeout_s=2)
    with respx.mock, TestClient(create_app(settings)) as c:
        route = respx.post("https://api.openai.com/v1/chat/completions").mock(return_value=model_answer(words))
        d = c.post("/v1/drafts", json={"message": DEFECT["zh-Hans"]}).json()
        user = json.loads(route.calls[0].request.content)["messages"][1]["content"]
        assert "Questions for what this ticket lacks: order_number, fault_photo" in user
        assert ask("order_number", "zh-Hans") in d["sections"]["remedy"]  # the model chose it: the policy's words
        c.post("/v1/drafts", json={"message": DEFECT["zh-Hans"], "order_id": "20261103886"})
        assert "lacks: fault_photo\n" in json.loads(route.calls[1].request.content)["messages"][1]["content"]
