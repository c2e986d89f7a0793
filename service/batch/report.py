"""The QA report: pass rate, mean score, findings per 100 replies by category, the most
frequent offending phrases, the same by agent and by channel (worst first, with example
replies), and weekly trends when `created_at` is given.

A ReportBuilder takes reviewed rows one at a time and merges with another builder, so batch
workers can each build part of a report and the parent adds them up. Its memory is bounded by
the number of agents, channels, weeks and distinct phrases, not by the number of rows.

This is the one report of a batch, and its one masking step: `tactful batch --report` and
`POST /v1/batches` both build it from (record, row) pairs, and the example replies it keeps
(the worst few per agent, the only reply text in it) have personal data masked when the report
is made, with their findings' offsets moved to match. Masking only what is shown keeps the
batch fast: masking every reply would cost about as much as reviewing it."""

from __future__ import annotations

import heapq
import re
from collections import Counter
from datetime import date, datetime
from typing import TYPE_CHECKING

from ..privacy.masking import mask_spans

if TYPE_CHECKING:
    from ..checker.rubric import Rubric
    from .formats import Record

__all__ = ["ReportBuilder", "iso_week", "report_meta", "masked_example"]

EXAMPLES = 3
TOP_PHRASES = 20
WORST_CONVERSATIONS = 5
EXAMPLE_MESSAGES = 40  # messages shown of one worst conversation
EXAMPLE_CHARS = 2000  # characters shown of one message

_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})")


def iso_week(value) -> str | None:
    """'2026-W47' for a date-like value (ISO timestamps, 2026/11/23, 2026年11月23日, epoch s)."""
    if value in (None, ""):
        return None
    try:
        if isinstance(value, (int, float)) or (isinstance(value, str) and value.isdigit()):
            d = datetime.fromtimestamp(float(value)).date()
        else:
            m = _DATE.search(str(value))
            if not m:
                return None
            d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except (ValueError, OverflowError, OSError):
        return None
    year, week, _ = d.isocalendar()
    return f"{year}-W{week:02d}"


def _keep(heap: list, item: tuple, n: int) -> None:
    """Keep `item` (badness, order, example) among the n worst in `heap`, a min-heap, so that
    how rows were cut into chunks never changes which examples a report shows."""
    if len(heap) < n:
        heapq.heappush(heap, item)
    elif item[:2] > heap[0][:2]:
        heapq.heapreplace(heap, item)


class _Group:
    __slots__ = ("rows", "reviewed", "errors", "passed", "score", "categories", "phrases", "examples")

    def __init__(self) -> None:
        self.rows = self.reviewed = self.errors = self.passed = self.score = 0
        self.categories: Counter = Counter()
        self.phrases: Counter = Counter()
        self.examples: list = []  # a min-heap of (-score, seq, example): the worst replies

    def add(self, row: dict, reply: str | None, seq: int, keep_examples: bool) -> None:
        self.rows += 1
        if "error" in row:
            self.errors += 1
            return
        self.reviewed += 1
        self.passed += bool(row["passed"])
        self.score += row["score"]
        for f in row["findings"]:
            self.categories[f["category"]] += 1
            if f.get("text"):
                self.phrases[(f["category"], f["text"])] += 1
        if keep_examples and reply and row["findings"]:
            # among equal scores the earliest line wins: the input line, not the position in a
            # chunk, so that how a batch was cut into chunks never changes the examples
            order = row.get("line") if isinstance(row.get("line"), int) else seq
            item = (-row["score"], -order, {"id": row.get("id"), "line": row.get("line"), "reply": reply,
                                          "score": row["score"], "findings": row["findings"]})
            _keep(self.examples, item, EXAMPLES)

    def merge(self, other: "_Group") -> None:
        self.rows += other.rows
        self.reviewed += other.reviewed
        self.errors += other.errors
        self.passed += other.passed
        self.score += other.score
        self.categories.update(other.categories)
        self.phrases.update(other.phrases)
        for item in other.examples:
            _keep(self.examples, item, EXAMPLES)

    def figures(self, categories: list[str]) -> dict:
        n = self.reviewed
        return {
            "rows": self.rows, "reviewed": n, "errors": self.errors,
            "pass_rate": round(self.passed / n, 4) if n else None,
            "mean_score": round(self.score / n, 2) if n else None,
            "per_100": {c: round(self.categories[c] * 100 / n, 2) if n else 0.0 for c in categories},
            "top_phrases": [{"category": c, "text": t, "count": k}
                            for (c, t), k in self.phrases.most_common(TOP_PHRASES)],
        }


class _Conversations:
    """The conversation figures of a group: scorecards, their parts' outcomes, categories."""
    __slots__ = ("count", "scored", "passed", "score", "unanswered", "parts", "categories")

    def __init__(self) -> None:
        self.count = self.scored = self.passed = self.score = self.unanswered = 0
        self.parts: Counter = Counter()  # (part, outcome)
        self.categories: Counter = Counter()  # conversations with at least one such finding

    def add(self, card: dict) -> None:
        self.count += 1
        self.unanswered += bool(card.get("unanswered"))
        if card.get("score") is None:
            return
        self.scored += 1
        self.passed += bool(card["passed"])
        self.score += card["score"]
        self.parts.update((p, v) for p, v in (card.get("structure") or {}).items())
        self.categories.update(list((card.get("findings_by_category") or {}).keys()))

    def merge(self, other: "_Conversations") -> None:
        for name in ("count", "scored", "passed", "score", "unanswered"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.parts.update(other.parts)
        self.categories.update(other.categories)

    def figures(self, categories: list[str]) -> dict:
        n = self.scored
        return {"conversations": self.count, "scored": n, "unanswered": self.unanswered,
                "pass_rate": round(self.passed / n, 4) if n else None,
                "mean_score": round(self.score / n, 2) if n else None,
                "with_category": {c: round(self.categories[c] / n, 4) if n else 0.0 for c in categories},
                "structure": {p: {v: self.parts[(p, v)] for v in ("present", "missing", "n/a")}
                              for p in sorted({p for p, _ in self.parts})}}


class ReportBuilder:
    def __init__(self) -> None:
        self.overall = _Group()
        self.agents: dict[str, _Group] = {}
        self.channels: dict[str, _Group] = {}
        self.weeks: dict[str, _Group] = {}
        self.seq = 0
        self.conversations = _Conversations()
        self.conversation_agents: dict[str, _Conversations] = {}
        self.worst: list = []  # a min-heap of (-score, -line, example): the worst conversations

    def add_conversation(self, conv, rows: list[dict]) -> None:
        """One conversation of a file of conversations (pipeline.Conversation) and its output
        rows: its turns count as replies, its scorecard as a conversation."""
        by_line = {r.line: r for r in conv.records}
        card = None
        for row in rows:
            if row.get("kind") == "conversation":
                card = row
                continue
            rec = by_line.get(row.get("line"))
            data = (rec.data if rec is not None else None) or {}
            text = data.get("text") if row.get("kind") == "turn" else None
            self.add(row, text if isinstance(text, str) else None, data.get("created_at"))
        if card is None:
            return
        self.conversations.add(card)
        for agent in card.get("agents") or ["(none)"]:
            self.conversation_agents.setdefault(str(agent), _Conversations()).add(card)
        if card.get("score") is not None and not card.get("passed"):
            self._keep_worst(card, conv, rows)

    def _keep_worst(self, card: dict, conv, rows: list[dict]) -> None:
        line = card.get("line") if isinstance(card.get("line"), int) else 0
        key = (-card["score"], -line)
        if len(self.worst) >= WORST_CONVERSATIONS and key <= self.worst[0][:2]:
            return
        turns = {r.get("line"): r for r in rows if r.get("kind") == "turn"}
        messages = []
        for rec in conv.records[:EXAMPLE_MESSAGES]:
            data = rec.data or {}
            text = data.get("text")
            if not isinstance(text, str):
                continue
            turn = turns.get(rec.line)
            findings = [f for f in (turn or {}).get("findings") or [] if (f.get("end") or 0) <= EXAMPLE_CHARS]
            messages.append({"line": rec.line, "role": str(data.get("role") or ""),
                             "agent": (turn or {}).get("agent"), "text": text[:EXAMPLE_CHARS],
                             "score": (turn or {}).get("score"), "findings": findings})
        example = {"conversation_id": card.get("conversation_id"), "line": card.get("line"),
                   "channel": card.get("channel"), "agents": card.get("agents"), "score": card["score"],
                   "structure": card.get("structure"), "findings_by_category": card.get("findings_by_category"),
                   "messages": messages, "more_messages": max(len(conv.records) - EXAMPLE_MESSAGES, 0)}
        _keep(self.worst, (key[0], key[1], example), WORST_CONVERSATIONS)

    def add_record(self, rec: "Record", row: dict) -> None:
        """One input record and its output row."""
        data = rec.data or {}
        reply = data.get("reply")
        self.add(row, reply if isinstance(reply, str) else None, data.get("created_at"))

    def add(self, row: dict, reply: str | None = None, created_at=None) -> None:
        seq = self.seq = self.seq + 1
        self.overall.add(row, reply, seq, False)
        agent = str(row.get("agent") or "(none)")
        self.agents.setdefault(agent, _Group()).add(row, reply, seq, True)
        channel = str(row.get("channel") or "(none)")
        self.channels.setdefault(channel, _Group()).add(row, None, seq, False)
        week = iso_week(created_at)
        if week:
            self.weeks.setdefault(week, _Group()).add(row, None, seq, False)

    def merge(self, other: "ReportBuilder") -> None:
        self.overall.merge(other.overall)
        for mine, theirs in ((self.agents, other.agents), (self.channels, other.channels),
                             (self.weeks, other.weeks)):
            for key, group in theirs.items():
                mine.setdefault(key, _Group()).merge(group)
        self.seq += other.seq
        self.conversations.merge(other.conversations)
        for key, cg in other.conversation_agents.items():
            self.conversation_agents.setdefault(key, _Conversations()).merge(cg)
        for item in other.worst:
            _keep(self.worst, item, WORST_CONVERSATIONS)

    def to_dict(self, rubric: "Rubric", job: dict | None = None) -> dict:
        """The report, with `job` (report_meta) as its metadata and the rubric's categories."""
        cats = [c for c in rubric.spec.categories if c != "ungrounded"]
        labels = [{"id": c, "label": rubric.spec.categories[c].label.get("en", c),
                   "labels": rubric.spec.categories[c].label} for c in cats]

        def worst_first(groups: dict[str, _Group], key: str, examples: bool) -> list[dict]:
            out = []
            for name, g in groups.items():
                item = {key: name, **g.figures(cats)}
                if examples:
                    item["examples"] = [masked_example(e) for _, _, e in sorted(g.examples, reverse=True)]
                out.append(item)
            out.sort(key=lambda x: (x["pass_rate"] if x["pass_rate"] is not None else 2,
                                    x["mean_score"] if x["mean_score"] is not None else 101))
            return out

        meta = dict(job or {})
        if "rows" in meta:
            meta["rows"] = self.overall.rows
        out = {
            "job": meta,
            "rubric_version": rubric.version,
            "categories": labels,
            "overall": self.overall.figures(cats),
            "by_agent": worst_first(self.agents, "agent", True),
            "by_channel": worst_first(self.channels, "channel", False),
            "weekly": [{"week": w, **{k: v for k, v in g.figures(cats).items() if k != "top_phrases"}}
                       for w, g in sorted(self.weeks.items())],
        }
        if self.conversations.count:
            agents = [{"agent": a, **g.figures(cats)} for a, g in self.conversation_agents.items()]
            agents.sort(key=lambda x: (x["pass_rate"] if x["pass_rate"] is not None else 2,
                                       x["mean_score"] if x["mean_score"] is not None else 101))
            out["conversations"] = {**self.conversations.figures(cats), "by_agent": agents,
                                    "worst": [masked_conversation(e) for _, _, e in sorted(self.worst, reverse=True)]}
        return out


def masked_example(example: dict) -> dict:
    """An example reply with personal data masked and its findings' offsets moved to match."""
    reply, findings = mask_spans(example.get("reply"), example.get("findings") or [])
    return {**example, "reply": reply, "findings": findings}


def masked_conversation(example: dict) -> dict:
    """A worst conversation with personal data masked in every message (the customer's too)."""
    messages = []
    for m in example.get("messages") or []:
        text, findings = mask_spans(m.get("text"), m.get("findings") or [])
        messages.append({**m, "text": text, "findings": findings})
    return {**example, "messages": messages}


def report_meta(*, filename: str | None, created_at: str, rubric_version: str, fmt: str | None = None,
                encoding: str | None = None, job_id: str | None = None) -> dict:
    """The report's metadata, the same keys from the CLI and from a job; `rows` is filled in
    with the number of rows when the report is made."""
    meta = {"filename": filename, "created_at": created_at, "rubric_version": rubric_version,
            "rows": None, "format": fmt, "encoding": encoding}
    if job_id is not None:
        meta = {"id": job_id, **meta}
    return meta
