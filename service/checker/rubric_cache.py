"""load_rubric: the compiled rubric of a folder, read back from a cache file when the folder
and the code are unchanged, compiled (rubric_files.py, pydantic and YAML) only when not.

    rubric_cache  ->  rubric (the compiled form)
                  ->  rubric_files (compiling; imported only on a cache miss)  ->  rubric
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import pickle
import sys
from pathlib import Path

from .rubric import Rubric

__all__ = ["load_rubric"]


_CODE = ("rubric.py", "rubric_cache.py", "rubric_files.py", "prefilter.py", "text.py", "languages.py")  # what the compiled form depends on


@functools.cache
def load_rubric(path: Path | str, cache_dir: str = "") -> Rubric:
    """The compiled rubric of the folder `path` (Settings.rubric_dir). Compiling takes about
    0.2 s with pydantic and YAML; the result is kept in a cache file in `cache_dir`
    (Settings.cache_dir: "" for the user's cache folder, "off" for none), keyed by the folder's
    files and this code, so that the next process reads it back in a fraction of that."""
    root = Path(path)
    folder = _cache_folder(cache_dir)
    cache = _cache_file(root, folder) if folder else None  # None for a folder it cannot read
    rubric = _read_cache(cache) if cache else None
    if rubric is None:
        from .rubric_files import compile_rubric

        rubric = compile_rubric(root)
        if cache:
            _write_cache(cache, rubric)
    return rubric


def _cache_folder(value: str) -> Path | None:
    """The cache folder named by Settings.cache_dir: the user's cache folder (XDG) when empty,
    None when "off"."""
    if value.lower() == "off":
        return None
    if value:
        return Path(value)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tactful"


def _cache_file(root: Path, folder: Path) -> Path | None:
    h = hashlib.sha256(sys.version.encode())
    for module in ("ahocorasick", "opencc"):  # the automaton's format; the zh-Hant messages
        spec = importlib.util.find_spec(module)
        origin = Path(spec.origin) if spec and spec.origin else None
        if origin and origin.exists():
            st = origin.stat()
            h.update(f"{module}:{origin}:{st.st_size}:{st.st_mtime_ns}\0".encode())
    files = [root / "rubric.yaml", root / "structure.yaml", root / "signals.yaml",
             *sorted((root / "rules").glob("*/*.yaml"))]
    here = Path(__file__).parent
    try:
        for f in [*files, *(here / name for name in _CODE)]:
            h.update(str(f.relative_to(root) if f.is_relative_to(root) else f.name).encode() + b"\0")
            h.update(f.read_bytes() + b"\0")
    except OSError:  # a file cannot be read: compiling will say which, and why
        return None
    where = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:12]
    return folder / f"rubric-{where}-{h.hexdigest()[:24]}.pickle"


def _read_cache(cache: Path) -> Rubric | None:
    """The cached rubric, or None when there is none or it cannot be trusted or read. Only a
    file owned by this user and writable by no one else is read: unpickling runs code."""
    try:
        st = cache.stat()
        if (hasattr(os, "getuid") and st.st_uid != os.getuid()) or st.st_mode & 0o022:
            return None
        with cache.open("rb") as f:
            rubric = pickle.load(f)
    except Exception:  # noqa: BLE001 - none yet, or stale or damaged: compiled afresh
        return None
    return rubric if isinstance(rubric, Rubric) else None


def _write_cache(cache: Path, rubric: Rubric) -> None:
    """Write the cache atomically and remove older ones of the same folder; a cache that
    cannot be written only means the next start compiles again."""
    try:
        cache.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
            pickle.dump(rubric, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache)
        prefix = cache.name.rsplit("-", 1)[0] + "-"
        for old in cache.parent.glob(prefix + "*.pickle"):
            if old != cache:
                old.unlink(missing_ok=True)
    except OSError:
        pass
