"""The built-in playbook (the default rubric, policy, triage rules and prompts), and the
checker's functions bound to it, for tests that exercise the shipped rules. The service itself
has no default: every caller passes the playbook its settings name."""

import functools
import json

import httpx

from service.checker import review as _review
from service.playbook import Playbook
from service.settings import Settings

PLAYBOOK = Playbook.from_settings(Settings())
RUBRIC = PLAYBOOK.rubric
review = functools.partial(_review.review, rubric=RUBRIC)
review_dict = functools.partial(_review.review_dict, rubric=RUBRIC)


def model_answer(content, model="gpt-4o-mini", prompt_tokens=120, completion_tokens=80) -> httpx.Response:
    """An OpenAI-compatible chat completion answering `content` (a dict is sent as JSON): what
    respx returns for the model litellm calls."""
    if not isinstance(content, str):
        content = json.dumps(content, ensure_ascii=False)
    return httpx.Response(200, json={
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": model,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens}})
