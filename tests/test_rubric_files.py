"""A company edits rubrics/, not code: a bad file must be refused with its path and reason."""

import shutil

import pytest

from service.errors import RubricError
from builtin import RUBRIC
from service.checker.rubric import expand
from service.checker.rubric_cache import load_rubric
from service.settings import DEFAULTS


@pytest.fixture
def rubric_copy(tmp_path):
    root = tmp_path / "rubrics"
    shutil.copytree(DEFAULTS / "rubrics", root)
    return root


def write_rule(root, text, name="zz_custom.yaml"):
    path = root / "rules" / "zh" / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_rubric_loads_and_has_rules_for_every_category():
    rubric = RUBRIC
    assert {r.category for r in rubric.rules} == {
        "defensive_language", "vague_promise", "over_promise", "blame_shifting",
        "sensitive_data_request", "negative_wording"}
    assert {r.lang for r in rubric.rules} == {"zh", "en"}


@pytest.mark.parametrize("text,reason", [
    ("- id: x.y\n  category: vague_promise\n  severity: error\n  message: m\n  phrases: [a\n", "not valid YAML"),
    ("- id: x.y\n  category: rudeness\n  severity: error\n  message: m\n  phrases: [a]\n", "category"),
    ("- id: x.y\n  category: vague_promise\n  severity: fatal\n  message: m\n  phrases: [a]\n", "severity"),
    ("- id: x.y\n  category: vague_promise\n  severity: error\n  message: m\n", "needs `phrases` or `patterns`"),
    ("- id: x.y\n  category: vague_promise\n  severity: error\n  message: m\n  patterns: ['(unclosed']\n", "not a valid regular expression"),
    ("- id: x.y\n  category: vague_promise\n  severity: error\n  message: m\n  phrases: [a]\n  colour: red\n", "colour"),
    ("- id: vague.asap\n  category: vague_promise\n  severity: error\n  message: m\n  phrases: [a]\n", "already defined"),
    ("id: x.y\n", "expected a list"),
    ("- id: x.y\n  category: vague_promise\n  severity: error\n  message: m\n  phrases: [a]\n  customer: {}\n",
     "`customer` needs"),
    # regular-expression syntax in a phrase is literal text there, so the phrase would never match
    ("- id: x.y\n  category: vague_promise\n  severity: error\n  message: m\n  phrases: ['(our|the) forums? team']\n",
     "write (s)? for an optional letter"),
    ("- id: x.y\n  category: vague_promise\n  severity: error\n  message: m\n  phrases: ['公司的?规定']\n", "'?'"),
    ("- id: x.y\n  category: vague_promise\n  severity: error\n  message: m\n  phrases: [a]\n"
     "  unless: {sentence: ['wait.*please']}\n", "'.*'"),
])
def test_bad_rule_files_are_refused_with_path_and_reason(rubric_copy, text, reason):
    path = write_rule(rubric_copy, text)
    with pytest.raises(RubricError) as e:
        load_rubric(rubric_copy)
    assert str(path) in e.value.message and reason in e.value.message


def test_a_rule_added_as_data_takes_effect_without_code(rubric_copy):
    write_rule(rubric_copy, "- id: custom.wait\n  category: vague_promise\n  severity: warning\n"
                            "  message: 不要让顾客干等\n  suggestion: 在[时间]前\n  phrases: [等等看]\n")
    from service.checker.review import review

    r = review("您再等等看吧。", rubric=load_rubric(rubric_copy))
    assert [(f.rule, f.text, f.severity) for f in r.findings if f.start is not None] == [
        ("custom.wait", "等等看", "warning")]


def test_a_rule_on_the_customer_words_before_the_turn_is_data_too(rubric_copy):
    write_rule(rubric_copy, "- id: custom.wait_after_chase\n  category: negative_wording\n  severity: error\n"
                            "  message: 顾客在催\n  phrases: [慢慢等]\n  customer:\n    requires: [催]\n"
                            "    unless: [谢谢]\n")
    from service.checker.review import review

    rubric = load_rubric(rubric_copy)
    rule_of = lambda complaint: [f.rule for f in review("您慢慢等。", complaint, rubric=rubric).findings  # noqa: E731
                                 if f.start is not None]
    assert rule_of("帮我催一下") == ["custom.wait_after_chase"]
    assert rule_of("帮我催一下 谢谢") == []  # unless
    assert rule_of("发货了吗") == [] and rule_of(None) == []  # requires


def test_a_rule_may_ask_that_its_sentence_be_the_whole_turn(rubric_copy):
    write_rule(rubric_copy, "- id: custom.only_this\n  category: negative_wording\n  severity: error\n"
                            "  message: 只说了这一句\n  phrases: [就这样]\n  alone: true\n")
    from service.checker.review import review

    rubric = load_rubric(rubric_copy)
    rules = lambda reply: {f.rule for f in review(reply, rubric=rubric).findings}  # noqa: E731
    assert "custom.only_this" in rules("就这样。")
    assert "custom.only_this" not in rules("已经帮您退款了。就这样。")


def test_missing_category_in_rubric_yaml_is_refused(rubric_copy):
    path = rubric_copy / "rubric.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  negative_wording:", "  x_negative:"),
                    encoding="utf-8")
    with pytest.raises(RubricError, match="negative_wording"):
        load_rubric(rubric_copy)


@pytest.mark.parametrize("phrase,expected", [
    ("我们(会|将)跟进", ["我们会跟进", "我们将跟进"]),
    ("(会)?跟进", ["会跟进", "跟进"]),
    ("a(b|)c", ["abc", "ac"]),
    ("plain", ["plain"]),
    ("(请|)(您|你)稍(等|候)", ["请您稍等", "请您稍候", "请你稍等", "请你稍候", "您稍等", "您稍候", "你稍等", "你稍候"]),
    ("a(b(c|d)|e)f", ["abcf", "aef", "abdf", "aef"]),  # nested: inner groups first (duplicates are dropped later)
])
def test_phrase_alternatives_expand(phrase, expected):
    assert expand(phrase) == expected


# ---------------------------------------------------------------- the compiled rubric's cache

def _load_in_new_process(root, cache_dir) -> dict:
    """Load the rubric in a fresh process, as `tactful review` does: what it imported, and a
    review that uses a custom rule."""
    import json
    import os
    import subprocess
    import sys

    code = ("import json, sys; from service.settings import get_settings; from service.playbook import Playbook; "
            "from service.checker.check import check_reply; "
            "out = check_reply(Playbook.from_settings(get_settings()), '我们会马马虎虎处理。').to_dict(); "
            "print(json.dumps({'pydantic': 'pydantic' in sys.modules, 'yaml': 'yaml' in sys.modules, "
            "'rules': sorted({f['rule'] for f in out['findings']})}))")
    env = {**os.environ, "TACTFUL_CACHE_DIR": str(cache_dir), "TACTFUL_RUBRIC_DIR": str(root)}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


CUSTOM = ("- id: vague.sloppy\n  category: vague_promise\n  severity: error\n"
          "  message: 马马虎虎不是承诺\n  phrases: [马马虎虎]\n")


def test_a_second_start_reads_the_compiled_rubric_without_pydantic_or_yaml(rubric_copy, tmp_path):
    cache = tmp_path / "cache"
    write_rule(rubric_copy, CUSTOM)
    first = _load_in_new_process(rubric_copy, cache)
    assert first["pydantic"] and first["yaml"]  # compiled from the files
    (written,) = cache.glob("rubric-*.pickle")
    assert written.stat().st_mode & 0o077 == 0  # for this user only
    second = _load_in_new_process(rubric_copy, cache)
    assert not second["pydantic"] and not second["yaml"]
    assert second["rules"] == first["rules"] and "vague.sloppy" in second["rules"]


def test_an_edited_rule_file_is_compiled_again(rubric_copy, tmp_path):
    cache = tmp_path / "cache"
    _load_in_new_process(rubric_copy, cache)
    assert "vague.sloppy" not in _load_in_new_process(rubric_copy, cache)["rules"]
    write_rule(rubric_copy, CUSTOM)
    edited = _load_in_new_process(rubric_copy, cache)
    assert edited["pydantic"] and "vague.sloppy" in edited["rules"]
    assert len(list(cache.glob("rubric-*.pickle"))) == 1  # the stale one is removed


@pytest.mark.parametrize("damage", ["garbage", "shared"])
def test_a_damaged_or_shared_cache_file_is_not_trusted(rubric_copy, tmp_path, damage):
    cache = tmp_path / "cache"
    write_rule(rubric_copy, CUSTOM)
    _load_in_new_process(rubric_copy, cache)
    (written,) = cache.glob("rubric-*.pickle")
    if damage == "garbage":
        written.write_bytes(b"not a pickle")
    else:  # writable by others: anyone could have put code in it
        written.chmod(0o666)
    again = _load_in_new_process(rubric_copy, cache)
    assert again["pydantic"] and "vague.sloppy" in again["rules"]


def test_the_cache_can_be_turned_off(rubric_copy, tmp_path):
    from service.checker import rubric_cache as module

    assert module._cache_folder("off") is None
    folder = module._cache_folder(str(tmp_path / "c"))
    assert module._cache_file(rubric_copy, folder).parent == tmp_path / "c"
    module.load_rubric.cache_clear()
    module.load_rubric(rubric_copy, "off")
    module.load_rubric(rubric_copy, str(tmp_path / "c"))
    assert list((tmp_path / "c").glob("rubric-*.pickle"))  # written only where the setting says


def test_the_cached_rubric_reviews_exactly_as_the_compiled_one():
    import json
    import pickle
    from pathlib import Path

    from service.checker.review import review_dict
    from service.checker.rubric_files import compile_rubric

    fresh = compile_rubric(DEFAULTS / "rubrics")
    cached = pickle.loads(pickle.dumps(fresh))
    rows = [json.loads(line) for line in
            (Path(__file__).parent / "data" / "labelled_replies.jsonl").read_text("utf-8").splitlines()]
    for row in rows:
        for lang in (None, "zh-Hant"):
            assert review_dict(row["reply"], row["complaint"], lang, rubric=cached) == \
                review_dict(row["reply"], row["complaint"], lang, rubric=fresh)
    assert fresh.hant and all(cached.hant[k] == v for k, v in fresh.hant.items())
