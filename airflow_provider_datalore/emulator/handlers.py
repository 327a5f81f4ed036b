"""What the emulated endpoints do with a request once it is authenticated and its body parsed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_provider_datalore.emulator.errors import ApiError
from airflow_provider_datalore.emulator.replies import Reply, interactive_reply

if TYPE_CHECKING:
    from airflow_provider_datalore.emulator.state import EmulatorState
    from airflow_provider_datalore.emulator.validation import RunRequest


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


@dataclass
class Outcome:
    """The answer the emulator decided on for a request, before any fault replaces it."""

    reply: Reply
    run_id: str | None = None
    #: Seconds to hold the answer (an interactive run, on a server that answers when it is done).
    wait: float = 0.0


#: Answer an authenticated request, given the state, the request and what the endpoint's parse returned
#: (None for an endpoint without a body); raise ApiError for an error answer.
Handler = Callable[["EmulatorState", Incoming, Any], Outcome]


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
    Start an interactive run; the answer takes the server's shape and is held ``interactive_seconds``.

    :param state: the emulator's state.
    :param incoming: the request.
    :param notebook_id: the notebook its body names.
    """
    assert incoming.token is not None
    state.start_interactive(incoming.token, notebook_id)
    return Outcome(interactive_reply(state.interactive_reply), wait=state.interactive_seconds)


# The Notebook API


def kernel_status(state: EmulatorState, incoming: Incoming, notebook_id: str) -> Outcome:
    """
    Answer the state of the notebook's kernel.

    :param state: the emulator's state.
    :param incoming: the request.
    :param notebook_id: the notebook its body names, as ``"owner/id"``.
    """
    assert incoming.token is not None
    return Outcome(Reply.json(200, state.kernel_status(incoming.token, notebook_id)))
