"""Benchmark of the reply checker. Prints figures; asserts nothing.

    python bench/review_bench.py [--rows 100000] [--big 1000000] [--skip-big]

1. Generates N realistic replies (~150 characters, zh-Hans / zh-Hant / en, some with bad
   phrases) as JSONL under bench/out/.
2. `tactful batch` end to end (a subprocess, as a user runs it) with --workers 1 and 2:
   replies per second and peak memory (max RSS of the process tree).
3. In the same run, a bare single-pass pyahocorasick scan over all rule phrases of the same
   texts: replies per second, and the ratio of the two.
4. The same batch over --big rows, to show peak memory does not grow with input size.
5. `tactful review` start-up time (median of 7 runs).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))

HANS = [
    "您好，非常抱歉让您久等了。", "您于11月{d}日购买的蓝牙耳机（订单{o}）出现左耳无声的问题。",
    "我们将在3个工作日内为您补发新耳机，并退还运费12元。", "我们会尽快处理，请耐心等待。",
    "这是物流公司的问题，请您直接联系快递。", "如有任何问题，欢迎随时联系我，客服小李，电话400-820-1234。",
    "为了保证账户安全，请勿向任何人透露验证码。", "根据条款第5条，不予退换。", "我们保证一定全额退款。",
    "退款已原路退回，预计今天18点前到账。", "这个不归我们管，我也不清楚。",
]
HANT = [
    "您好，很抱歉讓您久等了。", "您於11月{d}日購買的咖啡機（訂單{o}）出現漏水。",
    "我們將在3個工作天內為您換貨，運費由我們負擔。", "我們會盡快處理，稍後聯絡您。",
    "如有任何問題，歡迎隨時與我聯繫，專線0800-123-456。", "請提供您的身分證號碼以便核對。",
    "退款已於今天退回您的信用卡，約5個工作天入帳。", "這是系統自動扣款的，不是我們的錯。",
]
EN = [
    "Hi, I'm so sorry for the trouble with your order.", "Your kettle from order {o}, delivered on Nov {d}, arrived cracked.",
    "A replacement ships today and arrives within 2 business days.", "We'll look into it and get back to you shortly.",
    "That's the courier's fault, please contact them.", "If anything else comes up, reach me directly at 555-0100, Sam.",
    "I guarantee this will never happen again.", "We will never ask for your password.",
]


def make_reply(rng: random.Random) -> tuple[str, str]:
    pool = rng.choices([HANS, HANT, EN], weights=[5, 2, 3])[0]
    parts = rng.sample(pool, k=min(len(pool), rng.randint(4, 6)))
    text = ("" if pool is not EN else " ").join(parts)
    return text.format(d=rng.randint(1, 28), o=rng.randint(10_000_000, 99_999_999)), (
        "agent-%02d" % rng.randint(1, 40))


def write_input(path: Path, rows: int, seed: int = 7) -> None:
    if path.exists() and path.stat().st_size > 0:
        with path.open("rb") as f:
            if sum(1 for _ in f) == rows:
                return
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for i in range(rows):
            reply, agent = make_reply(rng)
            f.write(json.dumps({"id": f"r{i}", "reply": reply, "agent": agent,
                                "channel": rng.choice(["chat", "email", "social", "phone"])},
                               ensure_ascii=False) + "\n")


_MEASURE = (
    "import resource, subprocess, sys, time; t = time.perf_counter(); "
    "rc = subprocess.run(sys.argv[1:]).returncode; d = time.perf_counter() - t; "
    "print(d, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc)"
)


def run_batch(src: Path, workers: int) -> tuple[float, float]:
    """Seconds and peak RSS (MB, the largest process of the run) of `tactful batch`."""
    dst = OUT / f"out-{src.stem}-w{workers}.jsonl"
    cmd = [sys.executable, "-c", _MEASURE, sys.executable, "-m", "service", "batch", str(src),
           "--out", str(dst), "--workers", str(workers), "--no-progress"]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    seconds, rss_kb, rc = res.stdout.split()
    if rc != "0":
        raise SystemExit(f"batch failed: {res.stderr}")
    return float(seconds), int(rss_kb) / 1024


def bare_scan(src: Path) -> tuple[float, int]:
    """A single pass of pyahocorasick over every rule phrase: the floor for any phrase matcher."""
    from service.checker.rubric_cache import load_rubric
    from service.settings import get_settings

    automaton = load_rubric(get_settings().rubric_dir).automaton
    texts = [json.loads(line)["reply"].lower() for line in src.open(encoding="utf-8")]
    t = time.perf_counter()
    hits = 0
    for text in texts:
        for _ in automaton.iter(text):
            hits += 1
    return time.perf_counter() - t, len(texts)


def startup() -> float:
    times = []
    for _ in range(7):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "service", "review", "我们会尽快处理", "--format", "json"],
                       capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--big", type=int, default=1_000_000)
    ap.add_argument("--skip-big", action="store_true")
    args = ap.parse_args()

    src = OUT / f"replies-{args.rows}.jsonl"
    write_input(src, args.rows)
    size_mb = src.stat().st_size / 1e6
    print(f"input: {args.rows:,} replies, {size_mb:.1f} MB, mean "
          f"{sum(len(json.loads(l)['reply']) for l in src.open(encoding='utf-8')) / args.rows:.0f} chars")

    # This machine's speed drifts by 20% and more between minutes (a shared VM): each figure
    # is the median of three runs, with their range, and the bare scan is timed in between.
    one = [run_batch(src, 1) for _ in range(3)]
    s1, m1 = statistics.median(s for s, _ in one), max(m for _, m in one)
    print(f"tactful batch --workers 1: {args.rows / s1:>10,.0f} replies/s  ({s1:.2f} s, peak RSS {m1:.0f} MB; "
          f"runs {', '.join(f'{args.rows / s:,.0f}' for s, _ in one)})")
    two = [run_batch(src, 2) for _ in range(3)]
    s2, m2 = statistics.median(s for s, _ in two), max(m for _, m in two)
    print(f"tactful batch --workers 2: {args.rows / s2:>10,.0f} replies/s  ({s2:.2f} s, peak RSS {m2:.0f} MB per process; "
          f"runs {', '.join(f'{args.rows / s:,.0f}' for s, _ in two)})  speed-up x{s1 / s2:.2f}")
    sb, n = bare_scan(src)
    print(f"bare pyahocorasick scan:   {n / sb:>10,.0f} replies/s  ({sb:.2f} s)")
    print(f"end-to-end / bare scan:    {(args.rows / s1) / (n / sb):.3f}")

    if not args.skip_big:
        big = OUT / f"replies-{args.big}.jsonl"
        write_input(big, args.big)
        sbig, mbig = run_batch(big, 1)
        print(f"peak RSS, --workers 1: {args.rows:,} rows {m1:.0f} MB; {args.big:,} rows {mbig:.0f} MB"
              f"  ({args.big / sbig:,.0f} replies/s)")
        sbig2, _ = run_batch(big, 2)  # start-up amortised: what two workers do on a long run
        print(f"{args.big:,} rows, --workers 2: {args.big / sbig2:,.0f} replies/s  (x{sbig / sbig2:.2f} of one worker)")

    print(f"tactful review start-up (median of 7): {startup() * 1000:.0f} ms")


if __name__ == "__main__":
    main()
