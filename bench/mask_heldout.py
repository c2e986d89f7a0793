"""Recall and precision of personal-data detection on an independently written set. Prints
figures; asserts nothing (tests/test_pii_heldout.py holds the first set to its thresholds).

    python bench/mask_heldout.py [tests/data/pii_heldout2.jsonl] [-v]

Each line: {"id", "lang", "text", "entities": [{"type", "start", "end", "value"}],
"hard_negatives": [...]}. Per type T: recall = gold T entities overlapped by a found span
of any type / gold T entities (a value masked as the wrong type is still masked); typed
recall = overlapped by a found span of type T; precision = found spans overlapping a gold
entity / found spans (a span on a hard negative, or on nothing, is a false positive). Also
whether any gold value survives `mask()` whole. Types the masker does not know (ACCOUNT,
SOCIAL) count in recall: missing them is a miss.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.privacy.masking import find_pii, mask  # noqa: E402


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    path = Path(args[0] if args else "tests/data/pii_heldout2.jsonl")
    verbose = "-v" in sys.argv
    rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    gold, hit, typed, raw_left = Counter(), Counter(), Counter(), Counter()
    found_n = found_ok = 0
    false_pos: Counter = Counter()
    for row in rows:
        found = find_pii(row["text"])
        masked = mask(row["text"])
        for e in row["entities"]:
            gold[e["type"]] += 1
            over = [f for f in found if f[1] < e["end"] and e["start"] < f[2]]
            if over:
                hit[e["type"]] += 1
                typed[e["type"]] += any(f[0] == e["type"] for f in over)
            elif verbose:
                print(f"MISS {e['type']:<9} {row['id']}: {e['value']!r}")
            if e["value"] in masked:
                raw_left[e["type"]] += 1
        for f in found:
            found_n += 1
            if any(f[1] < e["end"] and e["start"] < f[2] for e in row["entities"]):
                found_ok += 1
            else:
                false_pos[f[0]] += 1
                if verbose:
                    print(f"FP   {f[0]:<9} {row['id']}: {row['text'][f[1]:f[2]]!r}")
    print(f"{path.name}: {len(rows)} texts, {sum(gold.values())} entities, "
          f"{sum(len(r.get('hard_negatives', [])) for r in rows)} hard negatives")
    print(f"  {'type':<10}{'gold':>6}{'masked':>8}{'recall':>8}{'typed':>8}{'left raw':>10}")
    for t in sorted(gold, key=lambda t: -gold[t]):
        print(f"  {t:<10}{gold[t]:>6}{hit[t]:>8}{hit[t] / gold[t]:>8.2f}{typed[t] / gold[t]:>8.2f}{raw_left[t]:>10}")
    total = sum(gold.values())
    print(f"  {'all':<10}{total:>6}{sum(hit.values()):>8}{sum(hit.values()) / total:>8.2f}"
          f"{sum(typed.values()) / total:>8.2f}{sum(raw_left.values()):>10}")
    print(f"  precision: {found_ok}/{found_n} found spans on personal data "
          f"({found_ok / found_n:.2f}); false positives by type: {dict(false_pos)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
