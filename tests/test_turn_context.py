"""Brush-offs that only the conversation shows: the same short chat turn is fine as the answer
to a thank-you or a question about a fact, and dismissive as the answer to a chase, an ask or
a complaint. Every sentence here was written by the team in the register of real chats."""

import pytest

from builtin import PLAYBOOK
from service.checker.check import check_reply
from service.checker.conversation import Message, review_conversation

PHRASE = {"defensive_language", "vague_promise", "over_promise", "blame_shifting",
          "sensitive_data_request", "negative_wording"}


def flags(reply: str, customer: str | None) -> set[str]:
    r = check_reply(PLAYBOOK, reply, complaint=customer, required=frozenset())
    return {f.category for f in r.findings if f.category in PHRASE}


BRUSH_OFFS = [
    # a wait with nothing else, after the customer chased
    ("都三天了物流还没动静", "麻烦您再等等哦"),
    ("到底什么时候能发货,我很着急", "还请您耐心等一下呢"),
    ("怎么还没退款", "需要您耐心等待的哦"),
    # a bare no to what the customer asked for
    ("能开个收据给我吗", "收据开不了的哦"),
    ("这个能换成黑色的吗", "亲 换不了的呢"),
    ("麻烦帮我查一下去年的账单", "去年的账单查不到的呀"),
    ("可以帮我把地址改成公司吗", "我们这里也暂时无法改动呢"),
    ("我想换一个别的型号可以吗", "不支持换别的型号"),
    ("这个订单可以加急吗?", "亲,这单真的不支持加急呢"),
    # "anything else?" instead of an answer to a complaint or an ask
    ("你们到底能不能帮我解决,我很不满意", "请问还有其他可以帮您的吗?"),
    ("麻烦帮忙催一下商家", "还有什么可以帮到您的吗"),
]


@pytest.mark.parametrize("customer,reply", BRUSH_OFFS)
def test_a_brush_off_after_what_the_customer_said_is_negative_wording(customer, reply):
    assert "negative_wording" in flags(reply, customer)


FINE = [
    # the same words after a thank-you or an acknowledgement
    ("好的谢谢", "麻烦您再等等哦"),
    ("好的 谢谢你", "请问还有其他可以帮您的吗?"),
    ("嗯嗯 知道了", "还有什么可以帮到您的吗"),
    # a wait explained: what was done, where it stands, or when
    ("怎么还没到", "包裹已经在派送中了 麻烦您再等等哦"),
    ("怎么还没到", "已经帮您催促站点了 请您耐心等一下"),
    ("什么时候能到", "预计明天中午前送达 还请您耐心等一下"),
    ("怎么还没到", "此单在清关 放行后就会有物流更新的 辛苦您等待一下"),
    # short factual answers to questions
    ("这个耳机支持降噪吗", "是的"),
    ("换了新卡会有影响吗", "可以的 这个没有影响的"),
    ("这款有后置摄像头吗", "这款是没有的哦"),
    ("这个音箱能插内存卡吗", "不支持插内存卡的哦"),
    # a no that is hedged, a rule's term, a consequence, a cause, or with an alternative
    ("今天能送到吗", "今天可能到不了哦"),
    ("退了会员还能再开吗", "退费后一年内无法申请开通的哦"),
    ("帮我取消吧", "订单取消后就无法恢复了呢"),
    ("为什么一直显示再投", "配送员说是因为电话无法接通呢"),
    ("这个能开收据吗", "收据开不了的哦 您可以在订单页申请电子发票"),
    ("这个能改地址吗", "改不了的哦,不过可以帮您联系配送员"),
    # a question about the order, not an ask: a wait mentioned in passing
    ("我的订单发货了吗", "已经发货了,正在运输中"),
]


@pytest.mark.parametrize("customer,reply", FINE)
def test_the_same_turn_after_other_words_or_explained_is_not_flagged(customer, reply):
    assert "negative_wording" not in flags(reply, customer)


def test_with_no_customer_words_a_context_rule_does_not_fire():
    assert "negative_wording" not in flags("收据开不了的哦", None)
    assert "negative_wording" not in flags("请问还有其他可以帮您的吗?", None)


def test_anything_else_after_an_answer_in_the_same_turn_is_a_close_not_a_brush_off():
    reply = "已经为您催促商家今天发出。请问还有其他可以帮您的吗?"
    r = check_reply(PLAYBOOK, reply, complaint="麻烦帮忙催一下商家", required=frozenset())
    assert "negative.close_instead_of_answer" not in {f.rule for f in r.findings}


def test_a_conversation_reviews_each_turn_with_the_customer_words_before_it():
    msgs = [Message("customer", "这个能开收据吗"), Message("agent", "是的"),
            Message("customer", "那能换成发票抬头是公司的吗"), Message("agent", "这个开不了"),
            Message("customer", "好的谢谢"), Message("agent", "请问还有其他可以帮您的吗?")]
    card = review_conversation(PLAYBOOK, msgs, conversation_id="c", channel="chat")
    by_turn = [{f["rule"] for f in t["review"]["findings"] if f["category"] in PHRASE}
               for t in card["turn_reviews"]]
    assert by_turn == [set(), {"negative.curt_no"}, set()]


def test_an_answer_split_over_two_turns_answers_the_same_customer_words():
    msgs = [Message("customer", "My bag was lost and I want compensation"),
            Message("agent", "So sorry to hear that. 1/2"),
            Message("agent", "You'd need to speak to the partner airline directly about compensation. 2/2")]
    card = review_conversation(PLAYBOOK, msgs, conversation_id="c", channel="social")
    second = card["turn_reviews"][1]["review"]
    assert "blame.referral_en" in {f["rule"] for f in second["findings"]}
