"""The eval suite: scorers, the runner (offline and replayed through litellm + respx), the gate
against a baseline, cassette misses, recording, and the CLI."""

import copy
import json
import os
from pathlib import Path

import httpx
import pytest
import respx
import yaml

from service.eval.baseline import compare, gate, load_results
from service.eval.cases import load_cases
from service.eval.cassettes import OPENAI_URL
from service.eval.config import GateConfig, load_config
from service.eval.runner import run_suite
from service.eval.scorers import SCORERS, chrf
from service.checker.grounding import check as grounding_check
from builtin import PLAYBOOK, review
from service.drafting.triage import triage
from service.cli import main

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / "eval" / "suite.yaml"
SAFETY = "safety-zh-hans-phone-01"
# A good reply to SAFETY, part by part, as a whole text the scorers read
GOOD_REPLY = {
    "apology": "非常抱歉让您和家人遇到电暖器冒烟这样危险的情况,您先拔掉插头做得非常对。",
    "restatement": "跟您确认一下:您订单20261105123中的电暖器通电不到十分钟就冒烟,屋里有烧焦味。",
    "remedy": "请先不要再使用这台电暖器。我们的安全专员会在15分钟内给您回电,确认家人安全并安排上门检查。",
    "close": "之后有任何情况,您都可以直接找我:客服专员林悦,电话400-820-1234,邮箱care@yuexiang.example。",
}
# A good model answer to SAFETY: its words (no numbers, promises or contacts; the ticket's facts
# by slot) and its choices from the policy's catalogue, which the service renders
GOOD_ANSWER = {
    "apology": "非常抱歉让您和家人遇到电暖器冒烟这样危险的情况,您先拔掉插头做得非常对。",
    "restatement": "跟您确认一下:您订单{order_id}中的电暖器通电没多久就冒烟,屋里还有烧焦味。",
    "remedies": ["safety_callback"],
    "asks": [],
    "close": "之后有任何情况,您都可以直接找我。",
}


def as_draft(text: str, case) -> dict:
    """A reply scored the way the runner scores a draft: its review plus the grounding check."""
    policy = PLAYBOOK
    r = review(text, complaint=case.ticket.message, lang=case.ticket.lang)
    t = triage(case.ticket.message, policy, lang=case.ticket.lang, order_id=case.ticket.order_id)
    findings = [f.to_dict() for f in r.findings + grounding_check(text, policy, t, case.ticket.lang,
                                                                  complaint=case.ticket.message)]
    errors = any(f["severity"] == "error" for f in findings)
    return {"text": text, "lang": case.ticket.lang, "sections": {},
            "review": {"score": r.score, "passed": not errors, "sections": r.sections, "findings": findings}}


@pytest.fixture(scope="module")
def cases():
    return {c.id: c for c in load_cases(load_config(SUITE))}


def score(name, text, case):
    return SCORERS[name](case, as_draft(text, case), PLAYBOOK)


# ------------------------------------------------------------------ the golden cases themselves

def test_the_golden_cases_cover_every_scenario_locale_and_channel(cases):
    tags = [c.tags for c in cases.values()]
    assert len(cases) >= 60
    assert {t["scenario"] for t in tags} >= {"outage", "account_security", "defective_or_wrong_item",
                                             "late_or_lost_parcel", "billing", "poor_service",
                                             "safety_emergency", "inquiry", "other"}
    assert {t["locale"] for t in tags} == {"zh-Hans", "zh-Hant", "en"}
    assert {t["channel"] for t in tags} == {"chat", "email", "social", "phone"}
    assert {t["adversarial"] for t in tags} >= {"injection", "unauthorized_amount", "personal_data"}


def test_every_golden_reply_passes_the_deterministic_scorers(cases):
    """The golden replies are what a great agent sends: if one fails a scorer, either the case
    or the scorer is wrong."""
    failures = []
    for case in cases.values():
        draft = as_draft(case.golden.strip(), case)
        for name in ("rubric", "facts", "language", "concreteness"):
            s = SCORERS[name](case, draft, PLAYBOOK)
            if not s.passed:
                failures.append((case.id, name, s.reason))
    assert failures == []


# ------------------------------------------------------------------ scorers

def test_chrf_is_one_for_identical_text_zero_for_disjoint_and_orders_closeness():
    ref = "您的订单20261105123已为您补发,24小时内发出"
    assert chrf(ref, ref) == pytest.approx(1.0)
    assert chrf("abcdef", "uvwxyz") == 0.0
    assert chrf(ref.replace(" ", ""), " ".join(ref)) == pytest.approx(1.0)  # whitespace is ignored
    close = "您的订单20261105123已补发,24小时内发出"
    far = "我们会跟进您的问题"
    assert 0 < chrf(far, ref) < chrf(close, ref) < 1


def test_chrf_weights_recall_over_precision():
    ref = "退款3个工作日内原路退回"
    short = "退款3个工作日"  # precise but incomplete
    long_ = "退款3个工作日内原路退回到您的银行卡账户里面"  # complete, with extra words
    assert chrf(long_, ref) > chrf(short, ref)


def test_facts_needs_every_fact_and_no_forbidden_string_across_scripts(cases):
    case = cases["safety-zh-hant-email-01"]
    good = score("facts", case.golden, case)
    assert good.passed and good.score == 1.0
    dropped = score("facts", case.golden.replace(case.facts[0], "X"), case)
    assert not dropped.passed and case.facts[0] in dropped.reason
    said = score("facts", case.golden + case.must_not[0], case)
    assert not said.passed and "must not" in said.reason


def test_language_fails_an_english_reply_to_a_chinese_ticket(cases):
    case = cases[SAFETY]
    s = score("language", "We're sorry. Your order 20261105123 is being checked. Call 400-820-1234.", case)
    assert not s.passed and "en" in s.reason and "zh-Hans" in s.reason
    assert score("language", case.golden, case).passed


def test_structure_notices_a_missing_apology(cases):
    case = cases[SAFETY]
    text = "".join(GOOD_REPLY[k] for k in ("restatement", "remedy", "close"))
    s = score("structure", text, case)
    assert not s.passed and "apology" in s.reason
    assert score("structure", "".join(GOOD_REPLY.values()), case).passed


def test_concreteness_wants_a_policy_time_in_the_remedy(cases):
    case = cases[SAFETY]
    good = "".join(GOOD_REPLY.values())
    assert score("concreteness", good, case).passed
    vague = good.replace("会在15分钟内给您回电", "会给您回电")
    assert not score("concreteness", vague, case).passed
    invented = good.replace("15分钟内", "5分钟内")
    s = score("concreteness", invented, case)
    assert not s.passed and "5分钟" in s.reason


def test_rubric_fails_on_an_error_finding(cases):
    case = cases[SAFETY]
    s = score("rubric", "".join(GOOD_REPLY.values()).replace("我们的安全专员会在15分钟内", "我们保证绝对"), case)
    assert not s.passed and "over_promise" in s.reason


# ------------------------------------------------------------------ the real-style scorers

REAL_NEW = ("honesty", "no_quoted_insults", "asks", "restatement")


def with_triage(draft: dict, scenario: str, *others: str) -> dict:
    return draft | {"triage": {"scenario": scenario, "severity": "medium",
                               "issues": [{"scenario": s} for s in (scenario, *others)]}}


def test_the_real_style_cases_are_there_and_their_golden_replies_pass_the_new_scorers(cases):
    real = [c for c in cases.values() if c.tags.get("register") == "real"]
    assert len(real) >= 24
    assert {c.ticket.lang for c in real} == {"zh-Hans", "zh-Hant", "en"}
    assert sum(len(c.scenarios) > 1 for c in real) >= 3
    failures = []
    for case in real:
        draft = as_draft(case.golden.strip(), case)
        for name in REAL_NEW:
            s = SCORERS[name](case, draft, PLAYBOOK)
            if not s.passed:
                failures.append((case.id, name, s.reason))
    assert failures == []


def test_the_new_scorers_skip_a_case_without_their_fields(cases):
    case = cases[SAFETY]
    draft = with_triage(as_draft(case.golden, case), "safety_emergency")
    for name in ("scenario", "asks", "restatement"):
        s = SCORERS[name](case, draft, PLAYBOOK)
        assert s.passed and s.score == 1.0 and s.reason.startswith("not set")


def test_scenario_wants_every_issue_and_the_primary_first(cases):
    case = cases["real-zh-hans-chat-04"]  # billing, then a parcel not shipped
    draft = as_draft(case.golden, case)
    assert SCORERS["scenario"](case, with_triage(draft, "billing", "late_or_lost_parcel"), PLAYBOOK).passed
    one = SCORERS["scenario"](case, with_triage(draft, "billing"), PLAYBOOK)
    assert not one.passed and one.score == 0.5 and "missed: late_or_lost_parcel" in one.reason
    swapped = SCORERS["scenario"](case, with_triage(draft, "late_or_lost_parcel", "billing"), PLAYBOOK)
    assert not swapped.passed and "primary late_or_lost_parcel" in swapped.reason


def test_honesty_fails_a_claimed_check_or_action_in_either_script_and_english(cases):
    for cid, claim in (("real-zh-hans-chat-09", "我已核实,"), ("real-zh-hant-chat-01", "我已為您查詢過,"),
                       ("real-en-chat-08", "I've checked your order and ")):
        case = cases[cid]
        assert score("honesty", case.golden, case).passed
        bad = score("honesty", claim + case.golden, case)
        assert not bad.passed and bad.score == 0.0 and "claims what did not happen" in bad.reason
    case = cases["real-en-social-04"]
    s = score("honesty", case.golden + " We have refunded your last order.", case)
    assert not s.passed and "we have refunded" in s.reason


def test_no_quoted_insults_fails_an_insult_or_a_handle_of_the_message(cases):
    case = cases["real-en-social-02"]
    assert score("no_quoted_insults", case.golden, case).passed
    s = score("no_quoted_insults", case.golden.replace("your headphones", "your damn headphones", 1), case)
    assert not s.passed and "damn" in s.reason
    s = score("no_quoted_insults", "@YuexiangMall " + case.golden, case)
    assert not s.passed and "@YuexiangMall" in s.reason
    yo = cases["real-en-chat-08"]  # "yo" is a word, not the start of "you"
    assert "you" in yo.golden and score("no_quoted_insults", yo.golden, yo).passed
    hant = cases["real-zh-hant-chat-02"]  # folded and compared across scripts
    assert not score("no_quoted_insults", hant.golden.replace("您好,", "您好,超傻眼,"), hant).passed


def test_asks_wants_each_missing_fact_and_none_the_ticket_gives(cases):
    case = cases["real-zh-hans-chat-05"]  # no order number, no photo
    assert score("asks", case.golden, case).passed
    dropped = score("asks", case.golden.replace("方便拍一张故障部位的照片发给我们吗?", ""), case)
    assert not dropped.passed and dropped.score == 0.5 and "photo" in dropped.reason
    case = cases["real-en-chat-08"]  # the order number and a photo are given
    assert score("asks", case.golden, case).passed
    again = score("asks", case.golden + " Could you send us a photo of the fault?", case)
    assert not again.passed and "asks again" in again.reason and "photo" in again.reason
    worded = score("asks", case.golden + " Can you tell us the order number please?", case)  # not the policy's words
    assert not worded.passed and "order_id" in worded.reason


def test_restatement_carries_the_problem_and_no_insult_or_placeholder(cases):
    case = cases["real-zh-hans-chat-03"]
    good = as_draft(case.golden, case) | {"sections": {"restatement": "我了解到:您的电动牙刷充不进电。"}}
    assert SCORERS["restatement"](case, good, PLAYBOOK).passed
    rude = good | {"sections": {"restatement": "我了解到:您说“什么破玩意儿”,电动牙刷充不进电。"}}
    s = SCORERS["restatement"](case, rude, PLAYBOOK)
    assert not s.passed and "破玩意儿" in s.reason
    vague = good | {"sections": {"restatement": "我了解到:您反映的情况出现了问题。"}}
    s = SCORERS["restatement"](case, vague, PLAYBOOK)
    assert not s.passed and "names none of" in s.reason
    case = cases["real-zh-hans-chat-01"]
    held = as_draft(case.golden, case) | {"sections": {"restatement": "我了解到:您于[日期x]购买的空气炸锅还没到。"}}
    s = SCORERS["restatement"](case, held, PLAYBOOK)
    assert not s.passed and "[日期x]" in s.reason
    # a reply read back (no sections): the restatement is found by the review
    assert SCORERS["restatement"](case, as_draft(case.golden, case), PLAYBOOK).passed


def test_a_case_naming_an_insult_its_message_lacks_or_an_unknown_scenario_is_refused(tmp_path):
    from service.errors import InputError

    base = {"id": "x", "ticket": {"message": "垃圾 耳机坏了", "lang": "zh-Hans"}, "golden": "抱歉。"}
    for extra, said in (({"insults": ["傻"]}, "insults not in the message"),
                        ({"scenarios": ["refund"]}, "scenarios"), ({"asks": ["photo"], "asks_not": ["photo"]}, "both")):
        (tmp_path / "cases.yaml").write_text(yaml.safe_dump([base | extra], allow_unicode=True), encoding="utf-8")
        (tmp_path / "suite.yaml").write_text("cases: [cases.yaml]\nscorers: {language: {}}\n", encoding="utf-8")
        with pytest.raises(InputError, match=said):
            load_cases(load_config(tmp_path / "suite.yaml"))


# ------------------------------------------------------------------ running offline

@pytest.fixture(scope="module")
def offline_run():
    return run_suite(load_config(SUITE, model="offline"))


def test_an_offline_run_scores_every_case_and_records_what_made_it(offline_run):
    run = offline_run
    assert run["format"] == "tactful-eval/1" and run["model"] == "offline"
    assert run["config"]["hash"].startswith("sha256:") and run["rubric_version"]
    assert "system.j2" in run["prompt_hashes"] and "offline/zh-Hans/parts.j2" in run["prompt_hashes"]
    assert run["stats"]["cases"] == len(run["results"]) >= 60 and run["stats"]["errors"] == 0
    assert set(run["stats"]["scorers"]) == {"structure", "rubric", "facts", "concreteness", "similarity", "language",
                                            "scenario", "honesty", "no_quoted_insults", "asks", "restatement"}
    assert set(run["stats"]["tags"]) >= {"scenario", "locale", "channel", "severity"}
    one = next(r for r in run["results"] if r["id"] == SAFETY)
    assert set(one["scores"]) == set(run["stats"]["scorers"])
    assert one["draft"]["text"].startswith("如有人受伤")  # the emergency line leads
    assert one["draft"]["lang"] == "zh-Hans" and 0 < one["score"] <= 1
    # every failing case says why
    assert all(r["error"] or any(not s["pass"] for s in r["scores"].values())
               for r in run["results"] if not r["passed"])


def test_results_never_hold_the_customers_personal_data(offline_run, cases):
    pii = [c for c in cases.values() if c.tags.get("adversarial") == "personal_data"]
    stored = json.dumps([r for r in offline_run["results"] if r["id"] in {c.id for c in pii}], ensure_ascii=False)
    assert "[PHONE" in stored or "[ID" in stored or "[CARD" in stored
    import re

    for c in pii:
        for number in re.findall(r"\d{11,19}", c.ticket.message):
            if number != c.ticket.order_id:
                assert number not in stored, (c.id, number)


def test_the_committed_offline_baseline_matches_the_offline_drafter(offline_run):
    """The CI gate: the offline drafter against eval/baseline.json."""
    baseline = load_results(ROOT / "eval" / "baseline.json")
    verdict = gate(offline_run, baseline, load_config(SUITE).gate)
    assert not verdict.failed, verdict.regressions


def test_the_gate_fails_on_a_case_that_stopped_passing_and_on_an_aggregate_drop(offline_run):
    config_gate = GateConfig(tolerance=0.02)
    worse = copy.deepcopy(offline_run)
    victim = next(r for r in worse["results"] if r["passed"])
    victim["passed"] = False
    victim["scores"]["facts"] = {"pass": False, "score": 0.5, "reason": "missing: 20261105123"}
    v = gate(worse, offline_run, config_gate)
    assert v.failed and any(victim["id"] in line and "missing: 20261105123" in line for line in v.regressions)

    worse = copy.deepcopy(offline_run)
    worse["stats"]["scorers"]["similarity"]["mean"] -= 0.05
    v = gate(worse, offline_run, config_gate)
    assert v.failed and any(line.startswith("similarity.mean dropped") for line in v.regressions)

    better = copy.deepcopy(offline_run)
    better["stats"]["score"] += 0.01  # within tolerance: neither better nor worse
    v = gate(better, offline_run, config_gate)
    assert not v.failed and v.improvements == []
    assert gate(offline_run, offline_run, GateConfig(min_score=0.99)).failed  # the floor holds without a baseline


def test_compare_lists_the_cases_that_changed(offline_run):
    other = copy.deepcopy(offline_run)
    changed = next(r for r in other["results"] if r["passed"])
    changed["passed"], changed["score"] = False, 0.1
    cmp = compare(offline_run, other)
    assert [c["id"] for c in cmp["cases"]] == [changed["id"]]
    assert cmp["cases"][0]["what"].startswith("now fails")
    assert ("score", offline_run["stats"]["score"], other["stats"]["score"]) in cmp["aggregates"]


# ------------------------------------------------------------------ replaying through litellm

def test_mock_replays_the_good_cassettes_through_litellm_and_matches_its_baseline():
    run = run_suite(load_config(SUITE, model="mock"))
    assert run["model"] == "mock" and run["cassettes"] == "cassettes/good"
    assert run["stats"]["errors"] == 0, [r["error"] for r in run["results"] if r["error"]]
    assert run["stats"]["usage"]["model_calls"] >= run["stats"]["cases"]  # every draft came from the model
    assert all(r["draft"]["model"] == "openai/gpt-4o-mini" for r in run["results"])
    baseline = load_results(ROOT / "eval" / "baseline-mock.json")
    verdict = gate(run, baseline, load_config(SUITE).gate)
    assert not verdict.failed, verdict.regressions


def test_the_suite_fails_on_the_bad_cassettes():
    """An eval that cannot fail is worthless: deliberately bad model answers must fail it."""
    config = load_config(SUITE, model="mock", cassettes="cassettes/bad")
    bad_ids = sorted(p.stem for p in (ROOT / "eval" / "cassettes" / "bad").glob("*.json"))
    config.include = {"id": bad_ids}
    run = run_suite(config)
    assert run["stats"]["errors"] == 0  # they fail on their content, not on a replay problem
    assert [r["id"] for r in run["results"] if r["passed"]] == []
    failed_scorers = {n for r in run["results"] for n, s in r["scores"].items() if not s["pass"]}
    assert failed_scorers >= {"rubric", "facts", "language", "structure"}
    baseline = load_results(ROOT / "eval" / "baseline-mock.json")
    verdict = gate(run, baseline, config.gate)
    assert verdict.failed
    # every bad case whose good recording passes in the baseline is named as a regression
    passed_before = {r["id"] for r in baseline["results"] if r["passed"]}
    regressed = {line.split()[1] for line in verdict.regressions if line.startswith("case ")}
    assert regressed == set(bad_ids) & passed_before


def write_cassette(folder: Path, case: str, *answers: tuple[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{case}.json").write_text(json.dumps({"case": case, "interactions": [
        {"kind": kind, "response": {"status": 200, "content": content, "prompt_tokens": 900,
                                    "completion_tokens": 200}} for kind, content in answers]},
        ensure_ascii=False), encoding="utf-8")


def one_case(tmp_path, cassettes: Path, case: str = SAFETY):
    config = load_config(SUITE, model="mock", cassettes=str(cassettes))
    config.include = {"id": [case]}
    return run_suite(config)["results"][0]


def test_a_call_the_recording_lacks_is_an_error_not_a_silent_fallback(tmp_path):
    bad = dict(GOOD_ANSWER, close="我们保证一定全额赔偿您的所有损失。")  # a promise in its words: a repair call follows
    write_cassette(tmp_path / "c", SAFETY, ("draft", json.dumps(bad, ensure_ascii=False)))
    result = one_case(tmp_path, tmp_path / "c")
    assert not result["passed"] and "call 2 (repair) is not in the recording" in result["error"]


def test_a_malformed_answer_is_asked_for_again_and_the_retry_replayed(tmp_path):
    write_cassette(tmp_path / "c", SAFETY, ("draft", "Sure! Here is the reply you asked for."),
                   ("retry", json.dumps(GOOD_ANSWER, ensure_ascii=False)))
    result = one_case(tmp_path, tmp_path / "c")
    assert result["error"] is None and result["passed"], result["scores"]
    assert result["usage"]["model_calls"] == 2


def test_a_missing_cassette_is_reported_by_case(tmp_path):
    write_cassette(tmp_path / "c", "some-other-case", ("draft", "{}"))
    result = one_case(tmp_path, tmp_path / "c")
    assert result["error"] and f"no cassette for case '{SAFETY}'" in result["error"]


def test_recording_a_real_model_writes_cassettes_that_replay_to_the_same_draft(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("DISABLE_AIOHTTP_TRANSPORT", "True")
    body = {"id": "x", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": json.dumps(GOOD_ANSWER, ensure_ascii=False)}}],
            "usage": {"prompt_tokens": 900, "completion_tokens": 200, "total_tokens": 1100}}
    config = load_config(SUITE, model="gpt-4o-mini")
    config.include = {"id": [SAFETY]}
    from service.drafting.models import litellm_module

    litellm_module().disable_aiohttp_transport = True
    with respx.mock(assert_all_mocked=True) as router:
        route = router.post(OPENAI_URL).mock(return_value=httpx.Response(200, json=body))
        recorded = run_suite(config, record=tmp_path / "rec")
    assert route.call_count == 1
    cassette = json.loads((tmp_path / "rec" / f"{SAFETY}.json").read_text(encoding="utf-8"))
    assert cassette["interactions"][0]["kind"] == "draft"
    replayed = one_case(tmp_path, tmp_path / "rec")
    assert replayed["draft"]["text"] == recorded["results"][0]["draft"]["text"]
    assert replayed["passed"]


def test_the_judge_scorer_grades_through_the_model_layer(tmp_path, monkeypatch, settings):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    from service import store
    from service.drafting.models import litellm_module

    store.migrate(settings.db_path)
    litellm_module().disable_aiohttp_transport = True
    config = load_config(SUITE, model="offline")
    config.include = {"id": [SAFETY]}
    config.scorers["judge"].enabled, config.scorers["judge"].model = True, "gpt-4o-mini"
    grade = {"empathy": 5, "remedy_fit": 4, "tone": 5, "score": 45, "reason": "the remedy is thin"}
    body = {"id": "x", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": json.dumps(grade)}}],
            "usage": {"prompt_tokens": 400, "completion_tokens": 50, "total_tokens": 450}}
    with respx.mock(assert_all_mocked=True) as router:
        router.post(OPENAI_URL).mock(return_value=httpx.Response(200, json=body))
        run = run_suite(config, settings)
    judged = run["results"][0]["scores"]["judge"]
    assert judged == {"pass": False, "score": 0.45, "reason": "empathy 5/5, remedy fit 4/5, tone 5/5: the remedy is thin"}
    assert not run["results"][0]["passed"]  # under the judge's threshold of 0.6


# ------------------------------------------------------------------ config and the CLI

def test_a_bad_config_or_case_file_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "suite.yaml"
    bad.write_text("cases: [cases.yaml]\nscorers: {tone: {weight: 1}}\n", encoding="utf-8")
    assert main(["eval", "run", "--config", str(bad), "--no-progress"]) == 2
    assert "unknown scorer" in capsys.readouterr().err
    (tmp_path / "cases.yaml").write_text(yaml.safe_dump([{"id": "a", "ticket": {"message": "x", "lang": "en"}}]),
                                         encoding="utf-8")
    bad.write_text("cases: [cases.yaml]\nscorers: {language: {}}\n", encoding="utf-8")
    assert main(["eval", "run", "--config", str(bad), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "a: golden" in err and "cases.yaml" in err


def test_eval_run_writes_json_and_html_and_gates_on_a_baseline(tmp_path, capsys, offline_run):
    out = tmp_path / "results"
    args = ["eval", "run", "--config", str(SUITE), "--include", "locale=en", "--include", "scenario=billing",
            "--out", str(out), "--no-progress"]
    assert main(args + ["--write-baseline", str(tmp_path / "base.json")]) == 0
    (json_file,) = out.glob("*.json")
    (html_file,) = out.glob("*.html")
    run = json.loads(json_file.read_text(encoding="utf-8"))
    assert {r["tags"]["locale"] for r in run["results"]} == {"en"}
    assert "<!DOCTYPE html>" in html_file.read_text(encoding="utf-8")
    printed = capsys.readouterr().out
    assert "By scorer" in printed and "By tag" in printed

    base = json.loads((tmp_path / "base.json").read_text(encoding="utf-8"))
    assert main(args + ["--baseline", str(tmp_path / "base.json")]) == 0
    # a baseline in which a failing case passed: the run must fail and say which case
    failing = [r for r in run["results"] if not r["passed"]]
    target = failing[0] if failing else None
    if target is None:  # every case passes: raise the bar on the aggregate instead
        base["stats"]["score"] = min(1.0, base["stats"]["score"] + 0.1)
    else:
        next(r for r in base["results"] if r["id"] == target["id"])["passed"] = True
    (tmp_path / "base.json").write_text(json.dumps(base, ensure_ascii=False), encoding="utf-8")
    capsys.readouterr()
    assert main(args + ["--baseline", str(tmp_path / "base.json")]) == 1
    printed = capsys.readouterr().out
    assert "REGRESSION" in printed and (target is None or target["id"] in printed)

    assert main(["eval", "compare", str(ROOT / "eval" / "baseline.json"), str(json_file)]) == 0
    assert "Aggregates" in capsys.readouterr().out


def test_eval_does_not_import_litellm_offline(tmp_path):
    import subprocess
    import sys

    code = ("import sys; from service.cli import main; "
            "rc = main(['eval', 'run', '--include', 'id=" + SAFETY + "', '--out', sys.argv[1], '--no-progress']); "
            "print('litellm' in sys.modules, rc)")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                         env=dict(os.environ, TACTFUL_MODEL=""))
    assert out.stdout.strip().splitlines()[-1] == "False 0", out.stderr
