"""The emulator's event loop, run in its own thread: start the app on a bound socket, serve, shut down."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    import socket
    import threading


def serve(
    loop: asyncio.AbstractEventLoop,
    runner: web.AppRunner,
    sock: socket.socket,
    site_kwargs: dict[str, Any],
    ready: threading.Event,
    failure: list[BaseException],
) -> None:
    """
    Serve ``runner``'s app on ``sock`` until ``loop`` is stopped, then close every connection.

    :param loop: the thread's own event loop; closed on return.
    :param runner: the app's runner, not yet set up.
    :param sock: the bound, listening socket.
    :param site_kwargs: passed on to ``web.SockSite`` (``ssl_context``, ``backlog``).
    :param ready: set once serving (or once starting failed).
    :param failure: receives the exception that made starting fail.
    """
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.SockSite(runner, sock, **site_kwargs).start())
    except BaseException as exc:  # report any start failure to the starting thread
        failure.append(exc)
        loop.close()
        ready.set()
        return
    ready.set()
    try:
        loop.run_forever()
    finally:
        loop.run_until_complete(runner.cleanup())
        # Requests still held (by a "delay" fault) outlive the grace period: cancel them cleanly.
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
