"""Benchmark of batch scoring as a service. Prints figures; asserts nothing. Loopback only.

    python bench/batch_http_bench.py [--rows 1000000] [--small 100000]

Starts `tactful serve` in its own process, uploads a generated CSV export (streamed, raw
body), polls until the job is done, streams the results back, and fetches the report. Prints
rows/s for scoring, upload and download times, the time to produce the report, and the
service process's peak memory (VmHWM), for two input sizes to show it stays flat.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from loopback import free_port, wait_for  # noqa: E402
from review_bench import make_reply  # noqa: E402

OUT = ROOT / "bench" / "out"


def write_csv(path: Path, rows: int) -> None:
    if path.exists():
        return
    rng = random.Random(11)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "reply", "agent", "channel", "created_at"])
        for i in range(rows):
            reply, agent = make_reply(rng)
            w.writerow([f"r{i}", reply, agent, rng.choice(["chat", "email", "social", "phone"]),
                        f"2026-{rng.randint(8, 11):02d}-{rng.randint(1, 28):02d}"])


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(rows: int) -> None:
    import httpx

    src = OUT / f"export-{rows}.csv"
    write_csv(src, rows)
    port = free_port()
    data = Path(tempfile.mkdtemp())
    env = dict(os.environ, TACTFUL_DB_PATH=str(data / "t.db"), TACTFUL_DATA_DIR=str(data),
               TACTFUL_MODEL="")
    proc = subprocess.Popen([sys.executable, "-m", "service", "serve", "--port", str(port)], env=env,
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(port)
        with httpx.Client(base_url=url, timeout=600) as c:
            t = time.perf_counter()
            with src.open("rb") as f:
                job = c.post(f"/v1/batches?filename={src.name}", content=f,
                             headers={"content-type": "text/csv"}).json()
            upload = time.perf_counter() - t
            t = time.perf_counter()
            while True:
                state = c.get(f"/v1/batches/{job['id']}").json()
                if state["state"] not in ("queued", "running"):
                    break
                time.sleep(0.5)
            scoring = time.perf_counter() - t
            t = time.perf_counter()
            n = 0
            with c.stream("GET", f"/v1/batches/{job['id']}/results") as r:
                for line in r.iter_lines():
                    n += bool(line)
            download = time.perf_counter() - t
            t = time.perf_counter()
            report = c.get(f"/v1/batches/{job['id']}/report").json()
            report_s = time.perf_counter() - t
            t = time.perf_counter()
            html = c.get(f"/v1/batches/{job['id']}/report?format=html").text
            html_s = time.perf_counter() - t
        print(f"{rows:>9,} rows ({src.stat().st_size / 1e6:.0f} MB CSV): upload {upload:.1f} s, "
              f"scoring {rows / scoring:,.0f} rows/s ({scoring:.1f} s, state {state['state']}), "
              f"results {n:,} rows in {download:.1f} s, report json {report_s:.2f} s, html {html_s:.2f} s "
              f"({len(html) / 1e3:.0f} kB), service peak RSS {peak_rss_mb(proc.pid):.0f} MB")
        assert n == rows and report["overall"]["rows"] == rows
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--small", type=int, default=100_000)
    args = ap.parse_args()
    for rows in (args.small, args.rows):
        run(rows)


if __name__ == "__main__":
    main()
