"""schemathesis against the running service's OpenAPI schema, `--checks all`, with API keys
required and a key sent: every documented status, every response shape, schema-valid data
accepted, invalid data rejected, unknown methods answered with a correct Allow header, auth
not ignored. The seed is fixed so CI is repeatable; `make fuzz` runs with a fresh seed."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SEED = "20261123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    env = dict(os.environ, TACTFUL_DB_PATH=str(tmp_path / "fuzz.db"), TACTFUL_DATA_DIR=str(tmp_path),
               TACTFUL_AUTH="on", TACTFUL_MODEL="")
    created = subprocess.run([str(BIN / "tactful"), "keys", "create", "--name", "fuzz", "--scopes", "admin",
                              "--rpm", "1000000"], env=env, capture_output=True, text=True, check=True)
    key = created.stdout.strip().splitlines()[-1]
    port = free_port()
    proc = subprocess.Popen([str(BIN / "tactful"), "serve", "--port", str(port)], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("the service did not start")
        yield url, key
    finally:
        proc.kill()
        proc.wait(10)


def test_schemathesis_finds_no_failure_with_all_checks(server):
    url, key = server
    st = shutil.which("schemathesis", path=str(BIN)) or "schemathesis"
    out = subprocess.run(
        [st, "--no-color", "--config-file", str(ROOT / "tests" / "schemathesis.toml"), "run",
         f"{url}/openapi.json", "--checks", "all", "--max-examples", os.environ.get("FUZZ_EXAMPLES", "50"),
         "--seed", os.environ.get("FUZZ_SEED", SEED), "-H", f"Authorization: Bearer {key}"],
        capture_output=True, text=True, timeout=600, cwd=ROOT)
    report = out.stdout[-6000:] + out.stderr[-2000:]
    assert out.returncode == 0, report
    generated = [line for line in out.stdout.splitlines() if " generated" in line]
    assert generated and int(generated[-1].split()[0]) >= 300, report  # a few hundred examples at least
