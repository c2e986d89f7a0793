"""Benchmark of drafting. Prints figures; asserts nothing. Loopback only, bounded.

    python bench/draft_bench.py [--n 200] [--concurrent 200] [--offline 1000]

A fake OpenAI-compatible server runs on 127.0.0.1 in its own process (answering at once, and
after 500 ms).
1. Bare litellm.acompletion to it: median latency.
2. POST /v1/drafts to `tactful serve` running in its own process (HTTP over loopback, triage,
   prompts, the same litellm call, parsing, review, grounding, storage): median latency. The
   difference is the service's own overhead per draft (target: under 15 ms).
3. 200 concurrent drafts against the 500 ms server: wall time (target: under 2 s), with one
   server process and with `--workers 2` (one per core of the benchmark machine).
4. Offline drafts per second, sequentially: over HTTP, and in-process (target: at least 500/s).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from loopback import free_port, wait_for  # noqa: E402

ANSWER = json.dumps({
    "apology": "非常抱歉您的蓝牙耳机出现问题,给您添麻烦了。",
    "restatement": "您订单{order_id}中的蓝牙耳机左耳没有声音。",
    "remedies": ["exchange_defect", "voucher"],
    "close": "感谢您的耐心,有任何问题随时找我。"}, ensure_ascii=False)


def _serve(port: int, delay_s: float) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def completions(request):
        body = await request.json()
        if delay_s:
            await asyncio.sleep(delay_s)
        return JSONResponse({
            "id": "chatcmpl-bench", "object": "chat.completion", "created": 1, "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": ANSWER}}],
            "usage": {"prompt_tokens": 900, "completion_tokens": 120, "total_tokens": 1020}})

    app = Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", backlog=2048)


def fake_server(delay_s: float) -> int:
    """Start a fake OpenAI-compatible server in its own process (as a real model server would
    be, so it does not share this process's CPU); return its port."""
    import multiprocessing

    port = free_port()
    proc = multiprocessing.Process(target=_serve, args=(port, delay_s), daemon=True)
    proc.start()
    wait_for(port)
    return port


async def bare(port: int, n: int) -> list[float]:
    from service.drafting.models import litellm_module

    lt = litellm_module()
    times = []
    for _ in range(n):
        t = time.perf_counter()
        await lt.acompletion(model="openai/gpt-4o-mini", api_base=f"http://127.0.0.1:{port}/v1",
                             api_key="sk-bench", timeout=10, max_tokens=800,
                             response_format={"type": "json_object"}, num_retries=0, max_retries=0,
                             messages=[{"role": "system", "content": "x" * 3000},
                                       {"role": "user", "content": "我买的蓝牙耳机左耳没有声音"}])
        times.append((time.perf_counter() - t) * 1000)
    return times


@contextlib.contextmanager
def service(model_port: int | None, workers: int = 1):
    """`tactful serve` in its own process, as deployed, with the model at the fake server."""
    import subprocess

    port = free_port()
    env = dict(os.environ, TACTFUL_DB_PATH=str(Path(tempfile.mkdtemp()) / "bench.db"),
               OPENAI_API_KEY="sk-bench", TACTFUL_MODEL="openai/gpt-4o-mini" if model_port else "",
               TACTFUL_API_BASE=f"http://127.0.0.1:{model_port}/v1" if model_port else "")
    proc = subprocess.Popen([sys.executable, "-m", "service", "serve", "--port", str(port),
                             "--workers", str(workers)],
                            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


BODY = {"message": "我买的蓝牙耳机左耳没有声音,订单20261103886", "customer_name": "王芳"}


async def drafts(url: str, n: int, concurrent: int = 1, offline: bool = False) -> tuple[list[float], float, int]:
    """Send the drafts with aiohttp (installed with litellm): a light load generator. It shares
    the 2 cores with the service, and httpx's pool cost about 7 ms of CPU per request at 200
    connections, as much as the service itself."""
    import aiohttp

    connector = aiohttp.TCPConnector(limit=concurrent + 10)
    async with aiohttp.ClientSession(url, connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=30)) as client:
        for _ in range(5):  # warm up: imports, templates, rubric, connections
            async with client.post("/v1/drafts", json=BODY) as r:
                await r.read()
        times: list[float] = []
        errors = 0

        async def one():
            nonlocal errors
            t = time.perf_counter()
            async with client.post("/v1/drafts", json=BODY) as r:
                body = await r.json()
            times.append((time.perf_counter() - t) * 1000)
            if r.status != 200 or (body["model"] == "offline") != offline:
                errors += 1

        start = time.perf_counter()
        if concurrent > 1:
            await asyncio.gather(*(one() for _ in range(concurrent)))
        else:
            for _ in range(n):
                await one()
        return times, time.perf_counter() - start, errors


async def offline_in_process(n: int, in_flight: int = 1) -> float:
    """Offline drafts per second through create_draft, `in_flight` at a time (a server has
    several requests in flight: one's SQLite write, in a thread, overlaps the next's drafting)."""
    from service.drafting.pipeline import create_draft
    from service.playbook import Playbook
    from service.schemas import DraftRequest
    from service.settings import Settings
    from service.store import migrate

    settings = Settings(db_path=Path(tempfile.mkdtemp()) / "bench.db", model="")
    migrate(settings.db_path)
    playbook, req = Playbook.from_settings(settings).load(), DraftRequest(**BODY)
    for _ in range(20):
        await create_draft(req, settings, playbook, None)

    async def worker(count: int) -> None:
        for _ in range(count):
            await create_draft(req, settings, playbook, None)

    start = time.perf_counter()
    await asyncio.gather(*(worker(n // in_flight) for _ in range(in_flight)))
    return (n // in_flight) * in_flight / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--concurrent", type=int, default=200)
    ap.add_argument("--offline", type=int, default=1000)
    args = ap.parse_args()

    fast, slow = fake_server(0.0), fake_server(0.5)
    asyncio.run(bare(fast, 20))  # warm up litellm
    b = asyncio.run(bare(fast, args.n))
    with service(fast) as url:
        d, _, errs = asyncio.run(drafts(url, args.n))
    print(f"bare litellm.acompletion (instant server): median {statistics.median(b):6.1f} ms")
    print(f"POST /v1/drafts to tactful serve      : median {statistics.median(d):6.1f} ms  errors {errs}")
    print(f"service overhead per draft:                median {statistics.median(d) - statistics.median(b):6.1f} ms")

    for workers in (1, 2):
        with service(slow, workers) as url:
            walls = []
            for _ in range(3):  # three bursts on one server: the first opens the connections
                c, wall, errs = asyncio.run(drafts(url, args.concurrent, concurrent=args.concurrent))
                walls.append(wall)
        print(f"{args.concurrent} concurrent drafts (500 ms server), tactful serve --workers {workers}: "
              f"{statistics.median(walls):.2f} s wall (median of {', '.join(f'{w:.2f}' for w in walls)}), "
              f"p50 {statistics.median(c):.0f} ms, max {max(c):.0f} ms, errors {errs}")

    with service(None) as url:
        o, wall, errs = asyncio.run(drafts(url, args.offline, offline=True))
    print(f"offline drafts, HTTP to tactful serve:  {args.offline / wall:,.0f} drafts/s "
          f"(median {statistics.median(o):.2f} ms, errors {errs}; the load generator shares the 2 cores)")
    for in_flight in (1, 4):
        rate = statistics.median(asyncio.run(offline_in_process(args.offline, in_flight)) for _ in range(3))
        print(f"offline drafts, create_draft in-process, {in_flight} in flight: {rate:,.0f} drafts/s "
              "(median of 3; triage, templates, review, grounding, SQLite)")


if __name__ == "__main__":
    main()
