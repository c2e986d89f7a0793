"""The triage classifier: checker/classifier.py's logistic regression, trained on the
team-written set rubrics/triage_train.jsonl (bench/triage_train_make.py writes it), with the
clause splitter triage reads a message by.

Chosen over naive Bayes on the same features: on a 5-fold split of the training set that keeps
every written sentence on one side (bench/triage_bench.py --cv), 0.76 of messages right against
0.69; it learns that greetings, closers and threats say nothing of the scenario, where naive
Bayes counts them as evidence."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..checker.classifier import Model, features, load, prepare, read_rows, train

__all__ = ["Model", "load_model", "load_danger_model", "train", "features", "segments", "prepare", "read_rows", "BUILTIN_DATA"]

BUILTIN_DATA = Path(__file__).resolve().parent.parent / "defaults" / "rubrics" / "triage_train.jsonl"

_SEG_SPLIT = re.compile(
    r"[.。!！?？;；\n]+|(?<=[\u4e00-\u9fff])[\s,，]+(?=[\u4e00-\u9fff])|,\s+(?=(?:and|also|plus|but|btw|oh)\b)|"
    r"\s+(?=(?:also|plus|on top of that|btw|oh and|and also|and then)\b)|"
    r"(?=而且|另外|还有|顺便|更气的是|更夸张的是|然后|此外|再说)")


def segments(text: str) -> list[str]:
    """The message's clauses: split at sentence ends, at spaces or commas between Chinese
    clauses, and before the words that add a second problem ("而且", "also", "on top of that")."""
    parts = [p.strip(" ,，、~") for p in _SEG_SPLIT.split(prepare(text))]
    return [p for p in parts if p]


def _trained(data: bytes) -> Model:
    return train([json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()])


def _trained_danger(data: bytes) -> Model:
    rows = [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]
    return train([{"text": r["text"], "issues": ["danger" if r.get("safety") else "safe"]} for r in rows],
                 fallback="safe")


def _training_file(rubric_dir: Path) -> Path:
    path = Path(rubric_dir) / "triage_train.jsonl"
    return path if path.is_file() else BUILTIN_DATA


def load_danger_model(rubric_dir: Path, cache_dir: str = "") -> Model:
    """A second model of the same training set with one question: is anyone in danger (the
    rows' `safety`), yes or no. The scenario model shares a message's target among its issues,
    so a danger told beside a faulty product ("the charger sparked and burned my hand") reads
    half a danger there; here it is a whole one. Cached like load_model."""
    return load("triage-danger", _training_file(rubric_dir), cache_dir, _trained_danger)


def load_model(rubric_dir: Path, cache_dir: str = "") -> Model:
    """The model of the playbook's training set (its rubric folder's triage_train.jsonl, else
    the built-in one): trained once per version of the file (about 4 s), then read back from a
    cache file in Settings.cache_dir (about 0.2 s) and kept in memory."""
    return load("triage", _training_file(rubric_dir), cache_dir, _trained)
