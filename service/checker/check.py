"""check_reply: the one check of a reply, used by the review route, the CLI and the draft
pipeline. It reviews the reply against the rubric and, when the ticket's triage is given,
grounds it in the policy (times, amounts, links, prompt leaks), then scores all findings once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .review import ALL_PARTS, Finding, Review, analyse, score_keys, score_of

if TYPE_CHECKING:
    from ..drafting.triage import Triage
    from ..playbook import Playbook

__all__ = ["check_reply"]


def check_reply(playbook: Playbook, reply: str, *, complaint: str | None = None,
                lang: str | None = None, triage: Triage | None = None,
                also: list[Finding] = (), required: frozenset[str] = ALL_PARTS,
                rendered: list[str] = ()) -> Review:
    """The review of `reply`; with `triage` (of the ticket it answers), also the grounding
    findings (category `ungrounded`). `also`: findings about the same message found elsewhere
    (a draft's subject line), counted in the score. Findings are sorted by position,
    structure ones last. `required`: the parts this reply must hold (review.analyse).
    `rendered`: the catalogue texts the service wrote into the reply (a draft's remedy)."""
    rubric = playbook.rubric
    lang, spans, found, keys, structure = analyse(reply, complaint, lang, rubric, required)
    findings = [Finding(**f) for f in found]
    if triage is not None or also:
        from . import grounding

        extra = (grounding.check(reply, playbook, triage, lang, rendered, complaint) if triage is not None else []) + list(also)
        if extra:
            findings = sorted(findings + extra, key=lambda f: (f.start is None, f.start or 0))
            keys = keys + score_keys(rubric, extra)
    score, passed = score_of(rubric, keys)
    return Review(lang, score, passed, spans, findings, rubric.version, structure)
