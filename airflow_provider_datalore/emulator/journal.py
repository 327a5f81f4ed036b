"""The request journal's entries: one per API request received, completed once its answer is known."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class JournalEntry:
    """One request the emulator received; never holds the token or the Authorization header."""

    method: str
    path: str
    query: str
    body: Any
    auth_present: bool
    token_valid: bool
    status: int | None
    fault: str | int | None
    time: float
    run_id: str | None = None
    #: The client's source port: requests with the same port came over the same (keep-alive) connection.
    client_port: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return this entry as a JSON-serialisable dict."""
        return dataclasses.asdict(self)


class JournalSlot:
    """Hold the journal entry of a request, which is completed when its answer is known."""

    __slots__ = ("entry",)

    def __init__(self, entry: JournalEntry) -> None:
        self.entry = entry
