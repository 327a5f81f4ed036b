"""What the emulated endpoints do with a request once it is authenticated and its body parsed."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_provider_datalore.emulator.checks import show
from airflow_provider_datalore.emulator.downloads import AnyReply, FileReply
from airflow_provider_datalore.emulator.errors import ApiError
from airflow_provider_datalore.emulator.file_tree import StoredFile
from airflow_provider_datalore.emulator.files import artifact_content, normalize_path
from airflow_provider_datalore.emulator.replies import Reply, interactive_reply

if TYPE_CHECKING:
    from aiohttp import web

    from airflow_provider_datalore.emulator.state import EmulatorState
    from airflow_provider_datalore.emulator.validation import FileRequest, RunRequest

#: How the Run API's artifact paths begin: ``/notebook/<owner>/<notebook>/artifacts/<run>/<name>``.
ARTIFACT_PREFIX = "/notebook/"


@dataclass(frozen=True)
class Incoming:
    """What the journal and the handlers need from a request, read once."""

    method: str
    path: str
    query: str
    body: Any
    body_is_json: bool
    auth_present: bool
    token: str | None
    #: The 401 or 403 that the token gets whatever it asks, if any.
    auth_error: ApiError | None
    token_valid: bool
    content_type: str
    time: float
    client_port: int | None
    #: The values of the path's ``{placeholders}``, by name.
    params: Mapping[str, str] = field(default_factory=dict)
    #: The query parameters, by name (the upload's carry its notebook and directory).
    query_params: Mapping[str, str] = field(default_factory=dict)
    #: The request, for a handler that reads a streamed body itself (the upload); None for the others.
    stream: web.Request | None = field(default=None, repr=False, compare=False)


@dataclass
class Outcome:
    """The answer the emulator decided on for a request, before any fault replaces it."""

    reply: AnyReply
    run_id: str | None = None
    #: Seconds to hold the answer (an interactive run, on a server that answers when it is done).
    wait: float = 0.0
    #: What the journal records as the body of a request whose handler read it (the upload's file).
    journal_body: Any = None


#: Answer an authenticated request, given the state, the request and what the endpoint's parse returned
#: (None for an endpoint without a body); raise ApiError for an error answer. A handler that reads the
#: body itself (the upload) is a coroutine function.
Handler = Callable[["EmulatorState", Incoming, Any], Outcome | Awaitable[Outcome]]


def require_json(incoming: Incoming) -> None:
    """
    Raise ApiError(415) unless the request says it sends JSON, ApiError(400) unless its body is JSON.

    :param incoming: the request.
    """
    if incoming.content_type != "application/json":
        raise ApiError(415, "Content-Type must be application/json")
    if not incoming.body_is_json:
        raise ApiError(400, "Request body must be a JSON object")


# The Run API


def run_notebook(state: EmulatorState, incoming: Incoming, request: RunRequest) -> Outcome:
    """
    Start a run and answer its ID.

    :param state: the emulator's state.
    :param incoming: the request.
    :param request: its parsed body.
    """
    assert incoming.token is not None
    run = state.start_run(incoming.token, request)
    return Outcome(Reply.json(200, {"runId": run.run_id}), run_id=run.run_id)


def run_status(state: EmulatorState, incoming: Incoming, _: None) -> Outcome:
    """
    Answer the status of the run the path names.

    :param state: the emulator's state.
    :param incoming: the request.
    """
    assert incoming.token is not None
    return Outcome(Reply.json(200, state.poll_run(incoming.token, incoming.params["run_id"])))


def run_interactive(state: EmulatorState, incoming: Incoming, notebook_id: str) -> Outcome:
    """
    Start an interactive run (every cell); the answer takes the server's shape and is held ``interactive_seconds``
    (and, with the notebook's ``interactive_waits``, until its cells have run).

    :param state: the emulator's state.
    :param incoming: the request.
    :param notebook_id: the notebook its body names.
    """
    assert incoming.token is not None
    held = state.start_interactive(incoming.token, notebook_id)
    return Outcome(interactive_reply(state.interactive_reply), wait=held)


# The Notebook API: files (cells, kernel and report: ``notebook_handlers``)


def list_files(state: EmulatorState, incoming: Incoming, request: FileRequest) -> Outcome:
    """
    Answer the direct children of a directory of the notebook's tree.

    :param state: the emulator's state.
    :param incoming: the request.
    :param request: its parsed body (``path`` is the ``directory``).
    """
    assert incoming.token is not None
    state.check_access(incoming.token, request.notebook_id, editor=False)
    entries = state.files.list(request.notebook_id, _tree_path(request.path))
    return Outcome(Reply.json(200, {"files": entries}))


def download_file(state: EmulatorState, incoming: Incoming, request: FileRequest) -> Outcome:
    """
    Answer a file's bytes, streamed (with a Content-Length unless the server's ``file_content_length`` is off).

    :param state: the emulator's state.
    :param incoming: the request.
    :param request: its parsed body.
    """
    assert incoming.token is not None
    state.check_access(incoming.token, request.notebook_id, editor=False)
    name, stored = _file_to_serve(state, request)
    return Outcome(FileReply(name, stored, content_length=state.file_content_length))


def file_exists(state: EmulatorState, incoming: Incoming, request: FileRequest) -> Outcome:
    """
    Answer whether the notebook has a file or folder at the path (or serves a run's artifact there).

    :param state: the emulator's state.
    :param incoming: the request.
    :param request: its parsed body.
    """
    assert incoming.token is not None
    state.check_access(incoming.token, request.notebook_id, editor=False)
    target = _resolve(state, request)
    exists = target is not None and (
        isinstance(target, tuple) or state.files.exists(request.notebook_id, target)
    )
    return Outcome(Reply.json(200, {"exists": exists}))


async def upload_file(state: EmulatorState, incoming: Incoming, request: FileRequest) -> Outcome:
    """
    Store the multipart ``file`` field at ``<directory>/<its file name>``, written to disk as it arrives.

    :param state: the emulator's state.
    :param incoming: the request, whose body is read here.
    :param request: its parsed query (``path`` is the ``directory``).
    """
    from airflow_provider_datalore.emulator.uploads import receive_upload  # aiohttp: only when serving

    assert incoming.token is not None
    assert incoming.stream is not None
    state.check_access(incoming.token, request.notebook_id, editor=True)
    directory = _tree_path(request.path)
    upload = await receive_upload(incoming.stream, state.files.spool_directory())
    try:
        state.files.store_upload(request.notebook_id, directory, upload)
    except ApiError:
        with contextlib.suppress(OSError):
            upload.path.unlink()
        raise
    received = {"name": upload.name, "size": upload.size, "sha256": upload.sha256}
    return Outcome(
        Reply.json(200, {"fileName": upload.name, "status": "uploaded"}),
        journal_body={"query": dict(incoming.query_params), "file": received},
    )


def delete_file(state: EmulatorState, incoming: Incoming, request: FileRequest) -> Outcome:
    """
    Delete a file (or a folder and all below it) of the notebook's tree; answer 204.

    :param state: the emulator's state.
    :param incoming: the request.
    :param request: its parsed body.
    """
    assert incoming.token is not None
    state.check_access(incoming.token, request.notebook_id, editor=True)
    state.files.delete(request.notebook_id, _tree_path(request.path))
    return Outcome(Reply(204, b"", None))


def _tree_path(path: str) -> str:
    """Return a path of the tree normalized; raise ApiError(400) for an invalid one (see ``files``)."""
    normal = normalize_path(path)
    if normal is None:
        raise ApiError(400, f"Invalid path: {show(path)}")
    return normal


def _file_to_serve(state: EmulatorState, request: FileRequest) -> tuple[str, StoredFile]:
    """Return the name and bytes ``/file`` serves for a path, raising ApiError(404/400) for none."""
    target = _resolve(state, request)
    if target is None:
        raise ApiError(404, f"File not found: {request.path}")
    if isinstance(target, tuple):
        run_id, name = target
        return name, StoredFile.of(artifact_content(run_id, name), time.time())
    return target.rpartition("/")[2], state.files.get(request.notebook_id, target)


def _resolve(state: EmulatorState, request: FileRequest) -> tuple[str, str] | str | None:
    """
    Return what a ``/file`` path names: (run ID, name) of an artifact, a path of the tree, or None.

    With ``artifacts_in_files``, a path a finished run of the notebook lists as an artifact is that
    artifact, whatever its shape; without it (or for a run that lists no such path), a path shaped like
    one (``/notebook/...``) names nothing (404 like any missing file, not 400 for its leading ``/``).
    Any other path is a path of the tree, or ApiError(400) if invalid.
    """
    path = request.path
    found = state.artifact(request.notebook_id, path) if state.artifacts_in_files else None
    if found is not None:
        return found
    if path.startswith(ARTIFACT_PREFIX) and normalize_path(path[1:]) is not None:
        return None
    return _tree_path(path)
