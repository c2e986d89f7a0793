"""One batch pipeline: `tactful batch` and `POST /v1/batches` read the same formats and
encodings, flag the same duplicates, mask the same replies and give the same rows and report."""

import codecs
import csv
import io
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from batches import run_job
from service.settings import Settings
from service.web.app import create_app

ROOT = Path(__file__).resolve().parent.parent
PHONE, ID_NUMBER = "13812345678", "110105198805243018"
TW_PHONE, TW_ID = "0912-345-678", "A123456789"
HANS = [
    "王先生您好,非常抱歉您11月3日购买的蓝牙耳机(订单20261103886)左耳没有声音。我们今天18点前为您寄出新耳机。"
    "如有任何问题,欢迎随时联系我:客服小李,电话400-820-1234。",
    "我们会尽快处理,请耐心等待。",
    f"已记录您的手机{PHONE}和身份证{ID_NUMBER},我们会尽快处理。",
    "这个不归我们管,我也不知道。",
    "退款已原路退回,预计今天18点前到账。",
]
HANT = [
    "您好,很抱歉讓您久等了。我們會盡快處理,稍後與您聯絡。",
    f"已登記您的電話{TW_PHONE}與身分證{TW_ID},我們會盡快處理。",
    "這是物流公司的問題,請您直接聯絡他們。",
    "退款已於今天退回您的信用卡,約5個工作天入帳。",
]
EN = ["We'll look into it and get back to you soon.", "That's not my department.",
      "I'm so sorry. A replacement ships today and arrives within 2 business days."]


def rows_of(replies, n=11, start=0):
    return [{"id": f"T{start + i}", "reply": replies[i % len(replies)], "agent": ["li", "wang", "chen"][i % 3],
             "channel": ["chat", "email"][i % 2], "created_at": f"2026-11-{1 + (i * 3) % 27:02d}"} for i in range(n)]


def delimited(rows, delimiter=",") -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(["id", "reply", "agent", "channel", "created_at"])
    for r in rows:
        w.writerow([r["id"], r["reply"], r["agent"], r["channel"], r["created_at"]])
    return buf.getvalue()


def jl(obj) -> bytes:
    return (json.dumps(obj, ensure_ascii=False) + "\n").encode("utf-8")


def tactful(*args, env=None):
    import os

    return subprocess.run([sys.executable, "-m", "service", *args], capture_output=True, cwd=ROOT,
                          timeout=120, env={**os.environ, **(env or {})})


def read_jsonl(path):
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


# ---------------------------------------------------------------- the files

def files() -> dict[str, bytes]:
    """Exports as helpdesks and spreadsheets write them, with the bad rows they come with."""
    utf8 = delimited(rows_of(HANS + EN)).encode("utf-8")
    utf8 = utf8.replace(b"\r\nT3,", b'\r\nT3x,"two\r\nlines: \xe7\xa8\x8d\xe5\x90\x8e\xe8\x81\x94\xe7\xb3\xbb",li,chat,2026-11-02\r\nT3,')
    utf8 += b'T98,"\xff\xfe broken bytes",li,chat,2026-11-09\r\n'           # not UTF-8
    utf8 += "T99,稍后联系您,wang,chat,2026-11-09,extra\r\n".encode("utf-8")  # too many fields
    utf8 += b"T100,,chen,email,2026-11-10\r\n"                             # an empty reply
    dup = (jl({"id": "a", "reply": HANS[2], "agent": "li", "created_at": "2026-11-02"})
           + b'{"id": "b", "reply": "broken\n'                             # not JSON
           + b"\n"                                                         # blank
           + jl({"id": "a", "reply": "I don't know", "agent": "wang"})     # the same id again
           + jl({"id": 7, "reply": HANS[1]}) + jl({"id": "7", "reply": EN[0]})  # 7 and "7" are one id
           + b'{"id": "c", "reply": "\xff\xfe"}\n'                         # not UTF-8
           + jl({"id": "d"}) + jl(["not", "an", "object"])
           + jl({"id": "", "reply": HANS[3]}) + jl({"id": "", "reply": HANS[4]}))  # blank ids: none
    return {
        "export.csv": utf8,
        "gbk.csv": delimited(rows_of(HANS + EN)).encode("gbk"),
        "big5.csv": delimited(rows_of(HANT + EN)).encode("big5"),
        "unicode.txt": codecs.BOM_UTF16_LE + delimited(rows_of(HANS + HANT + EN), "\t").encode("utf-16-le"),
        "export.tsv": delimited(rows_of(HANS + HANT + EN), "\t").encode("utf-8"),
        "dup.jsonl": dup,
    }


@pytest.fixture
def settings(tmp_path):
    return Settings(db_path=tmp_path / "t.db", data_dir=tmp_path / "data", model="")


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings)) as c:
        yield c


def http_run(client, name: str, data: bytes, **fields):
    job = run_job(client, name, data, **fields)
    rows = [json.loads(line) for line in client.get(f"/v1/batches/{job['id']}/results").text.splitlines()]
    return job, rows


# ---------------------------------------------------------------- the same either way

def _no_job(report: dict) -> dict:
    report = json.loads(json.dumps(report))
    for key in ("id", "created_at"):
        report["job"].pop(key, None)
    return report


def _no_job_html(html: str) -> str:
    html = re.sub(r"Date: [^<]*", "Date:", html)
    html = re.sub(r"<span>Job: [^<]*</span>", "", html)
    return re.sub(r"\s+", " ", re.sub(r" · job [0-9a-f]+", "", html))


@pytest.mark.parametrize("name", list(files()))
def test_the_cli_and_the_http_job_give_the_same_rows_and_report(name, tmp_path, client, in_process):
    data = files()[name]
    src = tmp_path / name
    src.write_bytes(data)
    out, report_json, report_html = tmp_path / "out.jsonl", tmp_path / "r.json", tmp_path / "r.html"
    assert in_process(["batch", str(src), "--out", str(out), "--report", str(report_json), "--no-progress"]) == 0
    assert in_process(["batch", str(src), "--out", str(tmp_path / "again.jsonl"), "--report", str(report_html),
                       "--no-progress"]) == 0
    cli_rows, cli_report = read_jsonl(out), json.loads(report_json.read_text(encoding="utf-8"))

    job, http_rows = http_run(client, name, data)
    http_report = client.get(f"/v1/batches/{job['id']}/report").json()
    assert cli_rows == http_rows
    assert _no_job(cli_report) == _no_job(http_report)
    assert _no_job_html(report_html.read_text(encoding="utf-8")) == _no_job_html(
        client.get(f"/v1/batches/{job['id']}/report?format=html").text)

    meta = cli_report["job"]
    assert meta["filename"] == name and meta["rubric_version"] and meta["created_at"]
    assert meta["rows"] == len(cli_rows) == cli_report["overall"]["rows"]
    html = report_html.read_text(encoding="utf-8")
    assert "Date: —" not in html and "Rubric: —" not in html
    for raw in (PHONE, ID_NUMBER, TW_PHONE, TW_ID):
        assert raw not in html and raw not in json.dumps(cli_report, ensure_ascii=False)
    for example in (e for agent in cli_report["by_agent"] for e in agent["examples"]):
        for f in example["findings"]:  # offsets into the masked reply that is shown
            if f["start"] is not None:
                assert example["reply"][f["start"]:f["end"]] == f["text"]


def test_what_the_shared_files_hold(tmp_path, in_process):
    """The rows of the shared files are right, not only the same."""
    got = {}
    for name, data in files().items():
        (tmp_path / name).write_bytes(data)
        assert in_process(["batch", str(tmp_path / name), "--out", str(tmp_path / f"{name}.jsonl"),
                           "--no-progress"]) == 0
        got[name] = read_jsonl(tmp_path / f"{name}.jsonl")
    for name in ("gbk.csv", "big5.csv", "unicode.txt", "export.tsv"):
        assert len(got[name]) == 11 and not [r for r in got[name] if "error" in r], name
    texts = {f["text"] for r in got["big5.csv"] for f in r["findings"]}
    assert "盡快" in texts  # read as Big5: the traditional text is there to be found
    assert "尽快" in {f["text"] for r in got["gbk.csv"] for f in r["findings"]}

    rows = got["export.csv"]
    errors = {r["id"]: r["error"] for r in rows if "error" in r}
    assert set(errors) == {"T98", "T99", "T100"}
    assert errors["T98"].startswith("line ") and "not valid utf-8" in errors["T98"]
    assert "fields" in errors["T99"] and "empty" in errors["T100"]
    assert [r["id"] for r in rows][:5] == ["T0", "T1", "T2", "T3x", "T3"]  # a two-line field

    dup = got["dup.jsonl"]
    assert [r["line"] for r in dup] == [1, 2, 4, 5, 6, 7, 8, 9, 10, 11]
    assert [r["line"] for r in dup if r.get("duplicate")] == [4, 6]
    assert {r["line"] for r in dup if "error" in r} == {2, 7, 8, 9}


# ---------------------------------------------------------------- the bugs, one by one

def test_the_cli_detects_a_gbk_export_and_says_so(tmp_path):
    src = tmp_path / "gbk.csv"
    src.write_bytes(files()["gbk.csv"])
    res = tactful("batch", str(src), "--out", str(tmp_path / "out.jsonl"), "--no-progress")
    assert res.returncode == 0, res.stderr
    rows = read_jsonl(tmp_path / "out.jsonl")
    assert len(rows) == 11 and not [r for r in rows if "error" in r]
    assert "gb18030" in res.stderr.decode()


def test_the_cli_hints_at_the_encoding_when_rows_do_not_decode(tmp_path):
    src = tmp_path / "gbk.csv"
    src.write_bytes(files()["gbk.csv"])
    res = tactful("batch", str(src), "--out", str(tmp_path / "out.jsonl"), "--encoding", "utf-8", "--no-progress")
    assert res.returncode == 0
    assert "--encoding" in res.stderr.decode()


@pytest.mark.parametrize("name,text", [("big5.csv", "盡快"), ("unicode.txt", "尽快"), ("export.tsv", "尽快")])
def test_big5_utf16_and_tsv_exports_are_read_as_what_they_are(name, text, tmp_path, client):
    data = files()[name]
    src = tmp_path / name
    src.write_bytes(data)
    res = tactful("batch", str(src), "--out", str(tmp_path / "out.jsonl"), "--no-progress")
    assert res.returncode == 0, res.stderr
    for rows in (read_jsonl(tmp_path / "out.jsonl"), http_run(client, name, data)[1]):
        assert len(rows) == 11 and not [r for r in rows if "error" in r]
        assert text in {f["text"] for r in rows for f in r["findings"]}


def test_the_cli_flags_repeated_ids_with_one_worker_or_two(tmp_path):
    src = tmp_path / "in.jsonl"
    with src.open("wb") as f:
        for i in range(3000):  # more chunks than the workers have, a repeat in a later one
            f.write(jl({"id": str(i % 2500), "reply": HANS[i % len(HANS)]}))
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}.jsonl"
        res = tactful("batch", str(src), "--out", str(out), "--workers", workers, "--no-progress")
        assert res.returncode == 0, res.stderr
        rows = read_jsonl(out)
        assert [r["line"] for r in rows if r.get("duplicate")] == list(range(2501, 3001)), workers
    assert (tmp_path / "out1.jsonl").read_bytes() == (tmp_path / "out2.jsonl").read_bytes()


def test_the_cli_html_report_has_its_metadata_and_masks_personal_data(tmp_path):
    src = tmp_path / "export.csv"
    src.write_bytes(files()["export.csv"])
    res = tactful("batch", str(src), "--out", str(tmp_path / "out.jsonl"), "--report", str(tmp_path / "r.html"),
                  "--no-progress")
    assert res.returncode == 0, res.stderr
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Date: —" not in html and "Rubric: —" not in html and "export.csv" in html
    assert PHONE not in html and ID_NUMBER not in html
    assert "[PHONE" in html and "[ID" in html  # the example reply is there, masked


@pytest.mark.parametrize("encoding", ["rot13", "base64", "zlib", "no-such-codec", "undefined"])
def test_an_unknown_or_non_text_encoding_is_bad_input_not_a_crash(encoding, tmp_path, client):
    work = tmp_path / "cli"
    work.mkdir()
    src = work / "export.csv"
    src.write_bytes(files()["export.csv"])
    res = tactful("batch", str(src), "--out", str(work / "out.jsonl"), "--report", str(work / "r.html"),
                  "--encoding", encoding, "--no-progress")
    assert res.returncode == 2 and "Traceback" not in res.stderr.decode()
    assert "encoding" in res.stderr.decode()
    assert list(work.iterdir()) == [src]  # no output, no report, nothing half-written
    r = client.post("/v1/batches", files={"file": ("export.csv", files()["export.csv"], "text/csv")},
                    data={"encoding": encoding})
    assert r.status_code == 422 and r.json()["error"]["field"] == "encoding"
    assert client.get("/v1/batches").json() == []


def test_an_unknown_format_is_bad_input(tmp_path, client):
    src = tmp_path / "export.csv"
    src.write_bytes(files()["export.csv"])
    res = tactful("batch", str(src), "--out", str(tmp_path / "out.jsonl"), "--format", "xml")
    assert res.returncode == 2 and "unknown format" in res.stderr.decode() and "Traceback" not in res.stderr.decode()
    for name, fields in (("export.csv", {"format": "xml"}), ("export.xlsx", {})):
        r = client.post("/v1/batches", files={"file": (name, files()["export.csv"], "text/csv")}, data=fields)
        assert r.status_code == 422 and r.json()["error"]["field"] == "format", r.text
    assert client.get("/v1/batches").json() == []


def test_a_declared_format_and_encoding_win(tmp_path, client):
    data = files()["big5.csv"].replace(b",", b"\t")  # a TSV in Big5, with a misleading name
    job, rows = http_run(client, "export.dat.csv", data, format="tsv", encoding="cp950")
    assert job["format"] == "tsv" and job["encoding"] == "cp950" and len(rows) == 11
    src = tmp_path / "export.dat.csv"
    src.write_bytes(data)
    res = tactful("batch", str(src), "--out", str(tmp_path / "out.jsonl"), "--format", "tsv", "--encoding", "cp950")
    assert res.returncode == 0 and read_jsonl(tmp_path / "out.jsonl") == rows


# ---------------------------------------------------------------- nothing half-written

def test_a_job_that_fails_leaves_no_rows_behind(settings, client, monkeypatch):
    import service.batch.jobs as jobs

    calls = []

    def failing(rec, rubric):
        calls.append(rec.line)
        if len(calls) > 300:  # after a first chunk is stored
            raise RuntimeError("a bug in the checker")
        return real(rec, rubric)

    real = jobs.review_record
    monkeypatch.setattr(jobs, "review_record", failing)
    rows = rows_of(HANS, 600)
    r = client.post("/v1/batches", files={"file": ("e.csv", delimited(rows).encode(), "text/csv")})
    job_id = r.json()["id"]
    deadline = time.time() + 30
    while (job := client.get(f"/v1/batches/{job_id}").json())["state"] != "failed":
        assert time.time() < deadline, job
        time.sleep(0.05)
    assert "a bug in the checker" in job["error"] and job["rows_done"] == 0
    assert client.get(f"/v1/batches/{job_id}/results").text == ""
    assert list((Path(settings.data_dir) / "uploads").iterdir()) == []


# ---------------------------------------------------------------- the rubric is the caller's

def _custom_rubric(tmp_path) -> Path:
    root = tmp_path / "rubrics"
    shutil.copytree(Settings().rubric_dir, root)
    text = (root / "rubric.yaml").read_text(encoding="utf-8")
    text = re.sub(r'version: "[^"]+"', 'version: "test-heavier"', text)
    text = text.replace("vague_promise:           {weight: 10", "vague_promise:           {weight: 40")
    (root / "rubric.yaml").write_text(text, encoding="utf-8")
    return root


def test_the_rubric_comes_from_the_callers_settings(tmp_path):
    root = _custom_rubric(tmp_path)
    src = tmp_path / "in.jsonl"
    with src.open("wb") as f:
        for i in range(2000):
            f.write(jl({"id": str(i), "reply": HANS[1]}))  # 尽快: a vague promise
    scores = {}
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}.jsonl"
        res = tactful("batch", str(src), "--out", str(out), "--workers", workers, "--report", str(tmp_path / "r.json"),
                      "--no-progress", env={"TACTFUL_RUBRIC_DIR": str(root)})
        assert res.returncode == 0, res.stderr
        rows = read_jsonl(out)
        assert {r["rubric_version"] for r in rows} == {"test-heavier"}, workers
        scores[workers] = {r["score"] for r in rows}
        report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
        assert report["rubric_version"] == report["job"]["rubric_version"] == "test-heavier"
    res = tactful("batch", str(src), "--out", str(tmp_path / "default.jsonl"), "--no-progress")
    default = read_jsonl(tmp_path / "default.jsonl")  # the default rubric scores it higher
    assert scores["1"] == scores["2"] and max(scores["1"]) < min(r["score"] for r in default)

    s = Settings(db_path=tmp_path / "t.db", data_dir=tmp_path / "data", model="", rubric_dir=root)
    with TestClient(create_app(s)) as c:
        job, rows = http_run(c, "in.jsonl", src.read_bytes())
        assert job["rubric_version"] == "test-heavier" and {r["score"] for r in rows} == scores["1"]
        assert c.get(f"/v1/batches/{job['id']}/report").json()["rubric_version"] == "test-heavier"


def test_nothing_in_the_batch_package_loads_a_default_rubric_or_reads_global_settings():
    import ast

    for path in sorted((ROOT / "service" / "batch").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name == "load_rubric":
                    assert node.args or node.keywords, f"{path.name}:{node.lineno}: load_rubric() with no folder"
                assert name not in ("get_settings", "Settings", "default_rubric_dir"), f"{path.name}:{node.lineno}"


# ---------------------------------------------------------------- the detector

@pytest.mark.parametrize("data,expected", [
    (codecs.BOM_UTF8 + "id,reply\n1,您好\n".encode(), "utf-8"),
    (codecs.BOM_UTF16_LE + "id\treply\n1\t您好\n".encode("utf-16-le"), "utf-16"),
    (codecs.BOM_UTF16_BE + "id\treply\n1\t您好\n".encode("utf-16-be"), "utf-16"),
    (codecs.BOM_UTF32_LE + "id\treply\n1\t您好\n".encode("utf-32-le"), "utf-32"),
    (delimited(rows_of(HANS, 3)).encode("gbk"), "gb18030"),
    (delimited(rows_of(HANT, 3)).encode("big5"), {"big5", "cp950"}),
    ("id,reply\n1,hello\n".encode(), "utf-8"),
])
def test_the_detector_on_each_kind_of_file(data, expected):
    from service.batch.encoding import detect_bytes

    got = detect_bytes(data)
    assert got in expected if isinstance(expected, set) else got == expected


@pytest.mark.parametrize("codec,replies", [("utf-8", HANS), ("gbk", HANS), ("big5", HANT)])
def test_a_damaged_line_does_not_change_what_the_file_is(codec, replies):
    from service.batch.encoding import detect_bytes

    head, _, rest = delimited(rows_of(replies, 30)).encode(codec).partition(b"\r\n")
    data = head + b"\r\nT0,\xff\xfe broken \xff,li,chat,2026-01-01\r\n" + rest
    assert detect_bytes(data) in {"utf-8": {"utf-8"}, "gbk": {"gb18030"}, "big5": {"big5", "cp950"}}[codec]


def test_a_utf8_file_never_loads_the_detector(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(delimited(rows_of(HANS + HANT + EN, 50)), encoding="utf-8")
    code = (f"import sys; from service.batch.encoding import detect_encoding; "
            f"print(detect_encoding({str(src)!r}), 'charset_normalizer' in sys.modules)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert res.stdout.split() == ["utf-8", "False"], res.stderr
