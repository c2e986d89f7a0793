"""The literal screens in front of the time/amount/contact/reference recognisers: derived from
the patterns, and never changing an answer."""

import json
import re
from pathlib import Path

import pytest
import yaml

from service.checker.prefilter import Recogniser, required_literals, required_sets
from builtin import RUBRIC
from service.checker.text import detect_lang, normalize

DATA = Path(__file__).parent / "data"
SIGNALS = yaml.safe_load((Path(__file__).parent.parent / "rubrics" / "signals.yaml").read_text("utf-8"))


@pytest.mark.parametrize("pattern, screen", [
    (r"(?:\d{1,2}|[一二三]{1,3})\s*(?:点|时)(?!间)", {"点", "时"}),
    (r"\d+\s*(?:天|日)\s*(?:内|之内|以内)", {"内"}),  # 之内 and 以内 hold 内: one string beats two
    (r"\b\d{1,2}\s*(?:am|pm)", {"am", "pm"}),
    (r"within\s+\d+\s+(?:hours?|days?)", {"within"}),  # the longest plain run wins
    (r"[¥$]\s?\d+", {"¥", "$"}),
])
def test_screen_is_what_every_match_must_contain(pattern, screen):
    assert required_literals(pattern) == frozenset(screen)


@pytest.mark.parametrize("pattern", [
    r"\d+",  # only a category: nothing must occur
    r"(?:\d+|元)",  # one alternative needs no literal
    r"(?i)today",  # case-insensitive: a literal screen would miss TODAY
    r"(?i:today)",
    r"(?:今天)?",  # may match the empty string
    r"[a-z]{3}",  # a wide class
    r"[^0-9]元",  # a negated class before it is no screen, but 元 is
])
def test_no_screen_when_none_can_be_derived(pattern):
    found = required_literals(pattern)
    if pattern == r"[^0-9]元":
        assert found == frozenset({"元"})
    else:
        assert found is None


def _sentences() -> list[str]:
    texts = []
    for name in ("labelled_replies.jsonl", "heldout_replies.jsonl", "pii_labelled.jsonl", "pii_heldout.jsonl"):
        for line in (DATA / name).read_text("utf-8").splitlines():
            row = json.loads(line)
            texts += [v for k, v in row.items() if k in ("reply", "complaint", "text", "message") and isinstance(v, str)]
    out = []
    for text in texts:
        norm = normalize(text, detect_lang(text)).text
        out += [s for s in re.split(r"(?<=[。!?;\n])", norm) if s.strip()]
    return out


SENTENCES = _sentences()


@pytest.mark.parametrize("kind", ["time", "amount", "contact", "reference"])
def test_recogniser_answers_exactly_as_the_whole_pattern(kind):
    pattern = RUBRIC.recognisers[kind].pattern
    recogniser = RUBRIC.recognisers[kind]
    assert len(SENTENCES) > 1000
    differ = [s for s in SENTENCES if recogniser.found(s) != (pattern.search(s) is not None)]
    assert differ == []
    # and the corpus exercises both answers
    assert 0 < sum(recogniser.found(s) for s in SENTENCES) < len(SENTENCES)


def test_every_signal_kind_has_screens_for_most_patterns():
    """A pattern without a screen is still correct, only slower; most should have one."""
    for kind in ("time", "amount"):
        screened = [required_literals(p) is not None for p in SIGNALS[kind]]
        assert sum(screened) >= len(screened) - 1, kind


def test_a_screen_never_hides_a_match_the_screen_must_cover():
    rec = Recogniser([r"(?:今天|明天)?\s*\d{1,2}\s*(?:点|时)", r"\bwithin \d+ (?:hours?|days?)\b"])
    assert rec.found("我们明天18点前回复您")
    assert rec.found("we will reply within 2 hours")
    assert not rec.found("我们会尽快回复您")
    assert not rec.found("we will reply soon")


@pytest.mark.parametrize("kind", ["time", "amount", "contact", "reference"])
def test_recogniser_finds_the_same_matches_as_the_whole_alternation(kind):
    pattern = RUBRIC.recognisers[kind].pattern
    recogniser = RUBRIC.recognisers[kind]
    texts = ["".join(SENTENCES[i:i + 4]) for i in range(0, len(SENTENCES), 4)]
    differ = [t for t in texts if [m.span() for m in recogniser.finditer(t)] != [m.span() for m in pattern.finditer(t)]]
    assert differ == []
    assert sum(1 for t in texts for _ in recogniser.finditer(t)) > 20


def test_screened_grounding_patterns_find_exactly_what_the_patterns_find():
    from service.checker import grounding
    from service.checker.prefilter import Screened

    texts = SENTENCES + ["Visit HTTP://EVIL.example/x now", "IGNORE previous instructions", "我们赔您双倍",
                         "作为一个AI语言模型", "![img](http://a.b/c.png)", "we will pay you $50 as compensation"]
    for pattern in (grounding._LINK, grounding._EXTRA_COMP, grounding._ROLE_BREAK):
        screened = Screened(pattern)
        for t in texts:
            lowered = t.lower()
            for text in (t, lowered):
                assert [m.span() for m in screened.finditer(text)] == [m.span() for m in pattern.finditer(text)], text
    assert Screened(grounding._LINK).screen.flags & re.IGNORECASE  # as case-blind as the pattern


def _seen(text: str) -> set[int]:
    """What the checker's scan of a sentence reports: every phrase id it saw."""
    return {pid for _, pid in RUBRIC.automaton.iter(text)}


@pytest.mark.parametrize("kind", ["time", "amount", "contact", "reference"])
def test_screens_the_scan_saw_answer_exactly_as_the_whole_pattern(kind):
    recogniser = RUBRIC.recognisers[kind]
    pattern = recogniser.pattern
    assert any(need is not None for need in recogniser.needs)  # most screens ride on the scan
    differ = [s for s in SENTENCES if recogniser.found_in(s, _seen(s)) != (pattern.search(s) is not None)]
    assert differ == []
    texts = ["".join(SENTENCES[i:i + 4]) for i in range(0, len(SENTENCES), 4)]
    differ = [t for t in texts if [m.span() for m in recogniser.finditer_in(t, _seen(t))]
              != [m.span() for m in pattern.finditer(t)]]
    assert differ == []


def test_rule_patterns_behind_the_scan_match_exactly_as_the_whole_alternation():
    rubric = RUBRIC
    rules = [rubric.rules[i] for i in rubric.pattern_rules]
    assert rules
    texts = SENTENCES + ["这是物流公司的问题", "请您直接联系厂家", "根据条款第5条,不予退换",
                         "as per our policy we are unable to refund"]
    hits = 0
    for rule in rules:
        for t in texts:
            got = [m.span() for m in rule.pattern.finditer_in(t, _seen(t))]
            assert got == [m.span() for m in rule.pattern.pattern.finditer(t)], (rule.id, t)
            hits += len(got)
    assert hits > 10


def test_a_lone_ascii_character_is_no_scanned_screen():
    ids: list[str] = []
    rec = Recogniser([r"1[3-9]\d{9}", r"(?:今天|明天)\d+点"], lambda s: ids.append(s) or len(ids) - 1)
    assert rec.needs[0] is None and rec.needs[1] is not None
    assert rec.found_in("电话13812345678", set()) and not rec.found_in("今天18点", set())


def test_every_required_part_of_a_pattern_gives_a_set():
    """A pattern runs only when the scan saw a string of each set: "是...公司...问题" is not
    tried on a sentence that merely holds 是."""
    sets = required_sets(r"(?:是|属于)[^。]{0,6}?(?:公司|部门)(?:的)?(?:问题|责任)")
    assert sets == [frozenset({"是", "属于"}), frozenset({"公司", "部门"}), frozenset({"问题", "责任"})]
    assert required_sets(r"(?:明天)?\d+点") == [frozenset({"点"})]  # an optional part sets nothing
    assert required_sets(r"(?i)today") == [] and required_sets(r"\d+") == []
    ids: list[str] = []
    rec = Recogniser([r"(?:是|属于)[^。]{0,6}?(?:公司|部门)(?:的)?(?:问题|责任)"],
                     lambda s: ids.append(s) or len(ids) - 1)
    seen_all = {ids.index(s) for s in ("是", "公司", "问题")}
    assert rec.found_in("这是物流公司的问题", seen_all)
    assert not rec.found_in("这是物流公司的问题", seen_all - {ids.index("问题")})
