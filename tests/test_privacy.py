"""After drafts (model and offline), feedback, reviews and a batch job, all carrying personal
data, none of the raw values is in the SQLite files (database, WAL, shared memory), the logs,
or left on disk in uploads."""

import logging
import os
import time

import httpx
import respx
from fastapi.testclient import TestClient

from service.web.app import create_app
from service.privacy.masking import luhn_ok
from service.settings import Settings
from builtin import model_answer

os.environ.setdefault("OPENAI_API_KEY", "sk-test-not-a-real-key")
os.environ["DISABLE_AIOHTTP_TRANSPORT"] = "True"


def luhn_card(prefix: str = "622202123456789") -> str:
    return next(prefix + str(d) for d in range(10) if luhn_ok(prefix + str(d)))


PHONE, PHONE_SPACED = "13812345678", "+86 139 8765 4321"
ID_NUMBER = "11010519491231002X"  # a valid mainland checksum
CARD = luhn_card()
EMAIL = "zhang.wei.88@example.com"
PASSPORT = "E12345678"
RAW = [PHONE, "13987654321", ID_NUMBER, CARD, EMAIL, PASSPORT]
ORDER = "20261103886"

MESSAGE = (f"我买的蓝牙耳机左耳没有声音,订单{ORDER}。我的手机{PHONE},备用 {PHONE_SPACED},"
           f"身份证{ID_NUMBER},退款到卡号{CARD},邮箱{EMAIL},护照{PASSPORT}。")
# A model that answers well, and a careless one that repeats the customer's data back
CLEAN = {"apology": "非常抱歉您的蓝牙耳机左耳没有声音,给您添麻烦了。", "restatement": "您订单{order_id}中的耳机有问题。",
         "remedies": ["exchange_defect"], "close": "感谢您的耐心,有任何问题随时找我。"}
ECHO = {"apology": "非常抱歉您的蓝牙耳机左耳没有声音,给您添麻烦了。",
        "restatement": f"我已核实:您订单{ORDER}中的耳机有问题,您的手机{PHONE},邮箱{EMAIL}。",
        "remedies": ["exchange_defect"],
        "close": "感谢您的耐心,有任何问题随时找我。"}


def completion(content: dict) -> httpx.Response:
    return model_answer(content, prompt_tokens=100, completion_tokens=50)


@respx.mock
def test_no_raw_personal_data_reaches_the_database_the_logs_or_the_disk(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    respx.post("https://api.openai.com/v1/chat/completions").mock(
        side_effect=[completion(CLEAN)] + [completion(ECHO), httpx.Response(503, json={"error": {"message": "down"}})] * 20)
    settings = Settings(db_path=tmp_path / "t.db", data_dir=tmp_path / "data", model="gpt-4o-mini",
                        model_retries=1, model_backoff_s=0.001, model_backoff_cap_s=0.01)
    thread = [{"role": "customer", "text": f"上次留的电话是{PHONE},卡号{CARD}"}]
    with TestClient(create_app(settings)) as c:
        drafts = [c.post("/v1/drafts", json={"message": MESSAGE, "order_id": ORDER, "thread": thread,
                                             "channel": ch}).json() for ch in ("chat", "email")]
        # the model path, and the careless answer replaced by the offline draft (its repair found no model)
        assert [d["model"] for d in drafts] == ["gpt-4o-mini", "offline"] and drafts[1]["fallback"]
        fb = c.post(f"/v1/drafts/{drafts[0]['id']}/feedback",
                    json={"action": "edited", "final_text": f"已回电{PHONE},邮件{EMAIL}", "agent": "li"})
        assert fb.status_code == 200
        assert c.post("/v1/reviews", json={"reply": f"请把身份证号{ID_NUMBER}和卡号发给我", "complaint": MESSAGE}).status_code == 200
        assert c.post("/v1/reviews/batch", json={"items": [{"reply": f"您的手机{PHONE}已登记"}]}).status_code == 200
        rows = ["id,agent,channel,reply,complaint"] + [
            f'r{i},agent{i % 3},chat,"您好,已记录您的手机{PHONE}和邮箱{EMAIL},卡号{CARD}","{MESSAGE}"' for i in range(30)]
        job = c.post("/v1/batches", files={"file": ("export.csv", "\n".join(rows).encode("utf-8"), "text/csv")}).json()
        for _ in range(300):
            state = c.get(f"/v1/batches/{job['id']}").json()["state"]
            if state == "done":
                break
            time.sleep(0.05)
        assert state == "done"
        results = c.get(f"/v1/batches/{job['id']}/results").text
        report = c.get(f"/v1/batches/{job['id']}/report?format=html").text
        stored = [c.get(f"/v1/drafts/{d['id']}").text for d in drafts]

    sent = b"".join(call.request.content for call in respx.calls)  # every model request, repairs too
    assert respx.calls.call_count >= 3
    on_disk = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    assert list((tmp_path / "data" / "uploads").glob("*")) == []  # the raw upload is gone once done
    for value in RAW:
        assert value.encode("utf-8") not in sent, value  # the model input, the triage's facts included
        assert value.encode("utf-8") not in on_disk, value
        assert value not in caplog.text, value
        for served in (results, report, *stored):
            assert value not in served, value
    assert ORDER.encode() in on_disk  # the order number is kept: it is not personal data
    assert "[PHONE" in stored[0] and "[EMAIL" in stored[0]
