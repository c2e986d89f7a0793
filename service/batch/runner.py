"""`tactful batch`: review a helpdesk export into an output file, streamed in constant memory.

Every input record gives exactly one output line, in input order: the review, or `error` with
its line number (bad bytes, bad JSON, no reply, an empty or oversized reply); the run goes on.
A repeated id is flagged `"duplicate": true`. A file of conversations (pipeline.py) gives a
"turn" line per agent turn, a "message" line per unreadable message and a "conversation" line,
the scorecard, after each conversation's turns. Reading, reviewing, duplicates and the report
are the steps of pipeline.py, shared with the HTTP jobs (jobs.py), so both give the same rows.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import os
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Callable, Iterable, Iterator

import orjson

from ..errors import InputError
from .formats import FORMATS, Codec, Record, raw_lines
from .pipeline import (Duplicates, Input, conversation_ends, open_input, playbook_of, review_conversation_unit,
                       review_record, units)

if TYPE_CHECKING:
    from ..checker.rubric import Rubric
    from ..playbook import Playbook
    from .report import ReportBuilder

__all__ = ["Record", "review_record", "Summary", "run_batch", "OUTPUT_FIELDS", "CONVERSATION_FIELDS",
           "csv_row", "gc_for_batch"]

CHUNK = 256
CONVERSATION_CHUNK = 32  # conversations a worker gets at a time
OUTPUT_FIELDS = ["line", "id", "agent", "channel", "lang", "score", "passed", "categories",
                 "findings", "sections", "error", "duplicate"]
# a file of conversations: which kind of line, and whose conversation it belongs to
CONVERSATION_FIELDS = ["kind", "conversation_id", "turn", *OUTPUT_FIELDS[:-3], "structure", *OUTPUT_FIELDS[-3:]]


# ---------------------------------------------------------------- output

def _json_line(row: dict) -> bytes:
    try:
        return orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE)
    except TypeError:  # an id orjson cannot hold (an integer over 64 bits): the standard library can
        return (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")


def _delimited_lines(rows: list[dict], delimiter: str, conversations: bool) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter)
    for row in rows:
        w.writerow(csv_row(row, conversations))
    return buf.getvalue().encode("utf-8")


def _lines(rows: list[dict], out_fmt: str, conversations: bool = False) -> bytes:
    if out_fmt == "jsonl":
        return b"".join(map(_json_line, rows))
    return _delimited_lines(rows, "\t" if out_fmt == "tsv" else ",", conversations)


def _header(out_fmt: str, conversations: bool = False) -> bytes:
    if out_fmt == "jsonl":
        return b""
    buf = io.StringIO()
    csv.writer(buf, delimiter="\t" if out_fmt == "tsv" else ",").writerow(
        CONVERSATION_FIELDS if conversations else OUTPUT_FIELDS)
    return buf.getvalue().encode("utf-8")


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A cell a spreadsheet will not run as a formula: text starting with = + - @ or a tab
    or carriage return gets a leading apostrophe (OWASP's advice on CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def csv_row(row: dict, conversations: bool = False) -> list:
    """An output row as the cells of OUTPUT_FIELDS (CSV output, here and over HTTP), or of
    CONVERSATION_FIELDS for a file of conversations; no cell starts a formula."""
    return [safe_cell(cell) for cell in _cells(row, conversations)]


def _cells(row: dict, conversations: bool) -> list:
    if conversations:
        cells = _reply_cells(row)
        if row.get("kind") == "conversation":  # the scorecard: its categories, no spans
            cells[2] = ";".join(row.get("agents") or [])
            cells[6] = "" if row.get("passed") is None else str(row["passed"]).lower()
            cells[7] = ";".join(sorted(row.get("findings_by_category") or {}))
        structure = json.dumps(row["structure"]) if "structure" in row else ""
        return [row.get("kind", ""), row.get("conversation_id", ""),
                "" if row.get("turn") is None else row["turn"], *cells[:-3], structure, *cells[-3:]]
    return _reply_cells(row)


def _reply_cells(row: dict) -> list:
    findings = row.get("findings")
    return [
        row.get("line"), row.get("id"), row.get("agent", ""), row.get("channel", ""),
        row.get("lang", ""), row.get("score", ""),
        "" if "passed" not in row else str(row["passed"]).lower(),
        ";".join(sorted({f["category"] for f in findings})) if findings else "",
        json.dumps(findings, ensure_ascii=False) if findings is not None else "",
        json.dumps(row["sections"]) if "sections" in row else "",
        row.get("error", ""),
        "true" if row.get("duplicate") else "",
    ]


def _out_format(path: Path, out_fmt: str | None) -> str:
    if out_fmt:
        if out_fmt not in ("jsonl", "csv", "tsv"):
            raise InputError(f"unknown output format {out_fmt!r} (jsonl, csv or tsv)", field="out")
        return out_fmt
    name = path.name.lower()
    return "csv" if name.endswith(".csv") else "tsv" if name.endswith(".tsv") else "jsonl"


@dataclass
class Summary:
    rows: int = 0
    errors: int = 0
    passed: int = 0
    score_total: int = 0
    duplicates: int = 0
    undecodable: int = 0  # error rows whose bytes did not decode in the file's encoding
    categories: Counter = field(default_factory=Counter)
    format: str | None = None
    encoding: str | None = None
    conversations: int = 0  # scorecards (a file of conversations), not counted in rows
    conversations_scored: int = 0  # those with an agent turn reviewed
    conversations_passed: int = 0
    conversation_score_total: int = 0

    def merge(self, other: "Summary") -> None:
        self.conversations += other.conversations
        self.conversations_scored += other.conversations_scored
        self.conversations_passed += other.conversations_passed
        self.conversation_score_total += other.conversation_score_total
        self.rows += other.rows
        self.errors += other.errors
        self.passed += other.passed
        self.score_total += other.score_total
        self.duplicates += other.duplicates
        self.undecodable += other.undecodable
        self.categories.update(other.categories)

    def add(self, row: dict) -> None:
        if row.get("kind") == "conversation":
            self.conversations += 1
            if row.get("score") is not None:
                self.conversations_scored += 1
                self.conversations_passed += bool(row["passed"])
                self.conversation_score_total += row["score"]
            return
        self.rows += 1
        if "error" in row:
            self.errors += 1
            error = row["error"]
            if ": not valid " in error and ": not valid JSON" not in error:
                self.undecodable += 1
            return
        self.passed += row["passed"]
        self.score_total += row["score"]
        if row["findings"]:
            self.categories.update([f["category"] for f in row["findings"]])

    @property
    def reviewed(self) -> int:
        return self.rows - self.errors

    def to_dict(self) -> dict:
        n = self.reviewed
        out = {"rows": self.rows, "errors": self.errors, "reviewed": n, "duplicates": self.duplicates,
               "pass_rate": round(self.passed / n, 4) if n else None,
               "mean_score": round(self.score_total / n, 2) if n else None,
               "findings_by_category": dict(self.categories.most_common())}
        if self.conversations:
            c = self.conversations_scored
            out["conversations"] = {
                "conversations": self.conversations, "scored": c,
                "pass_rate": round(self.conversations_passed / c, 4) if c else None,
                "mean_score": round(self.conversation_score_total / c, 2) if c else None}
        return out


# ---------------------------------------------------------------- one chunk

def _review_chunk(chunk: list, fmt: str, codec: Codec, playbook: "Playbook",
                  report: bool = False, conversations: bool = False
                  ) -> tuple[list[dict], Summary, "ReportBuilder | None"]:
    """Parse (a block of raw lines, for a line format), review and sum up one chunk: all the
    per-row work but the duplicate check, so that worker processes do it in parallel. For a
    file of conversations the chunk is a list of whole conversations."""
    if conversations:
        return _review_conversations(chunk, playbook, report)
    if isinstance(chunk, tuple):  # (first line number, block of raw lines)
        parse = FORMATS[fmt].parse_line
        records = [r for r in (parse(n, raw, codec) for n, raw in raw_lines(io.BytesIO(chunk[1]), chunk[0]))
                   if r is not None]
    else:
        records = chunk
    rows = [review_record(r, playbook) for r in records]
    summary = Summary()
    for row in rows:
        summary.add(row)
    builder = None
    if report:
        from .report import ReportBuilder

        builder = ReportBuilder()
        for rec, row in zip(records, rows):
            builder.add_record(rec, row)
    return rows, summary, builder


def _review_conversations(convs: list, playbook: "Playbook", report: bool):
    rows: list[dict] = []
    builder = None
    if report:
        from .report import ReportBuilder

        builder = ReportBuilder()
    for conv in convs:
        out = review_conversation_unit(conv, playbook)
        rows.extend(out)
        if builder is not None:
            builder.add_conversation(conv, out)
    summary = Summary()
    for row in rows:
        summary.add(row)
    return rows, summary, builder


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def gc_for_batch(rubric: "Rubric") -> None:
    """Garbage-collection settings for a process that reviews a batch with `rubric` (loaded
    by then). It allocates a few objects per finding and frees them at once, while the
    sentence memo keeps tens of thousands alive; with the default thresholds the collector
    walks that memo over and over (about a tenth of the time). Everything loaded so far is
    frozen out of collection, and young objects are collected less often."""
    del rubric  # only that it is loaded matters
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)


# ---------------------------------------------------------------- in order, with workers

def _reviewed(src, inp: Input, playbook: "Playbook", workers: int, out_fmt: str, out: IO[bytes],
              report: bool, ends: dict | None = None) -> Iterator[tuple[bytes, Summary, "ReportBuilder | None"]]:
    """Reviewed chunks in input order, as (output bytes, summary, report part).

    With workers > 1 the parent process does as little as it can, since it shares the cores
    with the workers: for a line format (JSONL) it reads blocks of whole lines (splitting and
    parsing them is the workers' job), and the workers append their output to `out`
    themselves, each chunk in its turn, so the bytes come back empty. In its turn a worker
    also learns the ids of the chunks before its own (from a log they append to in turn), so
    duplicates are flagged as with one process. A bounded number of chunks is in flight, so
    memory stays flat whatever the input size. A file of conversations goes in chunks of
    whole conversations (`ends`: where each ends, from a first pass)."""
    fmt = inp.format
    conv = inp.conversations
    source = _chunks(units(fmt.read(src), ends or {}), CONVERSATION_CHUNK) if conv else None
    if workers <= 1:
        dups = Duplicates()
        for chunk in source or _chunks(fmt.read(src), CHUNK):
            rows, summary, builder = _review_chunk(chunk, fmt.name, src.codec, playbook, report, conv)
            if dups.mark(rows):
                summary.duplicates += sum(1 for r in rows if r.get("duplicate"))
            yield _lines(rows, out_fmt, conv), summary, builder
        return
    import multiprocessing  # not imported by `tactful review`
    from concurrent.futures import ProcessPoolExecutor

    # a CSV record may span lines: the parent parses those, the workers review them
    parts = source or (_blocks(src.stream) if fmt.parse_line else _chunks(fmt.read(src), CHUNK))
    out.flush()
    ids_log = Path(out.name + ".ids")
    ids_log.write_bytes(b"")
    context = multiprocessing.get_context()
    turn, next_part = context.Condition(), context.RawValue("q", 0)
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker,
                                 initargs=(_paths(playbook), out.name, str(ids_log), turn, next_part)) as pool:
            pending: deque = deque()
            try:
                for k, part in enumerate(parts):
                    pending.append(pool.submit(_review_in_turn, k, part, fmt.name, src.codec, out_fmt, report,
                                               conv))
                    if len(pending) >= workers * 4:
                        yield pending.popleft().result()
                while pending:
                    yield pending.popleft().result()
            except BaseException:
                # stop at once: a chunk still running may wait for the turn of one cancelled
                for process in list(getattr(pool, "_processes", {}).values()):
                    process.terminate()
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    finally:
        ids_log.unlink(missing_ok=True)


BLOCK = 1 << 18  # bytes of JSONL a worker gets at a time (about 900 lines)


def _blocks(stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """Whole lines of a JSONL file in blocks of about BLOCK bytes, each with the number of its
    first line: the parent only reads and counts newlines, in C."""
    line, rest = 1, b""
    while data := stream.read(BLOCK):
        data = rest + data
        cut = data.rfind(b"\n") + 1
        if cut == 0:  # a line longer than a block: read on
            rest = data
            continue
        yield line, data[:cut]
        line += data.count(b"\n", 0, cut)
        rest = data[cut:]
    if rest:
        yield line, rest


def _paths(playbook: "Playbook") -> tuple:
    """What a worker process needs to load the same playbook."""
    return (str(playbook.rubric_dir), str(playbook.policy_path), str(playbook.prompt_dir), playbook.cache_dir)


class _Worker:
    """A worker process's state: its playbook, the output, the turn, and the ids seen so far."""

    def __init__(self, paths: tuple, out_path: str, ids_path: str, turn, next_part):
        from ..playbook import Playbook

        self.playbook = Playbook(*paths)
        gc_for_batch(self.playbook.rubric)
        self.fd = os.open(out_path, os.O_WRONLY | os.O_APPEND)
        self.ids_out = os.open(ids_path, os.O_WRONLY | os.O_APPEND)
        self.ids_in = open(ids_path, "rb")  # noqa: SIM115 - open for the life of the process
        self.turn, self.next_part = turn, next_part
        self.dups = Duplicates()

    def catch_up(self) -> None:
        """Take in the ids that chunks before this one logged (all of them: it is our turn)."""
        for line in self.ids_in.read().splitlines():
            self.dups.seen.update(orjson.loads(line))


_worker: _Worker | None = None


def _start_worker(paths: tuple, out_path: str, ids_path: str, turn, next_part) -> None:
    global _worker
    # Ctrl-C is the parent's to handle: it stops the workers itself. A worker interrupted
    # inside the shared turn's wait would leave the others waiting for a turn that never comes.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker = _Worker(paths, out_path, ids_path, turn, next_part)


def _review_in_turn(k: int, part, fmt: str, codec: Codec, out_fmt: str, report: bool,
                    conversations: bool = False):
    """Review chunk number k (a list of records, or a block of raw lines), then, once chunks
    0..k-1 are written, flag its duplicates and append its output. The turn passes on even
    when the review fails, so no worker waits for ever."""
    w = _worker
    rows = None
    try:
        rows, summary, builder = _review_chunk(part, fmt, codec, w.playbook, report, conversations)
        text = _lines(rows, out_fmt, conversations)
    finally:
        with w.turn:
            w.turn.wait_for(lambda: w.next_part.value == k)
            try:
                if rows is not None:
                    w.catch_up()
                    if w.dups.mark(rows):
                        summary.duplicates += sum(1 for r in rows if r.get("duplicate"))
                        text = _lines(rows, out_fmt, conversations)
                    keys = Duplicates.keys(rows)
                    if keys:
                        os.write(w.ids_out, orjson.dumps(keys) + b"\n")
                    view = memoryview(text)
                    while view:
                        view = view[os.write(w.fd, view):]
            finally:
                w.next_part.value = k + 1
                w.turn.notify_all()
    return b"", summary, builder


# ---------------------------------------------------------------- the run

def run_batch(src: str | Path, dst: str | Path, *, rubric, workers: int = 1, fmt: str | None = None,
              out_fmt: str | None = None, encoding: str | None = None, filename: str | None = None,
              progress: Callable[[int, int], None] | None = None,
              report: "ReportBuilder | None" = None, checked: Input | None = None) -> Summary:
    """Review every record of `src` into `dst`.

    `rubric`: a Playbook, a compiled Rubric (its folder), or Settings (theirs); worker
    processes load the same files. `fmt`: the input format's name (default: by the extension of `filename`, else of
    `src`); `encoding`: declared (default: detected). `progress(bytes_read, total_bytes)` is
    called after each chunk; a ReportBuilder given as `report` receives every record and row.
    The output is written to a temporary file and renamed at the end, so a failed or
    interrupted run never leaves a half-written output behind. Raises InputError, before
    anything is written, for an unknown format or encoding or an unusable file."""
    src, dst = Path(src), Path(dst)
    playbook = playbook_of(rubric)
    inp = checked or open_input(src, filename, format=fmt, encoding=encoding)
    ends = conversation_ends(inp.records()) if inp.conversations else None
    out_fmt = _out_format(dst, out_fmt)
    total = src.stat().st_size
    summary = Summary(format=inp.format.name, encoding=inp.encoding)
    tmp = dst.with_name(dst.name + ".part")
    from .formats import open_source

    with open_source(src, inp.encoding) as source, tmp.open("wb") as out:
        try:
            out.write(_header(out_fmt, inp.conversations))
            for text, part, built in _reviewed(source, inp, playbook, workers, out_fmt, out,
                                               report is not None, ends):
                out.write(text)
                summary.merge(part)
                if report is not None:
                    report.merge(built)
                if progress:
                    progress(source.position(), total)
        except BaseException:
            out.close()
            tmp.unlink(missing_ok=True)
            raise
    os.replace(tmp, dst)
    return summary
