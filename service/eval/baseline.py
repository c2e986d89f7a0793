"""Comparing runs. `gate` decides whether a run regressed against a committed baseline;
`compare` lines two runs up side by side. Both read results documents (runner.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from .runner import FORMAT

__all__ = ["Verdict", "gate", "compare", "load_results", "aggregates"]


def load_results(path: Path | str) -> dict:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: results file not found", field="baseline")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: not JSON: {e}", field="baseline") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(f"{path}: not a tactful eval results file (format {FORMAT})", field="baseline")
    return data


def aggregates(run: dict) -> dict[str, float]:
    """The figures the gate watches: mean score, pass rate, and each scorer's mean."""
    s = run.get("stats") or {}
    out = {"score": s.get("score", 0.0), "pass_rate": s.get("pass_rate", 0.0)}
    for name, v in (s.get("scorers") or {}).items():
        out[f"{name}.mean"] = v.get("mean", 0.0)
    return out


def _failed_scorers(case: dict) -> str:
    if case.get("error"):
        return "error: " + str(case["error"])[:160]
    bad = [f"{n} ({s.get('reason', '')})" for n, s in (case.get("scores") or {}).items() if not s.get("pass")]
    return "; ".join(bad) or "failed"


@dataclass
class Verdict:
    regressions: list[str] = field(default_factory=list)
    improvements: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.regressions)


def gate(current: dict, baseline: dict | None, config_gate) -> Verdict:
    """Regressions: an aggregate more than `tolerance` below the baseline, a case that passed
    in the baseline and fails now, or a figure under the config's floors."""
    v = Verdict()
    now = aggregates(current)
    s = current.get("stats") or {}
    if s.get("score", 0.0) < config_gate.min_score:
        v.regressions.append(f"mean score {s.get('score', 0):.3f} is under the floor {config_gate.min_score:.3f}")
    if s.get("pass_rate", 0.0) < config_gate.min_pass_rate:
        v.regressions.append(f"pass rate {s.get('pass_rate', 0):.3f} is under the floor {config_gate.min_pass_rate:.3f}")
    if baseline is None:
        return v
    if baseline.get("model") != current.get("model"):
        v.notes.append(f"the baseline was made with model {baseline.get('model')!r}, this run with "
                       f"{current.get('model')!r}: figures may not be comparable")
    tolerance = config_gate.tolerance
    before = aggregates(baseline)
    for key, old in before.items():
        new = now.get(key)
        if new is None:
            v.notes.append(f"{key}: in the baseline, not in this run (scorer disabled?)")
        elif new < old - tolerance:
            v.regressions.append(f"{key} dropped {old:.3f} -> {new:.3f} (tolerance {tolerance:.3f})")
        elif new > old + tolerance:
            v.improvements.append(f"{key} rose {old:.3f} -> {new:.3f}")
    was = {c["id"]: c for c in baseline.get("results") or []}
    is_ = {c["id"]: c for c in current.get("results") or []}
    for cid, old in was.items():
        new = is_.get(cid)
        if new is None:
            v.notes.append(f"case {cid}: in the baseline, not run now")
        elif old.get("passed") and not new.get("passed"):
            v.regressions.append(f"case {cid} passed in the baseline and fails now: {_failed_scorers(new)}")
        elif not old.get("passed") and new.get("passed"):
            v.improvements.append(f"case {cid} fails in the baseline and passes now")
    for cid in is_.keys() - was.keys():
        v.notes.append(f"case {cid}: new since the baseline ({'passes' if is_[cid].get('passed') else 'fails'})")
    return v


def compare(a: dict, b: dict, min_delta: float = 0.01) -> dict:
    """Two runs side by side: run facts, aggregates, tag groups, and the cases that changed."""
    def facts(r: dict) -> dict:
        return {"timestamp": r.get("timestamp"), "model": r.get("model"),
                "config": (r.get("config") or {}).get("hash"), "rubric": r.get("rubric_version"),
                "cases": (r.get("stats") or {}).get("cases")}

    agg_a, agg_b = aggregates(a), aggregates(b)
    rows = [(k, agg_a.get(k), agg_b.get(k)) for k in dict.fromkeys([*agg_a, *agg_b])]
    tags = []
    ta, tb = (a.get("stats") or {}).get("tags") or {}, (b.get("stats") or {}).get("tags") or {}
    for key in dict.fromkeys([*ta, *tb]):
        for value in dict.fromkeys([*(ta.get(key) or {}), *(tb.get(key) or {})]):
            x, y = (ta.get(key) or {}).get(value) or {}, (tb.get(key) or {}).get(value) or {}
            tags.append((f"{key}={value}", x.get("score"), y.get("score"), x.get("pass_rate"), y.get("pass_rate")))
    ca = {c["id"]: c for c in a.get("results") or []}
    cb = {c["id"]: c for c in b.get("results") or []}
    changed = []
    for cid in dict.fromkeys([*ca, *cb]):
        x, y = ca.get(cid), cb.get(cid)
        if x is None or y is None:
            changed.append({"id": cid, "a": x and x.get("score"), "b": y and y.get("score"),
                            "what": "only in A" if y is None else "only in B"})
            continue
        if x.get("passed") != y.get("passed") or abs((x.get("score") or 0) - (y.get("score") or 0)) >= min_delta:
            what = ("now passes" if y.get("passed") else "now fails: " + _failed_scorers(y)) \
                if x.get("passed") != y.get("passed") else "score changed"
            changed.append({"id": cid, "a": x.get("score"), "b": y.get("score"), "what": what})
    return {"runs": [facts(a), facts(b)], "aggregates": rows, "tags": tags, "cases": changed}
