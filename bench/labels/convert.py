"""Turn a judge's working file (quotes of the real text, kept outside the repository) into the
committed labels: ids, categories, character offsets and verdicts, never the text.

    python bench/labels/convert.py WORK.jsonl TODO.jsonl STRATA.json OUT.jsonl
"""

import json
import sys

work, todo, strata, out = sys.argv[1:5]
replies = {json.loads(l)["id"]: json.loads(l)["reply"] for l in open(todo, encoding="utf-8")}
stratum = json.load(open(strata))
n = 0
with open(out, "w", encoding="utf-8") as f:
    for line in open(work, encoding="utf-8"):
        row = json.loads(line)
        reply = replies[row["id"]]
        problems = []
        for p in row["problems"]:
            start = reply.find(p["quote"])
            if start < 0:
                raise SystemExit(f"{row['id']}: quote not in the reply")
            problems.append({"category": p["category"], "start": start, "end": start + len(p["quote"])})
        f.write(json.dumps({"id": row["id"], "sample": stratum[row["id"]], "chat_ok": row["chat_ok"],
                            "problems": problems}) + "\n")
        n += 1
print(f"{n} labelled turns written to {out}")
