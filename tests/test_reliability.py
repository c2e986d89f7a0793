"""Reliability: concurrent writers through the store's real write path, and a server killed
with SIGKILL in the middle of a batch that resumes with no row lost or counted twice.

Loopback only (127.0.0.1); every subprocess is killed in a `finally`."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from service import store

from servers import Service

ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- concurrent writes

def _draft_row(worker: int, i: int) -> dict:
    """A drafts row shaped like the one drafting._save stores (JSON fields as dicts)."""
    return {
        "id": f"w{worker}-{i}-{uuid.uuid4().hex[:8]}", "created_at": store.now(),
        "request": {"message": f"订单{worker}{i:04d}的耳机坏了", "thread": []}, "lang": "zh-Hans",
        "channel": "chat", "tone": "warm", "scenario": "defective", "severity": "medium",
        "triage": {"scenario": "defective", "entities": {}}, "model": "offline", "fallback": 0,
        "prompt_hash": "x" * 16, "text": "非常抱歉给您添麻烦了。" * 5,
        "sections": {"apology": "非常抱歉", "restatement": "", "remedy": "", "close": ""},
        "subject": None, "review": {"score": 90, "passed": True, "findings": []}, "passed": 1,
        "score": 90, "repaired": 0, "usage": {"latency_ms": 1.0}, "latency_ms": 1.0,
    }


def test_concurrent_writers_and_readers_never_see_database_is_locked(tmp_path):
    path = tmp_path / "t.db"
    store.migrate(path)
    writers, per_writer, readers = 8, 200, 4
    errors: list[BaseException] = []
    written: list[str] = []
    written_lock = threading.Lock()
    start = threading.Barrier(writers + readers)
    writing = threading.Event()
    writing.set()

    def write(worker: int) -> None:
        try:
            start.wait()
            for i in range(per_writer):
                row = _draft_row(worker, i)
                store.save_draft(path, row)  # the path POST /v1/drafts takes
                if i % 10 == 0:  # and feedback, a read-check-insert transaction
                    store.save_feedback(path, row["id"], "edited", "谢谢", f"agent-{worker}")
                with written_lock:
                    written.append(row["id"])
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    def read() -> None:
        try:
            start.wait()
            rng = random.Random()
            while writing.is_set():
                with written_lock:
                    some = rng.choice(written) if written else None
                if some:
                    assert store.get_draft(path, some)["id"] == some
                with store.reader(path) as db:
                    db.execute("select count(*), max(created_at) from drafts").fetchone()
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    reads = [threading.Thread(target=read) for _ in range(readers)]
    for t in threads + reads:
        t.start()
    for t in threads:
        t.join(60)
    writing.clear()
    for t in reads:
        t.join(60)

    assert not errors, f"{len(errors)} errors, first: {errors[0]!r}"
    db = sqlite3.connect(path)
    try:
        assert db.execute("select count(*) from drafts").fetchone()[0] == writers * per_writer == 1600
        assert db.execute("select count(distinct id) from drafts").fetchone()[0] == 1600
        assert db.execute("select count(*) from feedback").fetchone()[0] == writers * per_writer // 10
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        db.close()
    with store.reader(path) as conn:  # every connection the store opens has a busy timeout
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] > 0
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with store.transaction(path) as conn:
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] > 0


_WRITER_PROCESS = """
import sys
from service import store
path, worker, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    store.save_draft(path, {"id": f"p{worker}-{i}", "created_at": store.now(), "text": "x",
                            "request": {"message": "m"}, "review": {"passed": True}})
    with store.reader(path) as db:
        db.execute("select count(*) from drafts").fetchone()
"""


def test_writers_in_separate_processes_wait_for_the_lock_instead_of_failing(tmp_path):
    """Within a process the store serialises writers itself; across processes (several
    server workers, a CLI beside the server) SQLite's busy timeout has to."""
    path = tmp_path / "t.db"
    store.migrate(path)
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER_PROCESS, str(path), str(w), "150"],
                              cwd=ROOT, stderr=subprocess.PIPE, text=True) for w in range(4)]
    try:
        for p in procs:
            _, err = p.communicate(timeout=60)
            assert p.returncode == 0, err
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    db = sqlite3.connect(path)
    try:
        assert db.execute("select count(*) from drafts").fetchone()[0] == 600
    finally:
        db.close()


# ---------------------------------------------------------------- kill mid-batch

REPLIES = [
    "您好，非常抱歉让您久等了。您的订单{o}已补发，今天18点前发出。如有问题请联系我，电话400-820-1234。",
    "我们会尽快处理，请耐心等待。",
    "这是物流公司的问题，请您直接联系快递。",
    "您好，很抱歉讓您久等了。我們將在3個工作天內為您換貨，運費由我們負擔。",
    "這是系統自動扣款的，不是我們的錯。",
    "Hi, I'm so sorry for the trouble with your order {o}. A replacement ships today.",
    "We'll look into it and get back to you shortly.",
    "I guarantee this will never happen again.",
]
ROWS = 30_000  # about 4 s of scoring over HTTP on 2 cores, so the kill lands mid-job


def _export(n: int) -> bytes:
    rng = random.Random(5)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["id", "reply", "agent", "channel", "created_at"])
    for i in range(n):
        reply = rng.choice(REPLIES).format(o=rng.randint(10_000_000, 99_999_999))
        w.writerow([f"r{i}", reply, f"agent-{i % 17:02d}", ["chat", "email", "social"][i % 3],
                    f"2026-11-{1 + i % 28:02d}"])
    return buf.getvalue().encode("utf-8")


def test_a_server_killed_mid_batch_resumes_with_no_row_lost_or_duplicated(tmp_path):
    body = _export(ROWS)
    servers: list[Service] = []
    try:
        with httpx.Client(timeout=30) as c:
            first = Service(tmp_path, name="first")
            servers.append(first)
            first.start()
            db_path = first.db_path
            r = c.post(f"{first.url}/v1/batches?filename=export.csv", content=body,
                       headers={"content-type": "text/csv"})
            assert r.status_code == 202, r.text
            job_id, total = r.json()["id"], r.json()["rows_total"]
            assert total == ROWS

            deadline = time.monotonic() + 15
            while True:  # a few chunks in, well before the end
                job = c.get(f"{first.url}/v1/batches/{job_id}").json()
                if job["rows_done"] >= 1000 or job["state"] not in ("queued", "running"):
                    break
                assert time.monotonic() < deadline, f"no progress: {job}"
                time.sleep(0.02)
            assert job["state"] == "running" and 0 < job["rows_done"] < total, job
            first.kill()  # SIGKILL: no shutdown handler, no checkpoint
            assert first.proc.returncode == -signal.SIGKILL

            db = sqlite3.connect(db_path)
            try:
                assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                state, killed_at, counted = db.execute(
                    "select state, rows_done, (select count(*) from results where job_id = ?) "
                    "from jobs where id = ?", [job_id, job_id]).fetchone()
            finally:
                db.close()
            assert state == "running" and 0 < killed_at < total
            assert counted == killed_at  # the counter and the rows were committed together

            second = Service(tmp_path, name="second")
            servers.append(second)
            second.start()
            deadline = time.monotonic() + 30
            while True:
                job = c.get(f"{second.url}/v1/batches/{job_id}").json()
                if job["state"] not in ("queued", "running"):
                    break
                assert time.monotonic() < deadline, f"the job did not finish: {job}"
                time.sleep(0.1)
            assert job["state"] == "done" and job["rows_done"] == total and job["errors"] == 0, job

            r = c.get(f"{second.url}/v1/batches/{job_id}/results")
            assert r.status_code == 200
            rows = [json.loads(line) for line in r.text.splitlines() if line]
            report = c.get(f"{second.url}/v1/batches/{job_id}/report").json()
    finally:
        for s in servers:
            s.kill()

    assert len(rows) == total
    assert [row["id"] for row in rows] == [f"r{i}" for i in range(total)]
    assert [row["line"] for row in rows] == list(range(2, total + 2))  # unique and complete
    assert not any(row.get("duplicate") for row in rows)
    assert report["overall"]["rows"] == total
    db = sqlite3.connect(db_path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        count, distinct, low, high = db.execute(
            "select count(*), count(distinct seq), min(seq), max(seq) from results where job_id = ?",
            [job_id]).fetchone()
    finally:
        db.close()
    assert (count, distinct, low, high) == (total, total, 0, total - 1)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-v"]))
