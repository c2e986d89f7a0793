"""Load test of the HTTP service. Prints figures; asserts nothing. Loopback only, bounded.

    python bench/load_bench.py [--clients 50] [--seconds 60] [--url http://127.0.0.1:8000]
                               [--api-key KEY] [--draft-share 0.4]

Without --url it starts `tactful serve` itself on a free 127.0.0.1 port (offline drafter, a
temporary database, no model and no network) and stops it afterwards. With --url it drives an
already-running server, which must be on a loopback address (anything else is refused).

N clients, each a closed loop (send, wait for the answer, send the next), for S seconds, with
a mix of POST /v1/drafts (tickets in zh-Hans, zh-Hant and en; offline drafter) and
POST /v1/reviews (agent replies, most of them with findings). Prints per endpoint and
overall: requests, throughput, p50/p90/p99 latency, errors by status (non-2xx) or exception,
and the server's peak RSS (VmHWM) when its process can be found. The load generator runs on
the same machine as the server, so the two share its cores.

--api-key KEY is sent as `Authorization: Bearer KEY` (auth is off on 127.0.0.1 by default).

The client keeps idle connections for --keepalive-expiry seconds (5, httpx's default), as a
real client would. The server keeps them for TACTFUL_KEEP_ALIVE_S (75 s): were the two equal,
a request sent on a connection the server is closing at that instant would be reset (a
ReadError here, not an HTTP status), which is how this bench found uvicorn's 5 s default.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from loopback import free_port, wait_for  # noqa: E402

MAX_CLIENTS, MAX_SECONDS = 500, 600  # bounded, whatever the flags say

# ---------------------------------------------------------------- request mix

TICKETS = {
    "zh-Hans": [
        "我买的蓝牙耳机左耳没有声音，订单{o}，才用了三天！",
        "快递显示已签收，但我根本没收到包裹，订单号{o}，你们怎么回事？",
        "退款申请提交一周了还没到账，到底什么时候退？",
        "收到的衣服尺码发错了，我要换货，订单{o}。",
        "你们的客服电话一直打不通，我已经等了半个小时了。",
        "咖啡机漏水，地板都湿了，要求全额退款。",
        "会员被自动续费了，我没有同意过，请马上退回。",
    ],
    "zh-Hant": [
        "我買的咖啡機一直漏水，訂單{o}，請盡快處理。",
        "包裹已經延遲一週了，還是沒有收到，請問什麼時候會到？",
        "信用卡被重複扣款兩次，請立刻退回多扣的金額。",
        "收到的商品有刮痕，我要退貨。",
        "客服一直沒有回覆我的郵件，非常失望。",
    ],
    "en": [
        "My kettle from order {o} arrived cracked. This is the second time!",
        "I was charged twice for the same order and nobody answers my emails.",
        "The package says delivered but I never got it. Order {o}.",
        "I cancelled my subscription last month and you still charged me.",
        "The headphones stopped working after a week. I want a refund, not a repair.",
        "Your app keeps logging me out and I can't check my order status.",
    ],
}
THREAD = {
    "zh-Hans": [{"role": "customer", "text": "你好，我的订单有问题。"},
                {"role": "agent", "text": "您好，请问是哪个订单呢？"}],
    "zh-Hant": [{"role": "customer", "text": "你好，我的訂單有問題。"},
                {"role": "agent", "text": "您好，請問是哪一筆訂單呢？"}],
    "en": [{"role": "customer", "text": "Hi, there's a problem with my order."},
           {"role": "agent", "text": "Hi! Which order is it about?"}],
}
NAMES = {"zh-Hans": ["王芳", "李雷", "张伟"], "zh-Hant": ["陳美玲", "林志明"], "en": ["Sam Lee", "Alex Kim"]}
REPLIES = {  # most replies carry at least one finding (vague promise, blame, over-promise...)
    "zh-Hans": [
        "您好，非常抱歉让您久等了。我们会尽快处理，请耐心等待。",
        "这是物流公司的问题，请您直接联系快递。",
        "根据条款第5条，不予退换。这个不归我们管，我也不清楚。",
        "我们保证一定全额退款。为了核实身份，请提供您的银行卡密码。",
        "非常抱歉给您添麻烦了。您的订单{o}已补发，今天18点前发出。如有问题请联系我，电话400-820-1234。",
    ],
    "zh-Hant": [
        "您好，很抱歉讓您久等了。我們會盡快處理，稍後聯絡您。",
        "這是系統自動扣款的，不是我們的錯。",
        "請提供您的身分證號碼以便核對。",
        "很抱歉造成您的不便。退款已於今天退回您的信用卡，約5個工作天入帳。",
    ],
    "en": [
        "We'll look into it and get back to you shortly.",
        "That's the courier's fault, please contact them.",
        "I guarantee this will never happen again. Please send us your card number to verify.",
        "I'm so sorry about the cracked kettle. A replacement for order {o} ships today and arrives within 2 business days.",
    ],
}
LANG_WEIGHTS = {"zh-Hans": 5, "zh-Hant": 2, "en": 3}


def _lang(rng: random.Random) -> str:
    return rng.choices(list(LANG_WEIGHTS), weights=list(LANG_WEIGHTS.values()))[0]


def draft_body(rng: random.Random) -> dict:
    lang = _lang(rng)
    order = str(rng.randint(10_000_000_000, 99_999_999_999))
    body: dict = {"message": rng.choice(TICKETS[lang]).format(o=order),
                  "channel": rng.choice(["chat", "chat", "email", "social", "phone"]),
                  "tone": rng.choice(["warm", "warm", "formal", "brief"])}
    if rng.random() < 0.5:
        body["customer_name"] = rng.choice(NAMES[lang])
    if rng.random() < 0.5:
        body["order_id"] = order
    if rng.random() < 0.2:
        body["thread"] = THREAD[lang]
    if rng.random() < 0.1:
        body["lang"] = lang
    return body


def review_body(rng: random.Random) -> dict:
    lang = _lang(rng)
    order = str(rng.randint(10_000_000_000, 99_999_999_999))
    parts = rng.sample(REPLIES[lang], k=rng.randint(1, 2))
    body: dict = {"reply": (" " if lang == "en" else "").join(parts).format(o=order)}
    if rng.random() < 0.5:
        body["complaint"] = rng.choice(TICKETS[lang]).format(o=order)
    if rng.random() < 0.1:
        body["lang"] = lang
    return body


# ---------------------------------------------------------------- measuring

@dataclass
class Stats:
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)  # "HTTP 500", "ReadTimeout", ...
    findings: int = 0
    samples: list[str] = field(default_factory=list)  # the first few errors, in detail

    def error(self, kind: str, at_s: float, detail: str) -> None:
        self.errors[kind] += 1
        if len(self.samples) < 5:
            self.samples.append(f"{at_s:6.1f} s  {kind}: {detail}")

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * p // 100))  # ceil(n * p / 100), at least 1
    return sorted_values[int(rank) - 1]


async def drive(url: str, clients: int, seconds: float, draft_share: float, api_key: str | None,
                seed: int, keepalive_expiry: float = 5.0) -> tuple[dict[str, Stats], float]:
    import httpx

    headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients,
                          keepalive_expiry=keepalive_expiry)
    stats = {"POST /v1/drafts": Stats(), "POST /v1/reviews": Stats()}
    # trust_env=False: no proxy from the environment, the requests stay on loopback
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=30,
                                 trust_env=False) as client:
        warm = random.Random(seed - 1)
        for _ in range(5):  # warm up: imports, templates, rubric, the database
            (await client.post("/v1/drafts", json=draft_body(warm))).raise_for_status()
            (await client.post("/v1/reviews", json=review_body(warm))).raise_for_status()

        start = time.perf_counter()
        deadline = start + seconds

        async def one_client(n: int) -> None:
            rng = random.Random(seed * 1000 + n)
            while time.perf_counter() < deadline:
                if rng.random() < draft_share:
                    name, path, body = "POST /v1/drafts", "/v1/drafts", draft_body(rng)
                else:
                    name, path, body = "POST /v1/reviews", "/v1/reviews", review_body(rng)
                s = stats[name]
                t = time.perf_counter()
                try:
                    r = await client.post(path, json=body)
                    content = r.content
                except httpx.HTTPError as e:
                    s.latencies_ms.append((time.perf_counter() - t) * 1000)
                    cause = e.__context__ or e.__cause__
                    s.error(type(e).__name__, t - start,
                            f"{e!r} after {(time.perf_counter() - t) * 1000:.0f} ms"
                            + (f", caused by {cause!r}" if cause else ""))
                    continue
                s.latencies_ms.append((time.perf_counter() - t) * 1000)
                if not 200 <= r.status_code < 300:
                    s.error(f"HTTP {r.status_code}", t - start, content[:200].decode("utf-8", "replace"))
                elif name == "POST /v1/reviews" and b'"findings":[]' not in content:
                    s.findings += 1

        await asyncio.gather(*(one_client(n) for n in range(clients)))
        elapsed = time.perf_counter() - start
    return stats, elapsed


# ---------------------------------------------------------------- the server

def check_loopback(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SystemExit(f"--url must be http://127.0.0.1:PORT or similar, not {url!r}")
    host = parts.hostname
    try:
        addresses = {str(ipaddress.ip_address(host.split("%")[0]))}
    except ValueError:  # a name: only localhost, read from the hosts file (no DNS query)
        if host.lower().rstrip(".") not in ("localhost", "localhost.localdomain"):
            raise SystemExit(f"refusing {url}: give a loopback address (127.0.0.1, ::1) or "
                             f"localhost, not {host!r}") from None
        try:
            addresses = {info[4][0] for info in socket.getaddrinfo(host, parts.port or 80)}
        except OSError as e:
            raise SystemExit(f"cannot resolve {host!r}: {e}") from None
    if not addresses or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        raise SystemExit(f"refusing {url}: this load test only runs against a loopback address "
                         f"(127.0.0.0/8 or ::1), and {parts.hostname} is {', '.join(sorted(addresses))}")


def _listening_pid(port: int) -> int | None:
    """The pid of the process listening on `port` (Linux /proc; only our own processes)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:  # 0A = LISTEN
                inodes.add(cols[9])
    if not inodes:
        return None
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                link = os.readlink(fd)
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    return int(proc.name)
        except OSError:
            continue
    return None


def _status_mb(pid: int, key: str) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def start_server() -> tuple[subprocess.Popen, str, Path]:
    port = free_port()
    data = Path(tempfile.mkdtemp(prefix="tactful-load-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TACTFUL_")}
    env.update(TACTFUL_DB_PATH=str(data / "load.db"), TACTFUL_DATA_DIR=str(data), TACTFUL_MODEL="",
               LITELLM_LOCAL_MODEL_COST_MAP="True")
    log = (data / "server.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "service", "serve", "--host", "127.0.0.1",
                             "--port", str(port)], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    try:
        wait_for(port)
    except SystemExit:
        proc.kill()
        proc.wait()
        raise SystemExit(f"the server did not start; its log: {data / 'server.log'}") from None
    return proc, f"http://127.0.0.1:{port}", data


# ---------------------------------------------------------------- report

def report(stats: dict[str, Stats], elapsed: float) -> None:
    overall = Stats()
    for s in stats.values():
        overall.latencies_ms += s.latencies_ms
        overall.errors.update(s.errors)
    rows = [*stats.items(), ("overall", overall)]
    print(f"{'endpoint':<18}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}"
          f"{'max ms':>9}  errors")
    for name, s in rows:
        lat = sorted(s.latencies_ms)
        errs = sum(s.errors.values())
        detail = f" ({', '.join(f'{k}: {v}' for k, v in s.errors.most_common())})" if errs else ""
        print(f"{name:<18}{s.requests:>9,}{s.requests / elapsed:>9.1f}{percentile(lat, 50):>9.1f}"
              f"{percentile(lat, 90):>9.1f}{percentile(lat, 99):>9.1f}{(lat[-1] if lat else float('nan')):>9.1f}"
              f"  {errs}{detail}")
    for name, s in stats.items():
        for line in s.samples:
            print(f"  error sample, {name}: {line}")
    reviews = stats["POST /v1/reviews"]
    ok = reviews.requests - sum(reviews.errors.values())
    if ok:
        print(f"reviews with at least one finding: {reviews.findings / ok:.0%}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=50, help=f"concurrent clients (at most {MAX_CLIENTS})")
    ap.add_argument("--seconds", type=float, default=60, help=f"duration (at most {MAX_SECONDS})")
    ap.add_argument("--url", help="an already-running server on a loopback address")
    ap.add_argument("--api-key", help="sent as Authorization: Bearer KEY")
    ap.add_argument("--draft-share", type=float, default=0.4, help="share of requests that are drafts")
    ap.add_argument("--keepalive-expiry", type=float, default=5.0,
                    help="seconds an idle client connection is reused for (httpx's default, 5)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", action="store_true", help="keep the started server's database and log")
    args = ap.parse_args()
    if not 1 <= args.clients <= MAX_CLIENTS:
        raise SystemExit(f"--clients must be 1..{MAX_CLIENTS}")
    if not 0 < args.seconds <= MAX_SECONDS:
        raise SystemExit(f"--seconds must be in (0, {MAX_SECONDS}]")
    if not 0 <= args.draft_share <= 1:
        raise SystemExit("--draft-share must be in [0, 1]")

    import httpx

    proc = data = None
    if args.url:
        check_loopback(args.url)
        url = args.url.rstrip("/")
        parts = urlsplit(url)
        pid = _listening_pid(parts.port or (443 if parts.scheme == "https" else 80))
    else:
        proc, url, data = start_server()
        pid = proc.pid
    try:
        try:
            import uvloop  # a lighter client: it shares the machine's cores with the server

            loop_factory = uvloop.new_event_loop
        except ImportError:
            loop_factory = None
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            try:
                stats, elapsed = runner.run(drive(url, args.clients, args.seconds, args.draft_share,
                                                  args.api_key, args.seed, args.keepalive_expiry))
            except httpx.HTTPStatusError as e:
                raise SystemExit(f"warm-up request failed: {e.response.status_code} {e.response.text[:300]}") from None
            except httpx.HTTPError as e:
                raise SystemExit(f"cannot reach {url}: {e!r}") from None
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        peak = _status_mb(pid, "VmHWM") if pid else None
        rss = _status_mb(pid, "VmRSS") if pid else None
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    client_cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    print(f"tactful load: {url}{' (started here: offline drafter, temporary db)' if proc else ''}, "
          f"{args.clients} clients for {elapsed:.1f} s, {args.draft_share:.0%} drafts / "
          f"{1 - args.draft_share:.0%} reviews, {os.cpu_count()} cores shared with the load generator "
          f"(which used {client_cpu / elapsed:.2f} cores)")
    report(stats, elapsed)
    if peak is not None:
        print(f"server peak RSS (VmHWM): {peak:.0f} MB (RSS at the end {rss:.0f} MB, pid {pid})")
    else:
        print("server peak RSS: not measurable (the listening process was not found in /proc)")
    if data is not None:
        errors = sum(sum(s.errors.values()) for s in stats.values())
        if args.keep or errors:
            print(f"server log and database kept in {data}")
        else:
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
