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


# a model's draft of a defect that costs 1,100 tokens (900 of prompt, 200 of completion): what
# the daily token limits are measured against
DEFECT_DRAFT = {"apology": "非常抱歉您的蓝牙耳机左耳没有声音,给您添麻烦了。",
                "restatement": "您订单{order_id}中的蓝牙耳机左耳没有声音。",
                "remedies": ["exchange_defect"],
                "close": "感谢您的耐心,有任何问题随时找我。"}


def draft_of_1100_tokens(request=None) -> httpx.Response:
    return model_answer(DEFECT_DRAFT, prompt_tokens=900, completion_tokens=200)
