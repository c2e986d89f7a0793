"""The encoding of a batch file: the one detector of `tactful batch` and `POST /v1/batches`.

    check_encoding(name)          -> a codec name, or InputError (unknown, or not a text codec)
    detect_encoding(path, name)   -> the declared codec if given, else the detected one
    detect_bytes(sample, whole)   -> the detected codec of the first bytes of a file

A declared encoding wins. Otherwise, in this order, each step cheaper than the next:
1. a byte-order mark (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE, GB18030);
2. the sample decodes as UTF-8: UTF-8. Most files stop here, and never load the detector;
3. nearly all of it decodes as UTF-8 (a file with a few damaged lines): UTF-8, so that the
   damaged lines are reported with their numbers instead of the whole file being misread;
4. charset-normalizer picks among the encodings helpdesk exports come in (GB18030, which
   reads GBK too; Big5; UTF-16/32 without a mark; the Western code pages), by which decoding
   reads as text. It tells Big5 from GB18030, which both decode almost any byte pair;
   When a few damaged lines rule out every encoding, it is asked again without them;
5. nothing fits: UTF-8, and the lines that do not decode become error rows with their numbers.

Measured by bench/encoding_bench.py.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from ..errors import InputError

__all__ = ["check_encoding", "detect_encoding", "detect_bytes", "ascii_compatible", "trim_sample", "SAMPLE"]

SAMPLE = 1 << 20  # bytes read to detect the encoding

_BOMS = (  # longest first: the UTF-32 LE mark begins with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8"), (b"\x84\x31\x95\x33", "gb18030"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)

# What charset-normalizer chooses among: the encodings of Chinese and English helpdesk
# exports. Left to try all ~100 it knows, it reads short Chinese texts as Japanese or Korean
# code pages about as often as right (bench/encoding_bench.py).
CANDIDATES = ["gb18030", "big5", "cp950", "utf_16", "utf_16_le", "utf_16_be", "utf_32",
              "cp1252", "latin_1"]

_PROBE = 'id,reply\t"\r\n'


# A byte sequence that does not decode in a recoded file becomes a lone surrogate, which
# UTF-8 cannot hold: its line then fails to decode, and becomes an error row with its number.
codecs.register_error("tactful.mark", lambda e: ("\udcff", e.end))


def check_encoding(name: str) -> str:
    """The codec's canonical name. Refuses (422, field `encoding`) an unknown name and one
    that is not a text encoding (rot13, base64, zlib: codecs that Python knows but that do
    not turn bytes into text)."""
    label = str(name).strip()
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError, TypeError):
        raise InputError(f"unknown encoding {label!r}", field="encoding") from None
    if not getattr(info, "_is_text_encoding", True):
        raise InputError(f"{label!r} is not a text encoding (try utf-8, gb18030, big5 or utf-16)",
                         field="encoding")
    try:
        info.decode(_PROBE.encode(info.name))
        # as a file is read: incrementally, marking bytes that do not decode (punycode and
        # idna are text codecs for names, and refuse that)
        codecs.getincrementaldecoder(info.name)(errors="tactful.mark").decode(
            _PROBE.encode(info.name) + b"\xff", final=True)
    except Exception:  # noqa: BLE001 - the codec 'undefined' and its kind: unusable for a file
        raise InputError(f"the encoding {label!r} cannot read a text file", field="encoding") from None
    return info.name


def ascii_compatible(encoding: str) -> bool:
    """True when every ASCII character is one byte of itself, so that a file splits into lines
    at b"\\n" and commas and quotes are what they seem (UTF-8, GB18030, Big5 and the code
    pages). UTF-16 and UTF-32 are not: such a file is recoded to UTF-8 as it is read."""
    try:
        return _PROBE.encode(encoding) == _PROBE.encode("ascii")
    except (UnicodeError, LookupError):
        return False


def detect_encoding(path: str | Path, declared: str | None = None) -> str:
    """The encoding to read the file `path` with: `declared` if given (checked), else detected
    from its first megabyte."""
    if declared is not None and str(declared).strip():
        return check_encoding(declared)
    with Path(path).open("rb") as f:
        sample = f.read(SAMPLE)
        whole = not f.read(1)
    return detect_bytes(sample, whole)


def detect_bytes(sample: bytes, whole: bool = True) -> str:
    """The encoding of a file that begins with `sample` (`whole`: the sample is all of it)."""
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name
    try:  # the fast path: a UTF-8 file costs one decode of its first megabyte
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=whole)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if not whole:
        sample = trim_sample(sample)
    if _mostly_utf8(sample):
        return "utf-8"
    best = _detector(sample)
    if best is None:  # a few damaged lines rule every encoding out: ask again without them
        kept = b"\n".join(line for line in sample.split(b"\n") if _decodes(line))
        if len(kept) < len(sample):
            best = _detector(kept)
    if best is None:
        return "utf-8"
    name = codecs.lookup(best).name
    return "utf-8" if name == "ascii" else name


def trim_sample(sample: bytes) -> bytes:
    """The first bytes of a file, cut where no character is: a character cut in two reads as
    no encoding at all. After the last line break; for UTF-16 or UTF-32 (NUL bytes, which
    text in other encodings never has), at a multiple of four bytes."""
    if b"\x00" in sample:
        return sample[:len(sample) - len(sample) % 4]
    cut = sample.rfind(b"\n") + 1
    return sample[:cut] if cut > 0 else sample


def _detector(sample: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(sample, cp_isolation=CANDIDATES).best()
    return best.encoding if best is not None else None


def _decodes(line: bytes) -> bool:
    """The line reads in at least one multi-byte encoding of the candidates."""
    for encoding in ("utf-8", "gb18030", "big5", "cp950"):
        try:
            line.decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


def _mostly_utf8(sample: bytes) -> bool:
    """Nearly every non-ASCII sequence is valid UTF-8: a UTF-8 file with a few damaged bytes.
    GBK or Big5 read as UTF-8 fail on most of their characters; the pairs that pass by
    chance are far fewer than those that fail."""
    text = sample.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - sample.count(b"\xef\xbf\xbd")
    non_ascii = len(text) - len(text.encode("ascii", errors="ignore")) - bad
    return non_ascii >= 20 * bad
