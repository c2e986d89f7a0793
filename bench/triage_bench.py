"""Figures of triage on a labelled set. Prints figures; asserts nothing.

    python bench/triage_bench.py PATH [--rules]      # a JSONL of labelled messages
    python bench/triage_bench.py --cv [--folds 5]    # grouped cross-validation of the training set
    python bench/triage_bench.py --eval              # eval/cases.yaml (scenario tags)

PATH holds one message a line: {"id", "lang", "text", "issues": [scenarios], "severity":
"low|normal|high|urgent", "safety": bool, "signals": [subset of repeat_contact, money_taken,
public_threat, legal_threat, media, injury]}. `--rules` measures the keyword rules alone.

Printed: per-scenario precision and recall over issues (each issue of a message counts),
the primary scenario's accuracy, multi-issue recall (messages of two or more issues: the share
of their issues found), safety recall and false-alarm rate (and how many non-safety messages
get the "if anyone is hurt" line), signal precision/recall, and severity accuracy.

Severity: the service has three tiers (minor, medium, severe; rubrics/policy.yaml). They are
mapped to the four labels as follows:
    urgent  a safety call (Triage.safety)
    high    severe, not a safety call
    normal  medium; or minor on a complaint (any issue but inquiry and other)
    low     minor on inquiry / other only
--cv trains on four fifths of rubrics/triage_train.jsonl and measures on the rest, split by
the written sentence a message is made of (`src`), so no sentence is on both sides.
"""

from __future__ import annotations

import argparse
import json
import sys
import zlib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIGNALS = ("repeat_contact", "money_taken", "public_threat", "legal_threat", "media", "injury")


def four_levels(t) -> str:
    """The service's tier as one of the held-out set's four severity labels (see above)."""
    if t.safety:
        return "urgent"
    if t.severity == "severe":
        return "high"
    if t.severity == "medium" or any((i.kind or i.scenario) not in ("inquiry", "other") for i in t.issues):
        return "normal"
    return "low"


def run(rows: list[dict], predict) -> dict:
    from service.drafting.triage import SCENARIOS

    tp, fp, fn = Counter(), Counter(), Counter()
    primary = multi_n = multi_found = 0
    safety = Counter()
    sig_tp, sig_fp, sig_fn = Counter(), Counter(), Counter()
    sev = Counter()
    for row in rows:
        t = predict(row)
        gold = set(row["issues"])
        got = {i.kind or i.scenario for i in t.issues}  # (a company's own scenario as the kind it refines)
        for s in SCENARIOS:
            tp[s] += s in gold and s in got
            fp[s] += s not in gold and s in got
            fn[s] += s in gold and s not in got
        primary += (t.kind or t.scenario) in gold
        if len(gold) > 1:
            multi_n += len(gold)
            multi_found += len(gold & got)
        g = bool(row.get("safety"))
        safety[(g, t.safety)] += 1
        if not g and t.safety_uncertain:
            safety["unsure_line"] += 1
        if g and t.safety_uncertain:
            safety["unsure_on_danger"] += 1
        for s in SIGNALS:
            a, b = s in row.get("signals", []), s in t.signals
            sig_tp[s] += a and b
            sig_fp[s] += b and not a
            sig_fn[s] += a and not b
        if row.get("severity"):
            sev[(row["severity"], four_levels(t))] += 1
    n = len(rows)
    out = {"n": n, "per_scenario": {}, "signals": {}}
    for s in SCENARIOS:
        p = tp[s] / (tp[s] + fp[s]) if tp[s] + fp[s] else None
        r = tp[s] / (tp[s] + fn[s]) if tp[s] + fn[s] else None
        out["per_scenario"][s] = (p, r, tp[s] + fn[s])
    all_tp, all_fn, all_fp = sum(tp.values()), sum(fn.values()), sum(fp.values())
    out["issue_recall"] = all_tp / (all_tp + all_fn) if all_tp + all_fn else None
    out["issue_precision"] = all_tp / (all_tp + all_fp) if all_tp + all_fp else None
    out["primary_accuracy"] = primary / n if n else None
    out["multi_issue_recall"] = (multi_found / multi_n, multi_n) if multi_n else (None, 0)
    pos = safety[(True, True)] + safety[(True, False)]
    neg = safety[(False, True)] + safety[(False, False)]
    out["safety_recall"] = (safety[(True, True)] / pos if pos else None, pos)
    out["safety_false_alarm"] = (safety[(False, True)] / neg if neg else None, neg)
    out["safety_unsure_line_on_safe"] = safety["unsure_line"] / neg if neg else None
    out["safety_recall_with_line"] = ((safety[(True, True)] + safety["unsure_on_danger"]) / pos if pos else None)
    for s in SIGNALS:
        p = sig_tp[s] / (sig_tp[s] + sig_fp[s]) if sig_tp[s] + sig_fp[s] else None
        r = sig_tp[s] / (sig_tp[s] + sig_fn[s]) if sig_tp[s] + sig_fn[s] else None
        out["signals"][s] = (p, r, sig_tp[s] + sig_fn[s])
    m = sum(sev.values())
    out["severity_accuracy"] = (sum(v for (a, b), v in sev.items() if a == b) / m if m else None, m)
    out["severity_confusion"] = {f"{a}->{b}": v for (a, b), v in sorted(sev.items()) if a != b}
    return out


def _f(x) -> str:
    return "  -  " if x is None else f"{x:.3f}"


def show(title: str, out: dict) -> None:
    print(f"\n== {title}: {out['n']} messages")
    print(f"{'scenario':26} {'P':>6} {'R':>6} {'n':>5}")
    for s, (p, r, k) in out["per_scenario"].items():
        print(f"{s:26} {_f(p):>6} {_f(r):>6} {k:>5}")
    print(f"issues: precision {_f(out['issue_precision'])}, recall {_f(out['issue_recall'])}; "
          f"primary scenario right {_f(out['primary_accuracy'])}")
    mr, mn = out["multi_issue_recall"]
    print(f"multi-issue recall {_f(mr)} (of {mn} issues in messages with two or more)")
    r, pos = out["safety_recall"]
    fa, neg = out["safety_false_alarm"]
    print(f"safety recall {_f(r)} (of {pos}); false alarms {_f(fa)} (of {neg}); "
          f"with the 'if anyone is hurt' line counted: recall {_f(out['safety_recall_with_line'])}, "
          f"line on {_f(out['safety_unsure_line_on_safe'])} of the safe messages")
    print("signals (P / R / n): " + ", ".join(f"{s} {_f(p)}/{_f(rr)}/{k}" for s, (p, rr, k) in out["signals"].items()))
    acc, m = out["severity_accuracy"]
    print(f"severity accuracy {_f(acc)} (of {m}); confusions: {out['severity_confusion']}")


def _playbook():
    from service.playbook import Playbook
    from service.settings import Settings

    return Playbook.from_settings(Settings())


def read_jsonl(path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def bench_file(path: str, rules: bool) -> None:
    from service.drafting.triage import triage

    pb = _playbook()
    rows = read_jsonl(path)
    out = run(rows, lambda r: triage(r["text"], pb, lang=r.get("lang"), use_model=not rules))
    show(f"{path}{' (keyword rules only)' if rules else ''}", out)


def bench_cv(folds: int) -> None:
    """Grouped k-fold over the training set: every fold's model is trained without the
    sentences it is measured on; the service's whole triage (rules, clauses, signals) runs."""
    from unittest import mock

    from service.drafting import triage_model
    from service.drafting.triage import triage

    pb = _playbook()
    rows = triage_model.read_rows(triage_model.BUILTIN_DATA)

    def fold(key: str) -> int:
        return zlib.crc32(key.encode()) % folds

    results = []
    for k in range(folds):
        test = [r for r in rows if fold(r["src"][0]) == k and r["src"][0].split("/")[0] not in ("lex", "fill")]
        train = [r for r in rows if all(fold(s) != k for s in r["src"])]
        model = triage_model.train(train)
        with mock.patch.object(triage_model, "load_model", lambda *a, **kw: model):
            results.append((test, [triage(r["text"], pb, lang=r["lang"]) for r in test]))
    flat = [(r, t) for test, ts in results for r, t in zip(test, ts)]
    it = iter(t for _, t in flat)
    show(f"training set, {folds}-fold grouped cross-validation", run([r for r, _ in flat], lambda r: next(it)))
    it = iter(t for _, t in flat)
    rules = run([r for r, _ in flat], lambda r: triage(r["text"], pb, lang=r["lang"], use_model=False))
    show("the same messages, keyword rules only", rules)
    for lang in ("zh-Hans", "zh-Hant", "en"):
        sub = [(r, t) for r, t in flat if r["lang"] == lang]
        it = iter(t for _, t in sub)
        o = run([r for r, _ in sub], lambda r: next(it))
        print(f"{lang}: issues P {_f(o['issue_precision'])} R {_f(o['issue_recall'])}, primary {_f(o['primary_accuracy'])}, "
              f"safety R {_f(o['safety_recall'][0])} FA {_f(o['safety_false_alarm'][0])}")


def bench_eval() -> None:
    import yaml

    from service.drafting.triage import triage

    pb = _playbook()
    cases = yaml.safe_load((ROOT / "eval" / "cases.yaml").read_text(encoding="utf-8"))
    rows = [{"text": c["ticket"]["message"], "lang": c["ticket"].get("lang"), "issues": [c["tags"]["scenario"]],
             "safety": c["tags"]["scenario"] == "safety_emergency"} for c in cases]
    for rules in (False, True):
        show(f"eval/cases.yaml{' (keyword rules only)' if rules else ''}",
             run(rows, lambda r: triage(r["text"], pb, lang=r["lang"], use_model=not rules)))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", nargs="?")
    ap.add_argument("--rules", action="store_true", help="the keyword rules alone")
    ap.add_argument("--cv", action="store_true")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--eval", action="store_true")
    a = ap.parse_args(argv)
    if a.cv:
        bench_cv(a.folds)
    if a.eval:
        bench_eval()
    if a.path:
        bench_file(a.path, a.rules)
    if not (a.cv or a.eval or a.path):
        ap.error("give PATH, --cv or --eval")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
