"""A company edits rubrics/, not code: a bad file must be refused with its path and reason."""

import shutil

import pytest

from service.errors import RubricError
from service.rubric import default_rubric_dir, expand, load_rubric


@pytest.fixture
def rubric_copy(tmp_path):
    root = tmp_path / "rubrics"
    shutil.copytree(default_rubric_dir(), root)
    return root


def write_rule(root, text, name="zz_custom.yaml"):
    path = root / "rules" / "zh" / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_rubric_loads_and_has_rules_for_every_category():
    rubric = load_rubric()
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
])
def test_bad_rule_files_are_refused_with_path_and_reason(rubric_copy, text, reason):
    path = write_rule(rubric_copy, text)
    with pytest.raises(RubricError) as e:
        load_rubric(rubric_copy)
    assert str(path) in e.value.message and reason in e.value.message


def test_a_rule_added_as_data_takes_effect_without_code(rubric_copy):
    write_rule(rubric_copy, "- id: custom.wait\n  category: vague_promise\n  severity: warning\n"
                            "  message: 不要让顾客干等\n  suggestion: 在[时间]前\n  phrases: [等等看]\n")
    from service.review import review

    r = review("您再等等看吧。", rubric=load_rubric(rubric_copy))
    assert [(f.rule, f.text, f.severity) for f in r.findings if f.start is not None] == [
        ("custom.wait", "等等看", "warning")]


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
