"""Each key sees only its own data: a batch or draft (and the feedback on a draft) belongs to
the key that made it. Another key gets 404 for it, exactly as for an id that does not exist,
and does not see it listed; a key with the `admin` scope sees everything, and so does
everyone when auth is off. Every route is driven through the real app with real keys."""

import csv
import io
import json
import sqlite3
import time

import pytest
from fastapi.testclient import TestClient

from service import store
from service.settings import Settings
from service.web import auth
from service.web.app import create_app

TICKET = {"message": "我买的蓝牙耳机左耳没有声音,订单20261103886"}


def export(n: int = 6) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["id", "reply", "agent", "channel"])
    for i in range(n):
        w.writerow([i, ["我们会尽快处理", "不知道", "非常抱歉,订单已补发,今天18点前发出。"][i % 3],
                    ["li", "wang"][i % 2], "chat"])
    return buf.getvalue().encode()


class Who:
    """One key's view of the app: its requests carry its key."""

    def __init__(self, client: TestClient, key: str | None):
        self.c = client
        self.headers = {"Authorization": f"Bearer {key}"} if key else {}

    def get(self, url, **kw):
        return self.c.get(url, headers=self.headers, **kw)

    def post(self, url, **kw):
        return self.c.post(url, headers=self.headers, **kw)

    def delete(self, url, **kw):
        return self.c.delete(url, headers=self.headers, **kw)

    def upload(self) -> str:
        r = self.post("/v1/batches", files={"file": ("export.csv", export(), "text/csv")})
        assert r.status_code == 202, r.text
        return r.json()["id"]

    def wait(self, job_id: str, timeout: float = 30) -> dict:
        deadline = time.time() + timeout
        while time.time() < deadline:
            job = self.get(f"/v1/batches/{job_id}").json()
            if job["state"] in ("done", "failed", "cancelled"):
                return job
            time.sleep(0.05)
        raise AssertionError(f"batch {job_id} still {job['state']}")

    def draft(self) -> str:
        r = self.post("/v1/drafts", json=TICKET)
        assert r.status_code == 200, r.text
        return r.json()["id"]

    def ids(self) -> set[str]:
        r = self.get("/v1/batches")
        assert r.status_code == 200, r.text
        return {job["id"] for job in r.json()}


def make_app(tmp_path, auth_mode: str) -> TestClient:
    settings = Settings(db_path=tmp_path / "t.db", data_dir=tmp_path, model="", auth=auth_mode)
    store.migrate(settings.db_path)
    return TestClient(create_app(settings))


@pytest.fixture
def app(tmp_path):
    """The app with auth on, and five keys: two batch keys, two draft keys, one admin."""
    with make_app(tmp_path, "on") as c:
        db = tmp_path / "t.db"
        c.db = db
        c.keys = {}
        for name, scopes in (("batch_a", ["batch"]), ("batch_b", ["batch"]), ("draft_a", ["draft"]),
                             ("draft_b", ["draft"]), ("admin", ["admin"])):
            key_id, key = auth.create_key(db, name, scopes)
            c.keys[name] = key_id
            setattr(c, name, Who(c, key))
        yield c


@pytest.fixture
def paused(app):
    """The same app with its job runner stopped, so uploaded batches stay queued (cancellable)."""
    app.app.state.jobs.stop()
    return app


def is_404(r) -> bool:
    return r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def same_404_as_no_such_id(who: Who, url: str, job_or_draft_id: str, method="get", **kw) -> None:
    """Another's item answers exactly as an id that does not exist (the id is in the message
    of both, so only the id differs)."""
    mine = getattr(who, method)(url, **kw)
    none = getattr(who, method)(url.replace(job_or_draft_id, "0" * 32), **kw)
    assert is_404(mine), mine.text
    assert mine.json() == json.loads(none.text.replace("0" * 32, job_or_draft_id))


# --- batches --------------------------------------------------------------------------------

def test_a_new_batch_stores_the_calling_keys_id(app):
    job_id = app.batch_a.upload()
    owner = sqlite3.connect(app.db).execute("select owner from jobs where id = ?", [job_id]).fetchone()[0]
    assert owner == app.keys["batch_a"]
    assert app.batch_a.get(f"/v1/batches/{job_id}").json()["owner"] == app.keys["batch_a"]


def test_the_list_shows_only_the_callers_own_batches_and_admin_all(app):
    a, b = app.batch_a.upload(), app.batch_b.upload()
    assert app.batch_a.ids() == {a}
    assert app.batch_b.ids() == {b}
    assert app.admin.ids() == {a, b}


def test_another_key_gets_404_for_a_batchs_state(app):
    job_id = app.batch_a.upload()
    same_404_as_no_such_id(app.batch_b, f"/v1/batches/{job_id}", job_id)
    assert app.batch_a.get(f"/v1/batches/{job_id}").status_code == 200
    assert app.admin.get(f"/v1/batches/{job_id}").json()["id"] == job_id


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_another_key_gets_404_for_a_batchs_results(app, fmt):
    job_id = app.batch_a.upload()
    assert app.batch_a.wait(job_id)["state"] == "done"
    url = f"/v1/batches/{job_id}/results?format={fmt}"
    same_404_as_no_such_id(app.batch_b, url, job_id)
    mine, admins = app.batch_a.get(url), app.admin.get(url)
    assert mine.status_code == admins.status_code == 200
    assert len(mine.text.splitlines()) == (7 if fmt == "csv" else 6) and admins.text == mine.text


@pytest.mark.parametrize("fmt", ["json", "html"])
def test_another_key_gets_404_for_a_batchs_report(app, fmt):
    job_id = app.batch_a.upload()
    app.batch_a.wait(job_id)
    url = f"/v1/batches/{job_id}/report?format={fmt}"
    same_404_as_no_such_id(app.batch_b, url, job_id)
    mine, admins = app.batch_a.get(url), app.admin.get(url)
    assert mine.status_code == admins.status_code == 200 and mine.text == admins.text


def test_a_report_not_yet_stored_is_refused_to_another_key_too(paused):
    # a queued job has no stored report: cached_report would build one; the owner check comes first
    job_id = paused.batch_a.upload()
    same_404_as_no_such_id(paused.batch_b, f"/v1/batches/{job_id}/report", job_id)
    assert paused.batch_a.get(f"/v1/batches/{job_id}/report").status_code == 200


def test_another_key_cannot_cancel_a_batch(paused):
    job_id = paused.batch_a.upload()
    same_404_as_no_such_id(paused.batch_b, f"/v1/batches/{job_id}", job_id, method="delete")
    assert paused.batch_a.get(f"/v1/batches/{job_id}").json()["state"] == "queued"  # untouched
    r = paused.batch_a.delete(f"/v1/batches/{job_id}")
    assert r.status_code == 200 and r.json()["state"] == "cancelled"


def test_admin_can_cancel_anyones_batch(paused):
    job_id = paused.batch_b.upload()
    r = paused.admin.delete(f"/v1/batches/{job_id}")
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    assert paused.batch_b.get(f"/v1/batches/{job_id}").json()["state"] == "cancelled"


def test_a_batch_made_by_admin_is_admins_alone(app):
    job_id = app.admin.upload()
    assert is_404(app.batch_a.get(f"/v1/batches/{job_id}"))
    assert app.batch_a.ids() == set() and app.admin.ids() == {job_id}


# --- drafts and feedback --------------------------------------------------------------------

@pytest.mark.parametrize("streamed", [False, True])
def test_a_new_draft_stores_the_calling_keys_id(app, streamed):
    if streamed:
        r = app.draft_a.post("/v1/drafts/stream", json=TICKET)
        assert r.status_code == 200
        event = [block for block in r.text.split("\n\n") if block.startswith("event: draft")][0]
        draft_id = json.loads(event.split("data: ", 1)[1])["id"]
    else:
        draft_id = app.draft_a.draft()
    owner = sqlite3.connect(app.db).execute("select owner from drafts where id = ?", [draft_id]).fetchone()[0]
    assert owner == app.keys["draft_a"]
    assert is_404(app.draft_b.get(f"/v1/drafts/{draft_id}"))


def test_another_key_gets_404_for_a_draft(app):
    draft_id = app.draft_a.draft()
    same_404_as_no_such_id(app.draft_b, f"/v1/drafts/{draft_id}", draft_id)
    assert app.draft_a.get(f"/v1/drafts/{draft_id}").json()["id"] == draft_id
    assert app.admin.get(f"/v1/drafts/{draft_id}").json()["owner"] == app.keys["draft_a"]


def test_another_key_cannot_post_feedback_on_a_draft(app):
    draft_id = app.draft_a.draft()
    body = {"action": "edited", "final_text": "改好的回复", "agent": "li"}
    same_404_as_no_such_id(app.draft_b, f"/v1/drafts/{draft_id}/feedback", draft_id, method="post", json=body)
    assert sqlite3.connect(app.db).execute("select count(*) from feedback").fetchone()[0] == 0
    assert app.draft_a.post(f"/v1/drafts/{draft_id}/feedback", json=body).status_code == 200
    assert app.admin.post(f"/v1/drafts/{draft_id}/feedback", json={"action": "sent_as_is"}).status_code == 200
    feedback = app.draft_a.get(f"/v1/drafts/{draft_id}").json()["feedback"]
    assert [f["action"] for f in feedback] == ["edited", "sent_as_is"]


# --- rows from before owners, and auth off --------------------------------------------------

def test_rows_without_an_owner_are_seen_by_admin_only(app):
    job_id, draft_id = app.batch_a.upload(), app.draft_a.draft()
    app.batch_a.wait(job_id)
    with sqlite3.connect(app.db) as db:  # as rows stored before m008 are
        db.execute("update jobs set owner = null")
        db.execute("update drafts set owner = null")
    assert is_404(app.batch_a.get(f"/v1/batches/{job_id}"))
    assert is_404(app.batch_a.get(f"/v1/batches/{job_id}/results"))
    assert is_404(app.batch_a.get(f"/v1/batches/{job_id}/report"))
    assert is_404(app.batch_a.delete(f"/v1/batches/{job_id}"))
    assert app.batch_a.ids() == set()
    assert is_404(app.draft_a.get(f"/v1/drafts/{draft_id}"))
    assert is_404(app.draft_a.post(f"/v1/drafts/{draft_id}/feedback", json={"action": "sent_as_is"}))
    assert app.admin.ids() == {job_id}
    assert app.admin.get(f"/v1/batches/{job_id}/results").status_code == 200
    assert app.admin.get(f"/v1/drafts/{draft_id}").status_code == 200


def test_m008_leaves_existing_rows_without_an_owner(tmp_path):
    import sqlite_utils
    from sqlite_utils.migrations import Migrations

    path = tmp_path / "old.db"
    before = Migrations("tactful")  # the database as it was before m008
    for step in (store.m001_drafts, store.m002_feedback, store.m003_batches, store.m004_judge_cache,
                 store.m005_api_keys, store.m006_rate_buckets, store.m007_conversation_jobs):
        before()(step)
    db = sqlite_utils.Database(path)
    before.apply(db)
    assert "owner" not in db["jobs"].columns_dict
    db["jobs"].insert({"id": "old", "created_at": store.now(), "state": "done"})
    db["drafts"].insert({"id": "old", "created_at": store.now(), "text": "x"})
    db.conn.close()
    store.migrate(path)
    db = sqlite_utils.Database(path)
    assert "owner" in db["jobs"].columns_dict and "owner" in db["drafts"].columns_dict
    assert db.execute("select owner from jobs").fetchall() == [(None,)]
    assert db.execute("select owner from drafts").fetchall() == [(None,)]


def test_with_auth_off_everyone_sees_everything_as_before(tmp_path):
    with make_app(tmp_path, "on") as secured:  # one batch and draft made by a key
        _, key = auth.create_key(tmp_path / "t.db", "a", ["batch", "draft"])
        keyed = Who(secured, key)
        owned_job, owned_draft = keyed.upload(), keyed.draft()
        keyed.wait(owned_job)
    with make_app(tmp_path, "off") as c:
        anyone = Who(c, None)
        job_id, draft_id = anyone.upload(), anyone.draft()
        assert anyone.wait(job_id)["owner"] is None
        assert anyone.ids() == {job_id, owned_job}
        for jid in (job_id, owned_job):
            assert anyone.get(f"/v1/batches/{jid}/results").status_code == 200
            assert anyone.get(f"/v1/batches/{jid}/report").status_code == 200
        for did in (draft_id, owned_draft):
            assert anyone.get(f"/v1/drafts/{did}").status_code == 200
            assert anyone.post(f"/v1/drafts/{did}/feedback", json={"action": "sent_as_is"}).status_code == 200
        c.app.state.jobs.stop()
        queued = anyone.upload()
        assert anyone.delete(f"/v1/batches/{queued}").json()["state"] == "cancelled"


# --- the one place that decides -------------------------------------------------------------

class _Request:
    def __init__(self, auth_on: bool, key=None):
        self.app = type("App", (), {"state": type("State", (), {"auth": auth_on})()})()
        self.state = type("S", (), {"api_key": key})() if key else type("S", (), {})()


def test_the_caller_owns_with_its_key_and_admin_sees_all():
    plain = auth.Key("k1", "a", frozenset({"batch"}), 60, 0)
    admin = auth.Key("k2", "ops", frozenset({"admin"}), 60, 0)
    assert auth.caller(_Request(False)) == auth.Caller(owner=None, sees=None)
    assert auth.caller(_Request(True, plain)) == auth.Caller(owner="k1", sees="k1")
    assert auth.caller(_Request(True, admin)) == auth.Caller(owner="k2", sees=None)


def test_the_caller_fails_closed_when_auth_is_on_and_no_key_was_checked():
    from service.errors import Unauthorized

    with pytest.raises(Unauthorized):
        auth.caller(_Request(True))


# --- the storage functions filter by owner themselves ---------------------------------------

def test_every_storage_function_refuses_another_owner(tmp_path):
    from service.batch import jobs
    from service.errors import NotFound

    settings = Settings(db_path=tmp_path / "t.db", data_dir=tmp_path, model="")
    store.migrate(settings.db_path)
    upload = tmp_path / "export.csv"
    upload.write_bytes(export())
    job_id = jobs.create_job(settings, upload, "export.csv", owner="a")["id"]
    store.save_draft(settings.db_path, {"id": "d1", "created_at": store.now(), "text": "x", "owner": "a"})
    refused = {
        "job_status": lambda o: jobs.job_status(settings, job_id, owner=o),
        "iter_results": lambda o: jobs.iter_results(settings, job_id, owner=o),
        "cached_report": lambda o: jobs.cached_report(settings, job_id, owner=o),
        "get_draft": lambda o: store.get_draft(settings.db_path, "d1", owner=o),
        "save_feedback": lambda o: store.save_feedback(settings.db_path, "d1", "edited", None, None, owner=o),
        "cancel": lambda o: jobs.cancel(settings, job_id, owner=o),  # last: it changes the job
    }
    for name, call in refused.items():
        with pytest.raises(NotFound):
            call("b")
        if name != "cancel":
            call(None)  # no filter (admin, auth off)
        call("a")  # the owner
    assert [j["id"] for j in jobs.list_jobs(settings, owner="b")] == []
    assert [j["id"] for j in jobs.list_jobs(settings, owner="a")] == [job_id]
    assert [j["id"] for j in jobs.list_jobs(settings)] == [job_id]
