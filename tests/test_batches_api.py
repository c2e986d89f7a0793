"""Batch jobs over HTTP: upload, progress, results in order, report, cancel, resume."""

import json
import time

import pytest
from fastapi.testclient import TestClient

from service.batch import jobs
from service.web.app import create_app
from service.settings import Settings


@pytest.fixture
def settings(tmp_path):
    return Settings(db_path=tmp_path / "t.db", data_dir=tmp_path, model="")


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings)) as c:
        yield c


def csv_export(n: int, encoding="utf-8") -> bytes:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["id", "reply", "agent", "channel", "created_at"])
    for i in range(n):
        reply = ["我们会尽快处理", "不知道", "非常抱歉,您11月3日的订单20261103886已补发,今天18点前发出。"
                 "如有问题请联系我,电话400-820-1234。"][i % 3]
        w.writerow([i, reply, ["li", "wang"][i % 2], ["chat", "email"][i % 2], f"2026-11-{1 + i % 20:02d}"])
    return buf.getvalue().encode(encoding)


def wait(client, job_id, states=("done", "failed", "cancelled"), timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        job = client.get(f"/v1/batches/{job_id}").json()
        if job["state"] in states:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job still {job['state']}")


def results(client, job_id):
    return [json.loads(l) for l in client.get(f"/v1/batches/{job_id}/results").text.splitlines()]


def test_upload_score_and_fetch_results_in_order(client):
    r = client.post("/v1/batches", files={"file": ("export.csv", csv_export(1200), "text/csv")})
    assert r.status_code == 202 and r.json()["state"] in ("queued", "running")
    job = wait(client, r.json()["id"])
    assert job["state"] == "done" and job["rows_done"] == 1200 and job["rows_per_s"] > 0
    rows = results(client, job["id"])
    assert [row["id"] for row in rows] == [str(i) for i in range(1200)]
    assert [row["line"] for row in rows] == list(range(2, 1202))
    assert rows[1]["findings"][0]["category"] == "negative_wording"
    assert rows[2]["passed"] is True and rows[0]["agent"] == "li"
    csv_text = client.get(f"/v1/batches/{job['id']}/results?format=csv").text.splitlines()
    assert csv_text[0].startswith("line,id,agent") and len(csv_text) == 1201


def test_gbk_export_is_detected(client):
    job = client.post("/v1/batches", files={"file": ("gbk.csv", csv_export(30, "gbk"), "text/csv")}).json()
    assert job["encoding"] == "gb18030"
    job = wait(client, job["id"])
    assert job["errors"] == 0 and results(client, job["id"])[0]["findings"][0]["text"] == "尽快"


def test_raw_jsonl_body_with_bad_rows_and_duplicates(client):
    body = (json.dumps({"id": "a", "reply": "稍后联系您"}, ensure_ascii=False) + "\n"
            + '{"id": "b", "reply": \n'
            + json.dumps({"id": "a", "reply": "I don't know"}) + "\n"
            + json.dumps({"id": "c"}) + "\n").encode()
    job = client.post("/v1/batches?filename=export.jsonl", content=body,
                      headers={"content-type": "application/x-ndjson"}).json()
    job = wait(client, job["id"])
    rows = results(client, job["id"])
    assert [r["line"] for r in rows] == [1, 2, 3, 4]
    assert "not valid JSON" in rows[1]["error"] and "no 'reply'" in rows[3]["error"]
    assert rows[2]["duplicate"] is True and "duplicate" not in rows[0]
    assert job["errors"] == 2


@pytest.mark.parametrize("files,message", [
    ({"file": ("e.csv", b"", "text/csv")}, "empty"),
    ({"file": ("e.csv", b"id,text\n1,hi\n", "text/csv")}, "no 'reply' column"),
    ({"other": ("e.csv", b"id,reply\n1,hi\n", "text/csv")}, "`file` field"),
])
def test_unusable_uploads_are_refused(client, files, message):
    r = client.post("/v1/batches", files=files)
    assert r.status_code == 422 and message in r.json()["error"]["message"]


def test_an_upload_over_the_limit_is_413_before_it_is_read(tmp_path):
    s = Settings(db_path=tmp_path / "t.db", data_dir=tmp_path, max_upload_bytes=1000)
    with TestClient(create_app(s)) as c:
        r = c.post("/v1/batches", files={"file": ("big.csv", b"id,reply\n" + b"1,x\n" * 1000, "text/csv")})
        assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
        huge = c.post("/v1/batches?filename=x.csv", content=b"id,reply\n",
                      headers={"content-length": str(2 * 1024 ** 3)})
        assert huge.status_code == 413


def test_report_json_with_agents_worst_first_and_weekly_trend(client):
    job = client.post("/v1/batches", files={"file": ("export.csv", csv_export(300), "text/csv")}).json()
    wait(client, job["id"])
    report = client.get(f"/v1/batches/{job['id']}/report").json()
    assert report["overall"]["rows"] == 300
    assert report["overall"]["per_100"]["vague_promise"] == pytest.approx(100 / 3, abs=0.5)
    assert {p["text"] for p in report["overall"]["top_phrases"]} >= {"尽快", "不知道"}
    assert [a["agent"] for a in report["by_agent"]] == sorted(
        [a["agent"] for a in report["by_agent"]], key=lambda a: [x["pass_rate"] for x in report["by_agent"] if x["agent"] == a])
    assert 1 <= len(report["by_agent"][0]["examples"]) <= 3
    assert len(report["weekly"]) >= 2 and {c["id"] for c in report["categories"]} >= {"vague_promise"}


def test_cancel_and_list(client, settings):
    job = client.post("/v1/batches", files={"file": ("export.csv", csv_export(20000), "text/csv")}).json()
    r = client.delete(f"/v1/batches/{job['id']}")
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    time.sleep(0.3)
    after = client.get(f"/v1/batches/{job['id']}").json()
    assert after["state"] == "cancelled" and after["rows_done"] < 20000
    assert client.delete(f"/v1/batches/{job['id']}").status_code == 409
    assert client.get("/v1/batches").json()[0]["id"] == job["id"]
    assert client.get("/v1/batches/nope").status_code == 404


def test_a_job_stopped_midway_resumes_with_no_row_lost_or_counted_twice(settings, tmp_path):
    from service import store

    store.migrate(settings.db_path)
    upload = tmp_path / "u.csv"
    upload.write_bytes(csv_export(2000))
    job = jobs.create_job(settings, upload, "export.csv")

    class Killed(jobs.JobRunner):  # stops the process after two chunks, as a kill would
        commits = 0

        def _commit(self, job_id, chunk, *args):
            ok = super()._commit(job_id, chunk, *args)
            Killed.commits += 1
            if Killed.commits == 2:
                self.stopping.set()
            return ok

    Killed(settings).run(job["id"])
    half = jobs.job_status(settings, job["id"])
    assert half["state"] == "running" and 0 < half["rows_done"] < 2000

    with TestClient(create_app(settings)) as c:  # a restarted service picks the job up
        done = wait(c, job["id"])
        rows = results(c, job["id"])
    assert done["state"] == "done" and done["rows_done"] == 2000
    assert [r["id"] for r in rows] == [str(i) for i in range(2000)]
