import sqlite_utils

from service import store


def test_migrations_create_the_tables_once(tmp_path):
    path = tmp_path / "t.db"
    store.migrate(path)
    store.migrate(path)  # idempotent
    db = sqlite_utils.Database(path)
    assert {"drafts", "feedback", "jobs", "results", "api_keys", "key_usage", "rate_buckets", "_sqlite_migrations"} <= set(db.table_names())
    assert {"id", "request", "triage", "model", "prompt_hash", "review", "usage", "latency_ms"} <= set(db["drafts"].columns_dict)
    assert [r["name"] for r in db["_sqlite_migrations"].rows] == ["m001_drafts", "m002_feedback", "m003_batches", "m004_judge_cache", "m005_api_keys", "m006_rate_buckets", "m007_conversation_jobs", "m008_owners", "m009_connectors", "m010_connector_admin", "m011_import_cursors"]
    assert {"job_id", "seq", "line", "row", "reply", "duplicate"} <= set(db["results"].columns_dict)
    assert db["results"].pks == ["job_id", "seq"]
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_failed_write_leaves_nothing_behind(tmp_path):
    path = tmp_path / "t.db"
    store.migrate(path)
    try:
        with store.transaction(path) as db:
            db["drafts"].insert({"id": "half", "text": "x"})
            raise RuntimeError("crash mid-write")
    except RuntimeError:
        pass
    assert sqlite_utils.Database(path)["drafts"].count == 0
