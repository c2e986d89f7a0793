"""The learned triage (issue 15) through the real app: the hard kinds of real messages."""

import pytest

from builtin import PLAYBOOK
from service.drafting.triage import triage


def _draft(client, message, **kw):
    r = client.post("/v1/drafts", json={"message": message, **kw})
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize("message,scenario", [
    ("not broken, just late", "late_or_lost_parcel"),  # negation
    ("没有质量问题 就是物流太慢了", "late_or_lost_parcel"),
    ("客服说无质量问题 但是一直没发货", "late_or_lost_parcel"),  # the merchant's words, quoted
    # a coupon or a discount that did not apply is not a wrong charge the policy refunds, nor a
    # defect: `other` (a supervisor answers it)
    ("优惠券明明能用 结算的时候没给我减", "other"),
    ("能不能敬业一点", "poor_service"),  # a complaint, not a question
    ("this deal is fire but the discount didnt come off my total", "other"),
    ("down payment was taken but not applied to the balance", "billing"),
    ("我要炸了 快递到底什么时候到", "late_or_lost_parcel"),
    ("the rep said put the phone down and call back later, then hung up", "poor_service"),
])
def test_hard_messages_get_their_scenario(client, message, scenario):
    t = _draft(client, message)["triage"]
    assert t["scenario"] == scenario
    assert not t["safety"]


@pytest.mark.parametrize("message", ["my driver crashed and I hit my head", "家里的电暖器冒烟了!",
                                     "my son broke his leg when the stroller folded"])
def test_a_danger_is_called_and_the_emergency_line_comes_first(client, message):
    body = _draft(client, message)
    assert body["triage"]["safety"] and body["triage"]["scenario"] == "safety_emergency"
    assert body["sections"]["emergency"]


def test_idioms_are_not_a_danger_for_the_keyword_rules():
    t = triage("my fire stick remote is dead out of the box", PLAYBOOK, use_model=False)
    assert t.scenario != "safety_emergency" and not t.safety
    assert triage("put the phone down", PLAYBOOK, use_model=False).scenario != "outage"


def test_the_classifier_never_removes_a_keyword_danger():
    t = triage("插座冒烟了", PLAYBOOK)
    assert t.safety and t.scenario == "safety_emergency"


def test_every_issue_is_returned_and_each_gets_a_line(client):
    body = _draft(client, "快递一直没到,而且客服态度很差,挂我电话")
    got = {i["scenario"] for i in body["triage"]["issues"]}
    assert {"late_or_lost_parcel", "poor_service"} <= got
    assert "另外" in body["sections"]["restatement"]
    assert "48小时" in body["sections"]["remedy"] and "4小时" in body["sections"]["remedy"]


@pytest.mark.parametrize("message,signal,severity", [
    ("快递还没收到,这是我第三次联系你们了,钱都扣了", "repeat_contact", "severe"),
    ("I was charged twice, I'm posting this on twitter", "public_threat", "severe"),
    ("包裹一直没到 我要去12315投诉", "legal_threat", "severe"),
    ("the delivery van hit me and my leg is bleeding", "injury", "severe"),
])
def test_signals_raise_severity(message, signal, severity):
    t = triage(message, PLAYBOOK)
    assert signal in t.signals and t.severity == severity


def test_no_one_hurt_is_not_an_injury():
    assert "injury" not in triage("取暖器倒了 幸好人没事", PLAYBOOK).signals


def test_unsure_safety_puts_the_policys_numbers_in_the_draft(client):
    from service.drafting.offline import compose

    t = triage("快递一直没到", PLAYBOOK).model_copy(update={"safety_uncertain": True})
    sections, _ = compose(PLAYBOOK, t, lang="zh-Hans")
    em = PLAYBOOK.policy.emergency["zh-Hans"]
    assert sections.emergency and em.ambulance in sections.emergency and em.police in sections.emergency
    en, _ = compose(PLAYBOOK, triage("my parcel is late", PLAYBOOK).model_copy(update={"safety_uncertain": True}), lang="en")
    assert en.emergency.startswith("If anyone is hurt") and PLAYBOOK.policy.emergency["en"].ambulance in en.emergency


def test_a_trained_model_is_cached_by_its_trainers_code_too(tmp_path, monkeypatch):
    """The training settings live in the trainer's module: changing them must train anew, not
    read back the model the old settings made."""
    import importlib.util

    from service.checker import classifier

    def trainer_from(source: str):
        mod_file = tmp_path / "trainer_mod.py"
        mod_file.write_text(source, encoding="utf-8")
        spec = importlib.util.spec_from_file_location("trainer_mod", mod_file)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod.trainer

    cache = str(tmp_path / "cache")
    data = b'{"text": "x", "issues": ["other"]}\n'
    first = classifier._cache_file("t", data, cache, trainer_from("def trainer(d):\n    return 1\n"))
    again = classifier._cache_file("t", data, cache, trainer_from("def trainer(d):\n    return 1\n"))
    changed = classifier._cache_file("t", data, cache, trainer_from("def trainer(d):\n    return 2\n"))
    assert first == again
    assert first != changed


@pytest.mark.parametrize("message,lang", [
    ("Me and my teapot had a pleasant flight with @YuexiangAir this evening. thank you", "en"),
    ("谢谢你们，快递小哥服务很好", "zh-Hans"),
    ("謝謝你們，外送員很準時", "zh-Hant"),
])
def test_praise_gets_a_thank_you_not_an_apology(client, message, lang):
    """A thank-you tweet answered with "I'm so sorry" and a refund promise reads as a bot: praise
    with no complaint gets thanks and the contact, and passes its review."""
    d = _draft(client, message, lang=lang, channel="social" if "@" in message else "chat")
    assert d["triage"]["scenario"] == "other", d["triage"]
    text = d["text"]
    assert "sorry" not in text.lower() and "抱歉" not in text and "歉" not in text
    assert any(w in text for w in ("Thank you", "感谢", "感謝")), text
    assert not d["sections"]["remedy"], d["sections"]
    assert d["review"]["passed"], d["review"]["findings"]


@pytest.mark.parametrize("message", [
    "Thanks @SouthwestAir for the huge delays back to Chicago.",  # sarcasm
    "great, another week without internet, thanks @YuexiangNet 👏",
    "thanks, my phone screen cracked after one day",  # a complaint after the thanks
    "谢谢 但是快递还没到",
])
def test_thanks_with_a_complaint_is_still_answered_as_one(client, message):
    d = _draft(client, message)
    assert any(w in d["text"].lower() for w in ("sorry", "抱歉", "apolog")), d["text"]
