"""The built-in playbook (the default rubric, policy, triage rules and prompts), and the
checker's functions bound to it, for tests that exercise the shipped rules. The service itself
has no default: every caller passes the playbook its settings name."""

import functools

from service.checker import review as _review
from service.playbook import Playbook
from service.settings import Settings

PLAYBOOK = Playbook.from_settings(Settings())
RUBRIC = PLAYBOOK.rubric
review = functools.partial(_review.review, rubric=RUBRIC)
review_dict = functools.partial(_review.review_dict, rubric=RUBRIC)
