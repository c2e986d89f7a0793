"""The rule engine: the rubric as compiled data, the review of one reply (findings, sections,
score) and the grounding check against the policy. `check.check_reply` is the one entry point
the API, the CLI and the draft pipeline use."""
