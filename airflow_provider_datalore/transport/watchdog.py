"""A deadline for one blocking request: at the deadline, the sockets it uses are shut."""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any

_current = threading.local()


class Watchdog:
    """
    Shut the request's sockets when ``seconds`` have passed, whatever the request is waiting for.

    A per-read socket timeout bounds each read, not the request: a server that sends a byte a second
    keeps every read short and the request open for ever. The watchdog bounds the whole: connect, send,
    the headers and the whole body. Use it around one blocking request in one thread; the connection
    classes of :mod:`~airflow_provider_datalore.transport.bounded_adapter` report their sockets to it.

    :param seconds: How long the request may take in all.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        #: Whether the deadline passed and the sockets were shut.
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Watchdog:
        _current.watchdog = self
        self._timer.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._timer.cancel()
        _current.watchdog = None

    def disarm(self) -> bool:
        """
        Stop the watchdog; return whether it had already shut the sockets.

        A read that the shutdown ended can look complete (``http.client`` takes an end of stream for the
        end of the headers): whatever was read after the deadline passed must be thrown away.
        """
        self._timer.cancel()
        with self._lock:
            expired, self.expired = self.expired, True
        return expired

    def watch(self, sock: socket.socket | None) -> None:
        """Shut ``sock`` at the deadline (at once if it has passed)."""
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            if not self.expired:
                return
        _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def watch_socket(sock: socket.socket | None) -> None:
    """Report a socket to the watchdog of the request this thread is making, if any."""
    watchdog = getattr(_current, "watchdog", None)
    if watchdog is not None:
        watchdog.watch(sock)


def _shut(sock: socket.socket) -> None:
    """End both directions of the connection: a read blocked in another thread returns at once."""
    # socket.socket's own shutdown: an SSLSocket's would first unwrap TLS, which can block.
    with contextlib.suppress(OSError):  # already closed
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
