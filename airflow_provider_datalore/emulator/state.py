"""
Thread-safe state of the emulator: tokens, notebooks, runs, fault queues and the request journal.

Each notebook's kernel and cells (``kernel``) and report publications (``reports``) live in their own
modules; ``notebook`` hands one notebook's to a handler under the state's lock, its access checked.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import secrets
import string
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from airflow_provider_datalore.emulator.config import EmulatorConfig, Fault
from airflow_provider_datalore.emulator.errors import ApiError
from airflow_provider_datalore.emulator.file_tree import FileStore
from airflow_provider_datalore.emulator.journal import JournalEntry, JournalSlot
from airflow_provider_datalore.emulator.notebooks import Notebook
from airflow_provider_datalore.emulator.runs import Run
from airflow_provider_datalore.emulator.sessions import NotebookSession
from airflow_provider_datalore.emulator.status_reply import artifact_path, status_reply
from airflow_provider_datalore.emulator.tokens import ALL_NOTEBOOKS, ApiToken, as_api_token, check_token

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from airflow_provider_datalore.emulator.validation import RunRequest

__all__ = ["EmulatorState", "JournalEntry", "JournalSlot", "NotebookSession", "Run"]

_RUN_ID_ALPHABET = string.ascii_letters + string.digits


class EmulatorState:
    """Hold everything the emulator serves, guarded by one lock for use from any thread."""

    def __init__(self, config: EmulatorConfig) -> None:
        self._lock = threading.Lock()
        self._tokens = {token: as_api_token(settings) for token, settings in config.tokens.items()}
        #: How this server answers, for its lifetime (see ``EmulatorConfig``).
        self.server_version = config.server_version
        self.interactive_reply = config.interactive_reply
        self.interactive_seconds = float(config.interactive_seconds)
        self.unknown_path_reply = config.unknown_path_reply
        self.notebook_api = config.notebook_api
        self.artifacts_in_files = config.artifacts_in_files
        self.file_content_length = config.file_content_length
        self._notebooks = {nb.id: nb for nb in config.notebooks}
        self._sessions = {nb.id: NotebookSession.of(nb) for nb in config.notebooks}
        #: The notebooks' file trees (the Notebook API's files).
        self.files = FileStore({nb.id: nb.files for nb in config.notebooks})
        self._runs: dict[str, Run] = {}
        self._journal: list[JournalSlot] = []
        self._faults: dict[str, deque[Fault]] = {}
        self._interactive: list[str] = []
        self.add_faults(config.faults)

    # Tokens and notebooks

    def add_token(self, token: str, settings: ApiToken) -> None:
        """Add (or replace) a token with its settings."""
        check_token(token)
        if not isinstance(settings, ApiToken):
            raise TypeError(f"expected an ApiToken, got {type(settings).__name__}")
        with self._lock:
            self._tokens[token] = settings

    def revoke_token(self, token: str) -> None:
        """Revoke a token: it is answered 401 "invalid or expired" from now on."""
        with self._lock:
            self._tokens.pop(token, None)

    def expire_token(self, token: str) -> None:
        """Make a token expire now: it is answered 401 "has expired"; raise KeyError if unknown."""
        with self._lock:
            self._tokens[token] = dataclasses.replace(self._tokens[token], expires_at=time.time())

    def authenticate(self, token: str | None, api: str = "run") -> ApiError | None:
        """Return the error answering any request to ``api`` made with ``token`` now, or None if it may go on."""
        if token is None:
            return ApiError(401, "No API token provided")
        with self._lock:
            settings = self._tokens.get(token)
        if settings is None:
            return ApiError(401, "The API token is invalid or expired")
        return settings.authentication_error(time.time(), api)

    def add_notebook(self, notebook: Notebook) -> None:
        """Add (or replace) a notebook, its file tree made anew; runs already started keep their settings."""
        if not isinstance(notebook, Notebook):
            raise TypeError(f"expected a Notebook, got {type(notebook).__name__}")
        with self._lock:
            self._notebooks[notebook.id] = notebook
            self._sessions[notebook.id] = NotebookSession.of(notebook)
            self.files.reset(notebook.id, notebook.files)

    def _access(self, token: str, notebook_id: str) -> str | None:
        """Return the token's access to a notebook, raising ApiError(403) if it is made for another one."""
        settings = self._tokens.get(token)
        if settings is None:
            return None
        limit = settings.limit_error(notebook_id)
        if limit is not None:
            raise limit
        if notebook_id not in self._notebooks:
            return None
        return settings.notebooks.get(notebook_id) or settings.notebooks.get(ALL_NOTEBOOKS)

    # Faults

    def add_faults(self, faults: Iterable[Fault]) -> None:
        """Append faults to the queue of their endpoint."""
        faults = list(faults)
        for fault in faults:
            if not isinstance(fault, Fault):
                raise TypeError(f"expected a Fault, got {type(fault).__name__}")
        with self._lock:
            for fault in faults:
                self._faults.setdefault(fault.endpoint, deque()).append(fault)

    def take_fault(self, endpoint: str) -> Fault | None:
        """Consume one use of the fault at the head of the endpoint's queue, if any."""
        with self._lock:
            queue = self._faults.get(endpoint)
            if not queue:
                return None
            head = queue[0]
            if head.times <= 1:
                queue.popleft()
            else:
                queue[0] = dataclasses.replace(head, times=head.times - 1)
            return head

    def pending_faults(self) -> list[Fault]:
        """Return the faults still queued, with their remaining ``times``."""
        with self._lock:
            return [fault for queue in self._faults.values() for fault in queue]

    def clear_faults(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self._faults.clear()

    # The API's operations

    def start_run(self, token: str, request: RunRequest) -> Run:
        """Start a run for an editor token, raising ApiError(403/404) otherwise."""
        with self._lock:
            self._check_access(token, request.notebook_id, editor=True)
            run_id = self._new_run_id()
            run = Run(
                run_id=run_id,
                notebook=self._notebooks[request.notebook_id],
                parameters=copy.deepcopy(request.parameters),
                update_report=request.update_report,
                direct_file_storage_write=request.direct_file_storage_write,
                read_only=False,
                access="editor",
                start_time=time.time(),
            )
            self._runs[run_id] = run
            return run

    def poll_run(self, token: str, run_id: str) -> dict[str, Any]:
        """Count one status GET of a run and return its status JSON, raising ApiError(403/404) if not visible."""
        with self._lock:
            run = self._runs.get(run_id)
            access = self._access(token, run.notebook_id) if run is not None else None
            if run is None or access is None:
                raise ApiError(404, f"Run {run_id} not found")
            run.status_polls += 1
            if run.end_time is None and self._is_done(run):
                run.end_time = max(time.time(), run.start_time)
                if run.success:
                    self.files.write(run.notebook_id, run.notebook.run_writes)
            direct_field = self.server_version != "2025-lenient"
            return status_reply(run, read_only=access == "viewer", direct_file_storage_field=direct_field)

    def start_interactive(self, token: str, notebook_id: str) -> float:
        """
        Start an interactive run (every cell, see ``kernel``) for an editor token; ApiError(403/404) otherwise.

        Returns the seconds to hold the answer: ``interactive_seconds``, plus the cells' with ``interactive_waits``.
        """
        with self.notebook(token, notebook_id, editor=True) as session:
            self._interactive.append(notebook_id)
            held = session.kernel.start_all(wait=session.notebook.interactive_waits)
        return self.interactive_seconds + held

    @contextlib.contextmanager
    def notebook(self, token: str, notebook_id: str, *, editor: bool) -> Iterator[NotebookSession]:
        """
        Hold the lock and yield a notebook's session, raising ApiError(404) or (``editor``) ApiError(403) first.

        :param token: the request's token.
        :param notebook_id: ``owner/notebook``.
        :param editor: the request changes the notebook or runs it (viewers read only).
        """
        with self._lock:
            self._check_access(token, notebook_id, editor=editor)
            yield self._sessions[notebook_id]

    def notebook_snapshot(self, notebook_id: str) -> dict[str, Any]:
        """Return a notebook's kernel, cells and publications as they stand (no read counted); KeyError if unknown."""
        with self._lock:
            return copy.deepcopy(self._sessions[notebook_id].snapshot())

    def check_access(self, token: str, notebook_id: str, *, editor: bool) -> None:
        """Raise ApiError(404) unless the token sees the notebook, ApiError(403) if ``editor`` and it only views."""
        with self._lock:
            self._check_access(token, notebook_id, editor=editor)

    def artifact(self, notebook_id: str, path: str) -> tuple[str, str] | None:
        """Return (run ID, name) of the artifact a finished run of the notebook lists at ``path``, if any."""
        with self._lock:
            for run in self._runs.values():
                if run.notebook_id == notebook_id and run.finished:
                    for artifact in run.notebook.effective_artifacts:
                        if artifact_path(run, artifact) == path:
                            return run.run_id, artifact.name
        return None

    def _check_access(self, token: str, notebook_id: str, *, editor: bool) -> None:
        access = self._access(token, notebook_id)
        if access is None:
            raise ApiError(404, f"Notebook {notebook_id} is not shared with you or does not exist")
        if editor and access != "editor":
            raise ApiError(403, f"You have view-only access to notebook {notebook_id}")

    @staticmethod
    def _is_done(run: Run) -> bool:
        nb = run.notebook
        polls_done = run.status_polls > nb.effective_polls
        time_done = nb.duration is None or time.monotonic() - run.started_monotonic >= nb.duration
        return polls_done and time_done

    def _new_run_id(self) -> str:
        while True:
            run_id = "".join(secrets.choice(_RUN_ID_ALPHABET) for _ in range(22))
            if run_id not in self._runs:
                return run_id

    # Runs

    def runs(self) -> dict[str, Run]:
        """Return a snapshot of every run, by run ID."""
        with self._lock:
            return {run_id: copy.deepcopy(run) for run_id, run in self._runs.items()}

    def delete_run(self, run_id: str) -> None:
        """Forget a run, so that its status GETs answer 404; raise KeyError if unknown."""
        with self._lock:
            del self._runs[run_id]

    def interactive_runs(self) -> list[str]:
        """Return the notebook IDs of the interactive runs, in order."""
        with self._lock:
            return list(self._interactive)

    # Journal

    def record(self, entry: JournalEntry) -> JournalSlot:
        """Append a journal entry, returning its slot to update once the response is known."""
        slot = JournalSlot(entry)
        with self._lock:
            self._journal.append(slot)
        return slot

    def update_entry(self, slot: JournalSlot, **changes: Any) -> None:
        """Fill in what became known after the request arrived: its ``status``, the ``run_id`` it started."""
        with self._lock:
            slot.entry = dataclasses.replace(slot.entry, **changes)

    def journal(self) -> list[JournalEntry]:
        """Return the journal entries in arrival order."""
        with self._lock:
            return [slot.entry for slot in self._journal]

    def clear_journal(self) -> None:
        """Forget every journal entry."""
        with self._lock:
            self._journal.clear()
