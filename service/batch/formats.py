"""Input formats of a batch: ONE registry, used by `tactful batch` and `POST /v1/batches`.

    fmt = get_format(name, filename)        # by name (--format, the upload's `format`), else
                                            # by the file name's extension; InputError if neither
    with open_source(path, encoding) as src:
        for rec in fmt.read(src): ...       # Record(line, data, error), in file order

A reader turns a binary stream into Records, one per input record, each with the number of
its first line. A record that cannot be read (bad bytes, bad JSON, too many fields) is a
Record with `error`, never an exception: the batch reports it and goes on. Only a file that
is unusable as a whole (a CSV with no `reply` column) raises InputError.

Formats whose records are single lines (JSONL) also give `parse_line`, so that worker
processes parse blocks of raw lines in parallel.

Helpdesk exports (zendesk, chatwoot, intercom, freshdesk, zammad) are one module each in
helpdesk/, registered at the end of this one with `conversations=True`: their Records are the
messages of conversations, {"conversation_id", "id", "role", "text", "created_at", "agent",
"channel"} (helpdesk/common.py), read from the helpdesk's own JSON with no column mapping.
Record, Codec and Source live in records.py, so that those readers need not import this module.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterator

import orjson

from ..errors import InputError
from .encoding import ascii_compatible, check_encoding
from .helpdesk import chatwoot, freshdesk, intercom, zammad, zendesk
from .records import BOM as _BOM
from .records import Codec, Record, Source, raw_lines

__all__ = ["Record", "Codec", "Source", "Format", "FORMATS", "register", "get_format", "open_source",
           "read_records", "raw_lines"]

csv.field_size_limit(16 * 1024 * 1024)


@dataclass(frozen=True)
class Format:
    name: str
    extensions: tuple[str, ...]  # lower case, with the dot; the longest match wins
    read: Callable[[Source], Iterator[Record]]
    description: str = ""
    # For formats of one record per line: parse one raw line (number, bytes, codec) into a
    # Record, or None for a blank line. Lets worker processes take blocks of raw lines.
    parse_line: Callable[[int, bytes, Codec], Record | None] | None = None
    has_header: bool = False  # a first line that is not a record (rows_total counts it out)
    # Records are the messages of conversations, not replies: each has conversation_id, role
    # (customer | agent | bot | system | note), text, and where known id, agent, created_at,
    # channel. A helpdesk export always is; a CSV or JSONL is when its records say so.
    conversations: bool = False


FORMATS: dict[str, Format] = {}


def register(fmt: Format) -> Format:
    FORMATS[fmt.name] = fmt
    return fmt


def get_format(name: str | None, filename: str | Path | None = None) -> Format:
    """The format named `name`, else the one whose extension ends `filename`."""
    known = ", ".join(sorted(FORMATS))
    if name is not None and str(name).strip():
        fmt = FORMATS.get(str(name).strip().lower())
        if fmt is None:
            raise InputError(f"unknown format {name!r} (known: {known})", field="format")
        return fmt
    lower = Path(str(filename or "")).name.lower()
    matches = [(len(ext), f) for f in FORMATS.values() for ext in f.extensions if lower.endswith(ext)]
    if not matches:
        raise InputError(f"cannot tell the format of {Path(str(filename or '')).name or 'the file'!r} "
                         f"from its name: give the format ({known})", field="format")
    return max(matches, key=lambda m: m[0])[1]


@contextlib.contextmanager
def open_source(path: str | Path, encoding: str) -> Iterator[Source]:
    """The file `path` opened for reading in `encoding` (a codec name, checked here). A file
    in an encoding where ASCII is not one byte each (UTF-16, UTF-32) is recoded to UTF-8 as it
    is read, so that every reader splits lines at b"\\n"."""
    encoding = check_encoding(encoding)
    with Path(path).open("rb") as raw:
        if ascii_compatible(encoding):
            yield Source(raw, Codec(encoding, encoding), raw)
        else:
            yield Source(io.BufferedReader(_Recoded(raw, encoding), 1 << 16), Codec("utf-8", encoding), raw)


def read_records(path: str | Path, fmt: Format, encoding: str) -> Iterator[Record]:
    """Every record of the file, in order."""
    with open_source(path, encoding) as src:
        yield from fmt.read(src)


# A byte sequence that does not decode in a recoded file becomes a lone surrogate, which
# UTF-8 cannot hold: its line then fails to decode, and becomes an error row with its number.
# (the error handler "tactful.mark" is registered in encoding.py)


class _Recoded(io.RawIOBase):
    """The UTF-8 bytes of a stream in another encoding, decoded incrementally."""

    def __init__(self, raw: IO[bytes], encoding: str):
        self.raw = raw
        self.encoding = encoding
        self.decoder = codecs.getincrementaldecoder(encoding)(errors="tactful.mark")
        self.pending = b""
        self.done = False

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self.pending and not self.done:
            data = self.raw.read(1 << 16)
            try:
                text = self.decoder.decode(data, final=not data)
            except UnicodeError as e:  # not a bad byte (those are marked): the codec refuses the file
                raise InputError(f"the file cannot be read as {self.encoding}: {e}", field="encoding") from None
            self.done = not data
            self.pending = text.encode("utf-8", errors="surrogatepass")
        n = min(len(b), len(self.pending))
        b[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n


# ---------------------------------------------------------------- JSONL

def parse_jsonl_line(n: int, raw: bytes, codec: Codec) -> Record | None:
    """One JSONL line: a Record of its object, an error Record, or None for a blank line."""
    if codec.utf8:
        try:  # orjson validates UTF-8 and parses in one pass; anything it rejects is retried
            data = orjson.loads(raw)  # below, so that the error reads the same either way
        except orjson.JSONDecodeError:
            pass
        else:
            if isinstance(data, dict):
                return Record(n, data)
    text, bad = codec.decode(raw, n)
    if bad:
        return Record(n, error=bad)
    if n == 1:
        text = text.lstrip("\ufeff")
    if not text.strip():
        return None
    try:
        data = json.loads(text)
    except ValueError as e:
        return Record(n, error=f"line {n}: not valid JSON: {e}")
    except RecursionError:  # orjson refused it too (over 1,024 levels): one bad line, not a failed run
        return Record(n, error=f"line {n}: the JSON is nested too deeply")
    if not isinstance(data, dict):
        return Record(n, error=f"line {n}: expected a JSON object, got {type(data).__name__}")
    return Record(n, data)


def read_jsonl(src: Source) -> Iterator[Record]:
    codec = src.codec
    for n, raw in raw_lines(src.stream):
        rec = parse_jsonl_line(n, raw, codec)
        if rec is not None:
            yield rec


# ---------------------------------------------------------------- CSV, TSV

def _delimited(delimiter: str | None) -> Callable[[Source], Iterator[Record]]:
    def read(src: Source) -> Iterator[Record]:
        return _read_delimited(src, delimiter)
    return read


def _read_delimited(src: Source, delimiter: str | None) -> Iterator[Record]:
    """Records of a delimited file with a header line; `delimiter` None: a tab if the header
    has one, else a comma. A record may span lines (a quoted field with line breaks)."""
    codec = src.codec
    bad_lines: dict[int, str] = {}

    def lines() -> Iterator[str]:
        for n, raw in enumerate(src.stream, 1):
            if n == 1 and raw.startswith(_BOM):
                raw = raw[3:]
            text, bad = codec.decode(raw, n)
            if bad:
                bad_lines[n] = bad
            yield text.lstrip("\ufeff") if n == 1 else text

    source = lines()
    first = next(source, None)
    if first is None:
        raise InputError("the file is empty", field="file")
    if delimiter is None:
        delimiter = "\t" if "\t" in first else ","
    reader = csv.reader(itertools.chain([first], source), delimiter=delimiter)
    kind = "TSV" if delimiter == "\t" else "CSV"
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(f"the {kind} file is empty", field="file") from None
    except csv.Error as e:
        raise InputError(f"line 1: cannot read the {kind} header: {e}", field="file") from None
    columns = [h.strip().lower() for h in header]
    bad_header = bad_lines.pop(1, None)
    conversations = {"conversation_id", "role", "text"} <= set(columns)
    if "reply" not in columns and not conversations and bad_header:
        raise InputError(f"the header line does not decode ({bad_header}): is the encoding right?",
                         field="encoding")
    if "reply" not in columns and not conversations:
        hint = " (is it tab-separated? it was read as comma-separated)" if delimiter == "," and any(
            "\t" in h for h in header) else ""
        raise InputError(f"the {kind} has no 'reply' column, nor conversation_id, role and text for a file "
                         f"of conversations (columns: {', '.join(header) or 'none'}){hint}",
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
            yield Record(start, error=f"line {start}: malformed {kind}: {e}")
            continue
        last = reader.line_num
        bad = next((bad_lines.pop(i) for i in range(start, last + 1) if i in bad_lines), None)
        if bad:  # what did decode (the id, the agent) still says which row it is
            yield Record(start, dict(zip(columns, row)) if row else None, error=bad)
            continue
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) > width and any(cell.strip() for cell in row[width:]):
            yield Record(start, dict(zip(columns, row)),
                         error=f"line {start}: {len(row)} fields, the header has {width}")
            continue
        yield Record(start, dict(zip(columns, row)))


# ---------------------------------------------------------------- the registry

register(Format("csv", (".csv", ".csv.txt"), _delimited(","), "comma-separated, with a header line",
                has_header=True))
register(Format("tsv", (".tsv", ".tab", ".tsv.txt"), _delimited("\t"), "tab-separated, with a header line",
                has_header=True))
register(Format("txt", (".txt",), _delimited(None),
                "delimited text (Excel's \"Unicode text\"): tab-separated if the header line has a tab, "
                "else comma-separated", has_header=True))
# .json too, as before (the upload page offers it): a helpdesk's JSON export will have its own
# format name, since its extension cannot tell it from JSON lines
register(Format("jsonl", (".jsonl", ".ndjson", ".jsonlines", ".json"), read_jsonl, "one JSON object a line",
                parse_line=parse_jsonl_line))

# Helpdesk exports (helpdesk/): the messages of conversations. No extensions: a .json file stays
# JSONL unless the user names the helpdesk (--format zendesk, the upload's `format` field).
register(Format("zendesk", (), zendesk.read, zendesk.DESCRIPTION, conversations=True))
register(Format("chatwoot", (), chatwoot.read, chatwoot.DESCRIPTION, conversations=True))
register(Format("intercom", (), intercom.read, intercom.DESCRIPTION, conversations=True))
register(Format("freshdesk", (), freshdesk.read, freshdesk.DESCRIPTION, conversations=True))
register(Format("zammad", (), zammad.read, zammad.DESCRIPTION, conversations=True))
