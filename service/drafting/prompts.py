"""Jinja2 templates in prompts/: one environment, every render logged with the template's
name and a hash of its source, so a stored draft says exactly which prompt made it."""

from __future__ import annotations

import functools
import hashlib
import logging
from pathlib import Path

import jinja2

__all__ = ["environment", "render", "template_hash"]

log = logging.getLogger("tactful.prompts")


@functools.cache
def environment(root: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root)),
        undefined=jinja2.StrictUndefined,  # a typo in a template fails loudly, not silently
        autoescape=False,  # plain text and JSON prompts, never HTML
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # templates are read once: no stat() of every file on every render
    )


@functools.cache
def template_hash(root: Path, name: str) -> str:
    source, _, _ = environment(root).loader.get_source(environment(root), name)
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:12]


def render(root: Path, template: str, **context) -> tuple[str, str]:
    """The rendered text and the template's hash."""
    text = environment(root).get_template(template).render(**context)
    digest = template_hash(root, template)
    log.info("rendered prompt %s sha256:%s (%d chars)", template, digest, len(text))
    return text, digest


def module(root: Path, template: str, context: dict):
    """A template's macros, bound to `context` (used by the offline drafter)."""
    return environment(root).get_template(template).make_module(context)
