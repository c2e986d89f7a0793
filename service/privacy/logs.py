"""Logging that never keeps personal data: every log record, from any library (litellm, the
OpenAI client and httpx log request and response bodies at DEBUG), has its message and each of
its arguments masked when it is created, before any handler sees it. Arguments keep their shape
(a tuple stays a tuple of the same length, numbers stay numbers): formatters such as uvicorn's
access log unpack them."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from .masking import mask

__all__ = ["install_log_masking"]

# JSON bodies in library logs escape non-ASCII text ("\\u624b\\u673a13812345678"): decoded first,
# so a number glued to an escape is seen as the phone number it is. Surrogates stay escaped.
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")

_installed = False


def _unescape(m: re.Match) -> str:
    code = int(m.group(1), 16)
    return m.group(0) if 0xD800 <= code <= 0xDFFF else chr(code)


_SECRET_PARAM = re.compile(r"([?&](?:secret|token|api_access_token)=)[^&\s\"']+", re.I)


def _text(value: str) -> str:
    if "\\u" in value:
        value = _ESCAPE.sub(_unescape, value)
    if "=" in value:
        value = _SECRET_PARAM.sub(r"\1[REDACTED]", value)
    return mask(value) or value


def _arg(value):
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return _text(value)
    masked = _text(str(value))  # a dict, a list, an exception: masked as the text it prints
    return masked if masked != str(value) else value


def install_log_masking() -> None:
    """Idempotent: wraps the current LogRecord factory once per process."""
    global _installed
    if _installed:
        return
    base = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = base(*args, **kwargs)
        if isinstance(record.msg, str):
            record.msg = _text(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_arg(a) for a in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {k: _arg(v) for k, v in record.args.items()}
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
