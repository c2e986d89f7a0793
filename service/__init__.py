"""tactful: drafts and reviews customer-service replies."""

__version__ = "0.1.0"
