"""The policy's remedy catalogue and question list (rubrics/policy.yaml): what both drafters
promise and ask. Every text must pass the checks a person's reply gets with `policy`, and a
broken catalogue must stop the policy from loading, with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from builtin import PLAYBOOK
from service.checker.check import check_reply
from service.drafting.policy import load_policy
from service.drafting.triage import SCENARIOS, triage
from service.errors import RubricError

POLICY = PLAYBOOK.policy
LANGS = ("zh-Hans", "zh-Hant", "en")
TICKET = {"zh-Hans": "我的订单有问题", "zh-Hant": "我的訂單有問題", "en": "There is a problem with my order"}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("remedy", [r.id for r in POLICY.remedies])
def test_every_remedy_text_passes_the_policy_check_as_a_person_would_send_it(remedy, lang):
    r = POLICY.remedy(remedy)
    scenario = next(s for s in (*r.for_, "other") if s in SCENARIOS)
    t = triage(TICKET[lang], PLAYBOOK, lang=lang).model_copy(update={"scenario": scenario})
    text = POLICY.render(r.text(lang), tier=t.severity, facts={})
    found = check_reply(PLAYBOOK, text, lang=lang, triage=t).findings
    assert [(f.rule, f.text) for f in found if f.category in ("ungrounded", "sensitive_data_request",
                                                            "over_promise", "vague_promise")] == []
    assert "{" not in text and "}" not in text


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("ask", [a.id for a in POLICY.asks])
def test_no_question_asks_for_sensitive_data(ask, lang):
    text = POLICY.render(POLICY.ask(ask).text(lang), tier="minor", facts={})
    found = check_reply(PLAYBOOK, text, lang=lang).findings
    assert [f.rule for f in found if f.category == "sensitive_data_request"] == []


def test_every_scenario_has_a_remedy_and_every_offline_choice_is_in_the_catalogue():
    for scenario in SCENARIOS:
        assert POLICY.remedies_for(scenario), scenario
    for ids in POLICY.offline.values():
        assert all(POLICY.remedy(i) for i in ids)


def _broken(tmp_path: Path, change) -> Path:
    data = yaml.safe_load((Path(PLAYBOOK.policy_path)).read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    load_policy.cache_clear()
    return path


@pytest.mark.parametrize("change,reason", [
    (lambda d: d["remedies"][0]["text"].update({"en": "Refunded within 2 hours."}), "a digit written into the text"),
    (lambda d: d["remedies"][0]["text"].update({"en": "Within {refunds.never_days} days."}), "not a number or link"),
    (lambda d: d["remedies"].append(dict(d["remedies"][0])), "used twice"),
    (lambda d: d["remedies"][0].update({"for": ["weather"]}), "unknown scenario"),
    (lambda d: d["remedies"][0].update({"unless": ["weather"]}), "unknown scenario 'weather'"),
    (lambda d: d["offline"].update({"billing": ["free_car"]}), "not in the remedy catalogue"),
])
def test_a_broken_catalogue_stops_the_policy_loading_with_the_reason(tmp_path, change, reason):
    with pytest.raises(RubricError, match=reason):
        load_policy(_broken(tmp_path, change))
    load_policy.cache_clear()


def test_a_number_changed_in_the_policy_changes_every_text_that_uses_it(tmp_path):
    def change(d):
        d["shipping"]["resend_hours"] = 36
    policy = load_policy(_broken(tmp_path, change))
    text = policy.render(policy.remedy("exchange_defect").text("en"), tier="minor", facts={})
    assert "36 hours" in text and "24 hours" not in text
    load_policy.cache_clear()


# The verbs of giving a catalogue text uses become promises a reply may make ("由我们承担" in a
# return-postage answer let "公司會負擔您全部的醫藥費" through the policy review). A new one
# widens every reply's promises: it must be chosen, not slip in with an answer to a question.
PROMISE_VERBS = {
    "rubrics/policy.yaml": {"add", "exchange", "refund", "reship", "ship", "到账", "发出", "发放", "发货", "寄出",
                            "换货", "补发", "补寄", "退回", "退款"},
    "rubrics/examples/airline/policy.yaml": {"add", "free of charge", "rebook", "refund", "免费", "发放", "报销",
                                             "赔偿", "退回"},
    "rubrics/examples/telecom/policy.yaml": {"add", "credit", "free of charge", "replace", "send", "充值", "免费",
                                             "更换", "返还", "退回"},
}


@pytest.mark.parametrize("path", sorted(PROMISE_VERBS))
def test_a_catalogue_promises_only_with_the_verbs_chosen_for_it(path):
    from service.checker.grounding import _catalogue

    root = Path(__file__).resolve().parent.parent
    assert set(_catalogue(load_policy(root / path))[0]) == PROMISE_VERBS[path]
