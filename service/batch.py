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

from .errors import InputError, TactfulError
from .review import review_dict

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


def _raw_lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes) of every non-blank line; a leading BOM is dropped."""
    for n, raw in enumerate(stream, 1):
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
    from .rubric import load_rubric

    load_rubric()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)


def _reviewed(items: Iterable, workers: int, encoding: str, out_fmt: str,
              report: bool = False) -> Iterator[tuple[bytes, Summary, "ReportBuilder | None"]]:
    """Reviewed chunks in input order; with workers > 1, a bounded number in flight, so
    memory stays flat whatever the input size."""
    if workers <= 1:
        for chunk in _chunks(items, CHUNK):
            yield _review_chunk(chunk, encoding, out_fmt, report)
        return
    from concurrent.futures import ProcessPoolExecutor  # not imported by `tactful review`

    with ProcessPoolExecutor(max_workers=workers, initializer=gc_for_batch) as pool:
        pending: deque = deque()
        for chunk in _chunks(items, CHUNK):
            pending.append(pool.submit(_review_chunk, chunk, encoding, out_fmt, report))
            if len(pending) >= workers * 4:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


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
        items = _raw_lines(raw) if fmt == "jsonl" else _iter_csv(raw, encoding)
        try:
            for text, part, built in _reviewed(items, workers, encoding, out_fmt, report is not None):
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

