"""The steps every batch row goes through, whichever way it came in: `tactful batch` (runner.py)
and `POST /v1/batches` (jobs.py) both read a file with formats.py, in the encoding that
encoding.py finds, and then, per record:

    row = review_record(rec, rubric)      # the output line: the review, or an error with its line
    duplicates.mark(rows)                 # a repeated id gets "duplicate": true
    report.add_record(rec, row)           # report.py; its example replies are masked there

so that the same file gives the same rows and the same report either way. The rubric is
always the caller's: nothing here loads one by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from ..checker.review import review_dict
from ..errors import InputError, TactfulError
from .encoding import detect_encoding
from .formats import Format, Record, get_format, read_records

if TYPE_CHECKING:
    from ..checker.rubric import Rubric

__all__ = ["review_record", "Duplicates", "id_key", "Input", "open_input", "rubric_of"]


def rubric_of(source) -> "Rubric":
    """The compiled rubric of `source`: a Rubric as it is, or Settings (their rubric_dir)."""
    from ..checker.rubric import Rubric
    from ..playbook import Playbook

    if isinstance(source, Rubric):
        return source
    if isinstance(source, Playbook):
        return source.rubric
    if getattr(source, "rubric_dir", None) is None:
        raise TypeError("give the batch a Rubric, a Playbook or Settings")
    return Playbook.from_settings(source).rubric  # the settings' rubric folder and cache


def review_record(rec: Record, rubric: "Rubric") -> dict:
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
        out.update(review_dict(reply, complaint if isinstance(complaint, str) else None, lang, rubric))
    except TactfulError as e:
        out["error"] = f"line {rec.line}: {e.message}"
    return out


def id_key(value) -> str | None:
    """What makes two rows' ids the same: their text (1 and "1" are one id). A missing or
    blank id is no id, so a file without ids has no duplicates."""
    if value is None:
        return None
    key = value if isinstance(value, str) else str(value)
    return key if key.strip() else None


class Duplicates:
    """Ids seen so far. `mark` flags each row whose id an earlier row had, in input order."""

    __slots__ = ("seen",)

    def __init__(self, seen: Iterable[str] = ()):
        self.seen = set(seen)

    def mark(self, rows: list[dict]) -> bool:
        """Add `"duplicate": true` to repeated ids; True when any row was flagged."""
        seen, flagged = self.seen, False
        for row in rows:
            key = id_key(row.get("id"))
            if key is None:
                continue
            if key in seen:
                row["duplicate"] = True
                flagged = True
            else:
                seen.add(key)
        return flagged

    @staticmethod
    def keys(rows: list[dict]) -> list[str]:
        return [k for k in (id_key(r.get("id")) for r in rows) if k is not None]


@dataclass(frozen=True)
class Input:
    """A batch file, checked: its format and encoding are known, its header is usable."""
    path: Path
    filename: str  # as the user named it (the upload's name, or the file's)
    format: Format
    encoding: str

    def records(self):
        return read_records(self.path, self.format, self.encoding)


def open_input(path: str | Path, filename: str | None = None, *, format: str | None = None,
               encoding: str | None = None) -> Input:
    """Check a batch file before any output is written or any job queued: the format (by
    name, else by the extension of `filename`), the encoding (declared, else detected), and
    the first record (a CSV's header must have a `reply` column). Raises InputError."""
    path = Path(path)
    name = filename or path.name
    fmt = get_format(format, name)
    enc = detect_encoding(path, encoding)
    if path.stat().st_size == 0:
        raise InputError("the file is empty", field="file")
    records = read_records(path, fmt, enc)
    try:
        first = next(records, None)
    finally:
        records.close()
    if first is None and fmt.has_header:
        raise InputError(f"the {fmt.name.upper()} has a header but no rows", field="file")
    return Input(path, Path(name).name, fmt, enc)
