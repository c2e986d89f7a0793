"""What a batch reader is given and gives: a Source (a binary stream and how its lines decode)
in, Records out. Its own module, below formats.py (the registry) and the readers of the
helpdesk exports (helpdesk/), so that both use these without importing each other;
formats.py re-exports them (`from service.batch.formats import Record` keeps working)."""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from typing import IO, Iterator

__all__ = ["Record", "Codec", "Source", "raw_lines", "BOM"]

BOM = codecs.BOM_UTF8
_UTF8 = frozenset(("utf-8", "utf8", "utf-8-sig"))


@dataclass(slots=True)
class Record:
    line: int
    data: dict | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Codec:
    """How the lines of a source decode: `encoding` is that of the bytes the reader gets,
    `label` the file's own (they differ for UTF-16, which is recoded to UTF-8 as it is read)."""
    encoding: str = "utf-8"
    label: str = "utf-8"

    @property
    def utf8(self) -> bool:
        return self.encoding in _UTF8

    def decode(self, raw: bytes, line: int) -> tuple[str, str | None]:
        """The text of one line, and an error naming the line when it does not decode."""
        try:
            return raw.decode(self.encoding), None
        except UnicodeDecodeError as e:
            if self.label == self.encoding:
                where = f"byte 0x{raw[e.start]:02x} at column {e.start + 1}"
            else:  # the bytes were recoded: a position in characters means something to the user
                where = f"at character {len(raw[:e.start].decode(self.encoding, errors='replace')) + 1}"
            return raw.decode(self.encoding, errors="replace"), f"line {line}: not valid {self.label} ({where})"


@dataclass(slots=True)
class Source:
    """An input file opened for a reader: `stream` gives lines of bytes that `codec` decodes;
    `file` is the file itself (the same object unless the bytes are recoded)."""
    stream: IO[bytes]
    codec: Codec
    file: IO[bytes] | None = None

    def position(self) -> int:
        """How far into the file reading has got, in bytes (for progress)."""
        return (self.file or self.stream).tell()


def raw_lines(stream: IO[bytes], first: int = 1) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes) of every non-blank line, numbered from `first`; a leading UTF-8
    BOM is dropped."""
    for n, raw in enumerate(stream, first):
        if n == 1 and raw.startswith(BOM):
            raw = raw[3:]
        if not raw.isspace():  # (no copy, unlike strip())
            yield n, raw
