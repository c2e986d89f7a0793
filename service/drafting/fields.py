"""The customer's name and the order number as the drafters use them.

The API refuses a value of the wrong shape (service/schemas.py), but a drafter does not take
that on trust: a value reaches a reply, or a model's prompt, only through these functions,
which check it again. So does a name or an order number triage read from the message. A value
that fails is left out (the greeting says "Hi there", the restatement "your case"), never
cleaned up; so is one that has the shape but reads as a link ("www.example.cn/1" is a valid
order reference), which a reply must not carry. In a model's prompt the two are one line of
JSON (data_line), so that no value can end the line or open another."""

from __future__ import annotations

import json
import logging

from ..checker.grounding import has_link
from ..schemas import WHITE_SPACE, name_problem, order_id_problem

__all__ = ["customer_name", "order_id", "data_line"]

log = logging.getLogger("tactful.drafts")


def _usable(kind: str, value: str | None, problem) -> str | None:
    if not value:
        return None
    if value != value.strip(WHITE_SPACE) or problem(value):
        log.warning("%s left out of the draft: not the shape of one", kind)
        return None
    if has_link(value):
        log.warning("%s left out of the draft: it reads as a link", kind)
        return None
    return value


def customer_name(value: str | None) -> str | None:
    """The name to greet the customer by, or None."""
    return _usable("customer name", value, name_problem)


def order_id(value: str | None) -> str | None:
    """The order number to restate, or None."""
    return _usable("order number", value, order_id_problem)


def data_line(data: dict) -> str:
    """`data` as one line of JSON: quotes and backslashes escaped, and every character that is
    not printable (line and paragraph separators, controls, invisible and bidi characters)
    written as a \\u escape, so the line can neither be broken nor made to read otherwise."""
    text = json.dumps(data, ensure_ascii=False)
    return "".join(ch if ch.isprintable() else json.dumps(ch)[1:-1] for ch in text)
