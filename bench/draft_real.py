"""Drafts for messages nobody here wrote, laid out for judging by hand, and the figures of the
judgements. Prints figures; asserts nothing.

    python bench/draft_real.py sample OUT.jsonl [--set tests/data/triage_heldout2.jsonl] [--jddc PATH]
                                                [--twcs PATH] [--n 40] [--seed 7] [--exclude VERDICTS ...]
    python bench/draft_real.py score OUT.jsonl VERDICTS.jsonl

`sample` takes a fixed-seed sample of `--n` messages from each source: the held-out triage set
(written by a session that never saw the rules), and the first substantive customer turn of
JDDC chats and the first tweet of Twitter customer-support threads (the public corpora named
in the QA issue, kept outside this repository). Each is drafted by the default offline drafter
(chat for JDDC and the set's Chinese, social for Twitter and the set's English with an
@handle; a tweet to an airline or a telecom operator on that example policy, the rest on the
mall's) and written to OUT.jsonl with its triage: {"id", "source", "lang", "channel",
"message", "scenarios", "draft"}. OUT holds corpus text: keep it outside the repository.

`score` reads a judge's verdicts, one a line: {"id", "sendable": bool (sendable after light
edits, by the judge's own standard), "false_claim": bool (claims a check, call or action that
did not happen), "quoted_insult": bool (quotes an insult, @handle, greeting or filler back),
"scenario_ok": bool (the problem was understood: every issue of the message answered),
"emergency_ok": bool (a danger gets the emergency line first; true when there is no danger)}
and prints each figure by source. Only ids and verdicts are committed (bench/labels/).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import random
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

csv.field_size_limit(1 << 24)
_SUBSTANCE = re.compile(r"[\u4e00-\u9fffA-Za-z]")


def _set_messages(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    return [{"id": r["id"], "source": "heldout", "lang": r["lang"], "message": r["text"],
             "channel": "social" if "@" in r["text"] and r["lang"] == "en" else "chat",
             "policy": _addressee(r["text"])} for r in rows]


def _jddc_messages(path: Path) -> list[dict]:
    """The first customer turn of each chat with ten or more letters (not "你好", "在吗")."""
    first: dict[str, tuple[str, str]] = {}
    with path.open(encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f):
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 7 or cols[2] != "0" or cols[0] in first:
                continue
            text = "\t".join(cols[6:])
            if len(_SUBSTANCE.findall(text)) >= 10:
                first[cols[0]] = (f"jddc:{cols[0]}:{n}", text)
    return [{"id": i, "source": "jddc", "lang": "zh-Hans", "message": t, "channel": "chat"}
            for i, t in first.values()]


# The company a tweet went to decides which example policy drafts it: an airline's customer is
# answered on the airline's policy, a telecom's on the operator's, the rest on the mall's.
_INDUSTRY = {
    "airline": {"delta", "british_airways", "southwestair", "americanair", "airasiasupport", "alaskaair",
                "virginatlantic", "united", "jetblue", "virgintrains", "nationalrailenq", "gwrhelp"},
    "telecom": {"comcastcares", "tmobilehelp", "verizonsupport", "sprintcare", "ask_spectrum", "coxhelp",
                "centurylinkhelp", "attcares", "o2", "virginmedia", "ee", "idea_cares", "airtel_care"},
}


def _industry(company: str) -> str:
    return next((k for k, v in _INDUSTRY.items() if company.lower() in v), "mall")


# A held-out message names no addressee, so its words stand in for one: a message about a
# flight goes to the airline, one about a phone line or broadband to the operator, the rest
# to the mall (a bank's or a restaurant's customer is answered on the mall's policy, as a
# company with no policy of its own would be).
_BUSINESS_WORDS = {
    "airline": re.compile(r"航班|班機|班机|机票|機票|登机|登機|值机|報到櫃|地勤|机场|機場|航空|里程|"
                          r"\b(?:flights?|airlines?|airport|boarding|check-in|layover|miles|cabin crew|gate agent)\b", re.I),
    "telecom": re.compile(r"宽带|寬頻|宽频|话费|話費|流量|信号|訊號|信號|携号转网|攜碼|攜號|手机卡|電話卡|SIM|月租|套餐|"
                          r"基站|网速|網速|光猫|數據|上网|上網|\b(?:broadband|data plan|carrier|signal|roaming|"
                          r"cell service|phone plan|porting|wi-?fi|internet)\b", re.I),
}


def _addressee(text: str) -> str:
    handles = [h.lower() for h in re.findall(r"@(\w+)", text)]
    for handle in handles:
        if (kind := _industry(handle)) != "mall":
            return kind
    return next((k for k, words in _BUSINESS_WORDS.items() if words.search(text)), "mall")


def _twcs_messages(path: Path) -> list[dict]:
    """Tweets to a company that start a thread, with forty or more letters, with the industry of
    the company that answered."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    by_id = {r["tweet_id"]: r for r in rows}

    def company(r) -> str:
        for rid in (r.get("response_tweet_id") or "").split(","):
            reply = by_id.get(rid.strip())
            if reply and reply["inbound"] == "False":
                return reply["author_id"]
        return ""

    return [{"id": f"twcs:{r['tweet_id']}", "source": "twcs", "lang": "en", "message": r["text"], "channel": "social",
             "policy": _industry(company(r))}
            for r in rows if r["inbound"] == "True" and not r.get("in_response_to_tweet_id")
            and len(_SUBSTANCE.findall(r["text"])) >= 40]


async def _drafts(items: list[dict]) -> list[dict]:
    from service.drafting.pipeline import draft_reply
    from service.errors import Unsupported
    from service.playbook import Playbook
    from service.schemas import DraftRequest
    from service.settings import get_settings

    base = get_settings().replace(model="")
    books = {}
    for kind in ("mall", "airline", "telecom"):
        path = None if kind == "mall" else ROOT / "rubrics" / "examples" / kind / "policy.yaml"
        settings = base.replace(policy_path=path) if path else base
        books[kind] = (settings, Playbook.from_settings(settings).load())
    out = []
    for item in items:
        settings, playbook = books[item.get("policy", "mall")]
        req = DraftRequest(message=item["message"], channel=item["channel"], lang=item["lang"])
        try:
            d = await draft_reply(req, settings, playbook, None)
        except Unsupported as e:  # (a tweet in Japanese or Spanish: not a language tactful drafts)
            print(f"skipped {item['id']}: {e}", file=sys.stderr)
            continue
        out.append({**item, "scenarios": [i["scenario"] for i in d["triage"].get("issues") or []],
                    "draft": d["text"]})
    return out


def sample(a) -> int:
    r = random.Random(a.seed)
    items: list[dict] = []
    sources = [(_set_messages, a.set)] + [(f, p) for f, p in ((_jddc_messages, a.jddc), (_twcs_messages, a.twcs)) if p]
    seen = {json.loads(line)["id"] for f in a.exclude for line in open(f, encoding="utf-8") if line.strip()}
    for read, path in sources:
        pool = [m for m in read(Path(path)) if m["id"] not in seen]  # (no message a judge has seen)
        items += r.sample(pool, min(a.n, len(pool)))
    drafted = asyncio.run(_drafts(items))
    with open(a.out, "w", encoding="utf-8") as f:
        for d in drafted:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    print(f"wrote {len(drafted)} drafts to {a.out}")
    return 0


FIGURES = ("sendable", "false_claim", "quoted_insult", "scenario_ok", "emergency_ok")


def score(a) -> int:
    source = {json.loads(line)["id"]: json.loads(line)["source"] for line in open(a.out, encoding="utf-8") if line.strip()}
    verdicts = [json.loads(line) for line in open(a.verdicts, encoding="utf-8") if line.strip()]
    by: dict[str, list[dict]] = defaultdict(list)
    for v in verdicts:
        by[source.get(v["id"], "?")].append(v)
        by["all"].append(v)
    print(f"{'source':<10}{'n':>5}" + "".join(f"{k:>15}" for k in FIGURES))
    for s, vs in sorted(by.items(), key=lambda kv: kv[0] == "all"):
        print(f"{s:<10}{len(vs):>5}" + "".join(f"{sum(bool(v.get(k)) for v in vs) / len(vs):>15.2f}" for k in FIGURES))
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sample")
    s.add_argument("out")
    s.add_argument("--set", default=str(ROOT / "tests" / "data" / "triage_heldout2.jsonl"))
    s.add_argument("--jddc")
    s.add_argument("--twcs")
    s.add_argument("--n", type=int, default=40)
    s.add_argument("--seed", type=int, default=7)
    s.add_argument("--exclude", nargs="*", default=[], help="verdict files whose ids are left out")
    c = sub.add_parser("score")
    c.add_argument("out")
    c.add_argument("verdicts")
    a = ap.parse_args(argv)
    return sample(a) if a.cmd == "sample" else score(a)


if __name__ == "__main__":
    raise SystemExit(main())
