"""Running a suite: draft every case (offline, replayed from cassettes, or a real model),
score each draft, and gather the figures into one results document (format below, also in
README). Cases run concurrently; each in its own task, so a cassette replay knows its case.

    results = {"format": "tactful-eval/1", "version", "timestamp", "model", "config": {path, hash, ...},
               "cassettes", "rubric_version", "prompt_hashes", "stats": {...}, "results": [per case]}
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

from pydantic import ValidationError

from .. import __version__
from ..drafting.pipeline import draft_reply
from ..errors import InputError, TactfulError, first_problem
from ..privacy.masking import mask, mask_spans
from ..drafting.models import ModelClient
from ..playbook import Playbook
from ..drafting.prompts import template_hash
from ..schemas import DraftRequest
from ..settings import Settings, get_settings
from .cases import Case, load_cases
from .cassettes import Recorder, Replay, current_case, load_cassettes
from .config import SuiteConfig
from .scorers import SCORERS, Score

__all__ = ["run_suite", "write_run", "FORMAT", "summarise"]

FORMAT = "tactful-eval/1"


def _prompt_hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): template_hash(root, p.relative_to(root).as_posix())
            for p in sorted(root.rglob("*.j2"))}


class _Run:
    def __init__(self, config: SuiteConfig, settings: Settings, record: Path | None):
        self.config, self.settings = config, settings
        self.playbook = Playbook.from_settings(settings).load()
        self.policy = self.playbook.policy
        self.model = config.model
        self.replay: Replay | None = None
        self.recorder: Recorder | None = None
        self.client = None
        self.judge = None
        if self.model == "mock":
            if not config.cassettes:
                raise InputError("--model mock needs a cassette folder (`cassettes:` in the config or --cassettes)",
                                 field="cassettes")
            self.replay = Replay(load_cassettes(config.resolve(config.cassettes)))
            self.client = self.replay.client(config.mock_model, settings)
        elif self.model != "offline":
            self.client = ModelClient.for_models(settings, [self.model])
        if record is not None:
            if self.model in ("offline", "mock"):
                raise InputError("--record needs a real model (--model <litellm id>)", field="record")
            self.recorder = Recorder(self.client)
            self.client = self.recorder
        judge = config.enabled().get("judge")
        if judge is not None:
            self.judge = self._judge(judge.model)

    def _judge(self, model: str | None):
        from ..batch.judge import Judge

        if self.replay is not None:
            client = self.replay.client(self.config.mock_model, self.settings)
            return Judge(client, self.settings.db_path, self.settings.prompt_dir, concurrency=1)
        model = model or (self.model if self.model != "offline" else None)
        if not model:
            raise InputError("the judge scorer needs a model: set scorers.judge.model or run with --model",
                             field="scorers.judge.model")
        return Judge.for_model(self.settings, model, concurrency=1)

    async def case(self, case: Case) -> dict:
        current_case.set(case.id)  # this task's own context: the replay router reads it
        t = case.ticket
        started = time.perf_counter()
        draft, error = None, None
        try:
            req = DraftRequest(message=t.message, customer_name=t.customer_name, order_id=t.order_id,
                               channel=t.channel, lang=t.lang, require_model=self.client is not None)
            draft = await draft_reply(req, self.settings, self.playbook, self.client)
        except ValidationError as e:  # a ticket the API would refuse: the case's error, not a traceback
            error = f"InputError: the ticket is not a valid draft request: {first_problem(e)}"
        except TactfulError as e:
            error = f"{type(e).__name__}: {e.message}"
        if self.replay is not None and self.replay.misses.get(case.id):
            error = "; ".join(self.replay.misses[case.id])
        scores: dict[str, Score] = {}
        if draft is not None and error is None:
            for name in self.config.enabled():
                if name in SCORERS:
                    scores[name] = SCORERS[name](case, draft, self.playbook)
            if self.judge is not None:
                scores["judge"] = await self._grade(case, draft)
        return self._result(case, draft, error, scores, (time.perf_counter() - started) * 1000)

    async def _grade(self, case: Case, draft: dict) -> Score:
        threshold = self.config.scorers["judge"].threshold
        threshold = 0.6 if threshold is None else threshold
        (graded,) = await self.judge.grade_many([(draft["text"], case.ticket.message)])
        if "error" in graded:
            return Score(False, 0.0, graded["error"])
        value = graded["score"] / 100
        reason = (f"empathy {graded['empathy']}/5, remedy fit {graded['remedy_fit']}/5, tone {graded['tone']}/5"
                  + (f": {graded['reason']}" if graded.get("reason") else ""))
        return Score(value >= threshold, value, reason)

    def _result(self, case: Case, draft: dict | None, error: str | None, scores: dict[str, Score],
                latency_ms: float) -> dict:
        enabled = self.config.enabled()
        for name, score in scores.items():  # a configured threshold tightens the scorer's own test
            threshold = enabled[name].threshold
            if threshold is not None and name != "judge":
                score.passed = score.passed and score.score >= threshold
        weights = {n: enabled[n].weight for n in scores}
        total = sum(weights.values())
        weighted = sum(scores[n].score * w for n, w in weights.items()) / total if total else 0.0
        keep = tuple(x for x in (case.ticket.order_id, draft and draft["triage"]["entities"].get("order_id"),
                                 self.policy.contact.email) if x)
        return {
            "id": case.id, "description": case.description, "tags": case.tags,
            "ticket": case.ticket.model_dump() | {"message": mask(case.ticket.message, keep)},
            "golden": case.golden,
            "draft": _stored_draft(draft, keep, self.playbook) if draft else None,
            "scores": {n: s.to_dict() for n, s in scores.items()},
            "score": round(weighted, 4) if error is None else 0.0,
            "passed": error is None and bool(scores) and all(s.passed for s in scores.values()),
            "error": error,
            "latency_ms": round(latency_ms, 1),
            "usage": draft["usage"] if draft else None,
        }


def _stored_draft(draft: dict, keep: tuple[str, ...], playbook: Playbook) -> dict:
    """The draft as written to the results file: personal data masked, finding offsets moved."""
    review = draft["review"]
    text, findings = mask_spans(draft["text"], review["findings"], keep)
    sections_moved = review["sections"]
    if text != draft["text"]:  # rare: a draft repeating personal data; sections are re-found
        from ..checker.check import check_reply

        sections_moved = check_reply(playbook, text, lang=draft["lang"]).sections
    return {"text": text, "sections": {k: mask(v, keep) for k, v in draft["sections"].items()},
            "subject": draft["subject"], "lang": draft["lang"], "model": draft["model"],
            "repaired": draft["repaired"], "fallback": draft["fallback"], "prompt_hash": draft["prompt_hash"],
            "triage": {k: draft["triage"][k] for k in ("scenario", "severity", "respond_within", "escalate_to")},
            "review": {"score": review["score"], "passed": review["passed"], "sections": sections_moved,
                       "findings": findings}}


def _group(rows: list[dict]) -> dict:
    passed = sum(1 for r in rows if r["passed"])
    return {"cases": len(rows), "passed": passed, "pass_rate": round(passed / len(rows), 4) if rows else 0.0,
            "score": round(sum(r["score"] for r in rows) / len(rows), 4) if rows else 0.0}


def summarise(results: list[dict], config: SuiteConfig) -> dict:
    """The aggregates: overall, per scorer, per tag value."""
    overall = _group(results)
    scorers = {}
    for name, sc in config.enabled().items():
        got = [r["scores"][name] for r in results if name in r["scores"]]
        scored = len(results)  # an errored case counts as 0 and a fail for every scorer
        scorers[name] = {"mean": round(sum(g["score"] for g in got) / scored, 4) if scored else 0.0,
                         "pass_rate": round(sum(1 for g in got if g["pass"]) / scored, 4) if scored else 0.0,
                         "weight": sc.weight, "threshold": sc.threshold}
    tags: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for r in results:
        for key, value in (r.get("tags") or {}).items():
            if value is not None:
                tags[key][str(value)].append(r)
    usage = {"prompt_tokens": 0, "completion_tokens": 0, "cost_usd": 0.0, "model_calls": 0}
    for r in results:
        for k in usage:
            usage[k] += (r.get("usage") or {}).get(k, 0) or 0
    usage["cost_usd"] = round(usage["cost_usd"], 6)
    return {"cases": overall["cases"], "passed": overall["passed"],
            "failed": sum(1 for r in results if not r["passed"] and not r["error"]),
            "errors": sum(1 for r in results if r["error"]),
            "pass_rate": overall["pass_rate"], "score": overall["score"],
            "scorers": scorers,
            "tags": {k: {v: _group(rows) for v, rows in sorted(values.items())} for k, values in sorted(tags.items())},
            "usage": usage}


async def _run_all(run: _Run, cases: list[Case], on_done) -> list[dict]:
    semaphore = asyncio.Semaphore(run.config.concurrency)

    async def one(case: Case) -> dict:
        async with semaphore:
            result = await run.case(case)
        on_done(result)
        return result

    return list(await asyncio.gather(*(one(c) for c in cases)))


def run_suite(config: SuiteConfig, settings: Settings | None = None, *, on_done=None,
              record: Path | None = None) -> dict:
    """Run the suite; `on_done(result)` is called as each case finishes (for a progress bar)."""
    settings = settings or get_settings()
    cases = load_cases(config)
    run = _Run(config, settings, record)
    started = time.perf_counter()
    on_done = on_done or (lambda result: None)
    if run.replay is not None:
        with run.replay.active():
            results = asyncio.run(_run_all(run, cases, on_done))
    else:
        results = asyncio.run(_run_all(run, cases, on_done))
    if run.recorder is not None:
        run.recorder.write(record, note=f"recorded from {config.model} on {datetime.now(timezone.utc):%Y-%m-%d}")
    stats = summarise(results, config)
    stats["duration_s"] = round(time.perf_counter() - started, 2)
    enabled = config.enabled()
    return {
        "format": FORMAT,
        "version": __version__,
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "model": config.model if config.model != "mock" else "mock",
        "config": {"path": str(config.path) if config.path else None, "hash": config.digest(),
                   "tolerance": config.gate.tolerance,
                   "scorers": {n: {"weight": c.weight, "threshold": c.threshold} for n, c in enabled.items()}},
        "cassettes": config.cassettes if config.model == "mock" else None,
        "rubric_version": run.playbook.rubric.version,
        "policy_hash": "sha256:" + hashlib.sha256(Path(settings.policy_path).read_bytes()).hexdigest()[:16],
        "prompt_hashes": _prompt_hashes(Path(settings.prompt_dir)),
        "stats": stats,
        "results": results,
    }


def write_run(run: dict, folder: Path) -> tuple[Path, Path]:
    """<timestamp>.json and .html in `folder` (never overwriting an earlier run)."""
    from .report_html import render_html

    folder.mkdir(parents=True, exist_ok=True)
    stem = run["timestamp"].replace("-", "").replace(":", "").replace("+0000", "Z")
    path, n = folder / f"{stem}.json", 1
    while path.exists() or path.with_suffix(".html").exists():
        n += 1
        path = folder / f"{stem}-{n}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(run, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)
    html = path.with_suffix(".html")
    html.write_text(render_html(run), encoding="utf-8")
    return path, html
