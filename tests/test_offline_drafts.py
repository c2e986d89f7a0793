"""The offline drafter: every scenario, every language, every channel and tone passes the
rubric with no findings, carries the order number and the customer's name, in the right script."""

import itertools

import pytest

from service.checker.text import detect_lang, to_script
from service.drafting.triage import SCENARIOS

ORDER = "20261103886"
TICKETS = {
    "zh-Hans": {
        "safety_emergency": "我买的电暖器冒烟了,还有烧焦味", "account_security": "我的账号被盗了,有人异地登录",
        "billing": "同一笔订单扣了两次款,每次¥299", "outage": "你们的App崩了,一直登不上",
        "defective_or_wrong_item": "我买的蓝牙耳机左耳没有声音", "late_or_lost_parcel": "快递一直没到,都一周了",
        "poor_service": "打电话问客服,态度太差了还挂我电话", "inquiry": "请问可以开发票吗",
        "other": "我想把赠品换个颜色",
    },
    "en": {
        "safety_emergency": "My heater is giving off smoke and a burning smell!",
        "account_security": "My account was hacked, someone logged in from abroad",
        "billing": "I was charged twice, $35 each", "outage": "Your app is down, I cannot log in",
        "defective_or_wrong_item": "My kettle arrived cracked", "late_or_lost_parcel": "My parcel has not arrived after two weeks",
        "poor_service": "Your agent was rude and hung up on me", "inquiry": "Can I get an invoice?",
        "other": "the new update removed dark mode and the night reading is gone",
    },
}
TICKETS["zh-Hant"] = {k: to_script(v, "zh-Hant") for k, v in TICKETS["zh-Hans"].items()}
NAMES = {"zh-Hans": "王芳", "zh-Hant": "陳怡君", "en": "Anna Li"}


def draft(client, lang, scenario, **kw):
    body = {"message": TICKETS[lang][scenario], "customer_name": NAMES[lang], "order_id": ORDER, **kw}
    r = client.post("/v1/drafts", json=body)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize("lang,scenario", list(itertools.product(["zh-Hans", "zh-Hant", "en"], SCENARIOS)))
def test_offline_drafts_pass_with_no_findings(client, lang, scenario):
    d = draft(client, lang, scenario)
    assert d["model"] == "offline"
    assert d["triage"]["scenario"] == scenario
    assert d["review"]["findings"] == [] and d["review"]["passed"] and d["review"]["score"] == 100
    assert ORDER in d["text"] and NAMES[lang] in d["text"]
    assert d["lang"] == lang and detect_lang(d["text"]) == lang
    assert all(d["sections"][k] for k in ("apology", "restatement", "remedy", "close"))


@pytest.mark.parametrize("lang,channel,tone", list(itertools.product(
    ["zh-Hans", "zh-Hant", "en"], ["chat", "email", "social", "phone"], ["warm", "formal", "brief"])))
def test_every_channel_and_tone_passes(client, lang, channel, tone):
    d = draft(client, lang, "late_or_lost_parcel", channel=channel, tone=tone)
    assert d["review"]["findings"] == []
    if channel == "email":
        assert d["subject"] and "\n\n" in d["text"]
    else:
        assert d["subject"] is None
    if channel == "social":  # a public post: no order number, details moved to a private channel
        assert ORDER not in d["text"]
        assert any(w in d["text"] for w in ("私信", "私訊", "direct message"))
    if channel == "phone":  # the script asks once whether the remedy works, and reads it once
        assert any(w in d["sections"]["close"] for w in ("这样安排您看可以吗", "這樣安排您看可以嗎", "Does that work for you"))
        assert d["text"].count(d["sections"]["remedy"]) == 1


def test_tone_changes_wording_not_structure(client):
    warm, formal = (draft(client, "zh-Hans", "billing", tone=t) for t in ("warm", "formal"))
    assert warm["sections"]["apology"] != formal["sections"]["apology"]
    assert warm["sections"]["remedy"] == formal["sections"]["remedy"]
    assert warm["review"]["sections"].keys() == formal["review"]["sections"].keys()


@pytest.mark.parametrize("lang,numbers", [("zh-Hans", ["120", "119"]), ("zh-Hant", ["119"]), ("en", ["911"])])
def test_safety_emergencies_put_the_emergency_numbers_first(client, lang, numbers):
    d = draft(client, lang, "safety_emergency")
    first_line = d["text"].split("。")[0].split(". ")[0]
    for n in numbers:
        assert n in first_line
    assert d["triage"]["severity"] == "severe" and d["triage"]["respond_within"] == "immediate"
    assert d["triage"]["escalate_to"] == "executive"


def test_every_time_and_amount_comes_from_the_policy(client):
    from builtin import PLAYBOOK

    numbers = PLAYBOOK.policy.numbers()
    d = draft(client, "zh-Hans", "defective_or_wrong_item")
    assert "24小时内" in d["sections"]["remedy"] and "¥30" in d["sections"]["remedy"]
    # and the remedy is the policy catalogue's, word for word
    from service.drafting.offline import catalogue_remedy
    from service.drafting.triage import triage

    t = triage(TICKETS["zh-Hans"]["defective_or_wrong_item"], PLAYBOOK, lang="zh-Hans", order_id=ORDER)
    # then the one question the ticket needs (it has its order number, not a photo), the policy's too
    photo = PLAYBOOK.policy.ask("fault_photo").text("zh-Hans")
    assert d["sections"]["remedy"] == catalogue_remedy(PLAYBOOK.policy, PLAYBOOK.policy.offline[t.scenario], t, "zh-Hans") + photo
    assert {24.0, 30.0, 3.0} <= numbers


QUESTIONS = [  # (message, lang, the policy's figure the answer must give, a figure it must not)
    ("请问收到货以后不喜欢,可以无理由退货吗?最多几天?", "zh-Hans", "7天", "15天"),
    ("想問一下,商品如果買來兩週內就出現品質問題,可以換新的嗎?", "zh-Hant", "15天", "7天"),
    ("What is your return window?", "en", "7 days", "15 days"),
    ("My blender has a defect after ten days, is that still under warranty?", "en", "15 days", "7 days"),
    ("你们客服态度太差了,我只是问一下退货流程,就被骂看不懂自己去看规定", "zh-Hans", "7天", None),
]


@pytest.mark.parametrize("message,lang,figure,other", QUESTIONS)
def test_a_question_about_returns_is_answered_from_the_policy(client, message, lang, figure, other):
    r = client.post("/v1/drafts", json={"message": message, "customer_name": NAMES[lang]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["lang"] == lang and body["review"]["passed"], body["review"]["findings"]
    assert figure in body["sections"]["remedy"], body["sections"]["remedy"]
    if other:
        assert other not in body["text"]


def test_the_answer_follows_the_policy_file(tmp_path):
    from pathlib import Path

    from service.drafting.offline import compose
    from service.drafting.triage import triage
    from service.playbook import Playbook
    from service.settings import Settings

    text = (Path(__file__).parent.parent / "rubrics" / "policy.yaml").read_text("utf-8")
    changed = tmp_path / "policy.yaml"
    changed.write_text(text.replace("no_reason_days: 7", "no_reason_days: 10"), encoding="utf-8")
    playbook = Playbook.from_settings(Settings(policy_path=changed))
    sections, _ = compose(playbook, triage("What is your return window?", playbook), lang="en")
    assert "within 10 days of delivery" in sections.remedy.lower()


def test_a_question_on_another_topic_gets_no_returns_answer(client):
    body = client.post("/v1/drafts", json={"message": "想问一下你们客服电话几点到几点有人接?"}).json()
    assert "退货" not in body["text"] and "天内" not in body["text"]


# A restatement quotes the customer's words only when they carry the problem: never a
# greeting, an opener, filler, an @handle or an insult (rubrics/quoting.yaml), and then the
# message's first clause that says something instead.
@pytest.mark.parametrize("message,lang,never,quoted", [
    ("什么破玩意儿\n刚买的电动牙刷充一晚上都充不进电\n垃圾", "zh-Hans", ["破玩意", "垃圾"], "充不进电"),
    ("老板你好，请问这款保温杯能装热水多久", "zh-Hans", ["老板你好"], "保温杯"),
    ("@YuexiangHelp hey, you idiots charged me twice for the same order", "en", ["idiots", "hey", "@YuexiangHelp"], None),
    ("hi! my parcel still hasn't arrived after two weeks", "en", ["\"hi"], "parcel"),
    # chat profanity, abbreviated: the fact beside it is quoted instead
    ("Put the phone down on me twice now. Your agents are rude af", "en", ["rude af"], "Put the phone down on me"),
    ("快递员态度差的tmd，包裹直接扔门口也不打电话", "zh-Hans", ["tmd"], "包裹直接扔门口"),
])
def test_a_restatement_quotes_the_problem_not_filler_or_insults(client, message, lang, never, quoted):
    r = client.post("/v1/drafts", json={"message": message, "lang": lang, "channel": "chat"})
    assert r.status_code == 200, r.text
    text = r.json()["text"]
    for word in never:
        assert word not in text, text
    if quoted:
        assert quoted in text, text
    assert r.json()["review"]["passed"], r.json()["review"]


@pytest.mark.parametrize("message,lang,said,never", [
    ("想改一下清关证件号码", "zh-Hans", "10分钟内在这里", "24小时"),
    ("the new update removed dark mode and the night reading is gone", "en", "here within 10 minutes", "24 hours"),
])
def test_something_else_asked_in_a_chat_is_answered_in_the_chat_not_in_a_day(client, message, lang, said, never):
    """A request none of the scenarios names ("想改一下清关证件号码") in a live chat was told "a
    clear outcome within 24 hours": a chat answers in the chat, in the policy's minutes."""
    d = client.post("/v1/drafts", json={"message": message, "lang": lang, "channel": "chat"}).json()
    assert d["triage"]["scenario"] in ("other", "inquiry"), d["triage"]
    assert said in d["text"] and never not in d["text"], d["text"]
    assert d["review"]["passed"], d["review"]
    e = client.post("/v1/drafts", json={"message": message, "lang": lang, "channel": "email"}).json()
    assert ("24" in e["text"]) and said not in e["text"], e["text"]


@pytest.mark.parametrize("message,police,apart", [
    ("An uber driver started petting my hair and then proceeded to touch my ass during a weird hug",
     "call 911 now and get somewhere safe", "touch my ass"),
    ("网约车司机一路摸我的腿,我很害怕", "110(报警)", "摸我的腿"),
])
def test_a_person_who_put_the_customer_in_danger_gets_the_police_line_and_is_not_read_back(client, message, police,
                                                                                            apart):
    """A passenger groped by a driver was answered as "a question for us" with a 24-hour answer:
    a person's attack is a danger, the police's number comes first, the customer's account of
    it is not quoted back, and nothing in the apology calls it frustrating or a bother."""
    d = client.post("/v1/drafts", json={"message": message}).json()
    assert d["triage"]["safety"] and d["triage"]["scenario"] == "safety_emergency", d["triage"]
    assert d["text"].find(police) != -1 and d["text"].find(police) < 80, d["text"]
    assert apart not in d["text"], d["text"]
    assert not any(w in d["text"] for w in ("frustrating", "添了这么多麻烦", "outage", "服务中断")), d["text"]
