"""The wheel works outside the checkout: it carries the default rubric, policy, prompts and
pages, and `review`, `draft`, `batch` and `serve` run from another directory.

The wheel is built without build isolation and installed with --no-deps into a fresh venv;
the venv borrows this environment's installed dependencies through a .pth line (not its
site hooks, so this checkout's editable install stays out), which keeps the test offline."""

import json
import os
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from servers import free_port

ROOT = Path(__file__).resolve().parent.parent
GOOD = ("王先生您好,非常抱歉您11月3日购买的蓝牙耳机(订单20261103886)左耳没有声音。"
        "我们今天18点前为您寄出新耳机。如有任何问题,欢迎随时联系我:客服小李,电话400-820-1234。")


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict]:
    tmp = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                            "-q", "-w", str(tmp / "dist"), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    (wheel,) = (tmp / "dist").glob("tactful-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("service/defaults/rubrics/rubric.yaml", "service/defaults/rubrics/policy.yaml",
                   "service/defaults/rubrics/triage.yaml", "service/defaults/rubrics/rules/zh/vague_promise.yaml",
                   "service/defaults/prompts/system.j2", "service/defaults/prompts/offline/en/billing.j2",
                   "service/web/ui/agent.html", "service/templates/report.html.j2",
                   "service/checker/data/script_chars.json"):
        assert needed in names, needed
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
                              "--no-deps", "--no-index", str(wheel)], capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr
    site = Path(subprocess.check_output([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                        text=True).strip())
    (site / "zz_borrowed_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TACTFUL_")}
    env |= {"TACTFUL_DB_PATH": str(tmp / "t.db"), "TACTFUL_DATA_DIR": str(tmp / "data"),
            "LITELLM_LOCAL_MODEL_COST_MAP": "True", "TACTFUL_CACHE_DIR": str(tmp / "cache")}
    where = subprocess.check_output([str(python), "-c", "import service; print(service.__file__)"],
                                    text=True, cwd=tmp, env=env).strip()
    assert Path(where).is_relative_to(venv), where  # the installed package, not this checkout
    return venv, env


def run(venv: Path, env: dict, cwd: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run([str(venv / "bin" / "tactful"), *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)


def test_review_draft_and_batch_run_from_another_directory(installed, tmp_path):
    venv, env = installed
    review = run(venv, env, tmp_path, "review", GOOD, "--format", "json")
    assert review.returncode == 0, review.stderr
    assert json.loads(review.stdout)["passed"] is True
    draft = run(venv, env, tmp_path, "draft", "--message", "My kettle arrived cracked, order 55123", "--json")
    assert draft.returncode in (0, 1), draft.stderr
    assert "55123" in json.loads(draft.stdout)["text"]
    (tmp_path / "in.jsonl").write_text(json.dumps({"id": "a", "reply": GOOD}, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
    batch = run(venv, env, tmp_path, "batch", "in.jsonl", "--out", "out.jsonl", "--no-progress")
    assert batch.returncode == 0, batch.stderr
    assert json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8"))["passed"] is True
    init = run(venv, env, tmp_path, "init", "acme")
    assert init.returncode == 0 and (tmp_path / "acme" / "rubrics" / "policy.yaml").is_file(), init.stderr


def test_serve_runs_from_another_directory(installed, tmp_path):
    venv, env = installed
    port = free_port()
    proc = subprocess.Popen([str(venv / "bin" / "tactful"), "serve", "--port", str(port)], cwd=tmp_path,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"{url}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.poll() is not None else "timeout"
                time.sleep(0.2)
        assert health.json()["rules"] > 0
        assert "<html" in httpx.get(f"{url}/", timeout=5).text.lower()
        assert httpx.get(f"{url}/docs", timeout=5).status_code == 200
        r = httpx.post(f"{url}/v1/drafts", json={"message": "快递还没收到"}, timeout=30)
        assert r.status_code == 200 and r.json()["text"]
    finally:
        proc.terminate()
        proc.wait(timeout=20)
