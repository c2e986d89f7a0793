"""schemathesis against the running service's OpenAPI schema, `--checks all`, with API keys
required and a key sent: every documented status, every response shape, schema-valid data
accepted, invalid data rejected, unknown methods answered with a correct Allow header, auth
not ignored. The seed is fixed so CI is repeatable; `make fuzz` runs with a fresh seed."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from servers import Service

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SEED = "20261123"


@pytest.fixture
def server(tmp_path):
    service = Service(tmp_path, auth="on")
    key = service.create_key("admin", rpm=1_000_000)
    try:
        yield service.start().url, key
    finally:
        service.kill()


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
