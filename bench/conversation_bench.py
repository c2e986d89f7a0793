"""Benchmark of batches of conversations. Prints figures; asserts nothing.

    python bench/conversation_bench.py [--conversations 20000] [--runs 3]

Writes a CSV of chat conversations (one row per message: conversation_id, role, text, agent,
created_at, channel; a complaint or a question, a bot greeting, two to four agent turns, some
with a bad phrase) under bench/out/, once in conversation order and once with neighbouring
conversations interleaved, then runs `tactful batch` on each (a subprocess, as a user runs
it) with --workers 1 and 2. Prints messages and conversations per second and the peak memory
of the process tree: the median of --runs runs, with the lowest and highest. Runs are
interleaved (1, 2, 1, 2, ...) so that a noisy machine affects both alike.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import subprocess
import sys
from pathlib import Path

from review_bench import _MEASURE  # the same timing wrapper: seconds, peak RSS of the tree, exit code

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"

COMPLAINTS = ["我的快递{d}天了还没到,订单{o},怎么回事?", "收到的耳机左耳没声音,订单{o}", "为什么多扣了我{n}元?",
              "我的退款{d}天了还没到账", "Where is my refund? Order {o} was returned {d} days ago.",
              "My package {o} arrived damaged.", "這個訂單{o}怎麼還沒出貨?"]
QUESTIONS = ["这个有蓝色的吗?", "Is the blue one in stock?", "请问几点关门?", "支持货到付款吗?", "請問可以開發票嗎?"]
TURNS = ["您好,请稍等,我帮您查一下。", "非常抱歉让您久等了,您的订单{o}在中转站滞留了,我们今天18点前为您补发。",
         "我们会尽快处理的。", "这是快递的问题,请您直接联系快递。", "已经为您反馈专员处理了。",
         "Sorry for the wait. Your refund for order {o} was sent today and arrives within 3 business days.",
         "We'll look into it.", "是的,有的。", "Yes, it ships today.", "不好意思,这个无法修改的呢。",
         "如有任何问题,欢迎随时联系我,客服小李,电话400-820-1234。", "很抱歉給您帶來不便,訂單{o}今天下午5點前出貨。"]


def write(path: Path, conversations: int, interleave: bool, seed: int = 11) -> int:
    rng = random.Random(seed)
    rows = []
    for c in range(conversations):
        cid = f"c{c}"
        first = rng.choice(COMPLAINTS if rng.random() < 0.6 else QUESTIONS)
        fill = {"d": rng.randint(2, 9), "o": rng.randint(10**9, 10**10), "n": rng.randint(5, 99)}
        msgs = [("customer", first.format(**fill), ""), ("bot", "您好,我是智能助手,正在为您转接人工。", "")]
        agent = rng.choice(["小王", "小李", "Ann", "Ben"])
        for _ in range(rng.randint(2, 4)):
            msgs.append(("agent", rng.choice(TURNS).format(**fill), agent))
            if rng.random() < 0.5:
                msgs.append(("customer", rng.choice(["好的", "还要多久?", "OK thanks", "能快点吗"]), ""))
        rows.append([(cid, role, text, a, f"2026-11-{1 + c % 28:02d}T10:00:00Z", "chat") for role, text, a in msgs])
    if interleave:  # neighbouring conversations take turns, as a time-ordered export has them
        mixed = []
        for k in range(0, len(rows), 4):
            group = rows[k:k + 4]
            while any(group):
                for g in group:
                    if g:
                        mixed.append(g.pop(0))
        flat = mixed
    else:
        flat = [m for conv in rows for m in conv]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["conversation_id", "role", "text", "agent", "created_at", "channel"])
        w.writerows(flat)
    return len(flat)




def run(src: Path, workers: int) -> tuple[float, float]:
    out = OUT / f"{src.stem}.w{workers}.jsonl"
    cmd = [sys.executable, "-c", _MEASURE, sys.executable, "-m", "service.cli", "batch", str(src),
           "--out", str(out), "--workers", str(workers), "--no-progress"]
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
    seconds, rss_kb, rc = res.stdout.split()
    if rc != "0":
        raise SystemExit(f"tactful batch failed: {res.stderr[-500:]}")
    return float(seconds), int(rss_kb) / 1024


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--conversations", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    for interleave in (False, True):
        src = OUT / f"conversations-{'mixed' if interleave else 'ordered'}-{args.conversations}.csv"
        messages = write(src, args.conversations, interleave)
        times: dict[int, list[float]] = {1: [], 2: []}
        rss: dict[int, list[float]] = {1: [], 2: []}
        for _ in range(args.runs):
            for workers in (1, 2):
                t, m = run(src, workers)
                times[workers].append(t)
                rss[workers].append(m)
        print(f"{src.name}: {messages:,} messages, {args.conversations:,} conversations"
              f"{' (interleaved)' if interleave else ''}")
        for workers in (1, 2):
            med = statistics.median(times[workers])
            print(f"  workers {workers}: {messages / med:,.0f} messages/s, {args.conversations / med:,.0f} "
                  f"conversations/s (median of {args.runs}: {med:.2f} s, {min(times[workers]):.2f}-"
                  f"{max(times[workers]):.2f}); peak memory {statistics.median(rss[workers]):.0f} MB "
                  f"({min(rss[workers]):.0f}-{max(rss[workers]):.0f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
