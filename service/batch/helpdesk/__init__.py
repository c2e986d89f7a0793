"""Readers of helpdesk exports (Zendesk, Chatwoot, Intercom, Freshdesk, Zammad): each turns the
helpdesk's own export or API JSON into Records, one per message of a conversation, with no
column mapping. One module per helpdesk, each with `read(src)` and `DESCRIPTION`; common.py
holds what they share (the message contract, times, ordering), markup.py the HTML-to-text.
formats.py registers them; they import only records.py and errors, never formats.py."""
