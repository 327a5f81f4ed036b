"""DataloreEmulator: the emulated Run API served from a background thread with its own event loop."""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
import tempfile
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from airflow_provider_datalore.emulator.address import is_wildcard, normalize_prefix, url_host
from airflow_provider_datalore.emulator.config import EmulatorConfig, Fault, Notebook, parse_faults
from airflow_provider_datalore.emulator.state import EmulatorState, JournalEntry, Run
from airflow_provider_datalore.emulator.tokens import ApiToken

if TYPE_CHECKING:
    from pathlib import Path
    from types import TracebackType

LISTEN_BACKLOG = 2048
_START_TIMEOUT = 15.0
_STOP_TIMEOUT = 15.0
# How long stopping waits for requests still in progress (a "delay" fault) before cancelling them.
_SHUTDOWN_GRACE = 0.5


class DataloreEmulator:
    """Serve an emulated Datalore Run API over real HTTP(S), with scripted faults and a request journal."""

    def __init__(
        self,
        config: EmulatorConfig | Mapping[str, Any] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool = False,
        prefix: str = "",
    ) -> None:
        """
        Prepare an emulator; nothing listens until ``start()``.

        :param config: tokens, notebooks and faults; a dict in the JSON format, or None for the default.
        :param host: address to bind; loopback by default.
        :param port: port to bind; 0 picks a free one.
        :param tls: serve HTTPS with a throwaway self-signed certificate (see ``ca_file``).
        :param prefix: path prefix the API lives under, e.g. ``/datalore``, as behind a reverse proxy.
        """
        if config is None:
            config = EmulatorConfig.default()
        elif not isinstance(config, EmulatorConfig):
            config = EmulatorConfig.from_dict(config)
        self.config = config
        self.host = "127.0.0.1" if host == "localhost" else host
        self.tls = tls
        self.prefix = normalize_prefix(prefix)
        self._requested_port = port
        self._state = EmulatorState(config)
        self._port: int | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tls_dir: str | None = None
        self._ca_file: str | None = None

    @classmethod
    def from_file(cls, path: str | Path, **kwargs: Any) -> DataloreEmulator:
        """
        Build an emulator from a JSON config file.

        :param path: the file, in the ``EmulatorConfig.from_dict`` format.
        :param kwargs: passed on to the constructor (``host``, ``port``, ``tls``, ``prefix``).
        """
        return cls(EmulatorConfig.from_file(path), **kwargs)

    # Lifecycle

    def start(self) -> DataloreEmulator:
        """Start serving; return once the server accepts connections."""
        from aiohttp import web

        from airflow_provider_datalore.emulator.app import create_app
        from airflow_provider_datalore.emulator.serving import serve

        if self._thread is not None:
            raise RuntimeError("the emulator is already running")
        sock = self._bind()
        try:
            ssl_context = self._ssl_context() if self.tls else None
            runner = web.AppRunner(
                create_app(self._state, self.prefix),
                handle_signals=False,
                access_log=None,
                shutdown_timeout=_SHUTDOWN_GRACE,
            )
            site_kwargs = {"ssl_context": ssl_context, "backlog": LISTEN_BACKLOG}
            loop = asyncio.new_event_loop()
            ready = threading.Event()
            failure: list[BaseException] = []
            thread = threading.Thread(
                target=serve,
                args=(loop, runner, sock, site_kwargs, ready, failure),
                name=f"datalore-emulator-{self.port}",
                daemon=True,
            )
            thread.start()
            if not ready.wait(_START_TIMEOUT):
                raise RuntimeError("the emulator did not start in time")
            if failure:
                thread.join(_STOP_TIMEOUT)
                raise RuntimeError(f"the emulator failed to start: {failure[0]!r}") from failure[0]
        except BaseException:
            sock.close()
            self._port = None
            self._remove_tls_dir()
            raise
        self._loop, self._thread = loop, thread
        return self

    def stop(self) -> None:
        """Stop serving, close every connection and remove the TLS files; a no-op when not running."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(_STOP_TIMEOUT)
        self._thread = self._loop = None
        self._port = None
        self._remove_tls_dir()

    def __enter__(self) -> DataloreEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self._requested_port))
            sock.listen(LISTEN_BACKLOG)
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        self._port = sock.getsockname()[1]
        return sock

    def _ssl_context(self) -> ssl.SSLContext:
        from airflow_provider_datalore.emulator.tls import write_self_signed_cert

        self._tls_dir = tempfile.mkdtemp(prefix="datalore-emulator-tls-")
        hosts = ["localhost", "127.0.0.1", "::1", self.host]
        cert_file, key_file = write_self_signed_cert(self._tls_dir, [h for h in hosts if not is_wildcard(h)])
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        self._ca_file = cert_file
        return context

    def _remove_tls_dir(self) -> None:
        if self._tls_dir is not None:
            shutil.rmtree(self._tls_dir, ignore_errors=True)
        self._tls_dir = self._ca_file = None

    # Where it listens

    @property
    def port(self) -> int:
        """Return the port listened on; raise RuntimeError when not started."""
        if self._port is None:
            raise RuntimeError("the emulator is not running: call start() first")
        return self._port

    @property
    def url(self) -> str:
        """Return the base URL of the API, prefix included (``https://localhost:PORT`` with TLS)."""
        return f"{'https' if self.tls else 'http'}://{url_host(self.host, self.tls)}:{self.port}{self.prefix}"

    @property
    def ca_file(self) -> str | None:
        """Return the PEM file clients verify the TLS certificate with, or None without TLS."""
        return self._ca_file

    @property
    def running(self) -> bool:
        """Return whether the emulator is serving."""
        return self._thread is not None and self._thread.is_alive()

    # State, from any thread

    @property
    def runs(self) -> dict[str, Run]:
        """Return a snapshot of the runs started, by run ID."""
        return self._state.runs()

    @property
    def journal(self) -> list[JournalEntry]:
        """Return a copy of the journal: every API request received, in arrival order."""
        return self._state.journal()

    @property
    def interactive_runs(self) -> list[str]:
        """Return the notebook IDs of the interactive runs requested, in order."""
        return self._state.interactive_runs()

    def notebook_state(self, notebook_id: str) -> dict[str, Any]:
        """
        Return a notebook's kernel, cells and publications, counting no read (docs/emulator-notebook.md).

        :param notebook_id: ``owner/notebook``; KeyError if unknown.
        """
        return self._state.notebook_snapshot(notebook_id)

    @property
    def pending_faults(self) -> list[Fault]:
        """Return the faults still queued, with their remaining ``times``."""
        return self._state.pending_faults()

    def add_token(
        self,
        token: str,
        access: Mapping[str, str],
        *,
        expires_at: float | None = None,
        scope: str = "full",
        single_notebook: bool = False,
    ) -> None:
        """
        Add or replace an API token.

        :param token: the token value clients send as ``Authorization: Bearer <token>``.
        :param access: notebook ID (or ``*`` for every notebook) -> ``"editor"`` or ``"viewer"``.
        :param expires_at: unix seconds from which it is answered 401 "has expired"; None: never.
        :param scope: ``full`` or ``notebook_api``; ``run_api`` (made before Datalore 2026.2, or for the Run
            API only) is answered 403 by the Notebook API; ``other`` (made for another API) by both APIs.
        :param single_notebook: made for the one notebook in ``access``: any other is answered 403.
        """
        settings = ApiToken(access, expires_at=expires_at, scope=scope, single_notebook=single_notebook)
        self._state.add_token(token, settings)

    def revoke_token(self, token: str) -> None:
        """
        Revoke a token, so that it is answered 401 "invalid or expired".

        :param token: the token value.
        """
        self._state.revoke_token(token)

    def expire_token(self, token: str) -> None:
        """
        Make a token expire now, so that it is answered 401 "has expired"; raise KeyError if unknown.

        :param token: the token value.
        """
        self._state.expire_token(token)

    def add_notebook(self, notebook: Notebook) -> None:
        """
        Add or replace a notebook; runs already started keep the settings they started with.

        :param notebook: the notebook and how its runs behave.
        """
        self._state.add_notebook(notebook)

    def delete_run(self, run_id: str) -> None:
        """
        Forget a run, so that its status answers 404 (as if purged); raise KeyError if unknown.

        :param run_id: the run ID.
        """
        self._state.delete_run(run_id)

    def add_faults(self, *faults: Fault | Mapping[str, Any] | Iterable[Fault | Mapping[str, Any]]) -> None:
        """
        Queue faults behind those already queued for their endpoint.

        :param faults: Fault objects or their JSON dicts, or lists of them.
        """
        self._state.add_faults(
            f
            for item in faults
            for f in parse_faults(item if isinstance(item, (Fault, Mapping)) else list(item))
        )

    def clear_faults(self) -> None:
        """Drop every queued fault."""
        self._state.clear_faults()

    def clear_journal(self) -> None:
        """Forget every journal entry."""
        self._state.clear_journal()

    def requests(self, method: str | None = None, path_contains: str | None = None) -> list[JournalEntry]:
        """
        Return the journal entries matching a method and/or a path substring.

        :param method: e.g. ``"GET"``; any method if None.
        :param path_contains: a substring the request path must contain; any path if None.
        """
        return [
            entry
            for entry in self.journal
            if (method is None or entry.method == method.upper())
            and (path_contains is None or path_contains in entry.path)
        ]

    def run_starts(self, notebook_id: str | None = None) -> list[JournalEntry]:
        """
        Return the journal entries of POSTs that started a run (also when a fault replaced the answer).

        :param notebook_id: only runs of this ``owner/notebook``; every notebook if None.
        """
        return [
            entry
            for entry in self.journal
            if entry.run_id is not None
            and (
                notebook_id is None
                or (isinstance(entry.body, dict) and entry.body.get("notebookId") == notebook_id)
            )
        ]
