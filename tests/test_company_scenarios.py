"""A company's own scenarios (policy `scenarios:`), through the real app and the CLI on the two
example policies beside the mall (rubrics/examples/telecom, rubrics/examples/airline): a
message of that business is triaged to the company's scenario, drafted with its kind's
template in the company's name for the problem, promises only that policy's remedies with its
numbers, and passes the review; a broken scenario catalogue stops the policy from loading,
naming the file and the key."""

import json
import os
from pathlib import Path

import pytest
import respx
import yaml
from fastapi.testclient import TestClient

from builtin import PLAYBOOK, model_answer
from service.checker.check import check_reply
from service.drafting.offline import catalogue_remedy
from service.drafting.policy import load_policy
from service.drafting.triage import triage
from service.errors import RubricError
from service.playbook import Playbook
from service.settings import Settings, get_settings
from service.web.app import create_app

os.environ.setdefault("OPENAI_API_KEY", "sk-test-not-a-real-key")
os.environ["DISABLE_AIOHTTP_TRANSPORT"] = "True"  # let respx see litellm's async calls
URL = "https://api.openai.com/v1/chat/completions"

EXAMPLES = Path(__file__).resolve().parent.parent / "rubrics" / "examples"
TELECOM, AIRLINE = EXAMPLES / "telecom" / "policy.yaml", EXAMPLES / "airline" / "policy.yaml"
LANGS = ("zh-Hans", "zh-Hant", "en")

# (policy, message, the company scenario, its kind, a phrase its remedy must hold)
TICKETS = [
    (TELECOM, "家里的宽带断网两天了,一直上不了网", "network_fault", "outage", "8小时内上门检修"),
    (TELECOM, "我家寬頻斷網兩天了,一直上不了網", "network_fault", "outage", "8小時內到府檢修"),
    (TELECOM, "My home internet has been down for two days and there is no signal", "network_fault", "outage",
     "an engineer visits within 8 hours"),
    (TELECOM, "这个月的话费账单多扣了我80元", "billing_error", "billing", "多收的80元会在5天内退回"),
    (TELECOM, "這個月的電信帳單多扣了我80元", "billing_error", "billing", "多收的80元會在5天內退回"),
    (TELECOM, "My phone bill overcharged me $25 this month", "billing_error", "billing",
     "overcharge of $25 goes back to your account or your original payment method within 5 days"),
    (TELECOM, "我的SIM卡突然无法识别,手机显示无服务", "sim_problem", "other", "2小时内为您免费更换新卡"),
    (TELECOM, "我的SIM卡突然無法讀取,手機顯示無服務", "sim_problem", "other", "2小時內為您免費更換新卡"),
    (TELECOM, "My SIM card stopped working, the phone says no SIM", "sim_problem", "other",
     "we replace your SIM free of charge within 2 hours"),
    (TELECOM, "我想携号转网,怎么拿到转网授权码", "number_porting", "other", "3个工作日内为您办理转出"),
    (TELECOM, "我想攜碼轉出,要怎麼拿到轉出授權碼", "number_porting", "other", "3個工作天內為您辦理移轉"),
    (TELECOM, "I want to port my number to another carrier, how do I get the port-out code", "number_porting",
     "other", "within 3 business days"),
    (AIRLINE, "我的航班延误了五个小时,也没人安排", "flight_disruption", "late_or_lost_parcel", "超过2小时的,您可以在登机口服务台领取餐食券"),
    (AIRLINE, "我的航班延誤了五個小時,也沒人安排", "flight_disruption", "late_or_lost_parcel", "超過2小時的,您可以在登機門服務櫃檯領取餐券"),
    (AIRLINE, "My flight was delayed five hours and nobody helped", "flight_disruption", "late_or_lost_parcel",
     "more than 2 hours late, you can collect a meal voucher"),
    (AIRLINE, "我的行李没有到,已经两天了", "baggage", "late_or_lost_parcel", "最高800元"),
    (AIRLINE, "我的行李沒有到,已經兩天了", "baggage", "late_or_lost_parcel", "21天後仍未找到"),
    (AIRLINE, "My checked bag did not arrive on the carousel", "baggage", "late_or_lost_parcel",
     "within 24 hours"),
    (AIRLINE, "我申请的机票退款一直没退", "ticket_refund", "billing", "7个工作日内原路退回"),
    (AIRLINE, "我申請的機票退款一直沒退", "ticket_refund", "billing", "7個工作天內原路退回"),
    (AIRLINE, "My flight was cancelled and I want a refund", "ticket_refund", "billing",
     "within 7 business days"),
]
# words of the mall's catalogue that no telecom or airline draft may hold
MALL = ("包裹", "快递", "退货", "换货", "优惠券", "parcel", "courier", "return the item", "exchange")


def _settings(tmp_path, policy: Path, **kw) -> Settings:
    return Settings(db_path=tmp_path / "t.db", policy_path=policy, **{"model": "", **kw})


@pytest.fixture(scope="module")
def clients(tmp_path_factory):
    out = {}
    for policy in (TELECOM, AIRLINE):
        tmp = tmp_path_factory.mktemp(policy.parent.name)
        c = TestClient(create_app(_settings(tmp, policy)))
        c.__enter__()
        out[policy] = c
    yield out
    for c in out.values():
        c.__exit__(None, None, None)


@pytest.mark.parametrize("policy,message,scenario,kind,promise", TICKETS,
                         ids=[f"{p.parent.name}-{s}-{i}" for i, (p, _, s, _, _) in enumerate(TICKETS)])
def test_a_ticket_of_the_business_gets_the_company_scenario_and_its_remedies(clients, policy, message, scenario,
                                                                              kind, promise):
    r = clients[policy].post("/v1/drafts", json={"message": message, "channel": "email"})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["model"] == "offline"
    assert (d["triage"]["scenario"], d["triage"]["kind"]) == (scenario, kind)
    assert d["triage"]["issues"][0]["scenario"] == scenario and d["triage"]["issues"][0]["kind"] == kind
    p = load_policy(policy)
    own = p.company_scenario(scenario)
    lang = d["lang"]
    # the company's own name for the problem, in the customer's script, and in the subject
    assert own.name(lang) in d["sections"]["apology"] and own.name(lang) in d["subject"]
    # the remedy is the policy's, with its numbers, and nothing of the mall's
    t = triage(message, Playbook.from_settings(_settings(Path("/tmp"), policy)))
    offered = catalogue_remedy(p, p.offline[scenario], t, lang)
    assert d["sections"]["remedy"].startswith(offered) and promise in d["sections"]["remedy"]
    assert not any(w in d["text"] for w in MALL)
    assert d["review"]["passed"] and [f for f in d["review"]["findings"] if f["severity"] == "error"] == []
    assert p.contact.hotline in d["text"] and PLAYBOOK.policy.contact.hotline not in d["text"]


def test_the_cli_drafts_on_an_example_policy(in_process, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("TACTFUL_POLICY_PATH", str(AIRLINE))
    monkeypatch.setenv("TACTFUL_DB_PATH", str(tmp_path / "t.db"))
    get_settings.cache_clear()  # the command reads the settings of this environment
    try:
        code = in_process(["draft", "--message", "My checked bag did not arrive on the carousel", "--json"])
    finally:
        get_settings.cache_clear()
    d = json.loads(capsys.readouterr().out)
    assert code == 0 and d["triage"]["scenario"] == "baggage"
    assert "up to ¥800" in d["sections"]["remedy"] and "21 days" in d["sections"]["remedy"]


@pytest.mark.parametrize("policy", [TELECOM, AIRLINE], ids=["telecom", "airline"])
@pytest.mark.parametrize("lang", LANGS)
def test_every_example_text_passes_the_policy_check_and_asks_nothing_sensitive(policy, lang):
    pb = Playbook.from_settings(_settings(Path("/tmp"), policy))
    p = pb.policy
    for r in p.remedies:
        scenario = next(s for s in (*r.for_, "other") if s != "any")
        t = triage("There is a problem", pb, lang=lang).model_copy(update={"scenario": scenario,
                                                                         "kind": p.kind_of(scenario)})
        text = p.render(r.text(lang), tier=t.severity, facts={})
        found = check_reply(pb, text, lang=lang, triage=t, rendered=[text]).findings
        assert [(f.rule, f.text) for f in found if f.category in (
            "ungrounded", "sensitive_data_request", "over_promise", "vague_promise")] == [], r.id
    for a in p.asks:
        text = p.render(a.text(lang), tier="minor", facts={})
        assert [f.rule for f in check_reply(pb, text, lang=lang).findings
                if f.category == "sensitive_data_request"] == [], a.id


def test_a_company_scenario_never_lowers_a_danger(clients):
    r = clients[TELECOM].post("/v1/drafts", json={"message": "路由器冒烟了,还有烧焦味,宽带也断了"})
    t = r.json()["triage"]
    assert t["scenario"] == "safety_emergency" and t["kind"] == "safety_emergency" and t["safety"]
    assert t["severity"] == "severe" and r.json()["sections"]["emergency"]


def test_the_mall_keeps_the_nine_built_in_scenarios_and_names_a_late_refund():
    for message, scenario in [("快递还没收到", "late_or_lost_parcel"), ("I was charged twice for my order", "billing")]:
        t = triage(message, PLAYBOOK)
        assert (t.scenario, t.kind) == (scenario, scenario)
    # its scenarios of its own: a refund that is late and a fee in dispute are not a charge made
    # in error, and a scam by someone posing as the mall is more than a break-in
    assert [(s.id, s.kind) for s in PLAYBOOK.policy.scenarios] == [("refund_delay", "billing"),
                                                                    ("charge_dispute", "billing"),
                                                                    ("invoice_problem", "billing"),
                                                                    ("account_access", "account_security"),
                                                                    ("scam", "account_security")]
    t = triage("退货寄回去三周了，退款还没到账", PLAYBOOK)
    assert (t.scenario, t.kind) == ("refund_delay", "billing")


@respx.mock
def test_the_model_is_offered_the_company_scenario_remedies(tmp_path):
    settings = _settings(tmp_path, AIRLINE, model="gpt-4o-mini", fallback_models="",
                         model_backoff_s=0.001, model_backoff_cap_s=0.01, model_timeout_s=2)
    words = {"triage": {"issues": ["late_or_lost_parcel"], "severity": "minor", "safety": False, "signals": []},
             "apology": "非常抱歉您的行李还没有到,给您添麻烦了。", "restatement": "您托运的行李还没有送到您手上。",
             "remedies": ["bag_trace", "bag_expenses"], "close": "感谢您的耐心。"}
    route = respx.post(URL).mock(return_value=model_answer(words))
    with TestClient(create_app(settings)) as c:
        d = c.post("/v1/drafts", json={"message": "我的行李没有到,已经两天了"}).json()
    prompt = json.loads(route.calls[0].request.content)["messages"][1]["content"]
    line = next(x for x in prompt.splitlines() if x.startswith("Remedies for this scenario"))
    assert set(line.split(": ", 1)[1].split(", ")) == {"bag_trace", "bag_expenses", "bag_lost", "voucher"}
    assert "baggage (行李延误或遗失" in prompt
    assert d["model"] == "gpt-4o-mini" and d["triage"]["scenario"] == "baggage"  # the model's kind keeps it
    assert "最高800元" in d["sections"]["remedy"] and d["review"]["passed"]


def _broken(tmp_path: Path, change) -> Path:
    data = yaml.safe_load(TELECOM.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    load_policy.cache_clear()
    return path


def _scenario(d, n, **kw):
    d["scenarios"][n].update(kw)


@pytest.mark.parametrize("change,reason", [
    (lambda d: _scenario(d, 0, kind="weather"), r"scenarios\.network_fault: kind: 'weather' is not one of the built-in"),
    (lambda d: _scenario(d, 1, id="network_fault"), r"scenarios\.network_fault: the id is used twice"),
    (lambda d: _scenario(d, 0, id="billing"), r"scenarios\.billing: the id is a built-in scenario's"),
    (lambda d: d["remedies"][0].update({"for": ["roaming"]}), r"remedies\.engineer_visit: unknown scenario 'roaming'"),
    (lambda d: d["offline"].update({"roaming": ["voucher"]}), r"offline: unknown scenario 'roaming'"),
    (lambda d: d["offline_asks"].update({"roaming": ["account_phone"]}), r"offline_asks: unknown scenario 'roaming'"),
    (lambda d: d["offline"].pop("late_or_lost_parcel"), r"offline\.late_or_lost_parcel: a policy without `returns`"),
    (lambda d: d["network"].update({"engineer_visit_hours": "eight"}), r"network\.engineer_visit_hours: a company section"),
    (lambda d: d["scenarios"].append({"id": "break_in", "kind": "account_security", "severity": "minor",
                                      "name": d["scenarios"][0]["name"], "keywords": ["x"]}),
     r"scenarios\.break_in: severity: a account_security scenario is severe"),
])
def test_a_broken_scenario_catalogue_stops_the_policy_loading_naming_file_and_key(tmp_path, change, reason):
    path = _broken(tmp_path, change)
    with pytest.raises(RubricError, match=reason) as e:
        load_policy(path)
    assert str(path) in e.value.message
    load_policy.cache_clear()


def test_a_broken_example_stops_the_app_starting(tmp_path):
    path = _broken(tmp_path, lambda d: _scenario(d, 0, kind="weather"))
    with pytest.raises(RubricError, match="kind"):
        with TestClient(create_app(_settings(tmp_path, path))):
            pass
    load_policy.cache_clear()



@pytest.mark.parametrize("policy,message,topic,remedy", [
    (TELECOM, "下个月去日本出差,手机要怎么开通漫游?", "roaming", "roaming"),
    (TELECOM, "How do I turn off autopay on my account?", "autopay", "autopay"),
    (TELECOM, "服务密码忘了,怎么重置", "password_reset", "service_password"),
    (AIRLINE, "Can I bring a bottle of wine in my carry-on?", "baggage_allowance", "baggage_allowance"),
    (AIRLINE, "網路報到幾點開放?可以先選位嗎", "check_in", "check_in"),
    (AIRLINE, "I'd like to close my frequent flyer account", "close_account", "member_close"),
])
def test_a_question_of_the_business_is_answered_from_its_own_policy(clients, policy, message, topic, remedy):
    """Judges marked 'a complete answer within 24 hours' to a roaming or a baggage question
    unsendable: the company's policy answers it, in its own words and numbers."""
    d = clients[policy].post("/v1/drafts", json={"message": message}).json()
    assert topic in d["triage"]["topics"], d["triage"]
    p = load_policy(policy)
    t = triage(message, Playbook.from_settings(_settings(Path("/tmp"), policy)))
    assert catalogue_remedy(p, [remedy], t, d["lang"]) in d["sections"]["remedy"], d["sections"]["remedy"]
    assert d["review"]["passed"], d["review"]["findings"]
    assert not any(w in d["text"] for w in MALL)


@pytest.mark.parametrize("message,lang,chase", [
    ("订单20261020388退的¥259,退款一直没到账,都半个月了", "zh-Hans", "24小时内为您跟进"),
    ("退款一直沒入帳，已經兩週了", "zh-Hant", "24小時內為您跟進"),
    ("Returned the jacket 3 weeks ago, still no refund.", "en", "follow up with you within 24 hours"),
])
def test_a_late_refund_is_chased_not_reversed_as_a_wrong_charge(client, message, lang, chase):
    """"退款还没到" answered with "多扣的款项会在24小时内原路退回" tells the customer a charge was
    made in error: a late refund gets the mall's own apology and a chase with a time."""
    d = client.post("/v1/drafts", json={"message": message, "lang": lang}).json()
    assert d["triage"]["scenario"] == "refund_delay", d["triage"]
    assert chase in d["text"], d["text"]
    assert "多扣" not in d["text"] and "extra charge" not in d["text"], d["text"]
    assert d["review"]["passed"], d["review"]["findings"]


@pytest.mark.parametrize("message,lang,review", [
    ("洗衣机才用三个月就漏水,叫维修还要收出勤费", "zh-Hans", "24小时内核对这笔费用"),
    ("點解我張單會有『行政費』$50？簽約嗰陣冇人講過", "zh-Hant", "24小時內核對這筆"),
    ("Why is there a £4.99 'service fee' on a £6 order? That wasn't shown until the very last screen", "en",
     "We check this charge within 24 hours"),
])
def test_a_disputed_fee_is_checked_not_refunded_on_the_spot(client, message, lang, review):
    """A fee the customer did not expect may or may not be wrong: "the extra charge goes back
    within 24 hours" promises a refund nobody has agreed to. It is checked within the policy's
    time, and refunded only if it should not have been charged."""
    d = client.post("/v1/drafts", json={"message": message, "lang": lang}).json()
    assert d["triage"]["scenario"] == "charge_dispute", d["triage"]
    assert review in d["text"], d["text"]
    assert "多扣" not in d["text"] and "extra charge" not in d["text"], d["text"]
    assert d["review"]["passed"], d["review"]["findings"]


@pytest.mark.parametrize("message,scenario", [
    ("@AskPlayStation Is there a way to get a psn account unbanned", "account_access"),
    ("I can't log into my account, it says my password is incorrect but it's the one I've used for years", "account_access"),
    ("我的账号被封了,我什么都没做", "account_access"),
    ("账号被盗了,现在登不上,密码错误", "account_security"),  # someone else in it: a break-in
    ("someone hacked my account and now it says my password is incorrect", "account_security"),
])
def test_a_locked_account_is_checked_and_a_break_in_is_frozen(client, message, scenario):
    """"Is there a way to get my account unbanned" got "we can freeze your account" and a
    security investigation: an account locked, banned or refusing a login, with no sign of
    anyone else in it, gets a check of why and how to restore it; a break-in keeps the freeze."""
    d = client.post("/v1/drafts", json={"message": message}).json()
    assert d["triage"]["scenario"] == scenario, d["triage"]
    restore = any(w in d["text"] for w in ("恢复的办法", "how to restore it"))
    assert restore is (scenario == "account_access"), d["text"]
    assert d["review"]["passed"], d["review"]["findings"]


@pytest.mark.parametrize("message", [
    "有人冒充你们客服打电话说要给我退款，让我下载软件操作，结果卡里的钱被转走了",
    "有人扮銀行職員打電話給我，叫我畀驗證碼，我畀咗之後戶口少咗錢",
    "a guy pretending to be you called and I gave him the code, now $900 is gone",
])
def test_money_lost_to_someone_posing_as_us_is_told_to_report_it(client, message):
    """A scam victim given only "we can freeze your account" and a 24-hour follow-up is left
    without the one step that matters now: the police report, with the records kept."""
    d = client.post("/v1/drafts", json={"message": message}).json()
    t = d["triage"]
    assert (t["scenario"], t["kind"], t["severity"]) == ("scam", "account_security", "severe"), t
    assert any(w in d["text"] for w in ("报警", "報警", "report it to the police")), d["text"]
    assert d["review"]["passed"], d["review"]["findings"]


def test_an_invoice_gone_wrong_is_the_malls_invoice_problem_and_a_change_is_a_request(client):
    """"发票抬头开错了，每次都说马上重开" got "多扣的款项会在24小时内原路退回": an invoice is not a
    charge. A wrong or missing invoice is the mall's own scenario, answered with the reissue; a
    change of the invoice's name is a request."""
    bad = client.post("/v1/drafts", json={"message": "发票抬头开错了，找店铺好几次了每次都说马上重开，到现在也没见着"}).json()
    assert (bad["triage"]["scenario"], bad["triage"]["kind"]) == ("invoice_problem", "billing"), bad["triage"]
    assert "7个工作日内为您重开发票" in bad["text"] and "多扣" not in bad["text"], bad["text"]
    change = client.post("/v1/drafts", json={"message": "我要更改发票抬头,上次开成个人了"}).json()
    assert change["triage"]["request"] == "invoice", change["triage"]
