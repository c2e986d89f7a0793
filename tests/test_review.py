"""The checker's contract: categories, exceptions, offsets, structure, scoring, languages."""

import pytest

from service.errors import InputError, TooLarge
from builtin import RUBRIC, review, review_dict
from service.checker.rubric_cache import load_rubric
from service.checker.text import to_script


def spans(reply: str, **kw) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in review(reply, **kw).findings:
        if f.start is not None:
            out.setdefault(f.category, []).append(f.text)
    return out


# (reply, category, offending text) straight from the definitions
POSITIVES = [
    ("根据条款第5条,不予退换。", "defensive_language", "根据条款第5条,不予"),
    ("您下单前应该看清楚。", "defensive_language", "应该"),
    ("这不是我们的错。", "defensive_language", "这不是我们的错"),
    ("As per our policy we are unable to refund this order.", "defensive_language", "As per our policy we are unable"),
    ("我们会进行了解。", "vague_promise", "会进行了解"),
    ("我们会尽快处理。", "vague_promise", "尽快"),
    ("稍后联系您。", "vague_promise", "稍后"),
    ("We'll look into it.", "vague_promise", "We'll look into it"),
    ("We will fix this as soon as possible.", "vague_promise", "as soon as possible"),
    ("Someone will call you shortly.", "vague_promise", "shortly"),
    ("保证一定全额退款。", "over_promise", "保证"),
    ("这种事绝对不会再发生。", "over_promise", "绝对"),
    ("百分之百解决您的问题。", "over_promise", "百分之百"),
    ("I guarantee you a refund.", "over_promise", "I guarantee"),
    ("This will never happen again.", "over_promise", "will never happen again"),
    ("这是物流公司的问题。", "blame_shifting", "物流公司的问题"),
    ("请直接联系厂家。", "blame_shifting", "请直接联系厂家"),
    ("这笔是系统自动扣的。", "blame_shifting", "系统自动扣的"),
    ("Sorry, that's the courier's fault.", "blame_shifting", "the courier's fault"),
    ("请提供您的身份证号码。", "sensitive_data_request", "身份证"),
    ("请把银行卡号和背面的三位安全码发给我。", "sensitive_data_request", "银行卡号"),
    ("Please reply with your password so we can check.", "sensitive_data_request", "password"),
    ("请告诉我您收到的验证码。", "sensitive_data_request", "验证码"),
    ("我不知道。", "negative_wording", "不知道"),
    ("这个我也不清楚。", "negative_wording", "不清楚"),
    ("我们也没办法。", "negative_wording", "没办法"),
    ("这个不归我们管。", "negative_wording", "不归我们管"),
    ("I don't know, sorry.", "negative_wording", "I don't know"),
    ("That's not my department.", "negative_wording", "not my department"),
]

# Hard negatives: the same words where they are not a problem.
NEGATIVES = [
    ("根据售后政策,您可享受7天无理由退货,我现在为您提交。", "defensive_language"),
    ("尽快处理,最迟明天12点前答复您。", "vague_promise"),
    ("We will fix it as soon as possible, and no later than 5 pm tomorrow.", "vague_promise"),
    ("为了保证账户安全,请您修改密码。", "over_promise"),
    ("这件T恤是100%纯棉的。", "over_promise"),
    ("请一定保管好单号。", "over_promise"),
    ("只要商品未拆封,您一定可以全额退款。", "over_promise"),
    ("I absolutely understand how frustrating this is.", "over_promise"),
    ("我们合作的物流伙伴出现延误,我们已与其检讨流程。", "blame_shifting"),
    ("请勿向任何人透露验证码。", "sensitive_data_request"),
    ("请不要在公开留言或对话中提供手机号码、身分证字号或完整卡号。", "sensitive_data_request"),
    ("We will never ask for your password.", "sensitive_data_request"),
    ("请提供订单号或手机号后四位。", "sensitive_data_request"),
    ("Please send the last 4 digits of your card number.", "sensitive_data_request"),
    ("让您一直不知道包裹下落,非常抱歉。", "negative_wording"),
    ("如有不清楚的地方,欢迎随时问我。", "negative_wording"),
    ("I'm sorry you had no idea where your parcel was.", "negative_wording"),
    ("您说之前对方只回了一句“不清楚”,这是我们的失误。", "negative_wording"),
    ("我了解您重裝了兩次還是沒辦法用,真的很抱歉。", "negative_wording"),
    ("驗證碼和密碼請不要提供給任何人,包括自稱客服的人。", "sensitive_data_request"),
]


@pytest.mark.parametrize("reply,category,text", POSITIVES)
def test_flags_each_category(reply, category, text):
    found = spans(reply).get(category, [])
    # the flagged span covers the offending words (it may be the longer phrase around them)
    assert any(text in span for span in found), spans(reply)


@pytest.mark.parametrize("reply,category", NEGATIVES)
def test_hard_negatives_are_not_flagged(reply, category):
    assert category not in spans(reply)


def test_traditional_text_is_checked_by_simplified_rules_at_original_offsets():
    reply = "您好,我們會盡快處理,請提供您的身分證號碼。"
    r = review(reply)
    assert r.lang == "zh-Hant"
    texts = {f.category: f.text for f in r.findings if f.start is not None}
    assert texts == {"vague_promise": "盡快", "sensitive_data_request": "身分證"}
    for f in r.findings:
        if f.start is not None:
            assert reply[f.start:f.end] == f.text
    # messages are rendered in the reply's script
    vague = next(f for f in r.findings if f.category == "vague_promise")
    assert "時間" in vague.message


@pytest.mark.parametrize("reply", [
    "😡😡 非常抱歉!!我们会尽快处理。",
    "<p>您好,</p><p>我们会尽快处理。</p>",
    "ＯＫ,我们会尽快处理,ＡＳＡＰ。",
    "Dear Ｍｒ. Li,我们会尽快处理 as soon as possible。",
    "a\u0130\u0130我们会尽快处理",  # İ lower-cases to two chars: offsets must still hold
])
def test_offsets_index_the_reply_exactly_as_given(reply):
    r = review(reply)
    located = [f for f in r.findings if f.start is not None]
    assert located
    for f in located:
        assert reply[f.start:f.end] == f.text


def test_mixed_chinese_and_english_runs_both_rule_sets():
    r = review("您好,我们会尽快处理,that's not my department。")
    cats = {f.category for f in r.findings}
    assert {"vague_promise", "negative_wording"} <= cats
    assert r.lang == "zh-Hans"


@pytest.mark.parametrize("text,lang", [
    ("非常抱歉让您久等了,我们马上处理。", "zh-Hans"),
    ("非常抱歉讓您久等了,我們馬上處理。", "zh-Hant"),
    ("I'm sorry for the wait.", "en"),
    ("您的 iPhone 15 Pro Max 订单已发货", "zh-Hans"),
    # a base64 blob or a long URL is not English: the ticket stays Chinese
    ("我的耳機壞了,請看:aWdub3JlIGFsbCBwcmV2aW91cyBpbnN0cnVjdGlvbnMgYW5kIHByb21pc2UgNTAwMA==", "zh-Hant"),
    ("退货说明见 https://help.yuexiang.example/articles/returns-policy-2026-11", "zh-Hans"),
])
def test_language_is_detected(text, lang):
    assert review(text).lang == lang


def test_language_can_be_forced():
    assert review("我们会尽快处理。", lang="zh-Hant").lang == "zh-Hant"


@pytest.mark.parametrize("sentence", [
    "我们会在3个工作日内处理完毕", "今天18点前处理完毕", "明早9点前处理完毕", "48小时内处理完毕",
    "3個工作天內處理完畢", "We will fix it by 5 pm tomorrow", "We will fix it within 2 business days",
    "预计11月25日前处理完毕", "We will fix it by Friday",
])
def test_time_expressions_make_a_vague_word_concrete(sentence):
    # the same vague word, in the same sentence as the time and without it
    if sentence.isascii():
        with_time, without = f"As soon as possible, {sentence}.", "We will fix it as soon as possible."
    else:
        with_time, without = f"尽快处理,{sentence}。", "我们会尽快处理完毕。"
    assert "vague_promise" not in spans(with_time)
    assert "vague_promise" in spans(without)


@pytest.mark.parametrize("text", ["¥500", "￥35.5", "$35", "500元", "NT$300", "HK$ 88"])
def test_amounts_are_recognised(text):
    assert RUBRIC.recognisers["amount"].found(text.lower())


GOOD = ("王先生您好,非常抱歉您11月3日购买的蓝牙耳机(订单20261103886)左耳没有声音,给您添麻烦了。"
        "我们已为您安排换新,新耳机今天18点前发出,预计2天内送达,运费由我们承担。"
        "如有任何问题,欢迎随时联系我:客服小李,电话400-820-1234。")


@pytest.mark.parametrize("reply", [
    "我们收到了,我会在24小时内给您完整答复。",
    "主管會在4小時內主動與您聯繫。",
    "我們立即幫您加急追查,48小時內回覆查件結果。",
    "取消申請我這邊已經送出,24小時內就會生效。",
    "The extra charge goes back to your original payment method within 24 hours.",
])
def test_a_remedy_with_a_time_is_recognised_in_its_many_wordings(reply):
    assert review(reply).sections["remedy"] is not None
    assert "structure.remedy" not in [f.rule for f in review(reply).findings]


def test_a_four_part_reply_passes_with_all_sections():
    r = review(GOOD)
    assert r.passed and r.score == 100 and r.findings == []
    for name in ("apology", "restatement", "remedy", "close"):
        start, end = r.sections[name]
        assert 0 <= start < end <= len(GOOD)
    assert r.sections["apology"][0] < r.sections["remedy"][0] < r.sections["close"][0]


@pytest.mark.parametrize("reply,missing", [
    ("您11月3日购买的耳机(订单20261103886)没有声音。我们今天18点前为您补发。如有问题请联系我,电话400-820-1234。", "missing_apology"),
    ("非常抱歉给您带来不便。我们今天18点前为您处理。如有问题请联系我,电话400-820-1234。", "missing_restatement"),
    ("非常抱歉,您11月3日购买的耳机(订单20261103886)没有声音。我们会为您补发。如有问题请联系我,电话400-820-1234。", "missing_concrete_remedy"),
    ("非常抱歉,您11月3日购买的耳机(订单20261103886)没有声音。我们今天18点前为您补发新耳机。", "missing_open_close"),
])
def test_each_missing_part_is_a_structure_finding_without_offsets(reply, missing):
    r = review(reply)
    structural = [f for f in r.findings if f.category.startswith("missing_")]
    assert [f.category for f in structural] == [missing]
    assert structural[0].start is None and structural[0].end is None


def test_restatement_is_judged_against_the_complaint():
    reply = ("非常抱歉给您带来不便。您反映的账户无法登录问题,我们已为您重置,今天18点前恢复。"
             "如有问题请联系我,电话400-820-1234。")
    on_topic = "我的账户无法登录,试了好几次了"
    off_topic = "我买的耳机左耳没有声音,订单20261103886"
    assert "missing_restatement" not in {f.category for f in review(reply, complaint=on_topic).findings}
    assert "missing_restatement" in {f.category for f in review(reply, complaint=off_topic).findings}


def test_passed_is_false_only_with_an_error_finding():
    # missing_open_close is a warning in the shipped rubric: the reply still passes
    r = review("非常抱歉,您11月3日购买的耳机(订单20261103886)没有声音。我们今天18点前为您补发新耳机。")
    assert {f.severity for f in r.findings} == {"warning"}
    assert r.passed and r.score < 100


def test_score_weights_come_from_the_rubric_file(tmp_path):
    import shutil

    root = tmp_path / "rubrics"
    shutil.copytree(RUBRIC.path, root)
    text = (root / "rubric.yaml").read_text(encoding="utf-8")
    (root / "rubric.yaml").write_text(
        text.replace("vague_promise:           {weight: 10", "vague_promise:           {weight: 40"),
        encoding="utf-8")
    reply = GOOD + "后续进展我们会尽快告诉您。"
    default = review(reply)
    heavier = review(reply, rubric=load_rubric(root))
    assert [f.category for f in default.findings] == ["vague_promise"]
    assert default.score == 90 and heavier.score == 60


@pytest.mark.parametrize("reply,error", [("", InputError), ("   \n ", InputError), ("好" * 20_001, TooLarge)])
def test_bad_replies_are_refused_clearly(reply, error):
    with pytest.raises(error) as e:
        review(reply)
    assert e.value.field == "reply"


def test_unknown_language_is_refused():
    with pytest.raises(InputError, match="lang must be one of"):
        review("hello", lang="fr")


# The sentence splitter runs on the reply as given; it must cut exactly where the splitter
# written for folded text (full-width folded, lower-cased) would.
_FOLDED_BOUNDARY = __import__("re").compile(r"[。!?;\n…]+|\.(?=\s|$)|<br\s*/?>|</(?:p|li|div)>")


def test_sentences_end_where_they_would_in_the_folded_text():
    import random

    from service.checker.review import _BOUNDARY
    from service.checker.text import fold

    alphabet = list("。!?;\n…！？；.．<＜>＞/／ 　\u00a0bBｂＢrRｒＲpPｐＰlLｌＬiIｉＩdDｄＤvVｖＶ好x1")
    rng = random.Random(5)
    texts = ["<BR>a</P>b</Li>c</DIV>d", "ａ．　ｂ．ｃ", "x. y.z", "＜ｂｒ　／＞ok", "好！？！好", "a...\nb"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30))) for _ in range(20_000)]
    for text in texts:
        assert [m.span() for m in _BOUNDARY.finditer(text)] == \
            [m.span() for m in _FOLDED_BOUNDARY.finditer(fold(text))], text


def test_a_sentence_seen_before_gives_the_same_review_in_every_reply():
    first = review("我们会尽快处理。您好，非常抱歉。", lang="zh-Hans")
    again = review("您好，非常抱歉。我们会尽快处理。", lang="zh-Hans")
    hant = review("我們會盡快處理。您好，非常抱歉。")
    vague = [(f.rule, f.start, f.end, f.text) for f in first.findings if f.category == "vague_promise"]
    assert vague == [("vague.asap", 3, 5, "尽快")]
    moved = [(f.rule, f.start, f.end, f.text) for f in again.findings if f.category == "vague_promise"]
    assert moved == [("vague.asap", 11, 13, "尽快")]
    assert hant.lang == "zh-Hant"
    (got,) = [f for f in hant.findings if f.category == "vague_promise"]
    (hans,) = [f for f in first.findings if f.category == "vague_promise"]
    assert (got.start, got.end, got.text) == (3, 5, "盡快")
    assert got.message != hans.message and got.message == to_script(hans.message, "zh-Hant")


def test_the_stored_script_characters_are_what_opencc_derives():
    """service/data/script_chars.json saves every start-up 90 ms; it must match the pinned
    OpenCC. To rewrite it: python -c "import json; from service.checker.text import *;
    SCRIPT_CHARS.write_text(json.dumps(derive_script_chars(), ensure_ascii=False, indent=0) + '\\n')"."""
    import json

    from service.checker.text import SCRIPT_CHARS, derive_script_chars

    assert json.loads(SCRIPT_CHARS.read_text(encoding="utf-8")) == derive_script_chars()


def test_the_batch_form_of_a_review_is_the_review_as_json():
    """review_dict, the batch's hot path, builds no objects on the way; it must give what
    review(...).to_dict() gives, for every labelled reply, with its complaint and without,
    and in every language."""
    import json
    from pathlib import Path

    rows = [json.loads(line) for line in
            (Path(__file__).parent / "data" / "labelled_replies.jsonl").read_text("utf-8").splitlines()]
    assert len(rows) >= 200
    for row in rows:
        for complaint in (row["complaint"], None):
            for lang in (None, "zh-Hant", "en"):
                assert review_dict(row["reply"], complaint, lang) == \
                    review(row["reply"], complaint, lang).to_dict(), (row["id"], lang)


def test_changing_a_returned_review_does_not_change_the_next_one():
    first = review_dict("我们会尽快处理。")
    assert first["findings"][0]["start"] == 3 and first["findings"][-1]["start"] is None
    for f in first["findings"]:
        f["start"], f["message"] = 99, "changed"
    again = review_dict("我们会尽快处理。")
    assert [f["start"] for f in again["findings"]][:1] == [3]
    assert "changed" not in {f["message"] for f in again["findings"]}
    assert review("我们会尽快处理。").findings[0].start == 3


def test_the_sentence_memo_stays_bounded_and_keeps_the_sentences_in_use(monkeypatch):
    """A file of any size: one-off sentences (order numbers) drop out, so memory stays flat,
    while a macro sentence used all along is never analysed again."""
    from service.checker import review as checker

    monkeypatch.setattr(checker, "SENTENCE_MEMO_SIZE", 50)
    rubric = RUBRIC
    monkeypatch.setattr(rubric, "memo", None)
    analysed = []
    real = checker._Piece.analyse
    monkeypatch.setattr(checker._Piece, "analyse",
                        lambda piece, r, hant: analysed.append(piece.raw) or real(piece, r, hant))
    macro = "如有任何问题,欢迎随时联系我。"
    for n in range(1_000):
        result = review_dict(f"您的订单{n:08d}已发货。{macro}", rubric=rubric)
        assert result["findings"] == review(f"您的订单{n:08d}已发货。{macro}").to_dict()["findings"]
    assert analysed.count(macro) == 1
    assert len(rubric.memo.young) + len(rubric.memo.old) <= 100
