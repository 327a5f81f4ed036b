"""The error the emulated API answers with: an HTTP status and a JSON ``{"error": ...}`` message."""

from __future__ import annotations


class ApiError(Exception):
    """Signal an API error response with ``status`` and the ``message`` sent as ``{"error": message}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def to_body(self) -> dict[str, str]:
        """Return the JSON body the API sends for this error."""
        return {"error": self.message}
