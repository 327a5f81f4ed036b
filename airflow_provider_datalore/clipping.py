"""Bounding text from elsewhere (a server's reply, a user's argument) before it reaches a message or a log."""

from __future__ import annotations

import reprlib

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
    """
    Return a repr of ``value`` for a message, clipped to about ``limit`` characters.

    A large or deeply nested value is abridged as it is rendered (``reprlib``), never rendered whole;
    one whose repr fails (an integer of more digits than Python prints) is named by its type.
    """
    abridged = reprlib.Repr()
    abridged.maxstring = abridged.maxother = abridged.maxlong = limit
    abridged.maxlist = abridged.maxtuple = abridged.maxdict = abridged.maxset = 20
    abridged.maxlevel = 4
    try:
        text = abridged.repr(value)
    except (RecursionError, ValueError, MemoryError):
        text = f"<a {type(value).__name__} too large to show>"
    return clip(text, limit)
