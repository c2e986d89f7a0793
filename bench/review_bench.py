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
6. With --varied: a corpus whose sentences rarely repeat (slot-filled templates, about three
   quarters of sentences distinct, as in real traffic), since the macro corpus above repeats
   sentences far more than real helpdesks do and the sentence memo flatters it.
7. With --real PATH (a public corpus kept outside the repository, as bench/real_data.py
   reads it): the agent turns of real helpdesk traffic, with the customer's words as context.
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


_FILL = {
    "name": ["王先生", "李女士", "张小姐", "陈先生", "刘女士", "赵先生", "周女士", "亲", "您"],
    "product": ["蓝牙耳机", "咖啡机", "电热水壶", "扫地机器人", "空气炸锅", "行李箱", "羽绒服", "儿童手表", "显示器",
                "机械键盘", "电动牙刷", "保温杯", "净水器", "投影仪", "智能门锁", "跑步鞋"],
    "problem": ["左耳没有声音", "无法开机", "漏水", "外壳有裂痕", "少发了配件", "颜色发错了", "充不进电", "屏幕有坏点",
                "一直没有物流更新", "被重复扣款", "收到时包装破损", "按键失灵", "噪音很大", "尺码不对"],
    "remedy": ["为您补发新的{product}", "为您办理退款", "安排上门取件", "为您换货", "为您补寄配件", "退还运费{n}元",
               "发放{n}元优惠券作为补偿", "安排师傅上门检修"],
    "when": ["今天{h}点前", "{n}个工作日内", "明天{h}点前", "{n}小时内", "本周五前", "{d}日前"],
    "vague": ["我们会尽快处理", "稍后给您回复", "我们会跟进的", "请您耐心等待", "这是快递的问题", "我们保证不会再发生"],
}
_ZH = ["{name}您好,非常抱歉您{d}日购买的{product}{problem}。", "您的订单{o}中的{product}{problem},给您添麻烦了。",
       "我们将在{when}{remedy}。", "{when}{remedy},请您留意短信。", "{vague}。",
       "如有任何问题,欢迎随时联系我,客服{name2},电话400-820-{tel}。", "关于{product}{problem}的情况,我已经登记。"]
_EN_P = ["kettle", "headphones", "blender", "suitcase", "jacket", "router", "monitor", "vacuum", "watch", "keyboard"]
_EN_X = ["arrived cracked", "stopped charging", "was never delivered", "came in the wrong size", "was charged twice",
         "shows a blank screen", "is missing a part", "leaks from the base"]
_EN = ["Hi {nm}, I'm so sorry your {p} from order {o} {x}.", "A replacement {p} ships within {n} business days.",
       "We'll refund ${n} to your card within {n} days.", "We'll look into it and get back to you shortly.",
       "If anything else comes up, reach me at 555-{tel}, {nm2}.", "I can see your {p} {x} on Nov {d}."]
_NAMES = ["Anna", "Maria", "Tom", "Priya", "Chen", "Omar", "Lena", "Sam", "Kofi", "Yuki"]


def make_varied_reply(rng: random.Random) -> tuple[str, str]:
    """A reply of slot-filled sentences: products, problems, times and names vary, so that
    most sentences are new, as in a real helpdesk."""
    def fill(t: str) -> str:
        while "{" in t:
            t = t.format(
                name=rng.choice(_FILL["name"]), name2=rng.choice(["小李", "小王", "林悦", "阿杰"]),
                product=rng.choice(_FILL["product"]), problem=rng.choice(_FILL["problem"]),
                remedy=rng.choice(_FILL["remedy"]), when=rng.choice(_FILL["when"]), vague=rng.choice(_FILL["vague"]),
                d=rng.randint(1, 28), o=rng.randint(10_000_000, 99_999_999), n=rng.randint(1, 99),
                h=rng.randint(9, 21), tel=rng.randint(1000, 9999), nm=rng.choice(_NAMES), nm2=rng.choice(_NAMES),
                p=rng.choice(_EN_P), x=rng.choice(_EN_X))
        return t
    if rng.random() < 0.6:
        return "".join(fill(t) for t in rng.sample(_ZH, k=rng.randint(3, 5))), "agent-%02d" % rng.randint(1, 40)
    return " ".join(fill(t) for t in rng.sample(_EN, k=rng.randint(3, 5))), "agent-%02d" % rng.randint(1, 40)


def distinct_share(path: Path) -> float:
    """The share of sentences (split at 。!?. ) seen once or more that are distinct."""
    import re

    seen, total = set(), 0
    for line in path.open(encoding="utf-8"):
        for sent in re.split(r"(?<=[。!?])|(?<=[.!?]) ", json.loads(line)["reply"]):
            if sent.strip():
                total += 1
                seen.add(sent.strip())
    return len(seen) / max(total, 1)


def write_varied(path: Path, rows: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for i in range(rows):
            reply, agent = make_varied_reply(rng)
            f.write(json.dumps({"id": f"v{i}", "reply": reply, "agent": agent}, ensure_ascii=False) + "\n")


def write_real(corpus: Path, path: Path) -> int:
    """The agent turns of a public corpus as batch input, the customer's words as complaint."""
    sys.path.insert(0, str(ROOT / "bench"))
    import real_data

    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8") as f:
        for _, tid, reply, complaint in real_data.turns(corpus):
            f.write(json.dumps({"id": tid, "reply": reply, "complaint": complaint}, ensure_ascii=False) + "\n")
            n += 1
    return n


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
    ap.add_argument("--varied", action="store_true", help="also a corpus whose sentences rarely repeat")
    ap.add_argument("--real", type=Path, action="append", default=[], help="also a public corpus (repeatable)")
    ap.add_argument("--only-extra", action="store_true", help="run only the --varied and --real parts")
    args = ap.parse_args()
    if args.only_extra:
        extra(args)
        return

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
    extra(args)


def extra(args) -> None:
    """The varied and real corpora: one worker, median of three runs, with the range."""
    runs = []
    if args.varied:
        varied = OUT / f"varied-{args.rows}.jsonl"
        write_varied(varied, args.rows)
        runs.append(("varied", varied, args.rows))
    for corpus in args.real:
        real = OUT / f"real-{corpus.stem}.jsonl"
        runs.append((f"real {corpus.name}", real, write_real(corpus, real)))
    macro = OUT / f"replies-{args.rows}.jsonl"
    if runs and macro.exists():
        print(f"distinct sentences: macro corpus {distinct_share(macro):.0%}")
    for name, path, rows in runs:
        times = sorted(run_batch(path, 1)[0] for _ in range(3))
        print(f"{name}: {rows:,} replies, {distinct_share(path):.0%} distinct sentences; tactful batch --workers 1: "
              f"{rows / times[1]:,.0f} replies/s (runs {', '.join(f'{rows / t:,.0f}' for t in times)})")


if __name__ == "__main__":
    main()
