"""The guides' severity signals (repeat contact, money taken, public and legal threats, injury)
on team-written examples: recall by kind and false alarms on messages that hold a signal's
words without its meaning (a negation, a hypothetical, a near miss, a first contact).

Two sets, written before the rules were changed. DEV was read while writing the patterns
(severity_signals.py, triage.yaml `signal_patterns`); CHECK was not: its misses were never
looked at one by one, only its figures. `python tests/test_severity_signals.py` prints both."""

from __future__ import annotations

import pytest

from builtin import PLAYBOOK
from service.drafting.triage import triage

R, M, I, L, P = "repeat_contact", "money_taken", "injury", "legal_threat", "public_threat"

DEV = [
    # repeat contact
    ("这已经是我第三次联系你们了,问题还是没解决", {R}),
    ("上周就打过电话,说会回电,到现在也没人理", {R}),
    ("我已经打了四次电话了,每次都让我等", {R}),
    ("同样的问题我反映了好几回了", {R}),
    ("三番五次找客服,都是推来推去", {R}),
    ("我都催了多少遍了,还不发货", {R}),
    ("再次联系你们,退款到底什么时候到", {R}),
    ("這已經是我第四次寫信來了", {R}),
    ("我打了好幾通電話都沒人處理", {R}),
    ("上次客服說會幫我處理,結果又沒下文,我只好再來問一次", {R}),
    ("同一個問題我已經反映三次了", {R}),
    ("我又來了,包裹還是沒到", {R}),
    ("This is the third time I'm writing about this.", {R}),
    ("I've called you guys four times already and nobody fixes it.", {R}),
    ("Still waiting on an answer to my last two emails.", {R}),
    ("I already reported this last week and got no reply.", {R}),
    ("Contacting you again because the problem is back.", {R}),
    ("Every time I call I get a different story.", {R}),
    ("I've been chasing this for weeks.", {R}),
    ("How many times do I have to tell you?", {R}),
    # money taken
    ("钱已经从我卡里扣了,货却没发", {M}),
    ("同一笔订单被扣了两次钱", {M}),
    ("我付了款三天了还显示未支付", {M}),
    ("你们乱扣费,我根本没开通会员", {M}),
    ("自动续费扣了我198", {M}),
    ("取消了订单,钱还是被划走了", {M}),
    ("余额莫名其妙少了50块", {M}),
    ("信用卡被刷了兩次", {M}),
    ("我已經付款了,訂單卻被取消", {M}),
    ("帳戶被扣款了但是沒收到東西", {M}),
    ("被多收了一筆運費", {M}),
    ("錢都付了還要我再付一次", {M}),
    ("You took the money out of my account but never shipped.", {M}),
    ("My card was charged twice for one order.", {M}),
    ("I was billed for a subscription I cancelled.", {M}),
    ("$49.99 was deducted from my bank account without my permission.", {M}),
    ("I paid in full and the order still says pending.", {M}),
    ("There's an unauthorized charge on my statement.", {M}),
    ("I got charged a late fee I never agreed to.", {M}),
    ("The payment went through but the app says it failed.", {M}),
    # injury
    ("孩子的手被烫起了泡", {I}),
    ("锅把手断了,我手被划了个口子", {I}),
    ("吃了你们的零食,我儿子拉肚子上吐下泻", {I}),
    ("椅子塌了,我老公摔下来腰都扭伤了", {I}),
    ("用了这个面霜脸上起了一片疹子", {I}),
    ("充电器漏电把我电了一下,手到现在还麻", {I}),
    ("刀片飞出来割破了手指,缝了三针", {I}),
    ("我女兒被玩具的小零件噎到,差點送急診", {I}),
    ("吹風機爆炸,我的手被燙傷了", {I}),
    ("吃完你們的便當全家食物中毒", {I}),
    ("嬰兒車突然收起來夾到寶寶的手指,腫起來了", {I}),
    ("跑步機突然加速,我跌倒撞到膝蓋", {I}),
    ("The blade came loose and cut my hand, I needed stitches.", {I}),
    ("My kid got a rash all over after using the lotion.", {I}),
    ("The chair collapsed and I hurt my back.", {I}),
    ("My daughter burned her fingers on the kettle handle.", {I}),
    ("We all got food poisoning from the meal kit.", {I}),
    ("The heater shocked me and my arm is still numb.", {I}),
    ("I had to go to urgent care after the ladder broke.", {I}),
    ("My son choked on a small part and we rushed him to the ER.", {I}),
    # public and legal threats
    ("再不解决我就去12315投诉", {L}),
    ("我要向消协反映", {L}),
    ("我会在微博上曝光你们", {P}),
    ("已经咨询了律师,准备起诉", {L}),
    ("我要去工信部投诉你们", {L}),
    ("我會去消基會申訴", {L}),
    ("我要PO上爆料公社", {P}),
    ("I'll report you to the BBB.", {L}),
    ("I'm going to post this everywhere.", {P}),
    ("I'm filing a complaint with the attorney general.", {L}),
    ("I'll leave a one-star review on every site.", {P}),
    ("My lawyer will be in touch.", {L}),
    ("我会把这件事发到抖音上让大家评评理", {P}),
    # negatives: a signal's words without its meaning
    ("这是我第一次在你们家买东西,包装很用心", set()),
    ("还没有扣款,订单怎么就取消了", set()),
    ("如果再扣款我就投诉", set()),
    ("我还没付款,想问一下能不能改地址", set()),
    ("I was not charged for the order, is that normal?", set()),
    ("Nobody was hurt, but the box was crushed.", set()),
    ("幸好没有人受伤,但是锅裂了", set()),
    ("孩子差点被烫到,还好及时拿开了", set()),
    ("我想再买一个同款", set()),
    ("Is the kettle still under warranty?", set()),
    ("I'll call again tomorrow if that's easier.", set()),
    ("请问你们的退款多久能到账", set()),
    ("How do I add my card to pay?", set()),
    ("医院订的那批口罩什么时候发货", set()),
    ("我在小红书上看到你们的推荐就买了", set()),
    ("The news said you have a sale this week.", set()),
    ("If you charge me twice I'll be upset.", set()),
    ("我还没有联系过你们,这是第一次", set()),
    ("這是我第一次打電話來", set()),
    ("還沒扣款,請問什麼時候會扣", set()),
    ("東西收到了,家人都很好,只是盒子有點破", set()),
    ("My daughter loves it, she wasn't hurt at all when it tipped over.", set()),
    ("I haven't paid yet, can I change the size?", set()),
    ("我下个月还要再订", set()),
    ("第二件半价吗?", set()),
    ("请问第三次分期什么时候扣款?", set()),
    ("钱会不会被扣两次?", set()),
    ("不小心点了两次付款按钮,会扣两次吗", set()),
    ("Is there an extra charge for express shipping?", set()),
    ("Would I be charged again if I reorder?", set()),
]

CHECK = [
    ("这个问题我前前后后找了你们五六次", {R}),
    ("昨天在线客服说今天给答复,今天又让我等", {R}),
    ("我反馈过很多次了,没人当回事", {R}),
    ("隔三差五就打电话问,一直说在处理", {R}),
    ("我已經跟你們客服講過兩次了", {R}),
    ("上禮拜就聯絡過了,到現在還是沒消息", {R}),
    ("一直重複跟不同的客服解釋同一件事", {R}),
    ("I've reached out three times now.", {R}),
    ("This is my second email about the same order.", {R}),
    ("I contacted support last Tuesday and again on Friday.", {R}),
    ("Yet another message from me because nobody replied.", {R}),
    ("支付宝显示已经付款成功了,订单却没了", {M}),
    ("莫名其妙被扣了一个月的会员费", {M}),
    ("退货后钱被扣了手续费", {M}),
    ("银行卡多出一笔消费,我没买过", {M}),
    ("我轉帳過去了,你們說沒收到錢", {M}),
    ("被重複扣款兩筆", {M}),
    ("Your site took $30 from my PayPal twice.", {M}),
    ("I see two pending charges on my card for the same thing.", {M}),
    ("The subscription renewed and charged me even though I cancelled.", {M}),
    ("You debited my account for an order I never placed.", {M}),
    ("台灯倒下来砸到孩子额头,起了个大包", {I}),
    ("吃了之后嘴唇肿了,呼吸有点困难", {I}),
    ("瓶子炸裂,玻璃碴扎进了脚", {I}),
    ("老人用了按摩椅之后腿淤青了", {I}),
    ("熱水袋破了,燙到我的腳,起水泡", {I}),
    ("小孩吃了之後一直吐,帶去看醫生", {I}),
    ("My wife slipped on the leaking fridge water and sprained her wrist.", {I}),
    ("The strap snapped and the bag hit my face, I have a black eye.", {I}),
    ("My toddler swallowed a battery from the toy, we're at the hospital.", {I}),
    ("I got a nasty cut from the broken glass.", {I}),
    ("我是第一次联系客服", set()),
    ("I didn't get charged, so no worries there.", set()),
    ("没有扣钱,但是订单一直显示待支付", set()),
    ("东西掉下来了,好在没砸到人", set()),
    ("Still love the product, just a question about colours.", set()),
    ("我想再问一下尺码", set()),
    ("如果扣了两次请帮我退", set()),
    ("會不會重複扣款啊?", set()),
    ("No injuries, thankfully, but the lamp is broken.", set()),
    ("我家孩子很喜欢,一点都没伤到", set()),
]

KINDS = (R, M, I, L, P)


def figures(rows) -> dict:
    """Recall of each kind on the messages that show it; false alarms: the negatives (no
    signal) on which any of these kinds is found, as a share of the negatives."""
    found = {kind: [0, 0] for kind in KINDS}
    alarms, negatives, missed, wrong = 0, 0, [], []
    for text, gold in rows:
        got = set(triage(text, PLAYBOOK).signals) & set(KINDS)
        for kind in gold:
            found[kind][1] += 1
            found[kind][0] += kind in got
            if kind not in got:
                missed.append((kind, text))
        if not gold:
            negatives += 1
            if got:
                alarms += 1
                wrong.append((sorted(got), text))
    return {"recall": {k: (a / n if n else None, n) for k, (a, n) in found.items()},
            "false_alarms": (alarms / negatives, negatives), "missed": missed, "wrong": wrong}


@pytest.fixture(scope="module")
def dev():
    return figures(DEV)


@pytest.fixture(scope="module")
def check():
    return figures(CHECK)


@pytest.mark.parametrize("kind,least", [(R, 0.9), (M, 0.9), (I, 0.9), (L, 0.9), (P, 0.8)])
def test_each_kind_is_found_on_the_development_set(dev, kind, least):
    recall, n = dev["recall"][kind]
    assert recall >= least, (kind, recall, [t for k, t in dev["missed"] if k == kind])


@pytest.mark.parametrize("kind,least", [(R, 0.7), (M, 0.7), (I, 0.7)])
def test_each_kind_is_found_on_the_set_the_rules_were_not_written_from(check, kind, least):
    recall, n = check["recall"][kind]
    assert recall >= least, (kind, recall)


def test_a_negation_a_hypothetical_or_a_near_miss_is_no_signal(dev, check):
    assert dev["false_alarms"][0] <= 0.1, dev["wrong"]
    assert check["false_alarms"][0] <= 0.1, check["wrong"]


@pytest.mark.parametrize("text,kind", [
    ("还没有扣款", M), ("如果再扣款我就投诉", M), ("I was not charged", M), ("Would I be charged again if I reorder?", M),
    ("孩子差点被烫到", I), ("nobody was hurt", I), ("这是我第一次联系你们", R), ("I'll call again tomorrow", R),
])
def test_the_words_of_a_signal_in_a_negated_or_hypothetical_clause_do_not_raise_the_tier(text, kind):
    t = triage(text, PLAYBOOK)
    assert kind not in t.signals


@pytest.mark.parametrize("text,kind", [
    ("They told me it would arrive Monday and I've called four times", R),  # "would" is theirs, not a condition
    ("快递还没到 钱都扣了", M),                                              # "没" negates 到, not 扣
    ("再不处理我就去消协投诉", L),                                            # a condition of a threat is no negation
    ("我家孩子不小心被烫伤了", I),                                            # 不小心 is no negation
])
def test_a_negation_or_a_condition_governs_only_what_it_is_next_to(text, kind):
    assert kind in triage(text, PLAYBOOK).signals


@pytest.mark.parametrize("text,severity", [
    ("快递还没收到,我已经打了三次电话", "medium"),       # repeat contact: at least medium
    ("快遞還沒收到,錢都扣了,這是第三次聯絡你們", "severe"),  # repeat contact and money taken: severe
    ("my parcel is late and my son cut his hand on the box", "severe"),  # an injury
    ("快递还没收到,这是我第一次联系你们", "minor"),          # a first contact raises nothing
    ("my parcel is late, I will call again tomorrow", "minor"),  # nor does a contact still to come
])
def test_signals_set_the_tier(text, severity):
    assert triage(text, PLAYBOOK).severity == severity


@pytest.mark.parametrize("text", ["i was charged again and still " * 2000, "1" * 20000, "如果扣了钱 " * 8000])
def test_a_long_message_with_no_punctuation_is_read_in_linear_time(text):
    import time

    started = time.perf_counter()
    triage(text, PLAYBOOK, use_model=False)
    assert time.perf_counter() - started < 2


if __name__ == "__main__":
    for name, rows in (("DEV", DEV), ("CHECK", CHECK)):
        f = figures(rows)
        print(f"== {name}")
        for kind, (r, n) in f["recall"].items():
            if n:
                print(f"  {kind:16} recall {r:.2f} (n={n})")
        a, n = f["false_alarms"]
        print(f"  false alarms {a:.2f} (n={n} negatives)")
        for kind, text in f["missed"]:
            print(f"  missed {kind}: {text}") if name == "DEV" else None
        for kinds, text in f["wrong"]:
            print(f"  false alarm {kinds}: {text}") if name == "DEV" else None
