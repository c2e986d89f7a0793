import pytest

from builtin import PLAYBOOK
from service.drafting.triage import triage

P = PLAYBOOK


@pytest.mark.parametrize("message,scenario,severity", [
    ("家里的电暖器冒烟了!", "safety_emergency", "severe"),
    ("我的帳號被盜了,有人異地登錄", "account_security", "severe"),
    ("I was charged twice for my order", "billing", "medium"),
    ("你们的App崩了,登不上", "outage", "medium"),
    ("My kettle arrived cracked", "defective_or_wrong_item", "medium"),
    ("快递还没收到", "late_or_lost_parcel", "minor"),
    ("快递三天了还没收到", "late_or_lost_parcel", "medium"),  # a long wait raises the tier
    ("快递还没收到,这已经是第三次催了", "late_or_lost_parcel", "medium"),
    ("你们客服态度太差", "poor_service", "medium"),
    ("请问营业时间是几点", "inquiry", "minor"),
    ("hello", "other", "minor"),
    ("包裹还没收到,我要找律师起诉你们", "late_or_lost_parcel", "severe"),
])
def test_scenario_and_severity(message, scenario, severity):
    t = triage(message, P)
    assert (t.scenario, t.severity) == (scenario, severity)
    tier = P.policy.severity[severity]
    assert (t.respond_within, t.escalate_to) == (tier.respond_within, tier.escalate_to)


@pytest.mark.parametrize("severity,within,who", [("minor", "24h", "frontline"), ("medium", "4h", "supervisor"),
                                                 ("severe", "immediate", "executive")])
def test_tiers_follow_the_guide(severity, within, who):
    assert (P.policy.severity[severity].respond_within, P.policy.severity[severity].escalate_to) == (within, who)


def test_entities_are_extracted():
    t = triage("我11月3日买的咖啡机漏水了,订单号 SF20261103886,付了¥1,299。我是张伟", P)
    e = t.entities
    assert e.order_id == "SF20261103886" and e.date == "11月3日" and e.amount == "¥1,299"
    assert e.product == "咖啡机" and e.customer_name == "张伟" and e.keyword == "漏水"
    en = triage("My new blender from order #55123 stopped working on March 3.\n-- Maria Lopez", P).entities
    assert en.order_id == "55123" and en.product == "blender" and en.date == "March 3"
    assert en.customer_name == "Maria Lopez"


def test_request_fields_win_over_extraction():
    e = triage("订单12345678的耳机坏了", P, order_id="A-1", customer_name="李雷").entities
    assert e.order_id == "A-1" and e.customer_name == "李雷"


@pytest.mark.parametrize("message,product", [
    ("My new space heater started throwing sparks. Order 20261103172", "space heater"),
    ("My daughter got a shock from the hair straightener we bought on Nov 8.", "hair straightener"),
    ("I bought the new coffee machine and it leaks", "coffee machine"),
    ("The blender I got smells like smoke", "blender"),
    ("My order 12345 never arrived", None),
    ("Your agent was rude when I asked about the return window", None),  # what is asked, not a product
])
def test_english_products_are_whole_noun_phrases_never_people(message, product):
    """The safety line reads "move away from the <product>": "space", or "daughter", is wrong."""
    assert triage(message, P).entities.product == product


@pytest.mark.parametrize("message,product", [
    ("Nice job, my friends. 20k miles for the delay", None),  # people are no product
    ("it keeps telling me to reset my password", None),
    ("browsing music on my phone via the watch was the reason", "phone"),  # cut at "via"
    ("my samsung tv stopped working", "samsung tv"),
    ("收到的所有指令出现问题", None),  # no product's head noun: "您收到的商品"
    ("刚买的蓝牙耳机左耳没声音", "蓝牙耳机"),  # the product, not the part
    ("买的衣服破了个洞", "衣服"),
])
def test_a_product_is_restated_only_when_it_names_a_thing(message, product):
    """The restatement says "your <product>": a phrase that is not a product's name reads as
    nonsense to the customer ("your friends", "您收到的所有指令"), so it is left out."""
    assert triage(message, P).entities.product == product


@pytest.mark.parametrize("message,name", [
    ("你好 我是京东商家 我想了解一下物流", None),  # a role, not a name
    ("我叫陳大文，訂單遲遲未到", "陳大文"),
    ("this is Sarah, my order is late", "Sarah"),
    ("this is Ridiculous and slow", None),
])
def test_a_customer_name_is_a_name(message, name):
    """The greeting puts the name first ("京东商您好" greets no one)."""
    assert triage(message, P).entities.customer_name == name


@pytest.mark.parametrize("message,topics", [
    ("请问收到货以后不喜欢,可以无理由退货吗?", ["returns"]),
    ("想問一下,商品如果買來兩週內就出現品質問題,可以換新的嗎?", ["defects"]),
    ("What is your return window, and is the kettle under warranty?", ["returns", "defects"]),
    ("想问一下你们客服电话几点到几点有人接?", []),
    ("This is an issue with my returned parcel tracking", []),  # "return" is a whole word only
])
def test_topics_say_what_a_question_is_about(message, topics):
    from service.drafting.triage import triage

    assert triage(message, PLAYBOOK).topics == topics


@pytest.mark.parametrize("message,danger", [
    ("Your label said nut-free and I nearly died last night", True),  # a near miss is still a danger
    ("吃了你们的蛋糕过敏 差点没命", True),
    ("i nearly died laughing at your new ad", False),  # said of a laugh
    ("差点笑死 你们这个广告", False),
])
def test_a_brush_with_death_is_a_danger_and_a_laugh_is_not(message, danger):
    assert triage(message, P).safety is danger


@pytest.mark.parametrize("message,danger", [
    # a body already hurt, said plainly, with no word of fire or injury
    ("孩子把玩具里的纽扣电池误吞了 现在在去医院的路上", True),
    ("送餐的电动车把我爸撞倒了，头上缝了三针", True),
    ("my daughter broke her wrist when the scooter brake failed", True),
    ("Son got hit by your courier van in our driveway", True),
    ("the kettle lid flew off and scalded my hand", True),
    ("we ordered the gluten free pizza and now my throat is swelling", True),
    ("司机把车门锁着不让我下，我很害怕", True),
    # a degree, a scare or a card machine: no danger
    ("这个麻辣锅辣到爆炸 有没有微辣", False),
    ("排队排得我头都要炸了", False),
    ("your app almost gave me a heart attack with that balance", False),
    ("the ATM swallowed my card again", False),
])
def test_a_hurt_said_plainly_is_a_danger_and_a_figure_is_not(message, danger):
    assert triage(message, P).safety is danger


@pytest.mark.parametrize("message,issues", [
    # a fee or a charge the customer did not expect, beside another problem
    ("洗衣机才用三个月就漏水,叫维修还要收出勤费", {"defective_or_wrong_item", "billing"}),
    ("gym app crashed during checkout and now I've been hit with a late fee", {"outage", "billing"}),
    ("影音平台涨价也不通知,直接从信用卡扣新的价钱", {"billing"}),
    # staff who deny it is theirs, or pass the customer between them
    ("包裹卡在海关一个月了,物流说不关他们的事", {"late_or_lost_parcel", "poor_service"}),
    ("my package still hasn't arrived after 12 days, courier says contact the sender", {"late_or_lost_parcel", "poor_service"}),
])
def test_a_second_problem_named_by_its_own_words_is_an_issue(message, issues):
    assert issues <= {i.kind for i in triage(message, P).issues}


@pytest.mark.parametrize("message,absent", [
    ("等了两个月的退款还没到", "late_or_lost_parcel"),  # the 还没到 of 退款还没到 is the refund's
    ("请问往境外汇款手续费怎么算?", "billing"),  # a question about a fee is no charge disputed
    ("我的快递没有损坏,就是还没到", "defective_or_wrong_item"),  # a problem said not to be there
])
def test_a_word_inside_another_or_negated_names_no_problem(message, absent):
    assert absent not in {i.kind for i in triage(message, P).issues}


@pytest.mark.parametrize("message,danger", [
    ("Bought the season pass, got charged, DLC still shows as locked", False),  # a feature locked
    ("my account is locked again, third time this week", False),
    ("the driver locked the doors and won't let me out", True),  # a person locked in
    ("my toddler got locked in the car in this heat", True),
])
def test_a_thing_locked_is_no_danger_and_a_person_locked_in_is(message, danger):
    assert triage(message, P).safety is danger


@pytest.mark.parametrize("message,praise", [
    ("Wow--great customer service @AlaskaAir! Thank you!", True),  # read as poor service by the classifier
    ("東西很好用，出貨也超快，給你們一百個讚👍", True),
    ("Ordered a size M hoodie, got an XL in a completely different colour. Great job 👏", False),  # sarcasm
    ("the air fryer basket is warped and the handle came off thanks", False),  # a closing thanks
])
def test_praise_the_classifier_reads_as_a_complaint_is_praise_where_no_clause_complains(message, praise):
    assert triage(message, P).praise is praise
