"""`tactful serve --workers N`: several processes share one database. Jobs run in exactly one
process at a time (the holder of the job lock), and a key's request limit holds across all."""

import json
import time

import httpx
import pytest

from service.batch import jobs
from service import store
from service.web.auth import Key, Limiter
from service.errors import RateLimited
from service.settings import Settings
from tests.servers import Service
from tests.test_batches_api import csv_export


@pytest.fixture
def settings(tmp_path):
    s = Settings(db_path=tmp_path / "t.db", data_dir=tmp_path, model="")
    store.migrate(s.db_path)
    return s


def _wait(predicate, timeout_s=20.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_one_runner_leads_and_a_standby_takes_over_when_it_stops(settings, tmp_path):
    leader, standby = jobs.JobRunner(settings), jobs.JobRunner(settings)
    leader.start()
    standby.start()
    try:
        assert leader.leading and not standby.leading
        upload = tmp_path / "a.csv"
        upload.write_bytes(csv_export(300))
        first = jobs.create_job(settings, upload, "a.csv")
        standby.submit(first["id"])  # uploaded through the other process: found by polling
        assert _wait(lambda: jobs.job_status(settings, first["id"])["state"] == "done")
        assert jobs.job_status(settings, first["id"])["rows_done"] == 300

        leader.stop()  # as when its process ends: the lock is released
        upload = tmp_path / "b.csv"
        upload.write_bytes(csv_export(100))
        second = jobs.create_job(settings, upload, "b.csv")
        assert _wait(lambda: jobs.job_status(settings, second["id"])["state"] == "done")
        assert standby.leading
    finally:
        leader.stop()
        standby.stop()


def test_request_buckets_in_the_database_are_shared_by_processes(settings):
    key = Key(id="k1", name="t", scopes=frozenset({"review"}), rpm=3, tokens_per_day=0)
    a, b = Limiter(settings.db_path), Limiter(settings.db_path)  # two processes' limiters
    a.take(key)
    b.take(key)
    a.take(key)
    with pytest.raises(RateLimited) as refused:
        b.take(key)
    assert refused.value.headers()["Retry-After"] in {"19", "20"}  # one token back at rpm/60 per s
    # in memory, each process would have allowed its own three
    mem = Limiter()
    for _ in range(3):
        mem.take(key)
    with pytest.raises(RateLimited):
        mem.take(key)


def test_two_worker_processes_serve_run_each_job_once_and_share_limits(tmp_path):
    server = Service(tmp_path, auth="on", name="workers", TACTFUL_WORKERS="2")
    batch_key = server.create_key("batch,review", rpm=600)
    limited = server.create_key("review", rpm=10)
    server.start()
    try:
        log = server.log_path.read_text(errors="replace")
        assert _wait(lambda: server.log_path.read_text(errors="replace").count("Application startup complete") == 2), log

        def fresh(key):  # a new connection each time, so requests spread over both processes
            return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"},
                                limits=httpx.Limits(max_keepalive_connections=0), timeout=30)

        ids = []
        for n in (500, 300):
            with fresh(batch_key) as c:
                r = c.post("/v1/batches", files={"file": ("e.csv", csv_export(n), "text/csv")})
                assert r.status_code == 202, r.text
                ids.append((r.json()["id"], n))

        def done():
            with fresh(batch_key) as c:
                return all(c.get(f"/v1/batches/{i}").json()["state"] == "done" for i, _ in ids)

        assert _wait(done, 60)
        for job_id, n in ids:
            with fresh(batch_key) as c:
                rows = [json.loads(line) for line in c.get(f"/v1/batches/{job_id}/results").text.splitlines()]
            assert [r["line"] for r in rows] == list(range(2, n + 2))  # each row once, in order

        codes = []
        for _ in range(14):
            with fresh(limited) as c:
                codes.append(c.post("/v1/reviews", json={"reply": "我们会尽快处理"}).status_code)
        assert codes.count(200) == 10 and codes.count(429) == 4, codes  # not 10 per process
    finally:
        server.stop()
