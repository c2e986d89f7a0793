"""Conversations as the unit of QA: every agent turn is reviewed with the conversation before
it, and the conversation gets a scorecard.

Where the four parts are asked for depends on the channel (structure.yaml, `conversation:`):
- email and phone: each agent reply carries all four;
- chat and social: the conversation does. Once the customer has complained (a triage scenario
  other than a question), the first substantive answer apologises and restates the problem,
  and the last agent turn closes openly; a promise with no time is a vague_promise finding
  wherever it is. A short factual
  answer is not a failed complaint reply: what a turn is not asked for is "n/a".

Bot and system messages and private notes are context, never scored.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import InputError, TactfulError
from .check import check_reply
from .review import ALL_PARTS, Finding, _missing, score_keys, score_of
from .rubric import SECTIONS, Rubric, expand
from .text import fold

if TYPE_CHECKING:
    from ..playbook import Playbook

__all__ = ["Message", "review_conversation", "required_parts", "ROLES"]

ROLES = ("customer", "agent", "bot", "system")


@dataclass(slots=True)
class Message:
    role: str  # customer | agent | bot | system
    text: str
    agent: str | None = None
    created_at: str | None = None
    channel: str | None = None
    line: int | None = None  # where it came from in an input file
    id: str | None = None


@functools.lru_cache(maxsize=8)
def _holding(rubric: Rubric) -> re.Pattern:
    phrases = sorted({x for p in rubric.conversation.holding for x in expand(p)}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, phrases)) if phrases else r"(?!x)x")


_PLACEHOLDER = re.compile(r"\[[^\[\]]{1,12}\]|@\w+|https?://\S+")
_NOISE = re.compile(r"[\W_]+")


def substantive(rubric: Rubric, text: str) -> bool:
    """Whether a turn answers (rather than greets, or holds the line while the agent looks)."""
    rest = _PLACEHOLDER.sub(" ", fold(text))
    if len(_NOISE.sub("", rest)) < rubric.conversation.min_chars:
        return False
    return len(_NOISE.sub("", _holding(rubric).sub(" ", rest))) >= rubric.conversation.min_chars // 2


def required_parts(playbook: Playbook, reply: str, complaint: str | None, channel: str | None,
                   lang: str | None = None) -> frozenset[str]:
    """The parts one reply must hold when it is reviewed on its own: all four in email and
    phone (and when the channel is not given); in chat and social, an apology and the problem
    restated when it is the substantive answer to a complaint, and nothing else."""
    rubric = playbook.rubric
    if channel is None or channel in rubric.conversation.complete_channels:
        return ALL_PARTS
    if complaint and complaint.strip() and substantive(rubric, reply) and _complains(playbook, complaint, lang):
        return frozenset({"apology", "restatement"})
    return frozenset()


def review_conversation(playbook: Playbook, messages: list[Message], *, conversation_id: str | None = None,
                        channel: str | None = None, lang: str | None = None, ended: bool = True) -> dict:
    """The scorecard of one conversation, with the review of each agent turn. `ended`: the
    conversation is over, so its last agent turn should close openly (False for a reply
    reviewed on its own)."""
    rubric = playbook.rubric
    channel = channel or next((m.channel for m in messages if m.channel), None) or "chat"
    complete = channel in rubric.conversation.complete_channels
    turns = []
    customer: list[str] = []  # the customer's words the agent is answering
    answered = False  # an agent turn came after them: the next customer words start afresh
    complained_at: int | None = None  # the agent turn index due to answer the complaint
    for m in messages:
        if m.role == "customer":
            if answered:
                customer, answered = [], False
            customer.append(m.text)
            if complained_at is None and _complains(playbook, m.text, lang):
                complained_at = -1  # the next substantive agent turn answers it
            continue
        if m.role != "agent":
            continue  # bots, system messages and notes are never scored
        # (an answer split over several turns, "1/2" and "2/2", answers the same words)
        context = "\n".join(customer[-3:]) or None
        answered = True
        due = complained_at == -1 and substantive(rubric, m.text)
        if due:
            complained_at = len(turns)
        required = ALL_PARTS if complete else frozenset()
        try:
            r = check_reply(playbook, m.text, complaint=context, lang=lang, required=required)
        except TactfulError as e:
            turns.append({"index": len(turns), "line": m.line, "id": m.id, "agent": m.agent,
                          "created_at": m.created_at, "error": e.message})
            continue
        turns.append({"index": len(turns), "line": m.line, "id": m.id, "agent": m.agent,
                      "created_at": m.created_at, "text": m.text, "review": r})
    if not turns:
        raise InputError("the conversation has no agent turn to review", field="role")
    reviewed = [t for t in turns if "review" in t]
    agents = list(dict.fromkeys(t["agent"] for t in turns if t["agent"]))
    if not reviewed:  # every agent turn was unusable (empty, too long): nothing to score
        return {"conversation_id": conversation_id, "channel": channel, "agents": agents,
                "turns": len(turns), "reviewed": 0, "errors": len(turns), "score": None,
                "passed": False, "complaint": complained_at is not None, "structure": {},
                "findings_by_category": {}, "turn_reviews": [_turn_out(t) for t in turns]}
    structure, extra = _structure(rubric, reviewed, complete, complained_at, ended)
    keys = [k for t in reviewed for k in _keys(rubric, t["review"])] + [k for _, _, k in extra]
    for t, finding, key in extra:  # the missing part belongs to the turn it was due in
        t["review"].findings.append(finding)
        t["review"].structure[_part_of(finding)] = "missing"
        t["review"].score, t["review"].passed = score_of(rubric, _keys(rubric, t["review"]))
    score, passed = score_of(rubric, keys)
    categories = Counter(f.category for t in reviewed for f in t["review"].findings)
    return {"conversation_id": conversation_id, "channel": channel, "agents": agents,
            "turns": len(turns), "reviewed": len(reviewed), "errors": len(turns) - len(reviewed),
            "score": score, "passed": passed, "complaint": complained_at is not None,
            "structure": structure, "findings_by_category": dict(categories.most_common()),
            "turn_reviews": [_turn_out(t) for t in turns]}


def _part_of(finding) -> str:
    return finding.rule.split(".", 1)[1] if finding.rule.startswith("structure.") else finding.category


def _keys(rubric: Rubric, review) -> list:
    return score_keys(rubric, review.findings)


def _structure(rubric: Rubric, reviewed: list[dict], complete: bool, complained_at: int | None,
               ended: bool):
    """The conversation's outcome per part, and the findings of the parts it misses, each with
    the turn it was due in."""
    def has(part: str, turns) -> bool:
        return any(t["review"].structure.get(part) == "present" for t in turns)

    if complete:  # every turn was asked for every part: the turns' outcomes say it all
        return {p: ("present" if has(p, reviewed) and all(t["review"].structure.get(p) == "present"
                                                          for t in reviewed) else "missing")
                for p in SECTIONS}, []
    out: dict[str, str] = {}
    extra = []
    by_index = {t["index"]: t for t in reviewed}
    due = by_index.get(complained_at) if complained_at not in (None, -1) else None
    after = [t for t in reviewed if due is not None and t["index"] >= due["index"]]
    for part in ("apology", "restatement"):
        if due is None:
            out[part] = "present" if has(part, reviewed) else "n/a"
        elif has(part, after):
            out[part] = "present"
        else:
            out[part] = "missing"
            extra.append(_missing_in(rubric, due, part))
    promised = [t for t in reviewed if t["review"].structure.get("remedy") in ("present", "missing")]
    out["remedy"] = ("missing" if any(t["review"].structure.get("remedy") == "missing" for t in promised)
                     else "present" if promised else "n/a")
    last = reviewed[-1]
    if last["review"].structure.get("close") == "present":
        out["close"] = "present"
    elif due is not None and ended:
        out["close"] = "missing"
        extra.append(_missing_in(rubric, last, "close"))
    else:
        out["close"] = "n/a"
    return out, extra


def _missing_in(rubric: Rubric, turn: dict, part: str):
    finding, key = _missing(rubric, part, turn["review"].lang)
    return turn, Finding(**finding), key


def _complains(playbook: Playbook, text: str, lang: str | None) -> bool:
    from ..drafting.triage import triage

    try:
        # the keyword rules only: reviewing stays light (no classifier is trained on this path),
        # and whether an apology is owed was tuned on what the rules call a complaint
        t = triage(text, playbook, lang=lang, use_model=False)
    except TactfulError:
        return False
    if t.kind in playbook.rubric.conversation.not_complaints:
        return False
    # a question about something of little weight ("我的订单显示签收了吗", "退款什么时候到账?")
    # asks for an answer, not an apology
    return not (t.severity == "minor" and _QUESTION.search(text.strip()))


_QUESTION = re.compile(r"(?:[?？吗么呢]\W*$|是否|请问|什么时候|多久|能不能|可不可以|\b(?:when|where|how|is|are|can|does|do)\b[^.!]*\?)",
                       re.IGNORECASE)


def _turn_out(t: dict) -> dict:
    out = {k: t[k] for k in ("index", "line", "id", "agent", "created_at") if t.get(k) is not None}
    if "error" in t:
        out["error"] = t["error"]
    else:
        out["review"] = t["review"].to_dict()
    return out
