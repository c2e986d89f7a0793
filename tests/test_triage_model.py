"""The learned triage (issue 15) through the real app: the hard kinds of real messages."""

from pathlib import Path

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
    ("just wanted to say the gift wrap was lovely and the little card made my day", "en"),
    ("速遞師傅好有禮貌，仲幫我將箱搬到門口，唔該晒", "zh-Hant"),  # Cantonese; "幫我" told, not asked
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
    "the best part of flying @YuexiangAir is landing, the rest sucks",  # a grumble beside a praise word
])
def test_thanks_with_a_complaint_is_still_answered_as_one(client, message):
    d = _draft(client, message)
    assert any(w in d["text"].lower() for w in ("sorry", "抱歉", "apolog")), d["text"]


# Requests that are neither a fault nor a charge (triage.yaml `requests`): answered from the
# policy's topic answers, not with a defect's exchange and coupon or a charge's refund.
@pytest.mark.parametrize("message,lang,topic,answer", [
    ("鞋子款式很喜欢,就是我买大了,能换小一码吗", "zh-Hans", "size_exchange", "可以换尺码或颜色"),
    ("上周买的电饭煲今天便宜了80,可以申请价保吗", "zh-Hans", "price_protection", "价格保护"),
    ("订单编号:[订单x] 订单金额:[金额x] 下单时间:[日期x] 东西降价了能补差价吗", "zh-Hans", "price_protection", "价格保护"),
    ("公司报销要用,麻烦帮我把这单开成专票", "zh-Hans", "invoice", "开具发票"),
    ("這張優惠券說滿千可用,我買了一千二卻不能折抵", "zh-Hant", "coupon", "優惠券"),
    ("The promo code from your newsletter won't apply at checkout", "en", "coupon", "coupon"),
    ("Can I swap the jacket for a size up? It fits a bit tight", "en", "size_exchange", "another size"),
])
def test_a_request_gets_the_policy_answer_not_a_complaint_template(client, message, lang, topic, answer):
    d = _draft(client, message, lang=lang)
    t = d["triage"]
    assert topic in t["topics"], t
    assert t["kind"] in ("inquiry", "other") and len(t["issues"]) == 1, t
    text = d["text"]
    assert answer in text, text
    for other in ("优惠券" if topic != "coupon" else "", "原路退回" if topic in ("size_exchange", "invoice") else "",
                  "质量问题" if topic != "coupon" else ""):
        assert not other or other not in text, (other, text)
    assert d["review"]["passed"], d["review"]["findings"]


@pytest.mark.parametrize("message", [
    "价保申请通过了,可差价到现在还没退回来,我已经催了三次",  # a request that failed: a complaint
    "取消订单被扣了15块手续费,我下单才一分钟",  # money taken
    "客服每次都说'已经帮您加急',一周了快递还不动",  # the agent's words, not the customer's request
])
def test_a_request_that_went_wrong_is_still_a_complaint(client, message):
    t = _draft(client, message)["triage"]
    assert t["kind"] not in ("inquiry", "other"), t


def test_a_model_draft_of_a_request_carries_the_policys_answer(tmp_path):
    """The model chose the generic "answer within 24 hours"; the policy answers the question
    (an invoice), so the service adds that answer in the policy's words, and the prompt names it."""
    import json
    import os

    import respx
    from fastapi.testclient import TestClient

    from builtin import model_answer
    from service.drafting.policy import load_policy
    from service.settings import Settings
    from service.web.app import create_app

    os.environ.setdefault("OPENAI_API_KEY", "sk-test-not-a-real-key")
    os.environ["DISABLE_AIOHTTP_TRANSPORT"] = "True"
    words = {"apology": "不好意思让您专门跑一趟。", "restatement": "您想为这笔订单开具公司抬头的发票。",
             "remedies": ["full_answer"], "asks": [], "close": "感谢您的耐心。"}
    settings = Settings(db_path=tmp_path / "t.db", model="gpt-4o-mini", model_backoff_s=0.001, model_timeout_s=2)
    invoice = load_policy(settings.policy_path).remedy("invoice_change").text("zh-Hans")
    with respx.mock, TestClient(create_app(settings)) as c:
        route = respx.post("https://api.openai.com/v1/chat/completions").mock(return_value=model_answer(words))
        d = c.post("/v1/drafts", json={"message": "公司报销要用,麻烦帮我把这单开成专票"}).json()
        user = json.loads(route.calls[0].request.content)["messages"][1]["content"]
    assert "invoice_change" in user
    remedy = d["sections"]["remedy"]
    assert invoice.split("{")[0] in remedy, remedy  # the policy's own sentence, its numbers filled in
    assert "7个工作日" in remedy and d["review"]["passed"], d["review"]


@pytest.mark.parametrize("message,lang,product", [
    ("我买的电暖器冒烟了,还有烧焦味", "zh-Hans", True),
    ("My new space heater started sparking and smoking", "en", True),
    ("我妈吃完饭突然晕倒了,叫不醒", "zh-Hans", False),
    ("A passenger next to me collapsed and is barely breathing", "en", False),
])
def test_a_danger_with_no_product_is_not_told_to_stop_using_one(client, message, lang, product):
    d = _draft(client, message, lang=lang)
    assert d["triage"]["safety"], d["triage"]
    remedy = d["sections"]["remedy"]
    said = any(w in remedy for w in ("停止使用", "stop using"))
    assert said == product, remedy
    assert any(w in remedy for w in ("15分钟", "15 minutes")), remedy  # the safety officer's call either way


@pytest.mark.parametrize("message", [
    "So this was supposed to be my conjuring face as we picked up our burritos 🤣👻 #Halloween",
    "my heart is broken, you discontinued my favourite sauce",
    "Best part of my Halloween? Free drinks on all my flights for the holiday👻",
])
def test_a_post_with_no_word_of_a_danger_gets_no_emergency_line(client, message):
    """On real tweets the classifier's danger score alone put an emergency line on one in six:
    with no word of a danger in the message (triage.yaml hazard_words), it calls nothing."""
    d = _draft(client, message, channel="social")
    assert not d["triage"]["safety"], d["triage"]
    assert "911" not in d["text"], d["text"]


@pytest.mark.parametrize("message", [
    "Touched the metal handrail your crew installed and got a jolt that knocked me back, my arm is still numb",
    "My son's tablet is so hot it's warping the case and it's hissing",
])
def test_a_danger_in_plain_words_still_gets_the_emergency_numbers(client, message):
    d = _draft(client, message)
    assert "911" in d["text"], (d["triage"], d["text"])


@pytest.mark.parametrize("message", [
    "[订单x] 谢谢 可以的话就帮我取消",  # a request that ends in thanks
    "麻烦看一下这个单为什么被取消了,谢谢",
    "Thanks! Please stop sending me marketing texts",
])
def test_a_request_with_thanks_is_not_answered_with_a_thank_you(client, message):
    t = _draft(client, message)["triage"]
    assert not t["praise"], t


# Nothing said yet: a first chat line that is only a greeting, "转人工" or the helpdesk's order
# card, or a tweet that is only a handle. An apology and a 24-hour promise would be for nothing:
# the draft asks what the customer needs, names the contact, and passes its review.
@pytest.mark.parametrize("message,lang", [
    ("在吗？", "zh-Hans"),
    ("我要转人工 我要转人工", "zh-Hans"),
    ("[訂單編號:[數字x]，訂單金額:[金額x]] 你好", "zh-Hant"),
    ("[日期x] [时间x] 订单编号:[数字x] 订单金额:￥[金额x]", "zh-Hans"),  # an amount with its currency sign
    ("hi @YuexiangAir", "en"),
])
def test_a_message_that_says_nothing_yet_is_asked_what_it_needs(client, message, lang):
    d = _draft(client, message, lang=lang, channel="social" if "@" in message else "chat")
    t, text = d["triage"], d["text"]
    assert t["opening"], t
    assert "sorry" not in text.lower() and "歉" not in text, text
    assert "24" not in text, text  # no promise of an answer to a question nobody asked
    assert any(w in text for w in ("How can I help", "有什么可以帮", "有什麼可以幫")), text
    assert not d["sections"]["remedy"], d["sections"]
    assert d["review"]["passed"], d["review"]["findings"]


@pytest.mark.parametrize("message", [
    "太慢了！！",  # little, but a complaint
    "在吗 快递还没到",
    "hi @YuexiangAir my bag never showed up",
    "你好 [订单x] 帮我查下物流",
])
def test_a_short_message_that_says_something_is_not_asked_what_it_needs(client, message):
    t = _draft(client, message)["triage"]
    assert not t["opening"], t


# The classifier alone calls a scenario only where the message holds a word of its kind
# (triage.yaml `scenario_words`): on real tweets it read a request for a contact, a missed promo
# and a keyboard bug as break-ins, and got the break-in template.
@pytest.mark.parametrize("message", [
    "@GameCo can someone tell me who to contact about a school talk",
    "@AirCo hi, looking for someone in your press team to talk to",
])
def test_no_break_in_is_called_without_a_word_of_one(client, message):
    t = _draft(client, message, channel="social")["triage"]
    assert "account_security" not in [i["scenario"] for i in t["issues"]], t


@pytest.mark.parametrize("message", [
    "someone got into my account overnight and changed the email on it",
    "有人用我的支付宝在你们店买了东西，我根本没买过",
    "@BankCo a guy pretending to be you called and I gave him the code, now $900 is gone",
])
def test_a_break_in_in_plain_words_is_still_one(client, message):
    t = _draft(client, message)["triage"]
    assert "account_security" in [i["kind"] or i["scenario"] for i in t["issues"]], t


def test_scenario_words_must_name_a_scenario(tmp_path):
    from service.drafting.triage import load_triage_rules
    from service.errors import RubricError

    src = (Path(__file__).parent.parent / "rubrics" / "triage.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "triage.yaml"
    bad.write_text(src + "\n  break_ins: [account]\n", encoding="utf-8")
    with pytest.raises(RubricError, match="scenario_words: not a scenario: break_ins"):
        load_triage_rules(bad)


# In Chinese too, the classifier's danger score alone adds no emergency line without a word of a
# danger (triage.yaml `hazard_words`): a hair in the soup "恶心死了" is disgust, not poisoning.
@pytest.mark.parametrize("message", [
    "汤里有根头发，恶心死了，要求退款",
    "高铁票一直付不了款，马上要发车了",
])
def test_no_danger_line_in_chinese_without_a_word_of_danger(client, message):
    d = _draft(client, message)
    assert not d["triage"]["safety"] and not d["triage"]["safety_uncertain"], d["triage"]
    assert "120" not in d["text"] and "110" not in d["text"], d["text"]


@pytest.mark.parametrize("message", [
    "出租车师傅开得东倒西歪，一股酒味，我好怕",
    "家里的热水器一直有瓦斯味，关了还有",
    # a fire told by its smoke, a lift stuck with people in it, a driver drunk or asleep
    "对面仓库冒出好大一股黑烟，味道很冲，我们在隔壁上班",
    "商场的电梯停在半空，我和我妈被困电梯快二十分钟了",
    "网约车师傅满身酒气，一路上车子左右晃",
    "the lift in your store is stuck between floors and we are trapped in the lift with a toddler",
    "my driver keeps nodding off on the motorway and won't pull over",
])
def test_a_danger_in_plain_words_still_gets_the_line(client, message):
    d = _draft(client, message)
    assert any(n in d["text"] for n in ("110", "120", "119", "911")), (d["triage"], d["text"])


# Thanks for a problem that is over ("退款已经到账了，谢谢"): the complaint's words are the past,
# and the reply thanks; a contrast or a new problem after it is still answered as one.
@pytest.mark.parametrize("message", [
    "退款已经到账了，谢谢你们的耐心",
    "my problem has been resolved, the engineer you sent was great. thanks",
    "問題已經解決了，謝謝",
    # praise with no thanks word, and a 不 that is part of a word of praise
    "这个保温杯爱不释手，已经推荐给我妹了",
    "物超所值，下次还会回购",
])
def test_thanks_for_a_problem_that_is_over_is_praise(client, message):
    d = _draft(client, message)
    assert d["triage"]["praise"], d["triage"]
    assert "sorry" not in d["text"].lower() and "歉" not in d["text"], d["text"]


@pytest.mark.parametrize("message", [
    "退款已经到账了，但是只退了一半，谢谢",
    "my problem has been resolved but now my bill is wrong, thanks",
    "退款到账了 谢谢 还有一个订单没退",
])
def test_a_problem_after_the_resolved_one_is_still_answered(client, message):
    assert not _draft(client, message)["triage"]["praise"]


def test_a_tracking_question_is_answered_and_a_late_parcel_is_not_given_that_answer(client):
    """"可以查询到这个订单的预计到达时间吗" is a question the policy answers (where to follow the
    parcel, when a paid order leaves); a parcel that has not moved for three days is a complaint,
    and "you can track it in My Orders" would be no answer to it."""
    asked = _draft(client, "[数字x] 可以查询到这个订单的预计到达时间吗")
    assert asked["triage"]["request"] == "tracking", asked["triage"]
    assert "查看物流" in asked["text"] and "抱歉" not in asked["text"], asked["text"]
    assert asked["review"]["passed"], asked["review"]["findings"]
    late = _draft(client, "快递三天没动了，到底到哪了")
    assert late["triage"]["scenario"] == "late_or_lost_parcel", late["triage"]
    assert "查看物流" not in late["text"], late["text"]


@pytest.mark.parametrize("message,answer", [
    ("有没有电话服务 以前的问题", "人工客服"),
    ("@YuexiangCare how can I get in touch with someone at your company", "You are talking to a person now"),
])
def test_asking_how_to_reach_a_person_is_answered_not_deferred(client, message, answer):
    d = _draft(client, message, channel="social" if "@" in message else "chat")
    assert d["triage"]["request"] == "contact", d["triage"]
    assert answer in d["text"] and "24" not in d["text"], d["text"]
    assert d["review"]["passed"], d["review"]["findings"]


# What is quoted back must say the customer's problem: not a question's opening words ("is it
# possible"), a demand or a verdict ("Sort it out", "This is unacceptable"), a jab ("这都能搞错"),
# or an export's HTML entities.
@pytest.mark.parametrize("message,never", [
    ("@YuexiangCare is it possible for me to move my order to another address and currency?", "is it possible"),
    ("@YuexiangCare parcel marked delivered an hour ago, nothing here. Sort it out", "Sort it out"),
    ("@YuexiangCare card declined twice &amp; no one picks up. This is unacceptable", "unacceptable"),
    ("衣服颜色和尺码都发错了，这都能搞错", "这都能搞错"),
])
def test_a_jab_or_an_opening_is_not_quoted_back(client, message, never):
    text = _draft(client, message, channel="social" if "@" in message else "chat")["text"]
    assert never not in text and "&amp" not in text, text


@pytest.mark.parametrize("message", [
    "现在买的东西，如果以后价更低，能不能保价的",  # a question about price protection
    "我知道，所以说能不能帮忙早点配送",  # a request to hurry
])
def test_no_rudeness_is_called_without_a_word_of_service(client, message):
    t = _draft(client, message)["triage"]
    assert "poor_service" not in [i["kind"] or i["scenario"] for i in t["issues"]], t


def test_a_question_in_a_live_chat_is_answered_in_minutes_by_email_in_hours(client):
    """In a live chat nobody waits a day for "does it support Bluetooth 5.3": the agent looks
    it up and answers in the chat, within the policy's minutes (service.chat_answer_minutes)."""
    chat = _draft(client, "这款耳机支持蓝牙5.3吗？", channel="chat")
    assert "10分钟内在这里答复您" in chat["text"] and "24小时" not in chat["text"], chat["text"]
    assert chat["review"]["passed"], chat["review"]["findings"]
    mail = _draft(client, "Does this stroller fit in a small hatchback trunk?", channel="email")
    assert "within 24 hours" in mail["text"], mail["text"]
    en = _draft(client, "Does this stroller fit in a small hatchback trunk?", channel="chat")
    assert "within 10 minutes" in en["text"] and en["review"]["passed"], (en["text"], en["review"]["findings"])


@pytest.mark.parametrize("message", [
    "@ShopCo the site is super slow today, my listing process took an hour",  # "sting" of "listing"
    "why are the shelf labels in such a huge font now? it's an assault on your eyes",
    "please update the number on my account, it changed last week",  # "numb" of "number"
    "booked a trip to Lisbon with you, can I add a bag to it?",  # a journey, not a fall
    "honestly burned out on chasing this voucher, where do I enter the code",
    "你们门店的ATM吞卡了，取款也没出钞",  # a machine swallows a card, no one is hurt
    "提款机没吐钞，钱却扣了",
])
def test_no_danger_line_for_a_danger_word_inside_another_word_or_an_idiom(client, message):
    d = _draft(client, message)
    assert not d["triage"]["safety"] and not d["triage"]["safety_uncertain"], d["triage"]
    assert "911" not in d["text"], d["text"]


@pytest.mark.parametrize("message,answer", [
    ("能不能别再给我打推销电话了，一天三个，烦死了", "为您办理退订"),
    ("一直打電話推銷升級方案，打到我快崩潰，拜託不要再打了", "為您辦理退訂"),
    ("please stop texting me your sales offers, I never signed up", "opt-out within 24 hours"),
])
def test_asked_to_stop_the_sales_calls_the_draft_stops_them_and_calls_no_one(client, message, answer):
    """"Stop calling me" answered with "a supervisor calls you within 4 hours" answers the anger
    with one more call: the opt-out stands whatever complaint the classifier is sure of."""
    d = _draft(client, message)
    assert d["triage"]["request"] == "opt_out", d["triage"]
    assert answer in d["text"] and "致电您" not in d["text"] and "calls you" not in d["text"], d["text"]
    assert d["review"]["passed"], d["review"]["findings"]


def test_a_service_cancelled_but_still_billed_is_not_answered_with_the_marketing_opt_out(client):
    d = _draft(client, "退订了还一直扣费，你们这是强制消费")
    assert d["triage"]["kind"] == "billing" and "营销名单" not in d["text"], (d["triage"], d["text"])


def test_a_firm_request_must_be_a_request(tmp_path):
    from service.drafting.triage import load_triage_rules
    from service.errors import RubricError

    src = (Path(__file__).parent.parent / "rubrics" / "triage.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "triage.yaml"
    bad.write_text(src.replace("firm_requests: [opt_out,", "firm_requests: [returns, opt_out,"), encoding="utf-8")
    with pytest.raises(RubricError, match="firm_requests: not one of `requests`: returns"):
        load_triage_rules(bad)


# A public post that shares something and asks nothing (a photo, a promotion) gets a thank-you
# for sharing, not an apology and "a clear outcome within 24 hours". A post that complains, asks,
# or is addressed to the company as a ticket does not.
@pytest.mark.parametrize("message", [
    "Pumpkin latte season is here 🎃 @YuexiangMall https://t.co/abc123",
    "Sunset from the window seat on the way home #travel @YuexiangAir https://t.co/xyz789",
])
def test_a_post_that_shares_something_is_thanked_for_it(client, message):
    d = _draft(client, message, channel="social")
    assert d["triage"]["shared"], d["triage"]
    assert "sorry" not in d["text"].lower() and "sharing" in d["text"], d["text"]
    assert d["review"]["passed"], d["review"]["findings"]


@pytest.mark.parametrize("message", [
    "@YuexiangMall my order arrived crushed https://t.co/abc123",  # a ticket, addressed first
    "Really disappointed with these boots, split after two months @YuexiangMall https://t.co/q1",
    "why is the app down again @YuexiangMall https://t.co/q2",
    "the charger caught fire on my desk @YuexiangMall https://t.co/q3",
    "finally got through to @YuexiangMall and they tried to charge me a second delivery fee https://t.co/q4",
])
def test_a_post_that_complains_or_asks_is_not_taken_for_sharing(client, message):
    assert not _draft(client, message, channel="social")["triage"]["shared"]


@pytest.mark.parametrize("message,never", [
    ("@YuexiangMall what a RIP OFF, my new kettle stopped working after two days", "RIP OFF"),  # the outburst, not the fault
    ("手机突然没信号，接着银行卡就被转走[数字x]元", "转走 元"),  # a placeholder's gap
])
def test_the_quote_is_the_clause_that_names_the_problem(client, message, never):
    text = _draft(client, message, channel="social" if "@" in message else "chat")["text"]
    assert never not in text, text


# A message in a Latin-script language tactful does not write is refused with its name, not
# drafted in English (on Twitter, French and Portuguese tweets were answered in English)
@pytest.mark.parametrize("message,language", [
    ("@YuexiangMall bonjour, ma commande n'est pas arrivée depuis une semaine, pouvez-vous vérifier ?", "French"),
    ("@YuexiangMall hola, el pedido llegó roto y no tengo respuesta de nadie", "Spanish"),
    ("Meine Bestellung ist nicht angekommen, ich habe schon zweimal geschrieben", "German"),
])
def test_a_message_in_a_language_tactful_does_not_write_is_refused_by_name(client, message, language):
    r = client.post("/v1/drafts", json={"message": message, "channel": "social"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "unsupported_language", r.text
    assert language in r.json()["error"]["message"]
    _draft(client, message, channel="social", lang="en")  # told the language, it drafts anyway


@pytest.mark.parametrize("message", [
    "merci for the quick refund, the parcel came today",  # a foreign word or two in English
    "my café order from your Lisbon store never arrived",
    "订单 de 问题: please check the order",
    "he said he would call me back but the van never came, per the tracking",  # English words a list shares
])
def test_english_with_a_foreign_word_is_still_drafted(client, message):
    _draft(client, message)


def test_an_order_number_the_export_anonymised_is_not_asked_for_again(client):
    """'订单号:[订单x]': the customer gave it (its value is unknown, so it is not repeated)."""
    given = _draft(client, "收到的杯子是碎的 订单号:[订单x]")
    assert "订单号吗" not in given["text"] and "[订单x]" not in given["text"], given["text"]
    assert "订单号" in _draft(client, "收到的杯子是碎的")["text"]  # not given: asked for


@pytest.mark.parametrize("message", [
    "my rideshare driver crashed into a pole and my neck hurts",  # "crashed": the danger's word
    "the driver is speeding on the motorway and won't slow down, I'm scared",
])
def test_a_dangers_own_word_names_no_second_problem(client, message):
    t = _draft(client, message)["triage"]
    assert t["safety"] and [i["scenario"] for i in t["issues"]] == ["safety_emergency"], t["issues"]


@pytest.mark.parametrize("message,never", [
    ("Feature request: an export to CSV from the orders page please", "sorry that your item"),
    ("提个建议，能不能加个按价格排序的功能", "质量问题"),
])
def test_a_suggestion_is_thanked_and_told_when_it_is_read(client, message, never):
    d = _draft(client, message)
    assert "feedback" in d["triage"]["topics"], d["triage"]
    assert "30" in d["text"] and never not in d["text"], d["text"]
    assert "suggestion" in d["text"] or "建议" in d["text"], d["text"]
    assert d["review"]["passed"], d["review"]["findings"]


@pytest.mark.parametrize("path", ["rubrics/policy.yaml", "rubrics/examples/airline/policy.yaml",
                                  "rubrics/examples/telecom/policy.yaml"])
def test_every_example_policy_answers_a_suggestion(path):
    from pathlib import Path
    from service.drafting.policy import load_policy

    policy = load_policy(Path(__file__).resolve().parent.parent / path)
    assert policy.offline_topics["feedback"] == ("feedback_noted",)
    assert policy.service.feedback_review_days  # the days its text names are the policy's own


@pytest.mark.parametrize("message,number,lang", [
    ("网约车司机喝了酒还在高速上飙车，我坐在后排很害怕", "110", "zh-Hans"),  # a danger from a person: police
    ("計程車司機滿身酒氣，車子一直飄，我好怕", "110", "zh-Hant"),
    ("仓库那边着火了，浓烟很大，有人还在里面", "119", "zh-Hans"),  # a fire: the fire service
])
def test_the_emergency_line_names_the_service_the_danger_needs(client, message, number, lang):
    d = _draft(client, message, lang=lang)
    assert d["triage"]["safety"], d["triage"]
    line = d["text"].split("。")[0]
    assert number in line, line
