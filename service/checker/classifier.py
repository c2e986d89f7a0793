"""A text classifier: multinomial logistic regression over character 1-3-grams (Chinese,
folded to simplified) and words, word pairs and word 4-grams (English), in pure Python. Triage
(drafting/triage_model.py) classifies a customer's message with it; the learned flagger
(flagger.py) classifies an agent's clauses.

Pure Python on purpose: training is a few passes over some thousands of short texts (seconds,
at first use and never at import; then a cache file), prediction is a dictionary look-up per
feature, and the service gains no numpy/scipy dependency. Two pre-steps change what a feature
means rather than dropping it:
- negation: the few words after "没有 / 不是 / not / isn't" are marked ("没有质量问题" gives
  "!质量", not "质量"), so "not broken, just late" is not read as a defect;
- reported speech: what the merchant or an agent said ("客服说无质量问题", "support said
  there's no defect", anything in quotes) is marked too, so their words are not the customer's
  complaint.
The data learns what each marked feature is worth."""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .text import fold, to_simplified

__all__ = ["Model", "train", "features", "prepare", "read_rows", "load"]

_CJK = r"\u3400-\u9fff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_WORD = re.compile(r"[a-z0-9][a-z0-9']*")
# negation: a cue, then its scope (up to a contrast word or punctuation)
_NEG_ZH = re.compile(r"(?:并没有|并不是|并非|倒不是|也不是|没什么|没有|不是|无)")
_NEG_ZH_END = re.compile(r"就是|只是|但是|而是|可是|但|就|却|[\s,，.。!！?？;；:：]")
_NEG_EN = re.compile(r"\b(?:not|no|never|nothing|without|isn'?t|wasn'?t|aren'?t|weren'?t|don'?t|doesn'?t|didn'?t|"
                     r"hasn'?t|haven'?t|hadn'?t|won'?t|can'?t|cannot|cant|nobody|none)\b")
_NEG_EN_END = re.compile(r"\b(?:but|just|only|though|however)\b|[,.!?;:]")
# reported speech: the merchant's or an agent's words
_SAID_ZH = re.compile(r"(?:客服|商家|卖家|店家|店铺|售后|快递员|对方|他们|你们)(?:的人)?(?:都|还|却|竟然|居然|一口咬定|坚持)?"
                      r"(?:说(?!话)|称|讲(?!话)|回复说|回复|答复|告诉我|表示|声称|认定)[:：,，\s]*")
_SAID_EN = re.compile(r"\b(?:support|the agent|your agent|the seller|seller|the rep|your rep|they|you guys|your team|"
                      r"customer service|the store|the shop)\s+(?:said|says|claim(?:s|ed)?|told me|insist(?:s|ed)?|"
                      r"keep saying|kept saying)(?: that)?\s*")
_SAID_END = re.compile(r"可是|但是|但|结果|明明|其实|可|\bbut\b|[.。!！?？;；\n]")
_QUOTE = re.compile(r"[\"“「『‘]([^\"“”「」『』‘’]{1,40})[\"”」』’]")


def _spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, mark) of the negated and the reported parts of `text` (folded)."""
    out = []
    for m in _QUOTE.finditer(text):
        out.append((m.start(1), m.end(1), "q"))
    for rx in (_SAID_ZH, _SAID_EN):
        for m in rx.finditer(text):
            end = _SAID_END.search(text, m.end())
            out.append((m.end(), end.start() if end else len(text), "q"))
    for m in _NEG_ZH.finditer(text):
        end = _NEG_ZH_END.search(text, m.end())
        stop = min(end.start() if end else len(text), m.end() + 6)
        out.append((m.end(), stop, "!"))
    for m in _NEG_EN.finditer(text):
        end = _NEG_EN_END.search(text, m.end())
        stop = end.start() if end else len(text)
        words = list(_WORD.finditer(text, m.end(), stop))[:3]
        if words:
            out.append((m.end(), words[-1].end(), "!"))
    return out


def prepare(text: str) -> str:
    t = fold(text)
    return to_simplified(t) if _CJK_RUN.search(t) else t


def features(text: str, prepared: bool = False) -> list[str]:
    """The features of one text: the set of its n-grams, each with its mark ("!" negated,
    "q" reported) where it is in such a span."""
    t = text if prepared else prepare(text)
    marks = [""] * (len(t) + 1)
    for s, e, mark in _spans(t):
        for i in range(s, e):
            if mark == "q" or not marks[i]:
                marks[i] = mark
    out = set()
    for m in _CJK_RUN.finditer(t):
        s, run = m.start(), m.group()
        for n in (1, 2, 3):
            for i in range(len(run) - n + 1):
                out.add(marks[s + i] + run[i:i + n])
    prev = None
    for m in _WORD.finditer(t):
        w = re.sub(r"\d", "0", m.group().replace("'", ""))
        if len(w) > 4 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        mk = marks[m.start()]
        out.add(mk + "w:" + w)
        if len(w) > 3:  # typos and word forms ("recieved", "charging"): the word's 4-grams
            g = f"<{w}>"
            out.update(mk + "c:" + g[i:i + 4] for i in range(len(g) - 3))
        if prev is not None:
            out.add(mk + "b:" + prev + "_" + w)
        prev = w
    return list(out)


@dataclass
class Model:
    classes: tuple[str, ...]
    bias: list[float]
    weights: dict[str, list[float]]  # feature -> one weight per class
    fallback: str = "other"  # the class of a text with no feature the model has seen

    def proba(self, text: str, *, prepared: bool = False) -> dict[str, float]:
        """The probability of each class for `text` (a softmax over the classes)."""
        return self.proba_of(features(text, prepared))

    def proba_of(self, feats: list[str]) -> dict[str, float]:
        """The same, for features already made (a text's own and its context's)."""
        s = list(self.bias)
        known = 0
        for f in feats:
            w = self.weights.get(f)
            if w is not None:
                known += 1
                for k, x in enumerate(w):
                    s[k] += x
        if not known:  # nothing the model has seen: no evidence of anything
            return {c: (1.0 if c == self.fallback else 0.0) for c in self.classes}
        top = max(s)
        e = [math.exp(v - top) for v in s]
        z = sum(e)
        return {c: v / z for c, v in zip(self.classes, e)}


def train(rows: list[dict], epochs: int = 8, rate: float = 0.5, l2: float = 1e-4, seed: int = 15,
          fallback: str = "other") -> Model:
    """Multinomial logistic regression on binary features, by stochastic gradient descent
    (a fixed seed: the same data gives the same weights). A row with several issues shares
    its target among them (its clauses are not labelled one by one)."""
    import random

    classes = tuple(sorted({c for r in rows for c in r["issues"]}))
    index = {c: i for i, c in enumerate(classes)}
    nc = len(classes)
    data = [(r["features"] if "features" in r else features(r["text"]), [index[c] for c in r["issues"]])
            for r in rows]
    weights: dict[str, list[float]] = {}
    bias = [0.0] * nc
    rnd = random.Random(seed)
    for epoch in range(epochs):
        rnd.shuffle(data)
        eta = rate / (1 + epoch)
        for feats, ys in data:
            s = bias[:]
            ws = [weights.get(f) for f in feats]
            for w in ws:
                if w is not None:
                    for k in range(nc):
                        s[k] += w[k]
            top = max(s)
            e = [math.exp(v - top) for v in s]
            z = sum(e)
            g = [v / z for v in e]
            for y in ys:
                g[y] -= 1 / len(ys)
            for k in range(nc):
                bias[k] -= eta * g[k]
            for f, w in zip(feats, ws):
                if w is None:
                    w = weights[f] = [0.0] * nc
                for k in range(nc):
                    w[k] -= eta * (g[k] + l2 * w[k])
    kept = {f: [round(x, 4) for x in w] for f, w in weights.items() if max(map(abs, w)) >= 1e-3}
    return Model(classes, bias, kept, fallback)


def read_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _cache_file(name: str, data: bytes, cache_dir: str, trainer: Callable[[bytes], Model]) -> Path | None:
    from .rubric_cache import _cache_folder

    folder = _cache_folder(cache_dir)
    if folder is None:
        return None
    # the trainer's own module is in the key too: it may hold the training settings
    code = Path(__file__).read_bytes() + b"\0" + Path(inspect.getfile(trainer)).read_bytes()
    h = hashlib.sha256(data + b"\0" + code)
    return folder / f"{name}-model-{h.hexdigest()[:24]}.json"


@functools.cache
def _load(name: str, path: str, mtime: float, cache_dir: str, trainer: Callable[[bytes], Model]) -> Model:
    data = Path(path).read_bytes()
    cache = _cache_file(name, data, cache_dir, trainer)
    if cache is not None:
        try:
            d = json.loads(cache.read_text(encoding="utf-8"))
            return Model(tuple(d["classes"]), d["bias"], d["weights"], d.get("fallback", "other"))
        except (OSError, ValueError, KeyError):
            pass
    model = trainer(data)
    if cache is not None:  # JSON, not pickle: a cache file is read as data only
        try:
            cache.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"classes": model.classes, "bias": model.bias, "weights": model.weights,
                                       "fallback": model.fallback}), encoding="utf-8")
            os.replace(tmp, cache)
        except OSError:
            pass
    return model


def load(name: str, path: Path, cache_dir: str, trainer: Callable[[bytes], Model]) -> Model:
    """The model `trainer` makes of the training file `path` (its bytes): trained once per
    version of the file and of this code, then read back from a cache file in
    Settings.cache_dir (`name` tells its files apart) and kept in memory. `trainer` must be
    a module-level function (it is part of the memo's key)."""
    return _load(name, str(path), path.stat().st_mtime, cache_dir, trainer)
