"""Logging that never keeps personal data: every log record, from any library (litellm, the
OpenAI client and httpx log request and response bodies at DEBUG), has its message masked when
it is created, before any handler sees it."""

from __future__ import annotations

import logging
import re

from .masking import mask

# JSON bodies in library logs escape non-ASCII text ("\\u624b\\u673a13812345678"): decoded first,
# so a number glued to an escape is seen as the phone number it is. Surrogates stay escaped.
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def _unescape(m: re.Match) -> str:
    code = int(m.group(1), 16)
    return m.group(0) if 0xD800 <= code <= 0xDFFF else chr(code)

__all__ = ["install_log_masking"]

_installed = False


def install_log_masking() -> None:
    """Idempotent: wraps the current LogRecord factory once per process."""
    global _installed
    if _installed:
        return
    base = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = base(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed log call is logging's problem, not ours
            return record
        if "\\u" in message:
            message = _ESCAPE.sub(_unescape, message)
        masked = mask(message)
        if masked != record.msg or record.args:
            record.msg, record.args = masked, None
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
