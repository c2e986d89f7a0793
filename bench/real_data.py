"""Run the checker over a public corpus of real helpdesk traffic and print what it flags.

    python bench/real_data.py PATH [--limit N] [--sample N --seed S --dump OUT.jsonl]

PATH is one of the public corpora named in the QA issue, kept outside this repository:
  - JDDC chats (`chat_0.1per.txt`: session, user, role 0 customer / 1 agent, ..., text; tab-separated)
  - Twitter customer support (`twcs.csv`: tweet_id, author_id, inbound, ..., text, ...)
Each agent turn is reviewed with the customer's turn(s) before it as its complaint. The script
prints flag rates per category, the pass rate, and a per-conversation summary.

--dump writes a fixed-seed sample of turns with their findings (text included) for judging by
hand: keep that file outside the repository too; only ids and verdicts are committed.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.checker.check import check_reply  # noqa: E402
from service.errors import TactfulError  # noqa: E402
from service.playbook import Playbook  # noqa: E402
from service.settings import get_settings  # noqa: E402

csv.field_size_limit(1 << 24)


def jddc_turns(path: Path):
    """(conversation id, turn id, agent reply, customer text before it) of a JDDC chat file."""
    convs: dict[str, list[tuple[int, str]]] = defaultdict(list)
    with path.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 7:
                continue
            convs[cols[0]].append((int(cols[2]) if cols[2] in ("0", "1") else 0, "\t".join(cols[6:])))
    for cid, turns in convs.items():
        before: list[str] = []
        for i, (role, text) in enumerate(turns):
            if role == 1:
                yield cid, f"{cid}:{i}", text, "\n".join(before[-3:]) or None
                before = []
            else:
                before.append(text)


def twcs_turns(path: Path):
    """(conversation id, tweet id, company reply, the tweet it answers) of twcs.csv."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    by_id = {r["tweet_id"]: r for r in rows}

    def root(r):
        seen = 0
        while r.get("in_response_to_tweet_id") and seen < 50:
            parent = by_id.get(r["in_response_to_tweet_id"].split(".")[0])
            if parent is None:
                break
            r, seen = parent, seen + 1
        return r["tweet_id"]

    for r in rows:
        if r["inbound"] != "False":
            continue
        parent = by_id.get((r.get("in_response_to_tweet_id") or "").split(".")[0])
        yield root(r), r["tweet_id"], r["text"], parent["text"] if parent else None


def turns(path: Path):
    return twcs_turns(path) if path.suffix == ".csv" else jddc_turns(path)


def conversations(path: Path):
    """(conversation id, channel, [Message]) of a corpus, customer and agent turns in order."""
    from service.checker.conversation import Message

    if path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        by_id = {r["tweet_id"]: r for r in rows}
        convs: dict[str, list] = defaultdict(list)
        for r in rows:
            root, seen = r, 0
            while root.get("in_response_to_tweet_id") and seen < 50:
                parent = by_id.get(root["in_response_to_tweet_id"].split(".")[0])
                if parent is None:
                    break
                root, seen = parent, seen + 1
            convs[root["tweet_id"]].append(r)
        for cid, rs in convs.items():
            rs.sort(key=lambda r: int(r["tweet_id"]))
            yield cid, "social", [Message("customer" if r["inbound"] == "True" else "agent", r["text"],
                                          agent=None if r["inbound"] == "True" else r["author_id"],
                                          id=r["tweet_id"]) for r in rs]
        return
    convs2: dict[str, list] = defaultdict(list)
    with path.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) >= 7:
                convs2[cols[0]].append(cols)
    for cid, rows2 in convs2.items():
        yield cid, "chat", [Message("agent" if c[2] == "1" else "customer", "\t".join(c[6:]),
                                    id=f"{cid}:{i}") for i, c in enumerate(rows2)]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("path", type=Path)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--sample", type=int, default=0)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--dump", type=Path)
    ap.add_argument("--labels", type=Path, action="append",
                    help="hand judgements (bench/labels/*.jsonl) to score against; repeat to add more")
    args = ap.parse_args()
    playbook = Playbook.from_settings(get_settings())
    flags: Counter = Counter()
    structure: Counter = Counter()
    reviewed = passed = errors = 0
    per_conv: dict[str, list[bool]] = defaultdict(list)
    out = []
    for n, (cid, tid, reply, complaint) in enumerate(turns(args.path)):
        if args.limit and n >= args.limit:
            break
        try:
            r = check_reply(playbook, reply, complaint=complaint)
        except TactfulError:
            errors += 1
            continue
        reviewed += 1
        passed += r.passed
        per_conv[cid].append(r.passed)
        for f in r.findings:
            (flags if f.start is not None else structure)[f.category] += 1
        out.append({"id": tid, "conversation": cid, "reply": reply, "complaint": complaint,
                    "lang": r.lang, "passed": r.passed, "score": r.score,
                    "findings": [f.to_dict() for f in r.findings]})
    print(f"{args.path.name}: {reviewed} agent turns reviewed ({errors} not reviewable), "
          f"{len(per_conv)} conversations")
    print(f"pass rate {passed / max(reviewed, 1):.1%}")
    print("phrase flags per 100 turns:")
    for cat, k in flags.most_common():
        print(f"  {cat:<26}{k:>6}  {k / max(reviewed, 1) * 100:6.1f}")
    print("structure findings per 100 turns:")
    for cat, k in structure.most_common():
        print(f"  {cat:<26}{k:>6}  {k / max(reviewed, 1) * 100:6.1f}")
    whole = sum(all(v) for v in per_conv.values())
    print(f"conversations with every turn passing (each reviewed alone): {whole} of {len(per_conv)}")
    from service.checker.conversation import review_conversation

    cards = []
    for cid, channel, messages in conversations(args.path):
        if any(m.role == "agent" for m in messages):
            cards.append(review_conversation(playbook, messages, conversation_id=cid, channel=channel))
    turns_ = [t for c in cards for t in c["turn_reviews"] if "review" in t]
    print(f"conversation-aware ({cards[0]['channel'] if cards else '-'}): {len(cards)} conversations, "
          f"{sum(c['passed'] for c in cards) / max(len(cards), 1):.1%} pass; "
          f"{len(turns_)} agent turns, {sum(t['review']['passed'] for t in turns_) / max(len(turns_), 1):.1%} pass")
    parts = Counter((p, v) for c in cards for p, v in c["structure"].items())
    for p in ("apology", "restatement", "remedy", "close"):
        print(f"  {p:<12} " + ", ".join(f"{v} {parts[(p, v)]}" for v in ("present", "missing", "n/a")))
    if args.labels:
        score_labels(args.labels, {t["id"]: t["review"] for c in cards for t in c["turn_reviews"]
                                   if "review" in t})
    worst = sorted((c for c in cards if c["score"] is not None), key=lambda c: c["score"])[:3]
    print("worst conversations: " + ", ".join(f"{c['conversation_id']} ({c['score']})" for c in worst))
    if args.dump:
        rng = random.Random(args.seed)
        sample = rng.sample(out, min(args.sample or len(out), len(out)))
        with args.dump.open("w", encoding="utf-8") as f:
            for row in sample:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"wrote {len(sample)} sampled turns to {args.dump}")
    return 0


PHRASE = ("defensive_language", "vague_promise", "over_promise", "blame_shifting",
          "sensitive_data_request", "negative_wording")


def overlaps(a: dict, b: dict) -> bool:
    return a["start"] < b["end"] and b["start"] < a["end"]


def score_labels(paths: list[Path], reviews: dict[str, dict]) -> None:
    """Precision of the phrase flags on every labelled turn; recall and the pass rate of
    clean turns on the random sample only (the flagged sample was chosen by the checker)."""
    labels = [json.loads(line) for path in paths for line in path.open(encoding="utf-8")]
    flags, right = Counter(), Counter()
    # a flag on a span the judge found a problem in, of whatever category: judges split on
    # the category of the same words ("please wait patiently": a vague promise or a brush-off)
    right_any = 0
    gold, found = Counter(), Counter()
    clean = clean_pass = clean_all = clean_all_pass = 0
    missing = 0

    for row in labels:
        r = reviews.get(row["id"])
        if r is None:
            missing += 1
            continue
        ours = [f for f in r["findings"] if f["start"] is not None and f["category"] in PHRASE]
        for f in ours:
            flags[f["category"]] += 1
            right[f["category"]] += any(g["category"] == f["category"] and overlaps(f, g) for g in row["problems"])
            right_any += any(overlaps(f, g) for g in row["problems"])
        if row["chat_ok"]:
            clean_all += 1
            clean_all_pass += r["passed"]
        if row["sample"] != "random":
            continue
        for g in row["problems"]:
            gold[g["category"]] += 1
            found[g["category"]] += any(f["category"] == g["category"] and overlaps(f, g) for f in ours)
        if row["chat_ok"]:
            clean += 1
            clean_pass += r["passed"]
    print(f"against {len(labels)} hand-judged turns ({missing} not found):")
    print(f"  {'category':<26}{'flags':>6}{'right':>6}{'precision':>10}{'gold':>6}{'found':>6}{'recall':>8}")
    for cat in PHRASE:
        prec = f"{right[cat] / flags[cat]:.2f}" if flags[cat] else "-"
        rec = f"{found[cat] / gold[cat]:.2f}" if gold[cat] else "-"
        print(f"  {cat:<26}{flags[cat]:>6}{right[cat]:>6}{prec:>10}{gold[cat]:>6}{found[cat]:>6}{rec:>8}")
    tf, tr, tg, tfo = sum(flags.values()), sum(right.values()), sum(gold.values()), sum(found.values())
    print(f"  {'all phrase flags':<26}{tf:>6}{tr:>6}{tr / max(tf, 1):>10.2f}{tg:>6}{tfo:>6}{tfo / max(tg, 1):>8.2f}")
    print(f"  flags on a judged problem of any category: {right_any}/{tf} ({right_any / max(tf, 1):.2f})")
    print(f"  clean turns that pass: {clean_pass}/{clean} of the random sample "
          f"({clean_pass / max(clean, 1):.1%}); {clean_all_pass}/{clean_all} of all judged")
    _stratified(labels, reviews)


def _stratified(labels: list[dict], reviews: dict[str, dict]) -> None:
    """Recall over the whole corpus, estimated by strata: the turns with a phrase flag (F) and
    the turns with none (U). A sample drawn from turns no judge had seen is mostly U (every
    flagged turn was judged before), so its recall says only what the flags miss; this
    estimate weighs each stratum by its size. Problems per judged turn in F come from every
    judged F turn (a turn judged twice counts its last judgement); in U, from the random
    samples only (the flagged samples were chosen by older flags)."""
    last = {row["id"]: row for row in labels if row["id"] in reviews}
    flagged = {i for i, r in reviews.items() if any(f["start"] is not None and f["category"] in PHRASE
                                                     for f in r["findings"])}
    n_f, n_u = len(flagged), len(reviews) - len(flagged)
    jf = [r for i, r in last.items() if i in flagged]
    ju = [r for i, r in last.items() if i not in flagged and r["sample"] == "random"]
    if not jf or not ju:
        return

    def caught(row) -> int:
        ours = [f for f in reviews[row["id"]]["findings"] if f["start"] is not None]
        return sum(any(f["category"] == g["category"] and overlaps(f, g) for f in ours) for g in row["problems"])

    pf = sum(len(r["problems"]) for r in jf) / len(jf) * n_f
    cf = sum(caught(r) for r in jf) / len(jf) * n_f
    pu = sum(len(r["problems"]) for r in ju) / len(ju) * n_u
    print(f"  recall over the corpus, by strata: {cf / max(pf + pu, 1e-9):.2f} "
          f"(flagged turns {n_f}, {len(jf)} judged, ~{pf:.0f} problems, ~{cf:.0f} caught; "
          f"unflagged {n_u}, {len(ju)} judged at random, ~{pu:.0f} problems)")


if __name__ == "__main__":
    sys.exit(main())
