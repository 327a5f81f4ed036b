"""Bounding text from elsewhere (a server's reply, a user's argument) before it reaches a message or a log."""

from __future__ import annotations

#: Characters of a value from elsewhere that a message or a log line shows.
DEFAULT_LIMIT = 200


def clip(text: str, limit: int = DEFAULT_LIMIT) -> str:
    """
    Return ``text`` cut to ``limit`` characters, with control and other unprintable characters escaped.

    Escaping keeps a newline in a server's words from forging a log line; the cut keeps a megabyte of it
    out of messages, logs and events.
    """
    head = text[:limit]
    if not head.isprintable():
        head = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in head)
    if len(text) > limit:
        return f"{head}... ({len(text) - limit} more characters)"
    return head


def show(value: object, limit: int = DEFAULT_LIMIT) -> str:
    """Return ``repr(value)`` clipped; a value whose repr fails (too deep, too many digits) is named by type."""
    try:
        text = repr(value)
    except (RecursionError, ValueError, MemoryError):
        text = f"<a {type(value).__name__} too large to show>"
    return clip(text, limit)
