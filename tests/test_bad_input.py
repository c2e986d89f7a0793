"""Hostile batch input: formula cells never reach a spreadsheet as formulas, and a line nested
too deeply is one error row, not a failed run or job."""

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient

from batches import run_job
from service.settings import Settings
from service.web.app import create_app

FORMULAS = ["=HYPERLINK(\"http://x.test\",\"click\")", "+1+1", "-2+3", "@SUM(A1)", "\tleading tab", "\rleading cr"]


@pytest.fixture
def client(tmp_path):
    with TestClient(create_app(Settings(db_path=tmp_path / "t.db", data_dir=tmp_path / "data", model=""))) as c:
        yield c


def _export() -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["id", "reply", "agent"])
    for k, f in enumerate(FORMULAS):
        w.writerow([f, "我们会尽快处理", f])
    return buf.getvalue().encode("utf-8")


def _check(table: list[dict]) -> None:
    assert len(table) == len(FORMULAS)
    for row, f in zip(table, FORMULAS):
        assert row["id"] == "'" + f and row["agent"] == "'" + f  # kept, and inert
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_csv_output_neutralises_formula_cells(tmp_path, in_process):
    src, out = tmp_path / "x.csv", tmp_path / "out.csv"
    src.write_bytes(_export())
    assert in_process(["batch", str(src), "--out", str(out), "--no-progress"]) == 0
    _check(list(csv.DictReader(out.open(encoding="utf-8", newline=""))))
    jsonl = tmp_path / "out.jsonl"  # JSON output is data, not a spreadsheet: unchanged
    assert in_process(["batch", str(src), "--out", str(jsonl), "--no-progress"]) == 0
    assert [json.loads(x)["id"] for x in jsonl.read_text(encoding="utf-8").splitlines()] == FORMULAS


def test_http_results_csv_neutralises_formula_cells(client):
    job_id = run_job(client, "x.csv", _export())["id"]
    text = client.get(f"/v1/batches/{job_id}/results?format=csv").text
    _check(list(csv.DictReader(io.StringIO(text, newline=""))))


DEEP = b'{"id": 1, "reply": ' + b"[" * 200_000 + b"]" * 200_000 + b"}\n" + '{"id": 2, "reply": "我们会尽快处理"}\n'.encode()


def test_a_line_nested_too_deeply_is_one_error_row(tmp_path, in_process, client):
    src, out = tmp_path / "deep.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(DEEP)
    assert in_process(["batch", str(src), "--out", str(out), "--no-progress"]) == 0
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert rows[0] == {"line": 1, "id": None, "error": "line 1: the JSON is nested too deeply"}
    assert rows[1]["id"] == 2 and "score" in rows[1]

    job_id = run_job(client, "deep.jsonl", DEEP)["id"]
    http = [json.loads(x) for x in client.get(f"/v1/batches/{job_id}/results").text.splitlines()]
    assert http == rows


def test_every_codec_name_is_accepted_or_refused_never_a_server_error(tmp_path):
    """Every codec Python knows, as the upload's `encoding`: a job (202) or a clear 422 that
    names the field; none is a 500 (punycode and idna refuse the way files are read, utf-32
    wants a BOM this file does not have)."""
    import encodings.aliases

    names = sorted(set(encodings.aliases.aliases.values())) + [
        "punycode", "idna", "utf-7", "rot13", "undefined", "raw_unicode_escape", "unicode_escape", "nonsense"]
    settings = Settings(db_path=tmp_path / "t.db", data_dir=tmp_path / "data", model="")
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        got = {}
        for name in names:
            r = c.post("/v1/batches", files={"file": ("e.csv", b"id,reply\n1,hi\n", "text/csv")},
                       data={"encoding": name})
            got[name] = r.status_code
            if r.status_code == 422:  # (an EBCDIC page reads the header as other letters: no 'reply')
                assert r.json()["error"]["field"] in ("encoding", "reply", "file"), (name, r.text)
                if name in ("punycode", "idna", "rot13", "undefined", "nonsense"):
                    assert r.json()["error"]["field"] == "encoding", (name, r.text)
    assert set(got.values()) <= {202, 422}, {k: v for k, v in got.items() if v not in (202, 422)}
    for name in ("punycode", "idna", "rot13", "undefined", "nonsense", "utf_32"):
        assert got[name] == 422, name
    assert got["utf_8"] == 202 and got["gb18030"] == 202


def test_agent_fields_and_upload_names_are_stored_masked(client, tmp_path):
    """An agent field or a file name can hold an email or a phone number: the job stores,
    lists and reports them masked."""
    from service import store

    email, phone = "wang.lei@example.com", "13812345678"
    data = f"id,reply,agent\n1,我们会尽快处理,{email}\n".encode()
    job_id = run_job(client, f"export_{phone}.csv", data, "text/csv")["id"]
    shown = json.dumps([client.get(f"/v1/batches/{job_id}").json(), client.get("/v1/batches").json(),
                        client.get(f"/v1/batches/{job_id}/results").text,
                        client.get(f"/v1/batches/{job_id}/report").json()], ensure_ascii=False)
    assert email not in shown and phone not in shown
    db_path = client.app.state.settings.db_path
    with store.reader(db_path) as db:
        dumped = json.dumps([list(r) for t in ("jobs", "results") for r in db.execute(f"select * from {t}")],
                            ensure_ascii=False)
    assert email not in dumped and phone not in dumped
