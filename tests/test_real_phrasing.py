"""Kinds of wrong flags and misses found on real helpdesk traffic (JDD chats, Twitter support),
each as sentences the team wrote in that register. A chat turn is reviewed as one (channel
chat), so only its phrase findings count here."""

import pytest

from builtin import PLAYBOOK
from service.checker.check import check_reply

PHRASE = {"defensive_language", "vague_promise", "over_promise", "blame_shifting",
          "sensitive_data_request", "negative_wording"}


def flags(reply: str) -> set[str]:
    r = check_reply(PLAYBOOK, reply, required=frozenset())
    return {f.category for f in r.findings if f.category in PHRASE}


NOT_FLAGGED = [
    # a notice tied to an event the customer will see
    "发票开具之后我们会短信告知您的哦",
    "退款到账以后系统会短信通知您",
    "包裹有最新物流更新会通知到您的",
    # questions and invitations
    "请问您是通过什么渠道下的单呢?",
    "不知道您是在哪个页面看到的活动呢?",
    "有什么不明白的随时联系小妹哦",
    "您联系过商家了吗?",
    "I'm not sure what you mean, but I'd be glad to help. Which store was it?",
    # contact with a time; sympathy for a feeling the problem caused
    "Someone from the billing team will reach out to you by 5pm today.",
    "专员会在今天18点前与您联系",
    "I'm sorry you're feeling let down by the late delivery; the refund is on its way today.",
    # 保证 / 一定 / 包 in other senses
    "为保证数据准确,麻烦您核对一下收货人信息。",
    "退货时还请您保证配件齐全哦",
    "具体的配送时效无法保证呢,以物流更新为准哦",
    "我们一定会做得更好的,感谢您的反馈",
    "帮您申请的[数字x]元已到京东钱包您看一下",
    "We'd definitely like to help with this. What's your order number?",
    # time words aimed at the customer, wishes and farewells
    "建议您尽快修改一下登录密码哦",
    "建议您尽快更改网银密码,操作步骤我传给您",
    "We recommend changing your password as soon as possible.",
    "好的,已经帮您备注了",
    "是我们系统的问题,已经修复了,您重新打开App试一下",
    "[姓名1]您好,订单[数字1]已于[日期1]签收",
    "Hi [NAME_1], order [NUMBER_1] was delivered on [DATE_1].",
    "I assure you we're looking at it right now.",
    "这个没办法保证,不过我先帮您催一下,今天下午5点前回复您",
    "订单无法修改的呢,这边帮您取消后重新下单可以吗",
    "手表进水后请及时擦干",
    "还请稍后点击小红心对我的服务做出评价哦",
    "审核通过后会短信通知您",  # an event the customer will see: it says when
    "换开完成后短信告知您",
    "商品到货后第一时间通知您",
    "Thanks for flying with us, see you again soon!",
    "Hopefully it will be available again soon.",
    # a next step that waits on the customer
    "Please DM us your tracking number and we'll look into it.",
    # anonymised export values are values
    "您好,预计[数字x]小时内会有专员联系您",
    "订单[订单x]的退款会在[数字x]个工作日内原路退回",
    "税号:[身份证号x]已帮您填好",
    # a limit with what can be done instead; a situation described
    "这个地址修改不了的,建议您取消后重新下单哦",
    "买了这件商品就没办法参加满减了",
    # the agent owning a mistake
    "非常抱歉,是小妹刚才给您看错了",
    # a question about the cause, not a verdict; a fallback referral after the remedy
    "您觉得是物流那边的原因吗?",
    "请问是厂家的问题吗",
    "退款已经原路退回了,如未到账请联系发卡银行",
    # a hedged no, a term of a rule, a no followed by what the customer needs
    "这个颜色可能改不成功的哦",
    "估计是不能退的哦",
    "注销以后半年内无法重新注册的哦",
    "这个不能退哦 您是想换个尺码吗?",
    # an effort offered for "anything else", or with what happens if it fails
    "还有其他问题您随时找我,我会尽力帮您解决的",
    "我们尽量帮您把包裹截回来,如果没有截住,麻烦您到时拒签",
    # a promise that waits on the customer's own step; a named day
    "您提交后我们会尽快审核的哦",
    "这边已反馈站点,12号后为您派送",
    # reassurance about who or how, not an outcome; a guarantee whose start is out of view
    "I can assure you our team reads every message.",
    "I promise we never want a customer to feel ignored.",
    "...guaranteed. Seat maps change when the aircraft does.",
    # advice for next time; a no with the way forward in the next sentence
    "For future reference, you can pick seats in the app when you book.",
    "We don't have an ETA for the fix yet. You can use the web version in the meantime.",
    # a promise waiting on the details asked for; a standing promise about opening hours
    "full name and postcode. I'll get this sorted for you once we have them.",
    "Our team is online 24/7 and answers as quickly as we can.",
    # the same no with the way forward beside it
    "We're unable to help with that here, but you can reach the Holidays team on 0344 000 000.",
    "We don't have that information yet; we'll update you by 5pm today.",
    # the rules told, not made the reason for no
    "Standard fare rules apply: you can change the date for a fee of $75.",
    "Our terms apply to every booking made after 1 May.",
    # a contact promised on a day the event fixes is a time
    "安装师傅上门前一天会联系您确认时间",
    "配送员当天会电话联系您的",
    # a note left or an escalation made, reported as done
    "已经为您留言给站点了哦",
    "小妹已经帮您升级处理了",
    "Yes, you can share the voucher with anyone in your household.",
]

# Not this category, whatever else the reply holds.
NOT_FLAGGED_AS = [
    # a wait explained by what the agent will do or where things stand
    ("我们会尽快为您补发新的配件。请您耐心等待。", "negative_wording"),
    ("包裹目前显示正常。请您耐心等待。", "negative_wording"),
    # a hand-off done now, in the chat, or offered for the customer's yes
    ("小妹这就帮您联系一下商家 正在联系", "vague_promise"),
    ("我帮您联系一下快递员,您稍等", "vague_promise"),
    ("那我帮您登记一下换货可以吗", "vague_promise"),
]

FLAGGED = [
    ("我这边记录并反馈给相关同事", "vague_promise"),
    ("已经转给相关工作人员了", "vague_promise"),
    ("会让站点联系您的", "vague_promise"),
    ("我们在积极想办法", "vague_promise"),
    # a hand-off or a notice "later", with no time: the customer cannot tell when
    ("这边为您核实后短信告知您", "vague_promise"),
    ("会短信通知您的", "vague_promise"),
    ("这边小妹为您留言催促", "vague_promise"),
    # a "please wait" before the hand-off is the agent's own lookup: the hand-off stays vague
    ("请您稍等,正在为您查询。小妹已反馈商家加急处理了", "vague_promise"),
    ("后续专员会联系您的", "vague_promise"),
    ("Your feedback has been passed to the store team.", "vague_promise"),
    ("Hi [NAME_1], your refund will be processed on {date}.", "vague_promise"),
    # the customer blamed, or told they were told
    ("您下单的时候应该看到了", "defensive_language"),
    ("都跟您说了三遍了", "defensive_language"),
    ("As previously explained, the fare is non-refundable.", "defensive_language"),
    # the cause put on another party
    ("主要是快递公司那边爆仓了", "blame_shifting"),
    ("跨行转账没到账是对方银行处理慢", "blame_shifting"),
    ("After testing, the issue is with their servers, it is not on our end.", "blame_shifting"),
    # a flat no with nothing offered
    ("订单是无法修改的呢", "negative_wording"),
    ("今天真的送不到呢", "negative_wording"),
    ("You'll just have to wait like everyone else.", "negative_wording"),
    ("我会为您升级专员处理的", "vague_promise"),
    ("我们会在[具体时间]前为您补发", "vague_promise"),
    ("We will [specific action] by [time].", "vague_promise"),
    ("We'll pass your comments on to the team.", "vague_promise"),
    ("这是兼容性问题,和第三方应用有关", "blame_shifting"),
    ("不排除是运营商限速导致的", "blame_shifting"),
    ("由于您未提供订单号,所以无法处理", "defensive_language"),
    # a refusal to help or to tell, with nothing in its place
    ("Unfortunately we are not able to assist with this request.", "negative_wording"),
    ("We don't have any information on that, sorry.", "negative_wording"),
    # a duty or a law named as the reason for no
    ("We're only required to refund unopened items.", "defensive_language"),
    ("Bags cost 10p as per legislation.", "defensive_language"),
    ("这个不能添加的亲", "negative_wording"),
    ("建议您耐心等待下", "negative_wording"),
    ("This would be a question for your local store.", "negative_wording"),
    ("Please send us a photo of your driver's license.", "sensitive_data_request"),
    ("Please DM us the 6-digit code we just texted you.", "sensitive_data_request"),
    ("我核实后会尽快为您处理", "vague_promise"),
    ("您放心,肯定给您全额退款", "over_promise"),
    # the cause put elsewhere without 是X的问题; an apology is no alternative to a refusal
    ("不是我们这边的原因哦", "blame_shifting"),
    ("放心,我们会尽力的", "vague_promise"),
    ("I promise you'll have the replacement tomorrow.", "over_promise"),
    # an accusation denied, the answer insisted on
    ("Hi, selling your details is not something we do.", "defensive_language"),
    ("Our agents would never lie to a customer.", "defensive_language"),
    ("The information on your statement is correct.", "defensive_language"),
    ("You're getting the same reply because nothing has changed.", "defensive_language"),
    # a no in the passive, no options, a link instead of an answer
    ("Sorry, the delivery address can't be changed after dispatch.", "negative_wording"),
    ("Unfortunately we could not offer any alternatives for that date.", "negative_wording"),
    ("Please visit our help page for more information: https://example.com/help", "negative_wording"),
    # the cause put on a partner or a franchise
    ("Sorry, this is a restriction from the rights holders.", "blame_shifting"),
    ("Individual restaurants set their own prices for delivery.", "blame_shifting"),
    ("发货时间提前不了的哦 给您带来不便了", "negative_wording"),
    # an apology for how the customer feels, not for what happened
    ("We apologize if you feel that way, but the fee stands.", "defensive_language"),
    ("Sorry you see it like that.", "defensive_language"),
    ("如果我们的解释让您有这样的误会,我们很抱歉", "defensive_language"),
    ("您非要这么想的话我们也没办法", "defensive_language"),
    # the cause put outside the company's power
    ("Weather delays are beyond our control.", "blame_shifting"),
    ("Unfortunately that's not up to us.", "blame_shifting"),
    ("这个超出了我们的控制范围", "blame_shifting"),
    ("退款时间我们这边也决定不了", "blame_shifting"),
    # contact promised with no time
    ("Someone from the billing team will reach out to you.", "vague_promise"),
    ("We'll be in contact.", "vague_promise"),
    ("专员会与您联系的", "vague_promise"),
    ("已经为您反馈给售后了", "vague_promise"),  # a feedback reported done still waits on an answer
    ("小妹这边帮您留言一下", "vague_promise"),
    # fairness to others or the rules made the reason for no; the mishap made ordinary
    ("We need to be consistent with every passenger, so the fee stays.", "defensive_language"),
    ("The seat was sold out, hence ticketing rules apply.", "defensive_language"),
    ("Sorry, but that may happen with any carrier on busy days.", "defensive_language"),
    # a refusal to tell, or to talk in the customer's channel; a verdict on their ask
    ("For privacy reasons we can't share any details about other guests.", "negative_wording"),
    ("We won't be able to correspond via text message on this.", "negative_wording"),
    ("A voucher is not going to change the outcome here.", "negative_wording"),
    # a no in netspeak, or a bare no with only a "sorry" after it
    ("这个小妹也是木有办法的呢", "negative_wording"),
]


@pytest.mark.parametrize("reply", NOT_FLAGGED)
def test_real_phrasing_that_is_not_a_problem_is_not_flagged(reply):
    assert flags(reply) == set(), reply


@pytest.mark.parametrize("reply,category", NOT_FLAGGED_AS)
def test_real_phrasing_that_is_not_this_problem_is_not_flagged_as_it(reply, category):
    assert category not in flags(reply), reply


@pytest.mark.parametrize("reply,category", FLAGGED)
def test_real_phrasing_that_is_a_problem_is_flagged(reply, category):
    assert category in flags(reply), reply


def test_an_apology_with_zhiqian_counts():
    r = check_reply(PLAYBOOK, "对于配送延误,我们深表致歉。")
    assert r.structure["apology"] == "present"


def test_a_bare_no_with_only_a_sorry_after_it_is_curt():
    """The customer asked; the whole answer is "can't" and a sorry, nothing offered instead."""
    r = check_reply(PLAYBOOK, "这个订单小妹操作不了的哦 不好意思", complaint="能帮我把地址改一下吗",
                    required=frozenset())
    assert "negative_wording" in {f.category for f in r.findings}
    r = check_reply(PLAYBOOK, "这个订单小妹操作不了的哦 不好意思 您可以取消后重新下单", complaint="能帮我把地址改一下吗",
                    required=frozenset())
    assert "negative_wording" not in {f.category for f in r.findings}
