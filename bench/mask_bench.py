"""How fast personal-data masking runs: it runs on every stored row of a batch.

    python bench/mask_bench.py [--rows 100000]

Prints microseconds per reply for typical replies and for replies dense with personal data."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.privacy.masking import mask  # noqa: E402

TYPICAL = [
    "非常抱歉给您带来不便,订单20261103886已为您补发,预计3个工作日内送达,如有问题请拨打400-820-1234。",
    "We're sorry for the delay. Order 20261106311 ships within 24 hours; reach us at care@yuexiang.example.",
    "您好,退款¥299会在3个工作日内原路退回,请留意。",
    "您好,已为您登记,主管会在4小时内回电。",
]


def run(replies: list[str], rows: int) -> float:
    batch = (replies * (rows // len(replies) + 1))[:rows]
    started = time.perf_counter()
    for r in batch:
        mask(r)
    return time.perf_counter() - started


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=100_000)
    rows = p.parse_args().rows
    labelled = Path(__file__).resolve().parent.parent / "tests" / "data" / "pii_labelled.jsonl"
    dense = [json.loads(line)["text"] for line in labelled.open(encoding="utf-8")]
    for name, replies in (("typical replies", TYPICAL), ("labelled PII set", dense)):
        seconds = run(replies, rows)
        print(f"{name:18} {rows:,} rows in {seconds:.2f} s = {seconds / rows * 1e6:.1f} µs a row")


if __name__ == "__main__":
    main()
