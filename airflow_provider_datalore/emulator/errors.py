"""The error the emulated API answers with: an HTTP status and a JSON ``{"error": ...}`` message."""

from __future__ import annotations


class ApiError(Exception):
    """Signal an API error response with ``status`` and the ``message`` sent as ``{"error": message}``."""

    def __init__(self, status: int, message: str, *, state: str | None = None) -> None:
        """
        Make the error.

        :param status: the HTTP status.
        :param message: sent as ``error``.
        :param state: the kernel's state, sent as ``state`` (the Notebook API's 409), or None.
        """
        super().__init__(message)
        self.status = status
        self.message = message
        self.state = state

    def to_body(self) -> dict[str, str]:
        """Return the JSON body the API sends for this error."""
        if self.state is not None:
            return {"error": self.message, "state": self.state}
        return {"error": self.message}
