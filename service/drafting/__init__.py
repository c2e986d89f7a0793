"""Drafting a reply: triage of the ticket, the company policy, the prompts and offline
templates, the model seam (litellm) and the pipeline that ties them together."""
