"""Batch scoring jobs: an uploaded export (any format of formats.py) is reviewed in the
background, row by row, into SQLite, through the same steps as `tactful batch` (pipeline.py),
so that the same file gives the same rows and report. Each chunk's results and the job's counters are written in one transaction, so a
job killed at any moment resumes from the last committed row after a restart: no row lost,
none counted twice.

    queued ──► running ──► done
                  │   └──► failed      (an unexpected error: its rows so far are removed)
                  └──────► cancelled   (DELETE /v1/batches/{id})
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
import uuid
from pathlib import Path

from .. import store
from ..errors import Conflict, InputError, NotFound
from ..privacy.masking import mask, mask_name
from .formats import Record, get_format, open_source, read_records
from .pipeline import (Conversation, Duplicates, conversation_ends, id_key, open_input, playbook_of,
                       review_conversation_unit, review_record, rubric_of, units)
from .report import ReportBuilder, report_meta
from .runner import CHUNK

__all__ = ["JobRunner", "create_job", "job_status", "list_jobs", "build_report", "cached_report",
           "iter_results", "cancel"]

log = logging.getLogger("tactful.jobs")
ACTIVE = ("queued", "running")


def create_job(settings, upload: Path, filename: str, *, encoding: str | None = None,
               format: str | None = None, judge: str | None = None, owner: str | None = None) -> dict:
    """Register an uploaded file as a queued job, owned by `owner` (the calling key's id; None
    with auth off). Refuses (422), before anything is stored or queued, what `tactful batch`
    refuses: an empty file, an unknown format or encoding, a CSV with no `reply` column or no
    rows."""
    if upload.stat().st_size == 0:
        raise InputError("the uploaded file is empty", field="file")
    inp = open_input(upload, filename, format=format, encoding=encoding)
    size = upload.stat().st_size
    if inp.conversations:  # messages, which a JSON document does not give a line each
        lines = sum(1 for _ in inp.records()) + (1 if inp.format.has_header else 0)
    else:
        with open_source(upload, inp.encoding) as src:  # in the file's encoding: UTF-16 has 0x0a in 上
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: src.stream.read(1 << 20), b""))
    job_id = uuid.uuid4().hex
    dest = Path(settings.data_dir) / "uploads" / f"{job_id}.{inp.format.name}"
    dest.parent.mkdir(parents=True, exist_ok=True)
    job = {"id": job_id, "created_at": store.now(), "filename": mask(filename), "path": str(dest),
           "format": inp.format.name, "encoding": inp.encoding, "state": "queued",
           "rows_total": max(lines - (1 if inp.format.has_header else 0), 0), "rows_done": 0, "errors": 0,
           "bytes_total": size, "judge": judge, "rubric_version": rubric_of(settings).version,
           "units_done": 0, "conversations": int(inp.conversations), "owner": owner}
    upload.replace(dest)
    try:
        with store.transaction(settings.db_path) as db:
            db["jobs"].insert(job)
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    return job_status(settings, job_id)

# `owner` below: given, only that key's jobs exist (another's is a 404, the same as no job at
# all); None, every job (auth off, or an admin key). web/auth.py decides which.


def _not_found(job_id: str) -> NotFound:
    return NotFound(f"no batch with id {job_id!r}")


def job_status(settings, job_id: str, owner: str | None = None) -> dict:
    cond, params = store.owned(owner)
    with store.reader(settings.db_path) as db:
        rows = list(db["jobs"].rows_where("id = ?" + cond, [job_id, *params]))
    if not rows:
        raise _not_found(job_id)
    return _public(rows[0])


def list_jobs(settings, limit: int = 50, owner: str | None = None) -> list[dict]:
    cond, params = store.owned(owner)
    with store.reader(settings.db_path) as db:
        return [_public(r) for r in db["jobs"].rows_where("1 = 1" + cond, params,
                                                         order_by="created_at desc", limit=limit)]


def _public(job: dict) -> dict:
    rate = None
    if job.get("run_started_at") and job["state"] in ("running", "done"):
        end = job.get("finished_at") or store.now()
        seconds = _seconds(job["run_started_at"], end)
        done = job["rows_done"] - (job.get("run_rows_start") or 0)
        rate = round(done / seconds, 1) if seconds > 0 else None
    return {
        "id": job["id"], "state": job["state"], "filename": job["filename"],
        "format": job["format"], "encoding": job["encoding"], "created_at": job["created_at"],
        "started_at": job.get("started_at"), "finished_at": job.get("finished_at"),
        "rows_total": job["rows_total"], "rows_done": job["rows_done"], "errors": job["errors"],
        "rows_per_s": rate, "error": job.get("error"), "judge": job.get("judge"),
        "rubric_version": job.get("rubric_version"), "conversations": bool(job.get("conversations")),
        "owner": job.get("owner"),
    }


def _seconds(start: str, end: str) -> float:
    from datetime import datetime

    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def cancel(settings, job_id: str, owner: str | None = None) -> dict:
    cond, params = store.owned(owner)
    with store.transaction(settings.db_path) as db:
        rows = list(db["jobs"].rows_where("id = ?" + cond, [job_id, *params]))
        if not rows:
            raise _not_found(job_id)
        if rows[0]["state"] not in ACTIVE:
            raise Conflict(f"batch {job_id} is already {rows[0]['state']}")
        db["jobs"].update(job_id, {"state": "cancelled", "finished_at": store.now()})
    return job_status(settings, job_id)


class JobRunner:
    """One background thread works through queued jobs in order. Jobs left running or queued
    by a stopped process are picked up again at start.

    Of the processes of `tactful serve --workers N`, only the one holding the database's job
    lock (an flock, released by the kernel when its process ends however it ends) runs jobs,
    so no job is ever run twice at once; the others stand by and take over if it dies. Jobs
    uploaded through another process are found by polling the database."""

    POLL_S = 1.0

    def __init__(self, settings):
        self.settings = settings
        self.queue: queue.Queue[str] = queue.Queue()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self._lock_file = None

    @property
    def leading(self) -> bool:
        return self._lock_file is not None

    def start(self) -> None:
        if self._elect():
            self._resume()
        self.thread = threading.Thread(target=self._loop, name="tactful-jobs", daemon=True)
        self.thread.start()

    def _elect(self) -> bool:
        """Take the job lock if no other process holds it."""
        import fcntl

        path = Path(str(self.settings.db_path) + ".jobs.lock")
        f = path.open("a+b")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            return False
        self._lock_file = f
        return True

    def _resume(self) -> None:
        with store.reader(self.settings.db_path) as db:
            pending = [r["id"] for r in db["jobs"].rows_where(
                "state in ('queued', 'running')", order_by="created_at")]
        for job_id in pending:
            log.info("resuming batch %s", job_id)
            self.queue.put(job_id)

    def submit(self, job_id: str) -> None:
        if self.leading:  # at once; a standby process leaves it to the leader's polling
            self.queue.put(job_id)

    def stop(self, timeout: float = 10) -> None:
        self.stopping.set()
        if self.thread:
            self.thread.join(timeout)
        if self._lock_file is not None:
            self._lock_file.close()  # releases the lock
            self._lock_file = None

    def _next(self) -> str | None:
        try:
            return self.queue.get(timeout=0.2)
        except queue.Empty:
            pass
        now = time.monotonic()
        if now - self._polled < self.POLL_S:
            return None
        self._polled = now
        if not self.leading:
            if not self._elect():
                return None
            log.info("this process now runs the batch jobs")
            self._resume()
            return None
        with store.reader(self.settings.db_path) as db:
            row = db.execute("select id from jobs where state = 'queued' order by created_at limit 1").fetchone()
        return row[0] if row else None

    def _loop(self) -> None:
        self._polled = time.monotonic()
        while not self.stopping.is_set():
            job_id = self._next()
            if job_id is None:
                continue
            try:
                self.run(job_id)
            except Exception as e:  # noqa: BLE001 - a broken job must not stop the runner
                log.exception("batch %s failed", job_id)
                with store.transaction(self.settings.db_path) as db:
                    # nothing half-done stays: a failed job keeps its error, not some of its rows
                    db.execute("delete from results where job_id = ?", [job_id])
                    db["jobs"].update(job_id, {"state": "failed", "error": str(e)[:500], "rows_done": 0,
                                               "errors": 0, "finished_at": store.now()})
            self._discard_upload(job_id)

    def _discard_upload(self, job_id: str) -> None:
        """A finished job's uploaded file holds raw personal data and is needed no more: its
        results are stored masked. Kept while the job can still resume."""
        with store.reader(self.settings.db_path) as db:
            row = db.execute("select path, state from jobs where id = ?", [job_id]).fetchone()
        if row and row[1] not in ACTIVE and row[0]:
            Path(row[0]).unlink(missing_ok=True)

    @staticmethod
    def _state_in(db, job_id: str) -> str | None:
        row = db.execute("select state from jobs where id = ?", [job_id]).fetchone()
        return row[0] if row else None

    def run(self, job_id: str) -> None:
        path = self.settings.db_path
        with store.reader(path) as db:
            job = db["jobs"].get(job_id)
        if job["state"] not in ACTIVE:
            return
        done = job.get("units_done") or 0
        with store.transaction(path) as db:
            # checked again inside the write lock: a cancel may have landed since the read above
            if self._state_in(db, job_id) not in ACTIVE:
                return
            db["jobs"].update(job_id, {"state": "running", "started_at": job["started_at"] or store.now(),
                                       "run_started_at": store.now(), "run_rows_start": done})
            seen = [rid for (rid,) in db.execute(
                "select rid from results where job_id = ? and rid is not null", [job_id])] if done else []
            seq = db.execute("select coalesce(max(seq) + 1, 0) from results where job_id = ?",
                             [job_id]).fetchone()[0]
        playbook = playbook_of(self.settings)
        rubric = playbook.rubric
        conv = bool(job.get("conversations"))
        self.judge = None if conv else self._judge(job.get("judge"))  # the judge grades replies
        duplicates = Duplicates(seen)
        k = 0
        chunk: list = []
        size = CHUNK // 8 if conv else CHUNK
        with contextlib.closing(_units(job)) as todo:
            for unit in todo:
                if k >= done:  # resume: the first `done` units are already stored
                    chunk.append(unit)
                k += 1
                if len(chunk) >= size:
                    if not (seq := self._commit(job_id, seq, chunk, playbook, duplicates)):
                        return self._store_report(job_id, rubric)  # cancelled
                    chunk = []
                if self.stopping.is_set():
                    return  # the process is stopping: the job stays `running` and resumes later
        if chunk and not self._commit(job_id, seq, chunk, playbook, duplicates):
            return self._store_report(job_id, rubric)
        self._store_report(job_id, rubric, done=True)

    def _store_report(self, job_id: str, rubric, done: bool = False) -> None:
        """Store the report while the upload is still there to show example replies from (it
        is deleted once the job ends); `done`: and mark a job still running done."""
        report = json.dumps(build_report(self.settings, job_id, rubric), ensure_ascii=False)
        with store.transaction(self.settings.db_path) as db:
            update = {"report": report}
            if done and self._state_in(db, job_id) == "running":
                update.update(state="done", finished_at=store.now())
            db["jobs"].update(job_id, update)

    def _judge(self, model: str | None):
        if not model:
            return None
        from .judge import Judge

        return Judge.for_model(self.settings, model)

    def _commit(self, job_id: str, seq: int, chunk: list, playbook, duplicates: Duplicates) -> int:
        """Review one chunk of units (records, or whole conversations) and store its rows from
        number `seq` on, with the job's counters, in one transaction. The next row's number;
        0 when the job was cancelled meanwhile (nothing of this chunk is stored then)."""
        pairs: list[tuple[Record | None, dict]] = []
        records = 0
        for unit in chunk:
            if isinstance(unit, Conversation):
                by_line = {r.line: r for r in unit.records}
                pairs.extend((by_line.get(out.get("line")), out)
                             for out in review_conversation_unit(unit, playbook))
                records += len(unit.records)
            else:
                pairs.append((unit, review_record(unit, playbook)))
                records += 1
        outs = [out for _, out in pairs]
        for out in outs:  # an agent field may hold an email or a phone: stored masked, like the rest
            if out.get("agent") is not None:
                out["agent"] = mask_name(str(out["agent"]))
            if out.get("agents"):
                out["agents"] = [mask_name(str(a)) for a in out["agents"]]
        judge = getattr(self, "judge", None)
        if judge is not None:
            import asyncio

            todo = [(out, rec) for rec, out in pairs if "error" not in out]
            scores = asyncio.run(judge.grade_many(
                [(rec.data["reply"], rec.data.get("complaint")) for _, rec in todo]))
            for (out, _), score in zip(todo, scores):
                out["judge"] = score
        duplicates.mark(outs)
        rows = []
        for n, (rec, out) in enumerate(pairs, seq):
            data = (rec.data if rec is not None else None) or {}
            if out.get("kind") == "conversation":
                data = {"agent": ";".join(out.get("agents") or []) or None, "channel": out.get("channel")}
            rows.append({"job_id": job_id, "seq": n, "line": out.get("line"),
                         "rid": None if out.get("kind") == "conversation" else id_key(out.get("id")),
                         "agent": None if data.get("agent") is None else mask_name(str(data.get("agent"))),
                         "channel": None if data.get("channel") is None else str(data.get("channel")),
                         "created_at": None if data.get("created_at") is None else str(data.get("created_at")),
                         "passed": out.get("passed"), "score": out.get("score"), "error": out.get("error"),
                         "duplicate": int(bool(out.get("duplicate"))),
                         "row": json.dumps(out, ensure_ascii=False),
                         # no reply text is stored: the report's examples are masked from the upload
                         "reply": None})
        with store.transaction(self.settings.db_path) as db:
            state = db.execute("select state from jobs where id = ?", [job_id]).fetchone()[0]
            if state != "running":
                return False
            db["results"].insert_all(rows, batch_size=CHUNK)
            errors = sum(1 for r in rows if r["error"])
            db.execute("update jobs set rows_done = rows_done + ?, units_done = units_done + ?, "
                       "errors = errors + ? where id = ?", [records, len(chunk), errors, job_id])
        return seq + len(rows)


def build_report(settings, job_id: str, rubric=None) -> dict:
    """The report of a job from its stored rows, with example replies (masked) from its upload
    while that is kept; a job whose upload is gone gets the figures without examples."""
    rubric = rubric if rubric is not None else rubric_of(settings)
    with store.reader(settings.db_path) as db:
        found = list(db["jobs"].rows_where("id = ?", [job_id]))
        if not found:
            raise NotFound(f"no batch with id {job_id!r}")
        job = found[0]
        builder = ReportBuilder()
        rows = (json.loads(row) for (row,) in db.execute(
            "select row from results where job_id = ? order by seq", [job_id]))
        upload = Path(job["path"]) if job.get("path") else None
        if upload is not None and upload.is_file() and job.get("conversations"):
            with contextlib.closing(_units(job)) as todo:
                for conv in todo:  # a unit's rows end with its scorecard (or are one message row)
                    mine = []
                    for row in rows:
                        mine.append(row)
                        if conv.id is None or row.get("kind") == "conversation":
                            break
                    if not mine:
                        break
                    builder.add_conversation(conv, mine)
        elif upload is not None and upload.is_file():
            with contextlib.closing(read_records(upload, get_format(job["format"]), job["encoding"])) as records:
                for row, rec in zip(rows, records):
                    builder.add_record(rec, row)
        else:
            for row in rows:
                builder.add(row)
    meta = report_meta(job_id=job["id"], filename=job["filename"], created_at=job["created_at"],
                       rubric_version=job.get("rubric_version") or rubric.version,
                       fmt=job["format"], encoding=job["encoding"])
    return builder.to_dict(rubric, meta)


def _units(job: dict):
    """The units of a job's upload in review order: its records, or its whole conversations."""
    path, fmt = Path(job["path"]), get_format(job["format"])
    if not job.get("conversations"):
        yield from read_records(path, fmt, job["encoding"])
        return
    with contextlib.closing(read_records(path, fmt, job["encoding"])) as first:
        ends = conversation_ends(first)
    with contextlib.closing(read_records(path, fmt, job["encoding"])) as records:
        yield from units(records, ends)


def cached_report(settings, job_id: str, owner: str | None = None) -> dict:
    """The stored report of a finished job, or one built now from the rows done so far."""
    cond, params = store.owned(owner)
    with store.reader(settings.db_path) as db:
        row = db.execute("select report from jobs where id = ?" + cond, [job_id, *params]).fetchone()
    if row is None:
        raise _not_found(job_id)
    if row[0]:
        return json.loads(row[0])
    return build_report(settings, job_id)


def iter_results(settings, job_id: str, page: int = 2000, owner: str | None = None):
    """Output lines (JSON text) of a job, in input order, read a page at a time. Raises
    NotFound at once (not on first iteration) for an unknown job, or another owner's."""
    job_status(settings, job_id, owner)
    return _result_pages(settings, job_id, page)


def _result_pages(settings, job_id: str, page: int):
    last = -1
    while True:
        with store.reader(settings.db_path) as db:
            rows = db.execute("select seq, row from results where job_id = ? and seq > ? "
                              "order by seq limit ?", [job_id, last, page]).fetchall()
        if not rows:
            return
        for seq, row in rows:
            yield row
        last = rows[-1][0]

