"""Batch review of helpdesk exports (CSV or JSONL), streamed in constant memory.

Every non-blank input line (CSV: every record) gives exactly one output line, in input order.
A record that cannot be reviewed (bad UTF-8, bad JSON, no reply, an empty or oversized reply)
gives an output line with `error` and its `line` number; the run goes on.
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

from ..errors import InputError, TactfulError
from ..checker.review import review_dict

if TYPE_CHECKING:
    from .report import ReportBuilder

__all__ = ["Record", "iter_records", "review_record", "Summary", "run_batch", "OUTPUT_FIELDS"]

CHUNK = 256
OPTIONAL = ("complaint", "lang", "agent", "channel", "created_at")
OUTPUT_FIELDS = ["line", "id", "agent", "channel", "lang", "score", "passed", "categories",
                 "findings", "sections", "error"]
csv.field_size_limit(16 * 1024 * 1024)


@dataclass(slots=True)
class Record:
    line: int
    data: dict | None = None
    error: str | None = None


def _format(path: str | Path, fmt: str | None) -> str:
    if fmt:
        return fmt
    name = str(path).lower()
    if name.endswith((".csv", ".csv.txt", ".tsv")):
        return "csv"
    return "jsonl"


def _decode(raw: bytes, line: int, encoding: str) -> tuple[str, str | None]:
    try:
        return raw.decode(encoding), None
    except UnicodeDecodeError as e:
        return (raw.decode(encoding, errors="replace"),
                f"line {line}: not valid {encoding} (byte 0x{raw[e.start]:02x} at column {e.start + 1})")


def iter_records(stream: IO[bytes], fmt: str = "jsonl", encoding: str = "utf-8") -> Iterator[Record]:
    """Records of a binary stream. Raises InputError only for a file that is unusable as a
    whole (a CSV with no `reply` column); everything else is a Record with an error."""
    if fmt == "csv":
        yield from _iter_csv(stream, encoding)
    else:
        yield from _iter_jsonl(stream, encoding)


def _iter_jsonl(stream: IO[bytes], encoding: str) -> Iterator[Record]:
    for n, raw in _raw_lines(stream):
        yield _parse_jsonl(n, raw, encoding)


def _raw_lines(stream: IO[bytes], first: int = 1) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes) of every non-blank line, numbered from `first`; a leading BOM is
    dropped."""
    for n, raw in enumerate(stream, first):
        if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if not raw.isspace():  # (no copy, unlike strip())
            yield n, raw


_UTF8 = ("utf-8", "utf8", "utf-8-sig")


def _parse_jsonl(n: int, raw: bytes, encoding: str) -> Record:
    if encoding.lower() in _UTF8:
        try:  # orjson validates UTF-8 and parses in one pass; anything it rejects is retried
            data = orjson.loads(raw)  # below, so that the error reads the same either way
        except orjson.JSONDecodeError:
            pass
        else:
            if isinstance(data, dict):
                return Record(n, data)
    text, bad = _decode(raw, n, encoding)
    if bad:
        return Record(n, error=bad)
    try:
        data = json.loads(text)
    except ValueError as e:
        return Record(n, error=f"line {n}: not valid JSON: {e}")
    if not isinstance(data, dict):
        return Record(n, error=f"line {n}: expected a JSON object, got {type(data).__name__}")
    return Record(n, data)


def _iter_csv(stream: IO[bytes], encoding: str) -> Iterator[Record]:
    bad_lines: dict[int, str] = {}

    def lines() -> Iterator[str]:
        for n, raw in enumerate(stream, 1):
            if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            text, bad = _decode(raw, n, encoding)
            if bad:
                bad_lines[n] = bad
            yield text

    reader = csv.reader(lines())
    try:
        header = next(reader)
    except StopIteration:
        raise InputError("the CSV file is empty") from None
    except csv.Error as e:
        raise InputError(f"line 1: cannot read the CSV header: {e}") from None
    columns = [h.strip().lower() for h in header]
    if "reply" not in columns:
        raise InputError(f"the CSV has no 'reply' column (columns: {', '.join(header) or 'none'})",
                         field="reply")
    width = len(columns)
    last = reader.line_num
    while True:
        start = last + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            last = reader.line_num
            yield Record(start, error=f"line {start}: malformed CSV: {e}")
            continue
        last = reader.line_num
        bad = next((bad_lines.pop(i) for i in range(start, last + 1) if i in bad_lines), None)
        if bad:
            yield Record(start, error=bad)
            continue
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) > width and any(cell.strip() for cell in row[width:]):
            yield Record(start, dict(zip(columns, row)),
                         error=f"line {start}: {len(row)} fields, the header has {width}")
            continue
        yield Record(start, dict(zip(columns, row)))


def review_record(rec: Record) -> dict:
    """The output line for one record: the review plus id/agent/channel, or an error."""
    data = rec.data or {}
    out: dict = {"line": rec.line, "id": data.get("id")}
    for key in ("agent", "channel"):
        if data.get(key) not in (None, ""):
            out[key] = data[key]
    if rec.error:
        out["error"] = rec.error
        return out
    reply = data.get("reply")
    if reply is None:
        out["error"] = f"line {rec.line}: no 'reply' field"
        return out
    if not isinstance(reply, str):
        out["error"] = f"line {rec.line}: 'reply' must be text, not {type(reply).__name__}"
        return out
    complaint = data.get("complaint")
    lang = data.get("lang") or None
    try:
        out.update(review_dict(reply, complaint if isinstance(complaint, str) else None, lang))
    except TactfulError as e:
        out["error"] = f"line {rec.line}: {e.message}"
    return out


# ---------------------------------------------------------------- output

def _json_line(row: dict) -> bytes:
    try:
        return orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE)
    except TypeError:  # an id orjson cannot hold (an integer over 64 bits): the standard library can
        return (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")


def _jsonl_lines(rows: list[dict]) -> bytes:
    return b"".join(map(_json_line, rows))


def _csv_lines(rows: list[dict]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    for row in rows:
        w.writerow(_csv_row(row))
    return buf.getvalue().encode("utf-8")


def _csv_header() -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerow(OUTPUT_FIELDS)
    return buf.getvalue().encode("utf-8")


def _csv_row(row: dict) -> list:
    findings = row.get("findings")
    return [
        row.get("line"), row.get("id"), row.get("agent", ""), row.get("channel", ""),
        row.get("lang", ""), row.get("score", ""),
        "" if "passed" not in row else str(row["passed"]).lower(),
        ";".join(sorted({f["category"] for f in findings})) if findings else "",
        json.dumps(findings, ensure_ascii=False) if findings is not None else "",
        json.dumps(row["sections"]) if "sections" in row else "",
        row.get("error", ""),
    ]


@dataclass
class Summary:
    rows: int = 0
    errors: int = 0
    passed: int = 0
    score_total: int = 0
    categories: Counter = field(default_factory=Counter)

    def merge(self, other: "Summary") -> None:
        self.rows += other.rows
        self.errors += other.errors
        self.passed += other.passed
        self.score_total += other.score_total
        self.categories.update(other.categories)

    def add(self, row: dict) -> None:
        self.rows += 1
        if "error" in row:
            self.errors += 1
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
        return {"rows": self.rows, "errors": self.errors, "reviewed": n,
                "pass_rate": round(self.passed / n, 4) if n else None,
                "mean_score": round(self.score_total / n, 2) if n else None,
                "findings_by_category": dict(self.categories.most_common())}


def _review_chunk(chunk: list, encoding: str, out_fmt: str,
                  report: bool = False) -> tuple[bytes, Summary, "ReportBuilder | None"]:
    """Parse (JSONL lines arrive raw), review and format one chunk: all the per-row work, so
    that worker processes do it in parallel and the parent only reads and writes."""
    records = [_parse_jsonl(*item, encoding) if isinstance(item, tuple) else item for item in chunk]
    rows = [review_record(r) for r in records]
    summary = Summary()
    for row in rows:
        summary.add(row)
    builder = None
    if report:
        from .report import ReportBuilder

        builder = ReportBuilder()
        for rec, row in zip(records, rows):
            data = rec.data or {}
            reply = data.get("reply") if isinstance(data.get("reply"), str) else None
            builder.add(row, reply, data.get("created_at"))
    return (_csv_lines(rows) if out_fmt == "csv" else _jsonl_lines(rows)), summary, builder


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def gc_for_batch() -> None:
    """Garbage-collection settings for a process that reviews a batch. It allocates a few
    objects per finding and frees them at once, while the sentence memo keeps tens of
    thousands alive; with the default thresholds the collector walks that memo over and
    over (about a tenth of the time). Everything loaded so far is frozen out of collection,
    and young objects are collected less often."""
    from ..checker.rubric_cache import load_rubric

    load_rubric()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)


def _reviewed(raw: IO[bytes], fmt: str, workers: int, encoding: str, out_fmt: str,
              out: IO[bytes], report: bool = False) -> Iterator[tuple[bytes, Summary, "ReportBuilder | None"]]:
    """Reviewed chunks in input order, as (output bytes, summary, report part).

    With workers > 1 the parent process does as little as it can, since it shares the cores
    with the workers: it reads JSONL in blocks of whole lines (splitting and parsing them is
    the workers' job), and the workers append their output to `out` themselves, each chunk
    in its turn, so the bytes come back empty. A bounded number of chunks is in flight, so
    memory stays flat whatever the input size."""
    if workers <= 1:
        items = _raw_lines(raw) if fmt == "jsonl" else _iter_csv(raw, encoding)
        for chunk in _chunks(items, CHUNK):
            yield _review_chunk(chunk, encoding, out_fmt, report)
        return
    import multiprocessing  # not imported by `tactful review`
    from concurrent.futures import ProcessPoolExecutor

    # a CSV record may span lines: the parent parses those, the workers review them
    parts = _blocks(raw) if fmt == "jsonl" else _chunks(_iter_csv(raw, encoding), CHUNK)
    out.flush()
    context = multiprocessing.get_context()
    turn, next_part = context.Condition(), context.RawValue("q", 0)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker,
                             initargs=(out.name, turn, next_part)) as pool:
        pending: deque = deque()
        try:
            for k, part in enumerate(parts):
                pending.append(pool.submit(_review_in_turn, k, part, encoding, out_fmt, report))
                if len(pending) >= workers * 4:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise


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


_worker: tuple | None = None  # in a worker process: (output fd, the turn, next chunk number)


def _start_worker(path: str, turn, next_part) -> None:
    global _worker
    gc_for_batch()
    _worker = (os.open(path, os.O_WRONLY | os.O_APPEND), turn, next_part)


def _review_in_turn(k: int, part, encoding: str, out_fmt: str, report: bool):
    """Review chunk number k (a list of records, or a block of JSONL lines), then append its
    output once chunks 0..k-1 are written. The turn passes on even when the review fails, so
    no worker waits for ever."""
    fd, turn, next_part = _worker
    text = b""
    try:
        if isinstance(part, tuple):  # (first line number, block)
            part = list(_raw_lines(io.BytesIO(part[1]), part[0]))
        text, summary, builder = _review_chunk(part, encoding, out_fmt, report)
    finally:
        with turn:
            turn.wait_for(lambda: next_part.value == k)
            view = memoryview(text)
            while view:
                view = view[os.write(fd, view):]
            next_part.value = k + 1
            turn.notify_all()
    return b"", summary, builder


def run_batch(src: str | Path, dst: str | Path, *, workers: int = 1, fmt: str | None = None,
              out_fmt: str | None = None, encoding: str = "utf-8",
              progress: Callable[[int, int], None] | None = None,
              report: "ReportBuilder | None" = None) -> Summary:
    """Review every record of `src` into `dst`. `progress(bytes_read, total_bytes)` is called
    after each chunk; a ReportBuilder given as `report` receives every row. The output is written to a temporary file and renamed at the end, so a
    crashed run never leaves a half-written output behind."""
    src, dst = Path(src), Path(dst)
    fmt = _format(src, fmt)
    out_fmt = _format(dst, out_fmt)
    total = src.stat().st_size
    summary = Summary()
    tmp = dst.with_name(dst.name + ".part")
    with src.open("rb") as raw, tmp.open("wb") as out:
        if out_fmt == "csv":
            out.write(_csv_header())
        try:
            for text, part, built in _reviewed(raw, fmt, workers, encoding, out_fmt, out,
                                               report is not None):
                out.write(text)
                summary.merge(part)
                if report is not None:
                    report.merge(built)
                if progress:
                    progress(raw.tell(), total)
        except BaseException:
            out.close()
            tmp.unlink(missing_ok=True)
            raise
    os.replace(tmp, dst)
    return summary


def read_text_arg(value: str) -> str:
    """A CLI text argument: '-' reads stdin, an existing file is read, anything else is text."""
    import sys

    if value == "-":
        data = sys.stdin.buffer.read()
    elif len(value) < 4096 and "\n" not in value and Path(value).is_file():
        data = Path(value).read_bytes()
    else:
        return value
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"input is not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start})") from None

