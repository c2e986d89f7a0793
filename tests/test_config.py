"""One configuration path: a company's own rubric folder and policy (made with `tactful init`)
are used by every route and command, never the built-in ones."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.settings import Settings
from service.web.app import create_app

ROOT = Path(__file__).resolve().parent.parent
CUSTOM_RULE = ("- id: vague.sloppy\n  category: vague_promise\n  severity: error\n"
               "  message: 马马虎虎不是承诺\n  phrases: [马马虎虎]\n")
SLOPPY = "您好,非常抱歉。我们会马马虎虎处理。"


def tactful(*args, env=None, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "service", *args], capture_output=True, cwd=cwd,
                          timeout=120, env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def company(tmp_path_factory) -> Path:
    """`tactful init` a copy, then edit it as a company would: a rule, a version, a policy."""
    target = tmp_path_factory.mktemp("acme") / "acme"
    res = tactful("init", str(target))
    assert res.returncode == 0, res.stderr.decode()
    out = res.stdout.decode()
    assert f"TACTFUL_RUBRIC_DIR={target.resolve() / 'rubrics'}" in out
    rubrics = target / "rubrics"
    (rubrics / "rules" / "zh" / "zz_acme.yaml").write_text(CUSTOM_RULE, encoding="utf-8")
    rubric = (rubrics / "rubric.yaml").read_text(encoding="utf-8")
    (rubrics / "rubric.yaml").write_text(rubric.replace('version: "', 'version: "acme-', 1), encoding="utf-8")
    policy = (rubrics / "policy.yaml").read_text(encoding="utf-8")
    assert "no_reason_days: 7 " in policy
    (rubrics / "policy.yaml").write_text(policy.replace("no_reason_days: 7 ", "no_reason_days: 11 "), encoding="utf-8")
    return target


def test_init_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    res = tactful("init", str(tmp_path))
    assert res.returncode == 2 and "not an empty folder" in res.stderr.decode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_init_copies_every_file_of_the_defaults(company):
    for name in ("rubrics", "prompts"):
        ours = sorted(p.relative_to(ROOT / name).as_posix() for p in (ROOT / name).rglob("*") if p.is_file())
        theirs = {p.relative_to(company / name).as_posix() for p in (company / name).rglob("*") if p.is_file()}
        assert set(ours) <= theirs


@pytest.fixture(scope="module")
def client(company, tmp_path_factory):
    db = tmp_path_factory.mktemp("db") / "t.db"
    settings = Settings(db_path=db, model="", rubric_dir=company / "rubrics", prompt_dir=company / "prompts")
    assert settings.policy_path == company / "rubrics" / "policy.yaml"  # follows the rubric folder
    with TestClient(create_app(settings)) as c:
        yield c


def test_every_route_uses_the_companys_rubric(client):
    assert client.get("/healthz").json()["rubric_version"].startswith("acme-")
    assert client.get("/ui/config").json()["rubric_version"].startswith("acme-")
    one = client.post("/v1/reviews", json={"reply": SLOPPY}).json()
    assert "vague.sloppy" in {f["rule"] for f in one["findings"]} and one["rubric_version"].startswith("acme-")
    grounded = client.post("/v1/reviews", json={"reply": SLOPPY, "policy": True}).json()
    assert "vague.sloppy" in {f["rule"] for f in grounded["findings"]}
    many = client.post("/v1/reviews/batch", json={"items": [{"reply": SLOPPY}]}).json()
    assert "vague.sloppy" in {f["rule"] for f in many["results"][0]["review"]["findings"]}


def test_drafts_use_the_companys_policy_and_rubric(client):
    body = client.post("/v1/drafts", json={"message": "What is your return window?"}).json()
    assert "within 11 days" in body["text"].lower() and "within 7 days" not in body["text"].lower()
    assert body["review"]["rubric_version"].startswith("acme-")
    # the policy's own figure is grounded: no `ungrounded` finding for 11 days
    assert not [f for f in body["review"]["findings"] if f["category"] == "ungrounded"]


def test_the_cli_uses_the_companys_rubric_and_policy(company, tmp_path):
    env = {"TACTFUL_RUBRIC_DIR": str(company / "rubrics"), "TACTFUL_PROMPT_DIR": str(company / "prompts"),
           "TACTFUL_DB_PATH": str(tmp_path / "t.db")}
    review = json.loads(tactful("review", SLOPPY, "--format", "json", env=env).stdout)
    assert "vague.sloppy" in {f["rule"] for f in review["findings"]}
    draft = json.loads(tactful("draft", "--message", "What is your return window?", "--json", env=env).stdout)
    assert "within 11 days" in draft["text"].lower()
    # --rubric names a folder for one run, the policy beside it
    plain = json.loads(tactful("review", SLOPPY, "--format", "json").stdout)
    assert "vague.sloppy" not in {f["rule"] for f in plain["findings"]}
    forced = json.loads(tactful("review", SLOPPY, "--format", "json", "--rubric", str(company / "rubrics")).stdout)
    assert "vague.sloppy" in {f["rule"] for f in forced["findings"]}


@pytest.mark.parametrize("name,value,message", [
    ("TACTFUL_PORT", "eighty", "TACTFUL_PORT='eighty' is not a whole number"),
    ("TACTFUL_AUTH", "maybe", "TACTFUL_AUTH must be one of auto, on, off"),
])
def test_a_bad_setting_is_one_clear_line(name, value, message):
    res = tactful("review", "好的", env={name: value})
    assert res.returncode == 2 and message in res.stderr.decode()
    assert "Traceback" not in res.stderr.decode()


def test_make_run_honours_the_port_from_the_environment_and_the_command_line():
    env = {**os.environ, "TACTFUL_PORT": "9123"}
    dry = subprocess.run(["make", "-n", "run"], capture_output=True, text=True, cwd=ROOT, env=env)
    assert "--port 9123" in dry.stdout, dry.stdout
    dry = subprocess.run(["make", "-n", "run", "PORT=9321"], capture_output=True, text=True, cwd=ROOT, env=env)
    assert "--port 9321" in dry.stdout
