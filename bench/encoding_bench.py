"""How well and how fast the batch encoding detector works. Prints figures; asserts nothing.

    python bench/encoding_bench.py [--short 40] [--medium 10] [--long 3] [--seed 11]

Helpdesk exports (CSV: id, reply, agent, channel, created_at) are written from the replies
below in the encodings they come in: UTF-8 with and without a BOM, GB18030 and GBK (simplified
Chinese and English), Big5 (traditional Chinese and English) and UTF-16 LE/BE with a BOM (as
Excel's "Unicode text" writes them; tab-separated), and UTF-8, GBK and Big5 files with one
damaged line (bytes no encoding reads) after the header. Three sizes: short (one row, 60-250 bytes),
medium (20 rows, a few KB) and long (8,000 rows, over the detector's 1 MB sample).

A detection counts as right when the file read with the detected encoding gives back exactly
the text written (with a damaged line: every other line). Compared:
  old rule          what `POST /v1/batches` did: UTF-8, else GB18030
  cn, all           charset-normalizer left to try every encoding it knows (on the same
                    first megabyte, cut after its last whole line)
  tactful           service.batch.encoding.detect_encoding (BOM, UTF-8 fast path, then
                    charset-normalizer among the encodings of Chinese and English exports)
Times are per file: the median and the slowest, reading the file included.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import io
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HANS = [
    "您好，非常抱歉让您久等了。", "您于{m}月{d}日购买的空气炸锅（订单{o}）到货后无法加热，给您添麻烦了。",
    "我们已为您安排换新，新机将在48小时内发出，旧机由快递上门取回，运费由我们承担。",
    "退款{a}元已原路退回，预计1至3个工作日到账，请留意银行通知。",
    "我们会尽快处理，请您耐心等待。", "这个问题需要您自己联系物流公司。",
    "如有任何疑问，欢迎随时联系我，客服小周，工作时间9:00-21:00。",
    "为保障账户安全，请勿向任何人透露短信验证码。", "根据平台规定，拆封后的商品不支持七天无理由退货。",
    "给您带来的不便，我们深表歉意，已为您申请一张20元无门槛优惠券。",
    "麻烦您提供一下商品破损处的照片，我们核实后马上为您处理。",
]
HANT = [
    "您好，很抱歉讓您久等了。", "您於{m}月{d}日購買的除濕機（訂單{o}）出現漏水，造成您的困擾，真的很抱歉。",
    "我們會在3個工作天內派技師到府檢修，費用由我們負擔。", "退款{a}元已退回您的信用卡，約5至7個工作天入帳。",
    "我們會盡快處理，稍後再與您聯絡。", "這是物流公司的疏失，請您直接向他們反映。",
    "如有任何問題，歡迎隨時與我聯繫，客服專員林小姐，服務時間週一至週五。",
    "為了保障您的帳戶安全，請勿將驗證碼提供給任何人。", "依照公司規定，已拆封的商品恕不退換。",
    "造成您的不便，我們深感抱歉，並致贈一張100元折價券。",
]
EN = [
    "Hi, I'm really sorry about the trouble with your order.",
    "Your blender from order {o}, delivered on {m}/{d}, arrived with a cracked jar.",
    "A replacement ships today by express and should reach you within 2 business days.",
    "We've refunded ${a} to your original payment method; it can take 3-5 days to show.",
    "We'll look into it and get back to you soon.", "That's the courier's responsibility, not ours.",
    "If anything else comes up, just reply to this email and I'll take care of it. - Sam",
    "For your security, we will never ask for your password or a verification code.",
]
AGENTS = ["li.na", "wang.lei", "zhao.min", "chen.yu", "sam.k", "lin.h"]


def reply(rng: random.Random, pools: list[list[str]]) -> str:
    pool = rng.choice(pools)
    parts = rng.sample(pool, k=rng.randint(1, 4))
    text = ("" if pool is not EN else " ").join(parts)
    return text.format(m=rng.randint(1, 12), d=rng.randint(1, 28), o=rng.randint(10**9, 10**10 - 1),
                       a=rng.choice(["39.90", "128", "1,299", "56.5"]))


def export(rng: random.Random, rows: int, pools: list[list[str]], delimiter: str = ",") -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(["id", "reply", "agent", "channel", "created_at"])
    for i in range(rows):
        w.writerow([f"T{rng.randint(100000, 999999)}", reply(rng, pools), rng.choice(AGENTS),
                    rng.choice(["chat", "email", "social"]), f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"])
    return buf.getvalue()


# (name, codec, BOM to put first, the replies it can hold, delimiter); "damaged": one line of
# bytes that no encoding reads is put after the header, and the other lines must read right
DAMAGED = b'T000000,"\xff\xfe broken \xff",li.na,chat,2026-01-01\r\n'
CASES = [
    ("UTF-8", "utf-8", b"", [HANS, HANT, EN], ","),
    ("UTF-8 with BOM", "utf-8", codecs.BOM_UTF8, [HANS, HANT, EN], ","),
    ("GB18030", "gb18030", b"", [HANS, EN], ","),
    ("GBK", "gbk", b"", [HANS, EN], ","),
    ("GBK, zh-Hans only", "gbk", b"", [HANS], ","),
    ("Big5", "big5", b"", [HANT, EN], ","),
    ("Big5, zh-Hant only", "big5", b"", [HANT], ","),
    ("UTF-8, damaged", "utf-8", b"", [HANS, HANT, EN], ","),
    ("GBK, damaged", "gbk", b"", [HANS, EN], ","),
    ("Big5, damaged", "big5", b"", [HANT, EN], ","),
    ("UTF-16 LE + BOM", "utf-16-le", codecs.BOM_UTF16_LE, [HANS, HANT, EN], "\t"),
    ("UTF-16 BE + BOM", "utf-16-be", codecs.BOM_UTF16_BE, [HANS, HANT, EN], "\t"),
]
SIZES = [("short", 1), ("medium", 20), ("long", 8000)]


def _old_rule(path: Path) -> str:
    sample = path.read_bytes()[: 1 << 20]
    for enc in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(enc)().decode(sample, final=False)
            return enc
        except UnicodeDecodeError:
            continue
    return "utf-8"


def _cn_all(path: Path) -> str:
    from charset_normalizer import from_bytes

    data = path.read_bytes()
    sample = data[: 1 << 20]
    if len(data) > len(sample):  # cut where tactful cuts: after the last whole line
        from service.batch.encoding import trim_sample

        sample = trim_sample(sample)
    best = from_bytes(sample).best()
    return best.encoding if best else "utf-8"


def _tactful(path: Path) -> str:
    from service.batch.encoding import detect_encoding

    return detect_encoding(path)


METHODS = [("old rule", _old_rule), ("cn, all", _cn_all), ("tactful", _tactful)]


def right(data: bytes, text: str, encoding: str, damaged: bool = False) -> bool:
    try:
        got = data.decode(encoding, errors="replace" if damaged else "strict")
    except (UnicodeDecodeError, LookupError):
        return False
    got = got.lstrip("\ufeff")
    if damaged:  # all but the damaged line (the second) as written
        lines = got.split("\r\n")
        got = "\r\n".join(lines[:1] + lines[2:])
    return got == text


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--short", type=int, default=40, help="short files per case")
    ap.add_argument("--medium", type=int, default=10)
    ap.add_argument("--long", type=int, default=3)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    counts = {"short": args.short, "medium": args.medium, "long": args.long}
    rng = random.Random(args.seed)

    # the UTF-8 fast path must not import the detector at all
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "utf8.csv"
        f.write_text(export(rng, 8000, [HANS, HANT, EN]), encoding="utf-8")
        t = time.perf_counter()
        _tactful(f)
        fast = time.perf_counter() - t
        print(f"UTF-8 fast path, {f.stat().st_size / 1e6:.1f} MB file: {fast * 1000:.2f} ms, "
              f"charset_normalizer imported: {'charset_normalizer' in sys.modules}\n")

    totals = {m: [0, 0] for m, _ in METHODS}
    header = f"{'case':<20} {'size':<7} {'files':>5}  " + "  ".join(f"{m:>28}" for m, _ in METHODS)
    print(header)
    print(f"{'':<36}" + "  ".join(f"{'right    median / max ms':>28}" for _ in METHODS))
    with tempfile.TemporaryDirectory() as tmp:
        for name, codec, bom, pools, delim in CASES:
            for size, rows in SIZES:
                files = []
                for k in range(counts[size]):
                    text = export(rng, rows, pools, delim)
                    path = Path(tmp) / f"{codec}-{size}-{k}.csv"
                    data = bom + text.encode(codec)
                    if "damaged" in name:
                        head, _, rest = data.partition(b"\r\n")
                        data = head + b"\r\n" + DAMAGED + rest
                    path.write_bytes(data)
                    files.append((path, data, text))
                cells = []
                for method, fn in METHODS:
                    ok, times = 0, []
                    for path, data, text in files:
                        t = time.perf_counter()
                        enc = fn(path)
                        times.append(time.perf_counter() - t)
                        ok += right(data, text, enc, "damaged" in name)
                    totals[method][0] += ok
                    totals[method][1] += len(files)
                    cells.append(f"{ok:>3}/{len(files):<3} {statistics.median(times) * 1000:>8.2f} / "
                                 f"{max(times) * 1000:>7.1f}")
                size_kb = statistics.median(len(d) for _, d, _ in files) / 1000
                print(f"{name:<20} {size:<7} {len(files):>5}  " + "  ".join(f"{c:>28}" for c in cells)
                      + f"   ({size_kb:,.1f} KB)")
    print()
    for method, (ok, n) in totals.items():
        print(f"{method:<10} {ok}/{n} files right ({ok / n:.1%})")


if __name__ == "__main__":
    main()
