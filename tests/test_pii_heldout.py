"""Independent held-out check of PII detection (service.privacy.masking.find_pii).

This is the INDEPENDENT check: tests/data/pii_heldout.jsonl was written by someone who had
not seen the masking rules (service/masking.py) nor the rule author's own labelled set
(tests/data/pii_labelled.jsonl, tests/test_pii.py).  A held-out set is harder than the rule
author's own, so it measures how the rules generalise rather than how well they fit the
examples they were tuned on.  Do not tune the rules against single items of this file; if
you must, write new held-out items afterwards.

Each line: {"id", "lang", "text", "entities": [{"type", "start", "end", "value"}],
"hard_negatives": [{"kind", "start", "end", "value"}]}.  Hard negatives are things that look
like personal data but are not (order/transaction ids, tracking numbers, company hotlines,
amounts, dates, product models, coupons, IPs, versions, 18-digit ids with a bad GB 11643
checksum, 16-digit ids that fail Luhn, ...).  They are not entities: any span found on them
counts as a false positive.

Scoring, per type T:
  recall    = gold T entities overlapped by a found span of type T / gold T entities
  precision = found T spans overlapping a gold T entity / found T spans
Run with -s to see the table and the verbatim misses and false positives.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from service.privacy.masking import find_pii

DATA = Path(__file__).parent / "data" / "pii_heldout.jsonl"
TYPES = ("ID", "PHONE", "CARD", "EMAIL", "PASSPORT", "ADDRESS")
MIN_RECALL = 0.95
MIN_PRECISION = 0.95


def _load() -> list[dict]:
    with DATA.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


ROWS = _load()


# ---------------------------------------------------------------- checksum helpers (data sanity)
_GB_W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_TW_L = dict(A=10, B=11, C=12, D=13, E=14, F=15, G=16, H=17, I=34, J=18, K=19, L=20, M=21, N=22,
             O=35, P=23, Q=24, R=25, S=26, T=27, U=28, V=29, W=32, X=30, Y=31, Z=33)


def _cn_id_ok(s: str) -> bool:
    s = s.upper()
    return bool(re.fullmatch(r"\d{17}[\dX]", s)) and \
        "10X98765432"[sum(int(a) * w for a, w in zip(s[:17], _GB_W)) % 11] == s[17]


def _tw_id_ok(s: str) -> bool:
    if not re.fullmatch(r"[A-Z][12]\d{8}", s):
        return False
    n = _TW_L[s[0]]
    t = n // 10 + (n % 10) * 9 + sum(int(c) * w for c, w in zip(s[1:9], range(8, 0, -1))) + int(s[9])
    return t % 10 == 0


def _luhn_ok(d: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(d)):
        n = int(ch) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def test_heldout_data_is_consistent():
    """The set itself: offsets match, enough items per type, checksums as labelled."""
    assert len(ROWS) >= 160
    assert len({r["id"] for r in ROWS}) == len(ROWS)
    per_type = Counter()
    negatives = 0
    for r in ROWS:
        text = r["text"]
        for e in r["entities"]:
            assert text[e["start"]:e["end"]] == e["value"], (r["id"], e)
            assert e["type"] in TYPES, (r["id"], e)
            per_type[e["type"]] += 1
            compact = re.sub(r"[\s-]", "", e["value"])
            if e["type"] == "ID":
                assert _cn_id_ok(compact) or _tw_id_ok(compact), (r["id"], e)
            if e["type"] == "CARD":
                assert compact.isdigit() and _luhn_ok(compact), (r["id"], e)
        for n in r.get("hard_negatives", []):
            assert text[n["start"]:n["end"]] == n["value"], (r["id"], n)
            negatives += 1
            compact = re.sub(r"[\s-]", "", n["value"])
            if re.fullmatch(r"\d{17}[\dXx]", compact):
                assert not _cn_id_ok(compact), (r["id"], n)
            if re.fullmatch(r"[A-Z][12]\d{8}", compact):
                assert not _tw_id_ok(compact), (r["id"], n)
            if compact.isdigit() and 16 <= len(compact) <= 19:
                assert not _luhn_ok(compact), (r["id"], n)
    for t in TYPES:
        assert per_type[t] >= 25, (t, per_type[t])
    assert negatives >= 50


# ---------------------------------------------------------------- scoring
def _overlap(a0: int, a1: int, b0: int, b1: int) -> bool:
    return a0 < b1 and b0 < a1


# A member's number and a Taiwan e-invoice phone barcode (載具) are masked by decision
# (docs/security.md): each names the customer, as an account's number does, and no draft needs
# it. This set's author counted them as references, so a span on one of its "member" or
# "carrier" negatives is not scored either way.
_NOT_SCORED = ("member", "carrier")


def score(rows: list[dict]):
    stats = {t: Counter() for t in TYPES}
    misses: list[dict] = []
    false_pos: list[dict] = []
    neg_hits: list[dict] = []
    by_lang = defaultdict(Counter)
    for r in rows:
        text = r["text"]
        found = [(t, s, e) for (t, s, e) in find_pii(text)]
        for g in r["entities"]:
            t = g["type"]
            stats[t]["gold"] += 1
            by_lang[r["lang"]]["gold"] += 1
            if any(ft == t and _overlap(fs, fe, g["start"], g["end"]) for ft, fs, fe in found):
                stats[t]["hit"] += 1
                by_lang[r["lang"]]["hit"] += 1
            else:
                misses.append({"id": r["id"], "text": text, "expected": (t, g["value"]),
                               "found": [(ft, text[fs:fe]) for ft, fs, fe in found]})
        for ft, fs, fe in found:
            if any(n["kind"].startswith(_NOT_SCORED) and _overlap(fs, fe, n["start"], n["end"])
                   for n in r.get("hard_negatives", [])):
                continue
            if ft not in stats:
                stats[ft] = Counter()
            stats[ft]["found"] += 1
            by_lang[r["lang"]]["found"] += 1
            if any(g["type"] == ft and _overlap(fs, fe, g["start"], g["end"]) for g in r["entities"]):
                stats[ft]["tp"] += 1
                by_lang[r["lang"]]["tp"] += 1
            else:
                negs = [n for n in r.get("hard_negatives", []) if _overlap(fs, fe, n["start"], n["end"])]
                item = {"id": r["id"], "text": text, "found": (ft, text[fs:fe]),
                        "expected": [(g["type"], g["value"]) for g in r["entities"]],
                        "on_hard_negative": [(n["kind"], n["value"]) for n in negs]}
                false_pos.append(item)
                if negs:
                    neg_hits.append(item)
    return stats, by_lang, misses, false_pos, neg_hits


def _ratio(a: int, b: int) -> float:
    return a / b if b else 1.0


def test_pii_heldout_recall_and_precision():
    # The independent check (see module docstring): thresholds are per entity type.
    stats, by_lang, misses, false_pos, neg_hits = score(ROWS)
    n_neg = sum(len(r.get("hard_negatives", [])) for r in ROWS)

    print(f"\n\nPII held-out set: {len(ROWS)} messages "
          f"({', '.join(f'{k} {v}' for k, v in Counter(r['lang'] for r in ROWS).items())}), "
          f"{sum(s['gold'] for s in stats.values())} entities, {n_neg} hard negatives")
    print(f"{'type':<10}{'gold':>6}{'hit':>6}{'recall':>9}{'found':>7}{'tp':>6}{'precision':>11}")
    failing = []
    for t, s in stats.items():
        rec, prec = _ratio(s["hit"], s["gold"]), _ratio(s["tp"], s["found"])
        flag = "" if (rec >= MIN_RECALL and prec >= MIN_PRECISION) else "  <-- below 0.95"
        print(f"{t:<10}{s['gold']:>6}{s['hit']:>6}{rec:>9.3f}{s['found']:>7}{s['tp']:>6}{prec:>11.3f}{flag}")
        if flag:
            failing.append(f"{t}: recall {rec:.3f}, precision {prec:.3f}")
    for lang, s in sorted(by_lang.items()):
        print(f"  [{lang}] recall {_ratio(s['hit'], s['gold']):.3f}  precision {_ratio(s['tp'], s['found']):.3f}")
    print(f"spans found on hard negatives: {len(neg_hits)}")

    if misses:
        print(f"\nMISSES ({len(misses)}):")
        for m in misses:
            print(f"  {m['id']}: expected {m['expected']} found {m['found']}\n      text: {m['text']!r}")
    if false_pos:
        print(f"\nFALSE POSITIVES ({len(false_pos)}):")
        for f in false_pos:
            print(f"  {f['id']}: found {f['found']} expected {f['expected']}"
                  f"{' on hard negative ' + str(f['on_hard_negative']) if f['on_hard_negative'] else ''}"
                  f"\n      text: {f['text']!r}")

    assert not failing, "held-out PII detection below threshold: " + "; ".join(failing)


# ---------------------------------------------------------------- the later independent sets
# pii_heldout2/3/4/7.jsonl were each written by a session that never saw the masker. Their first
# figures (before their misses were studied) are in README.md: set 2 0.54, set 3 0.80, set 4
# 0.91, set 7 0.98. Each has since been studied, so these hold the fixes in place; they do not measure
# how the masker generalises (a new set does).
# Set 10 (first figure 0.96) is held at 0.99. Set 11 (first figure 0.93) is held at 0.98: what it
# still misses is an address's second building after a comma, and a phone in pieces after
# "1/3：" markers with no label. Set 12 (first figure 0.93) is held at 0.97: what it still misses
# is a login with no label of its own (a URL path, "用户x反馈", a nickname), bank account
# pieces, and a Chinese address split over two chat lines. Set 13 (first figure 0.96) and set
# 14 (first figure 0.98, precision 0.91) are held at 0.98: what they miss is a company hotline
# (left unmasked by design), nicknames with no label, and a phone read out in English words.
# Set 15 (442 texts, 434 items; first figure 0.995, 432 of 434, precision 0.94) is held at 0.99:
# its two misses (a game tag "夜雨听风#5521" after its label, an address's "line2" field alone)
# are masked since; it is also sent through every way in (test_privacy_heldout.py).
@pytest.mark.parametrize("name,floor", [("pii_heldout2.jsonl", 0.99), ("pii_heldout3.jsonl", 0.99),
                                        ("pii_heldout4.jsonl", 0.99), ("pii_heldout7.jsonl", 0.99),
                                        ("pii_heldout10.jsonl", 0.99), ("pii_heldout11.jsonl", 0.98),
                                        ("pii_heldout12.jsonl", 0.97), ("pii_heldout13.jsonl", 0.98),
                                        ("pii_heldout14.jsonl", 0.98), ("pii_heldout15.jsonl", 0.99)])
def test_later_independent_sets_are_masked(name, floor):
    rows = [json.loads(line) for line in (DATA.parent / name).open(encoding="utf-8") if line.strip()]
    gold = hit = 0
    missed = []
    for row in rows:
        found = find_pii(row["text"])
        for e in row["entities"]:
            gold += 1
            if any(s < e["end"] and e["start"] < t for _, s, t in found):
                hit += 1
            else:
                missed.append((row["id"], e["type"], e["value"]))
    assert gold >= 250 and hit / gold >= floor, missed
